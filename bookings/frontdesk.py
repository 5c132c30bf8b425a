"""The front desk's one way in: arrivals (arrived, with the clinician, done),
payments and their receipts. A receipt number is taken from its financial
year's counter under a row lock, so the series has no gaps and no repeats,
however many desks record payments at once."""

import logging
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from clinic.formats import local_datetime
from messaging import kinds, outbox

from . import services
from .models import Appointment, Mode, Payment, ReceiptCounter
from .models.payments import financial_year

logger = logging.getLogger(__name__)
STEPS = {"arrived": "arrived_at", "seen": "seen_at"}


def _locked(appointment):
    return Appointment.objects.select_for_update().select_related("consultation").get(pk=appointment.pk)


@transaction.atomic
def mark(appointment, step, *, user):
    """Arrived, or with the clinician: each once, with the time, for a
    confirmed appointment in the clinic; "done" completes it (from its start)."""
    current = _locked(appointment)
    if step == "done":
        return services.close_appointment(current, Appointment.Status.COMPLETED, user=user)
    if not current.is_confirmed or current.mode != Mode.IN_CLINIC:
        raise ValidationError("Arrivals are for confirmed appointments in the clinic.")
    field = STEPS[step]
    if getattr(current, field) is None:
        setattr(current, field, timezone.now())
        if step == "seen" and current.arrived_at is None:
            current.arrived_at = current.seen_at
        current._change_reason = {"arrived": "Arrived", "seen": "With the clinician"}[step]
        current._history_user = user
        current.save(update_fields=["arrived_at", "seen_at"])
    return True


@transaction.atomic
def record_payment(appointment, *, amount, method, utr="", note="", user):
    """A payment with the next receipt number of this financial year; a
    waiver says why."""
    if method not in Payment.Method.values:
        raise ValidationError({"method": "Choose how it was paid."})
    if method == Payment.Method.UPI and not utr.strip():
        raise ValidationError({"utr": "Give the UPI reference (UTR) the visitor reads out or sends."})
    if method == Payment.Method.WAIVED and not note.strip():
        raise ValidationError({"note": "Say why the fee is waived."})
    year = financial_year(timezone.now())
    counter, _ = ReceiptCounter.objects.get_or_create(financial_year=year)
    counter = ReceiptCounter.objects.select_for_update().get(pk=counter.pk)
    counter.last_number += 1
    counter.save(update_fields=["last_number"])
    payment = Payment(
        appointment=appointment,
        amount=amount,
        method=method,
        utr=utr.strip(),
        note=note.strip()[:200],
        taken_by=user,
        financial_year=year,
        receipt_number=counter.last_number,
    )
    payment._change_reason = "Recorded"
    payment._history_user = user
    payment.save()
    logger.info("Receipt %s recorded for appointment %s", payment.receipt, appointment.pk)
    return payment


@transaction.atomic
def correct_payment(payment, *, amount, method, utr="", reason, user):
    """Changed in place, its receipt number kept; the history keeps what was
    recorded before, with who corrected it and why."""
    if not reason.strip():
        raise ValidationError({"reason": "Say why the payment is corrected."})
    payment = Payment.objects.select_for_update().get(pk=payment.pk)
    payment.amount, payment.method, payment.utr = amount, method, utr.strip()
    payment._change_reason = f"Corrected: {reason.strip()}"
    payment._history_user = user
    payment.save(update_fields=["amount", "method", "utr"])
    return payment


def email_receipt(payment):
    """The receipt to the visitor's email, in their language, through the outbox."""
    consultation = payment.appointment.consultation
    if consultation.erased_at or not consultation.email:
        raise ValidationError("This visitor has no email address on record.")
    outbox.queue(
        kinds.Receipt, consultation, appointment=payment.appointment, payment=payment, channels=["email"]
    )


def amount_due(appointment, late_fee):
    """What the appointment's state makes due: the fee once completed; the
    clinic's late fee (ClinicProfile.late_fee, may be 0) for a no-show or a
    cancellation within BOOKING_CHANGE_CUTOFF_HOURS; nothing otherwise."""
    if appointment.status == Appointment.Status.COMPLETED:
        return appointment.fee or 0
    if appointment.status == Appointment.Status.NO_SHOW:
        return late_fee
    if appointment.status == Appointment.Status.CANCELLED and appointment.cancelled_at:
        cutoff = timedelta(hours=settings.BOOKING_CHANGE_CUTOFF_HOURS)
        return late_fee if appointment.start - appointment.cancelled_at < cutoff else 0
    return 0


def paid(appointment):
    """What has been recorded against it, in rupees (a waiver counts as settled)."""
    return sum(payment.amount for payment in appointment.payments.all())


def describe(appointment):
    return f"{appointment.consultation.reference} at {local_datetime(appointment.start)}"
