"""The business rules of a booking: how a request is saved and what follows."""

import logging

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from clinic.models import ClinicProfile

from . import outbox
from .models import ConsultationRequest, InternalNote, OutboundEmail, generate_reference
from .scheduling import cancel_appointment, close_appointment, reschedule_appointment, schedule_appointment

__all__ = [
    "add_note",
    "cancel_appointment",
    "close_appointment",
    "find_submitted",
    "reschedule_appointment",
    "schedule_appointment",
    "submit_request",
]

logger = logging.getLogger(__name__)

REFERENCE_ATTEMPTS = 5


def submit_request(consultation, *, site_url="", automated=False):
    """Save a new request with its consent record and queue its emails, all in
    one transaction. Returns (request, created): a second submission of the same
    form returns the request the first one saved.

    A request that looks automated (see the form) is stored as spam, so staff
    can still find it if a person was wrongly caught, and no email goes out."""
    profile = ClinicProfile.load()
    consultation.consent_notice_version = profile.privacy_notice_version
    consultation.consented_at = timezone.now()
    consultation.urgent = consultation.safe_now == ConsultationRequest.SafeNow.NO
    if automated:
        consultation.status = ConsultationRequest.Status.SPAM
        consultation.spam_at = consultation.consented_at
        consultation.urgent = False
    site_url = site_url or getattr(settings, "SITE_URL", "")
    for _ in range(REFERENCE_ATTEMPTS):
        consultation.reference = generate_reference()
        try:
            with transaction.atomic():
                consultation.save(force_insert=True)
                # Recorded and enqueued inside this transaction: the emails
                # exist exactly when the request does, and the worker sends
                # them, retrying while the mail server is away (bookings.outbox).
                # A request that looks automated gets none.
                if not automated:
                    outbox.queue_emails(
                        [OutboundEmail.Kind.ACKNOWLEDGEMENT, OutboundEmail.Kind.NEW_REQUEST],
                        consultation,
                    )
        except IntegrityError:
            consultation.pk = None
            existing = ConsultationRequest.objects.filter(submission_key=consultation.submission_key).first()
            if existing is not None:
                return existing, False
            continue  # the rare reference collision: draw another
        logger.info(
            "Consultation request %s received (urgent=%s)", consultation.reference, consultation.urgent
        )
        return consultation, True
    raise RuntimeError("Could not find a free reference")


def find_submitted(submission_key):
    return ConsultationRequest.objects.filter(submission_key=submission_key).first()


@transaction.atomic
def add_note(consultation, author, text):
    note = InternalNote.objects.create(request=consultation, author=author, text=text)
    record_note(consultation, author)
    return note


def record_note(consultation, author):
    """Put "internal note added" in the request's history, so the history page
    tells the whole story of who did what."""
    consultation._change_reason = "Internal note added"
    consultation._history_user = author
    consultation.save(update_fields=["updated"])
