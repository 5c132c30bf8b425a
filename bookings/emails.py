"""What each email says (templates/emails/); bookings.outbox delivers them."""

import unicodedata

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.mail.message import make_msgid
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from clinic.links import absolute_url, site_domain
from clinic.models import ClinicProfile

from . import calendar, tokens
from .models import OutboundEmail

Kind = OutboundEmail.Kind

SUBJECTS = {
    Kind.ACKNOWLEDGEMENT: _("Your request to %(clinic)s"),
    Kind.CONFIRMATION: _("Your appointment at %(clinic)s is confirmed"),
    Kind.RESCHEDULE: _("Your appointment at %(clinic)s has changed"),
    Kind.CANCELLATION: _("Your appointment at %(clinic)s is cancelled"),
    Kind.REMINDER: _("Reminder: your appointment at %(clinic)s"),
    Kind.HOLD_RELEASED: _("Please choose another time with %(clinic)s"),
}
APPOINTMENT_KINDS = {Kind.CONFIRMATION, Kind.RESCHEDULE, Kind.CANCELLATION, Kind.REMINDER}
CONFIRMED_KINDS = {Kind.CONFIRMATION, Kind.RESCHEDULE, Kind.REMINDER}
FIRST_NAME_MAX = 20


def first_name(name):
    """A short word of letters, else "": anyone can type a stranger's address
    into the form, so the acknowledgement must not carry their words there."""
    word = next(iter(name.split()), "")
    if len(word) > FIRST_NAME_MAX or not all(unicodedata.category(c)[0] in "LM" for c in word):
        return ""
    return word


def build_message(email):
    """The message as things stand now, or None when it is no longer wanted: to
    the visitor in the language they booked in (links under /hi/ too), to the
    clinic in English."""
    language = "en" if email.to_clinic else email.consultation.site_language
    with translation.override(language):
        return _build_message(email)


def _build_message(email):
    consultation, appointment = email.consultation, email.appointment
    if consultation.erased_at and not email.to_clinic:
        return None
    if email.kind in APPOINTMENT_KINDS:
        if appointment is None:
            return None
        if email.kind in CONFIRMED_KINDS and not appointment.is_confirmed:
            return None
        if email.kind == Kind.REMINDER and appointment.start != email.reminder_for:
            return None
    clinic = ClinicProfile.load()
    context = {"clinic": clinic, "consultation": consultation, "appointment": appointment}
    if email.to_clinic:
        path = reverse("admin:bookings_consultationrequest_change", args=[consultation.pk])
        context["admin_url"] = absolute_url(path)
        inbox = [settings.CLINIC_INBOX_EMAIL or clinic.email]
        if email.kind == Kind.VISITOR_CHANGE:
            # As things stand when it is sent: the latest appointment, if any.
            latest = consultation.appointments.select_related("specialist").order_by("-pk").first()
            context["latest"] = latest
            if latest is not None:
                context["when"] = date_format(timezone.localtime(latest.start), "l j F Y, g:i A")
            subject = f"Changed by the visitor: request {consultation.reference}"
            return _message(subject, "visitor_change", context, to=inbox)
        prefix = "Urgent: new" if consultation.urgent else "New"
        subject = f"{prefix} consultation request {consultation.reference}"
        return _message(subject, "new_request", context, to=inbox)
    context["status_url"] = absolute_url(tokens.status_path(consultation))
    if email.kind == Kind.ACKNOWLEDGEMENT:
        context["first_name"] = first_name(consultation.name)
        # The time they chose, as things stand when it is sent (awaiting confirmation).
        held = consultation.appointments.held().select_related("specialist").first()
        if held is not None:
            context.update(_appointment_context(held))
        template = "acknowledgement"
    elif email.kind == Kind.HOLD_RELEASED:
        context["first_name"] = first_name(consultation.name)
        context["book_url"] = absolute_url(reverse("bookings:book"))
        template = "hold_released"
    else:
        context.update(_appointment_context(appointment))
        template = f"appointment_{email.kind}"
    message = _message(
        SUBJECTS[email.kind] % {"clinic": clinic.name},
        template,
        context,
        to=[consultation.email],
        reply_to=[clinic.email],
    )
    if email.kind in APPOINTMENT_KINDS and email.kind != Kind.REMINDER:
        message.attach("appointment.ics", calendar.appointment_calendar(appointment, clinic), "text/calendar")
    return message


def _appointment_context(appointment):
    return {
        "appointment": appointment,
        "when": date_format(timezone.localtime(appointment.start), "l j F Y, g:i A"),
        "fee": appointment.specialist.fee_for(appointment.mode),
    }


def _message(subject, template, context, to, reply_to=None):
    text = render_to_string(f"emails/{template}.txt", context)
    html = render_to_string(f"emails/{template}.html", context)
    # Django's Message-ID names this machine (often "localhost"), which spam filters mark down.
    headers = {"Message-ID": make_msgid(domain=site_domain())}
    message = EmailMultiAlternatives(subject, text, to=to, reply_to=reply_to, headers=headers)
    message.attach_alternative(html, "text/html")
    return message
