"""What the owner registers: every SMS and WhatsApp text, in every language,
with the key of its ID in MESSAGE_TEMPLATE_IDS. SMS (DLT) marks each variable
{#var#}; WhatsApp numbers them {{1}}, {{2}}, … in order."""

import re
from itertools import count

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import translation

from messaging.texts import TEXTS

VARIABLE = re.compile(r"\{(\w+)\}")


class Command(BaseCommand):
    help = "Print the SMS and WhatsApp templates to register with the operator (DLT) and with WhatsApp."

    def handle(self, *args, **options):
        for language, language_name in settings.LANGUAGES:
            with translation.override(language):
                for text in TEXTS:
                    for channel, discreet in [("sms", False), ("sms", True), ("whatsapp", False)]:
                        template = text.template(discreet=discreet)
                        numbered = count(1)
                        if channel == "sms":
                            registered = VARIABLE.sub("{#var#}", template)
                        else:
                            registered = VARIABLE.sub(lambda _match: "{{" + str(next(numbered)) + "}}", template)
                        variables = ", ".join(text.variables(discreet=discreet))
                        self.stdout.write(
                            f"{channel}:{text.key(discreet=discreet)}:{language} ({language_name}; {variables})\n"
                            f"    {registered}\n"
                        )
