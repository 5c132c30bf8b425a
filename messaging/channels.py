"""Delivery, one backend per channel as Django's email backends are, named in
settings.MESSAGE_CHANNELS. A channel renders a kind's message its own way and
sends it; a failure to reach the provider raises OSError, which the outbox
retries."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.mail.message import make_msgid
from django.template.loader import render_to_string
from django.utils.module_loading import import_string

from clinic.links import site_domain


def channel(name):
    return import_string(settings.MESSAGE_CHANNELS[name])()


class EmailChannel:
    """Through Django's own email (EMAIL_BACKEND: SMTP, or .eml files in var/mail/)."""

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
        return email

    def send(self, kind, message, clinic):
        self.build(kind, message, clinic).send()
