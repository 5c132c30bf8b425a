"""Emails about bookings. Subjects and bodies never name the concern or repeat
the message: email travels through too many hands for health details."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse

from clinic.models import ClinicProfile


def _send(subject, template, context, to, reply_to=None):
    text = render_to_string(f"emails/{template}.txt", context)
    html = render_to_string(f"emails/{template}.html", context)
    message = EmailMultiAlternatives(subject, text, to=to, reply_to=reply_to)
    message.attach_alternative(html, "text/html")
    message.send()


def clinic_inbox(profile=None):
    return getattr(settings, "CLINIC_INBOX_EMAIL", "") or (profile or ClinicProfile.load()).email


def send_acknowledgement(consultation):
    profile = ClinicProfile.load()
    context = {"clinic": profile, "consultation": consultation}
    _send(
        f"Your request to {profile.name}",
        "acknowledgement",
        context,
        to=[consultation.email],
        reply_to=[profile.email],
    )


def notify_clinic(consultation, site_url=""):
    profile = ClinicProfile.load()
    path = reverse("admin:bookings_consultationrequest_change", args=[consultation.pk])
    context = {
        "clinic": profile,
        "consultation": consultation,
        "admin_url": f"{site_url.rstrip('/')}{path}",
    }
    prefix = "Urgent: new" if consultation.urgent else "New"
    _send(
        f"{prefix} consultation request {consultation.reference}",
        "new_request",
        context,
        to=[clinic_inbox(profile)],
    )
