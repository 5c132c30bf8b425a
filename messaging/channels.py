"""Delivery, one backend per channel as Django's email backends are, named in
settings.MESSAGE_CHANNELS. A channel renders a kind's message its own way and
sends it. A provider that cannot be reached raises OSError, which the outbox
retries; one that refuses the message for good raises Undeliverable."""

import json
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.mail.message import make_msgid
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.module_loading import import_string

from clinic.links import site_domain


def channel(name):
    return import_string(settings.MESSAGE_CHANNELS[name])(name)


class Undeliverable(Exception):
    """Refused for good (a bad number, a template not approved): not retried."""

    def __init__(self, code):
        super().__init__(code)
        self.code = code


class ProviderUnavailable(OSError):
    """The provider answered, but cannot take messages now (5xx, 429): retried."""

    def __init__(self, code):
        super().__init__(code)
        self.code = code


class EmailChannel:
    """Through Django's own email (EMAIL_BACKEND: SMTP, or .eml files in var/mail/)."""

    def __init__(self, name="email"):
        self.name = name

    def build(self, kind, message, clinic):
        context = {
            "clinic": clinic,
            "consultation": message.consultation,
            "appointment": message.appointment,
            **kind.context(message),
        }
        text = render_to_string(f"emails/{kind.template}.txt", context)
        html = render_to_string(f"emails/{kind.template}.html", context)
        email = EmailMultiAlternatives(
            kind.subject_line(message, clinic),
            text,
            to=kind.recipients(message, clinic),
            reply_to=kind.reply_to(clinic),
            headers={
                # Django's Message-ID names this machine (often "localhost"), which spam filters mark down.
                "Message-ID": make_msgid(domain=site_domain()),
                # RFC 3834: no auto-replies or out-of-office answers to this.
                "Auto-Submitted": "auto-generated",
            },
        )
        email.attach_alternative(html, "text/html")
        invitation = kind.invitation(message, clinic)
        if invitation:
            # As Google Calendar sends one: the alternative part is what mail apps act on
            # (the parameter names the iTIP method), the attachment what others show.
            method, ics = invitation
            email.attach_alternative(ics.decode(), f"text/calendar; method={method}")
            email.attach("appointment.ics", ics, "application/ics")
        for name, ics in kind.calendar_files(message, clinic):
            email.attach(name, ics, "application/ics")
        return email

    def send(self, kind, message, clinic):
        self.build(kind, message, clinic).send()


@dataclass(frozen=True)
class Text:
    """An SMS or WhatsApp message as a provider takes it."""

    channel: str
    to: str  # E.164
    template: str  # its name, as in MESSAGE_TEMPLATE_IDS
    language: str
    template_id: str  # the provider's (DLT or WhatsApp) ID, "" when none is set
    variables: dict  # in the template's order
    body: str

    def __str__(self):
        variables = "; ".join(f"{name}={value}" for name, value in self.variables.items())
        return (
            f"Channel: {self.channel}\nTo: {self.to}\nTemplate: {self.template} (ID: {self.template_id or 'none'})\n"
            f"Language: {self.language}\nVariables: {variables}\n\n{self.body}\n"
        )


class TextChannel:
    """SMS or WhatsApp: the kind's fixed text (messaging.texts) with its variables filled in."""

    def __init__(self, name):
        self.name = name

    def build(self, kind, message, clinic):
        consultation = message.consultation
        if not consultation.phone or not consultation.phone.is_valid():
            raise Undeliverable("not a valid phone number")
        # WhatsApp shows the clinic's account whatever the text says.
        discreet = consultation.discreet and self.name == "sms"
        language = translation.get_language()
        values = kind.text_variables(message, clinic)
        text = kind.text_for(message)
        template = text.key(discreet=discreet)
        return Text(
            channel=self.name,
            to=consultation.phone.as_e164,
            template=template,
            language=language,
            template_id=settings.MESSAGE_TEMPLATE_IDS.get(f"{self.name}:{template}:{language}", ""),
            variables={name: values[name] for name in text.variables(discreet=discreet)},
            body=text.template(discreet=discreet).format(**values),
        )


class FileChannel(TextChannel):
    """For development: one file per message in MESSAGE_FILE_PATH (var/messages/),
    readable by its owner only, as the .eml files in var/mail/ are."""

    def send(self, kind, message, clinic):
        text = self.build(kind, message, clinic)
        folder = Path(settings.MESSAGE_FILE_PATH)
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
        path = folder / f"{stamp}-{self.name}-{uuid.uuid4().hex[:8]}.txt"
        path.touch(mode=0o600, exist_ok=False)
        path.write_text(str(text), encoding="utf-8")


class ConsoleChannel(TextChannel):
    def send(self, kind, message, clinic):
        sys.stdout.write(f"{self.build(kind, message, clinic)}{'-' * 79}\n")
        sys.stdout.flush()


class TwilioChannel(TextChannel):
    """SMS and WhatsApp through Twilio's SDK. SMS sends the registered text itself
    (DLT matches it); WhatsApp sends the approved template's ID (a Content SID)
    with its variables numbered in order."""

    def send(self, kind, message, clinic):
        from twilio.base.exceptions import TwilioRestException
        from twilio.http.http_client import TwilioHttpClient
        from twilio.rest import Client

        text = self.build(kind, message, clinic)
        client = Client(
            settings.TWILIO_ACCOUNT_SID,
            settings.TWILIO_AUTH_TOKEN,
            http_client=TwilioHttpClient(timeout=settings.MESSAGE_TIMEOUT),
        )
        client.api.base_url = settings.TWILIO_API_URL
        if self.name == "whatsapp":
            if not text.template_id:
                raise Undeliverable(f"no template ID for {text.template} ({text.language})")
            numbered = {str(n): value for n, value in enumerate(text.variables.values(), start=1)}
            options = {
                "to": f"whatsapp:{text.to}",
                "from_": f"whatsapp:{settings.TWILIO_WHATSAPP_FROM}",
                "content_sid": text.template_id,
                "content_variables": json.dumps(numbered, ensure_ascii=False),
            }
        else:
            options = {"to": text.to, "body": text.body}
            sender = settings.TWILIO_SMS_FROM
            # A Messaging Service (MG…) picks the sender; else it is a number or a sender ID.
            if sender.startswith("MG"):
                options["messaging_service_sid"] = sender
            else:
                options["from_"] = sender
        try:
            client.messages.create(**options)
        except TwilioRestException as exc:
            if exc.status >= 500 or exc.status == 429:
                raise ProviderUnavailable(f"Twilio {exc.status}") from exc
            raise Undeliverable(f"Twilio {exc.status} ({exc.code})") from exc
