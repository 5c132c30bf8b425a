"""The one way in for every change of state of a request or an appointment:
each records who did it and queues the emails it causes, in one transaction."""

import logging
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, OperationalError, transaction
from django.utils import timezone, translation
from django.utils.formats import date_format

from clinic.models import ClinicProfile, Specialist

from . import outbox
from .models import Appointment, ConsultationRequest, DayOff, InternalNote, OutboundEmail, WorkingHours
from .models.requests import CAMPAIGN_FIELDS, SafeNow, generate_reference

logger = logging.getLogger(__name__)

Status = ConsultationRequest.Status
Kind = OutboundEmail.Kind
REFERENCE_ATTEMPTS = 5
DEFAULT_DURATION = timedelta(minutes=50)
OVERLAP_MESSAGE = (
    "{specialist} already has an appointment that overlaps this time. Please choose another time."
)
OVERRIDE_HINT = "Tick “schedule outside working hours” to book it anyway."
ERASED_NOTE = "(erased)"
# The visitor's own words and details, blanked in the request and its history.
PERSONAL_FIELDS = dict.fromkeys(["name", "email", "phone", "message", *CAMPAIGN_FIELDS], "")


def submit_request(consultation, *, automated=False):
    """Returns (request, created); a resubmitted form returns the first save.
    One that looks automated is kept as spam, unemailed, in case it was a person."""
    consultation.consent_notice_version = ClinicProfile.load().privacy_notice_version
    # The page's language (/hi/book/ or /book/): the notice they read, and their emails.
    consultation.site_language = translation.get_language() or settings.LANGUAGE_CODE
    consultation.consented_at = timezone.now()
    consultation.urgent = consultation.safe_now == SafeNow.NO
    if automated:
        consultation.status = Status.SPAM
        consultation.spam_at = consultation.consented_at
        consultation.urgent = False
    for _ in range(REFERENCE_ATTEMPTS):
        consultation.reference = generate_reference()
        try:
            with transaction.atomic():
                consultation.save(force_insert=True)
                if not automated:
                    outbox.queue_emails([Kind.ACKNOWLEDGEMENT, Kind.NEW_REQUEST], consultation)
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


def change_status(consultation, status, *, user):
    """Raises InvalidTransition when the workflow does not allow it."""
    consultation.transition_to(status, user=user)


def change_status_of_all(consultations, status, *, user):
    """Returns how many changed; the others are left alone."""
    return consultations.transition_to(status, user=user)


def assign(consultation, assignee, *, by):
    consultation.assign(assignee, by=by)


def assign_all(consultations, assignee):
    return consultations.assign_to(assignee)


@transaction.atomic
def add_note(consultation, author, text):
    note = InternalNote.objects.create(consultation=consultation, author=author, text=text)
    # So the request's history shows who added it.
    consultation._change_reason = "Internal note added"
    consultation._history_user = author
    consultation.save(update_fields=["updated"])
    return note


@transaction.atomic
def cancel_by_visitor(consultation, reason=""):
    """Returns whether an appointment was cancelled (and so emailed)."""
    emailed = False
    for appointment in consultation.appointments.live():
        emailed |= cancel_appointment(appointment, reason=reason, by_visitor=True)
    consultation.transition_to(Status.CANCELLED)
    InternalNote.objects.create(
        consultation=consultation,
        text="Cancelled by the visitor." + (f" Their reason: {reason}" if reason else ""),
    )
    logger.info("Request %s cancelled by the visitor", consultation.reference)
    return emailed


@transaction.atomic
def withdraw_consent(consultation):
    for appointment in consultation.appointments.live():
        cancel_appointment(appointment, by_visitor=True)
    if consultation.can_transition_to(Status.CANCELLED):
        consultation.transition_to(Status.CANCELLED)
    erase(consultation, reason="consent withdrawn by the visitor")


@transaction.atomic
def erase(consultation, *, reason, user=None):
    """Erase what identifies the visitor and every free text, history included;
    keep what the clinic may count. Returns False if erased already."""
    consultation = ConsultationRequest.objects.select_for_update().get(pk=consultation.pk)
    if consultation.erased_at:
        return False
    ConsultationRequest.history.filter(id=consultation.pk).update(**PERSONAL_FIELDS)
    InternalNote.objects.filter(consultation=consultation).update(text=ERASED_NOTE)
    Appointment.objects.filter(consultation=consultation).update(cancellation_reason="")
    Appointment.history.filter(consultation_id=consultation.pk).update(cancellation_reason="")
    for field, value in PERSONAL_FIELDS.items():
        setattr(consultation, field, value)
    consultation.access_key = ""
    consultation.erased_at = timezone.now()
    _history(consultation, f"Personal details erased ({reason})", user)
    consultation.save(update_fields=[*PERSONAL_FIELDS, "access_key", "erased_at", "updated"])
    logger.info("Request %s anonymised (%s)", consultation.reference, reason)
    return True


def outside_working_hours(specialist, start, end):
    """Why [start, end) is outside the specialist's working time, or None."""
    local_start, local_end = timezone.localtime(start), timezone.localtime(end)
    day = local_start.date()
    if local_end.date() != day and local_end.time() != local_end.time().min:
        return f"The appointment runs past midnight. {OVERRIDE_HINT}"
    if DayOff.objects.filter(specialist=specialist, date=day).exists():
        return f"{specialist} has a day off on {date_format(day, 'l j F')}. {OVERRIDE_HINT}"
    blocks = list(WorkingHours.objects.filter(specialist=specialist, weekday=day.weekday()))
    end_time = local_end.time() if local_end.date() == day else local_end.time().max
    if any(block.start <= local_start.time() and end_time <= block.end for block in blocks):
        return None
    hours = ", ".join(f"{b.start:%H:%M}-{b.end:%H:%M}" for b in blocks) or "no working hours"
    return (
        f"This is outside {specialist}'s working hours on {date_format(day, 'l')}s ({hours}). {OVERRIDE_HINT}"
    )


