"""Signed, expiring self-service links. The token holds the reference and the
access key, nothing personal; erasing a request clears the key."""

from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.urls import reverse

from .models import ConsultationRequest

SALT = "bookings.self-service"


def token_for(consultation):
    return signing.dumps([consultation.reference, consultation.access_key], salt=SALT, compress=True)


def status_path(consultation):
    return reverse("bookings:status", kwargs={"token": token_for(consultation)})


def find_request(token):
    """The request a token opens, or None (bad signature, expired, erased)."""
    try:
        reference, key = signing.loads(
            token, salt=SALT, max_age=timedelta(days=settings.BOOKING_LINK_MAX_AGE_DAYS)
        )
    except (signing.BadSignature, ValueError, TypeError):
        return None
    if not key:
        return None
    return ConsultationRequest.objects.filter(
        reference=reference, access_key=key, erased_at__isnull=True
    ).first()
