"""Erasing what identifies a visitor, while keeping what the clinic may count.

Used when a visitor withdraws consent (self-service) and by the retention
command `anonymise_closed_requests`. Gone: name, email, phone, message,
campaign parameters, every free-text field (staff notes, cancellation
reasons), in the request's history too. Kept: reference, status and its dates,
topic, mode, preferred times, urgency, source article, appointments' times,
and a history entry saying when and why the erasure happened."""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from .models import Appointment, ConsultationRequest, InternalNote

logger = logging.getLogger(__name__)
Status = ConsultationRequest.Status

CLOSED_STATUSES = [Status.COMPLETED, Status.CANCELLED, Status.NO_SHOW]
SPAM_RETENTION_DAYS = 30
ERASED_NOTE = "(erased)"

# The visitor's own words and details, blanked in the request and its history.
PERSONAL_FIELDS = {
    "name": "",
    "email": "",
    "phone": "",
    "message": "",
    "utm_source": "",
    "utm_medium": "",
    "utm_campaign": "",
    "utm_term": "",
    "utm_content": "",
}


def retention_days():
    return getattr(settings, "BOOKING_RETENTION_DAYS", 365)


@transaction.atomic
def anonymise(consultation, *, reason, user=None):
    """Erase one request's personal data. Returns False if it already was."""
    consultation = ConsultationRequest.objects.select_for_update().get(pk=consultation.pk)
    if consultation.erased_at:
        return False
    ConsultationRequest.history.filter(id=consultation.pk).update(**PERSONAL_FIELDS)
    InternalNote.objects.filter(request=consultation).update(text=ERASED_NOTE)
    Appointment.objects.filter(request=consultation).update(cancellation_reason="")
    Appointment.history.filter(request_id=consultation.pk).update(cancellation_reason="")
    for field, value in PERSONAL_FIELDS.items():
        setattr(consultation, field, value)
    consultation.access_key = ""
    consultation.erased_at = timezone.now()
    consultation._change_reason = f"Personal details erased ({reason})"
    if user is not None:
        consultation._history_user = user
    consultation.save(update_fields=[*PERSONAL_FIELDS, "access_key", "erased_at", "updated"])
    logger.info("Request %s anonymised (%s)", consultation.reference, reason)
    return True


def due_for_anonymising(now=None):
    """(closed requests past retention, spam past 30 days), not yet erased.
    A closed request counts from the time it was closed."""
    now = now or timezone.now()
    not_erased = ConsultationRequest.objects.filter(erased_at__isnull=True)
    closed_before = now - timedelta(days=retention_days())
    closed_long_ago = Q()
    for status in CLOSED_STATUSES:
        stamp = ConsultationRequest.STATUS_STAMPS[status]
        closed_long_ago |= Q(status=status, **{f"{stamp}__lt": closed_before})
    closed = not_erased.filter(closed_long_ago)
    spam = not_erased.filter(status=Status.SPAM, spam_at__lt=now - timedelta(days=SPAM_RETENTION_DAYS))
    return closed, spam
