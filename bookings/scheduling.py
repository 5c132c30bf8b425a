"""Turning a request into an appointment, moving it and cancelling it.

The rules: a specialist is never booked twice for the same time (checked here
for a friendly message, and guaranteed by the database, see migration 0004);
appointments fall inside the specialist's working hours and not on a day off,
unless staff explicitly override that; a request has at most one live
appointment. Every change is recorded in the appointment's and the request's
history, and queues the email that tells the visitor."""

import logging
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, OperationalError, transaction
from django.utils import timezone
from django.utils.formats import date_format

from clinic.models import Specialist

from .models import Appointment, ConsultationRequest, DayOff, WorkingHours

logger = logging.getLogger(__name__)

DEFAULT_DURATION = timedelta(minutes=50)
Status = ConsultationRequest.Status
SCHEDULABLE = {Status.NEW, Status.CONTACTED, Status.NO_SHOW, Status.SCHEDULED}

OVERLAP_MESSAGE = (
    "{specialist} already has an appointment that overlaps this time. Please choose another time."
)
OVERRIDE_HINT = "Tick “schedule outside working hours” to book it anyway."


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
    """Take the specialist's row lock for the rest of the transaction, so two
    people booking the same specialist take turns: the second sees the first's
    appointment and gets the friendly message. (Without it, two inserts checked
    by the exclusion constraint at the same moment can deadlock on PostgreSQL.)
    SQLite needs nothing: its writers already take turns."""
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
    """Save, turning the database's overlap guard into the same friendly error
    a second receptionist would have seen had they been a moment later."""
    try:
        with transaction.atomic():
            appointment.save(**save_kwargs)
    except (IntegrityError, OperationalError) as exc:
        # PostgreSQL may also end two simultaneous overlapping inserts with a
        # deadlock (40P01) rather than a constraint violation.
        if isinstance(exc, OperationalError) and getattr(exc.__cause__, "sqlstate", None) != "40P01":
            raise
        logger.info("Overlap guard refused an appointment for specialist %s", specialist.pk)
        raise ValidationError({"start": OVERLAP_MESSAGE.format(specialist=specialist)}) from exc


def _history(obj, reason, user):
    obj._change_reason = reason
    if user is not None:
        obj._history_user = user


def _queue(kind, appointment, site_url):
    # Imported here: the outbox imports the models this module uses too.
    from . import outbox

    outbox.queue_email(kind, appointment.request, appointment=appointment)


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
    site_url="",
):
    """Book the request in with a specialist; moves the request to "scheduled"
    and queues the confirmation email with its calendar file."""
    # Locks the request, so two people scheduling it at once give it one appointment.
    consultation = ConsultationRequest.objects.select_for_update().get(pk=consultation.pk)
    if consultation.status not in SCHEDULABLE or consultation.erased_at:
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
        request=consultation,
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
    _queue("confirmation", appointment, site_url)
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
    site_url="",
):
    """Move a live appointment; the visitor gets an updated calendar event
    (same UID, higher SEQUENCE)."""
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
    _queue("reschedule", current, site_url)
    logger.info("Appointment %s rescheduled", current.pk)
    return current


@transaction.atomic
def cancel_appointment(appointment, *, reason="", user=None, by_visitor=False, site_url=""):
    """Cancel a live appointment, keeping it (and its history) on record; the
    visitor gets a cancelling calendar event. Returns False if it was not live."""
    current = Appointment.objects.select_for_update().get(pk=appointment.pk)
    if not current.is_live:
        return False
    current.status = Appointment.Status.CANCELLED
    current.cancellation_reason = reason[:500]
    current.sequence += 1
    _history(current, "Cancelled by the visitor" if by_visitor else "Cancelled", user)
    current.save(update_fields=["status", "cancellation_reason", "sequence"])
    _queue("cancellation", current, site_url)
    logger.info("Appointment %s cancelled", current.pk)
    return True


@transaction.atomic
def close_appointment(appointment, status, *, user=None):
    """Record how a booked appointment ended (completed or no-show), and move
    the request the same way."""
    current = Appointment.objects.select_for_update().select_related("request").get(pk=appointment.pk)
    if not current.is_live:
        return False
    current.status = status
    _history(current, f"Marked {Appointment.Status(status).label.lower()}", user)
    current.save(update_fields=["status"])
    request_status = {
        Appointment.Status.COMPLETED: Status.COMPLETED,
        Appointment.Status.NO_SHOW: Status.NO_SHOW,
    }
    if current.request.can_transition_to(request_status[status]):
        current.request.transition_to(request_status[status], user=user)
    return True
