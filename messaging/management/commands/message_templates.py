"""What the owner registers: every SMS and WhatsApp text, in every language,
with the key of its ID in MESSAGE_TEMPLATE_IDS. SMS (DLT) marks each variable
{#var#} (at most 30 characters) and each link {#url#}, whose addresses (this
site's and the video server's) the owner lists with the operator too; WhatsApp
numbers them {{1}}, {{2}}, … in order."""

import re

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import translation

from messaging.texts import TEXTS

VARIABLE = re.compile(r"\{(\w+)\}")
LINKS = {"link", "room"}


def registered_form(channel, template, names):
    if channel == "sms":
        return VARIABLE.sub(lambda match: "{#url#}" if match[1] in LINKS else "{#var#}", template)
    return VARIABLE.sub(lambda match: "{{" + str(names.index(match[1]) + 1) + "}}", template)


class Command(BaseCommand):
    help = "Print the SMS and WhatsApp templates to register with the operator (DLT) and with WhatsApp."

    def handle(self, *args, **options):
        for language, language_name in settings.LANGUAGES:
            with translation.override(language):
                for text in TEXTS:
                    for channel, discreet in [("sms", False), ("sms", True), ("whatsapp", False)]:
                        names = text.variables(discreet=discreet)
                        registered = registered_form(channel, text.template(discreet=discreet), names)
                        variables = ", ".join(names)
                        self.stdout.write(
                            f"{channel}:{text.key(discreet=discreet)}:{language} ({language_name}; {variables})\n"
                            f"    {registered}\n"
                        )