def _lock_calendar(specialist):
    """Two people booking one specialist take turns, so the second gets the
    friendly message, not a deadlock on the exclusion constraint."""
    Specialist.objects.select_for_update(no_key=True).filter(pk=specialist.pk).exists()


def _check_time(specialist, start, end, *, override_hours, exclude_pk=None):
    if start < timezone.now():
        raise ValidationError({"start": "The appointment must be in the future."})
    if not override_hours:
        problem = outside_working_hours(specialist, start, end)
        if problem:
            raise ValidationError({"start": problem})
    clashes = Appointment.objects.overlapping(specialist, start, end)
    if exclude_pk is not None:
        clashes = clashes.exclude(pk=exclude_pk)
    if clashes.exists():
        raise ValidationError({"start": OVERLAP_MESSAGE.format(specialist=specialist)})


def _save_guarded(appointment, specialist, **save_kwargs):
    """The database's overlap guard, as the same friendly error."""
    try:
        with transaction.atomic():
            appointment.save(**save_kwargs)
    except (IntegrityError, OperationalError) as exc:
        # PostgreSQL may end two overlapping inserts with a deadlock (40P01).
        if isinstance(exc, OperationalError) and getattr(exc.__cause__, "sqlstate", None) != "40P01":
            raise
        logger.info("Overlap guard refused an appointment for specialist %s", specialist.pk)
        raise ValidationError({"start": OVERLAP_MESSAGE.format(specialist=specialist)}) from exc


def _history(obj, reason, user):
    obj._change_reason = reason
    if user is not None:
        obj._history_user = user


@transaction.atomic
def schedule_appointment(
    consultation,
    *,
    specialist,
    start,
    duration=DEFAULT_DURATION,
    mode=None,
    location="",
    video_link="",
    override_hours=False,
    user=None,
):
    # Locks the request, so two people scheduling it at once give it one appointment.
    consultation = ConsultationRequest.objects.select_for_update().get(pk=consultation.pk)
    if not consultation.is_schedulable:
        raise ValidationError(
            {"request": f"A {consultation.get_status_display().lower()} request cannot be scheduled."}
        )
    if consultation.appointments.live().exists():
        raise ValidationError(
            {"request": "This request already has an appointment. Reschedule that one instead."}
        )
    end = start + duration
    _lock_calendar(specialist)
    _check_time(specialist, start, end, override_hours=override_hours)
    appointment = Appointment(
        consultation=consultation,
        specialist=specialist,
        start=start,
        end=end,
        mode=mode or consultation.mode,
        location=location,
        video_link=video_link,
    )
    _history(appointment, "Scheduled", user)
    _save_guarded(appointment, specialist, force_insert=True)
    if consultation.status != Status.SCHEDULED:
        consultation.transition_to(Status.SCHEDULED, user=user)
    outbox.queue_email(Kind.CONFIRMATION, consultation, appointment=appointment)
    logger.info("Appointment %s scheduled for request %s", appointment.pk, consultation.reference)
    return appointment


@transaction.atomic
def reschedule_appointment(
    appointment,
    *,
    start,
    duration=None,
    specialist=None,
    mode=None,
    location=None,
    video_link=None,
    override_hours=False,
    user=None,
):
    """The visitor gets the updated calendar event (same UID, higher SEQUENCE)."""
    current = Appointment.objects.select_for_update().select_related("specialist").get(pk=appointment.pk)
    if not current.is_live:
        raise ValidationError("Only a booked appointment can be rescheduled.")
    specialist = specialist or current.specialist
    duration = duration or current.duration
    end = start + duration
    moved = (start, end, specialist.pk) != (current.start, current.end, current.specialist_id)
    if moved:
        _lock_calendar(specialist)
        _check_time(specialist, start, end, override_hours=override_hours, exclude_pk=current.pk)
    current.specialist, current.start, current.end = specialist, start, end
    for name, value in [("mode", mode), ("location", location), ("video_link", video_link)]:
        if value is not None:
            setattr(current, name, value)
    current.sequence += 1
    _history(current, "Rescheduled" if moved else "Details changed", user)
    _save_guarded(current, specialist)
    outbox.queue_email(Kind.RESCHEDULE, current.consultation, appointment=current)
    logger.info("Appointment %s rescheduled", current.pk)
    return current


@transaction.atomic
def cancel_appointment(appointment, *, reason="", user=None, by_visitor=False):
    """Kept on record; returns False if it was not live."""
    current = Appointment.objects.select_for_update().get(pk=appointment.pk)
    if not current.is_live:
        return False
    current.status = Appointment.Status.CANCELLED
    current.cancellation_reason = reason[:500]
    current.sequence += 1
    _history(current, "Cancelled by the visitor" if by_visitor else "Cancelled", user)
    current.save(update_fields=["status", "cancellation_reason", "sequence"])
    outbox.queue_email(Kind.CANCELLATION, current.consultation, appointment=current)
    logger.info("Appointment %s cancelled", current.pk)
    return True


@transaction.atomic
def close_appointment(appointment, status, *, user=None):
    current = Appointment.objects.select_for_update().select_related("consultation").get(pk=appointment.pk)
    if not current.is_live:
        return False
    current.status = status
    _history(current, f"Marked {Appointment.Status(status).label.lower()}", user)
    current.save(update_fields=["status"])
    # The appointment's and the request's statuses share their values.
    if current.consultation.can_transition_to(status):
        current.consultation.transition_to(status, user=user)
    return True
