"""The one way in for every change of state of a request or an appointment:
each records who did it and queues the emails it causes, in one transaction."""

import logging
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from dateutil.rrule import WEEKLY, rrule
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, OperationalError, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext

from clinic.formats import local_datetime
from clinic.models import ClinicProfile, Mode, OpeningHours, Specialist
from messaging import kinds, outbox
from messaging.models import OutgoingMessage

from . import availability, lifecycle, rooms
from .models import (
    Appointment,
    ConsultationRequest,
    InternalNote,
    Series,
    WaitlistEntry,
    WaitlistOffer,
    WorkingHours,
)
from .models.requests import (
    CAMPAIGN_FIELDS,
    CONTACT_CHANNELS,
    DayPart,
    InvalidTransition,
    SafeNow,
    generate_reference,
)
from .models.waitlist import waitlist_expiry

logger = logging.getLogger(__name__)

Status = ConsultationRequest.Status
REFERENCE_ATTEMPTS = 5
ACKNOWLEDGEMENT_WINDOW = timedelta(hours=1)
ERASED_NOTE = "(erased)"
# The visitor's own words and details, blanked in the request and its history.
PERSONAL_FIELDS = dict.fromkeys(["name", "email", "phone", "message", *CAMPAIGN_FIELDS], "")
AppointmentStatus = Appointment.Status


class TimeTaken(ValidationError):
    """The chosen time is no longer open (someone else took it meanwhile)."""

    def __init__(self, message=None):
        super().__init__(
            message
            or gettext(
                "Sorry, someone else has just taken that time. Please choose another; the next open times are below."
            ),
            code="time_taken",
        )


def cutoff_error():
    hours = settings.BOOKING_CHANGE_CUTOFF_HOURS
    return ValidationError(
        gettext(
            "Your appointment is less than %(hours)d hours away, so it can no longer be changed here. "
            "Please call us."
        )
        % {"hours": hours},
        code="too_late",
    )


def submit_request(consultation, *, automated=False, slot=None, address_may_hold=True):
    """Returns (request, created); a resubmitted form returns the first save.
    With a slot (availability.Slot or its key) the time is held in the same
    transaction: raises TimeTaken, saving nothing, when it is no longer open.
    One time is held per email or phone, and none when the visitor's address
    has held its share (address_may_hold=False): then the request is stored
    with the chosen time as a note for reception, and the visitor is told we
    will be in touch, as for any request without a time.

    Someone who says they are not safe is always stored, as urgent, and
    reception told; a repeat from the same contact joins the open urgent
    request it repeats. One that looks automated is kept as spam, unemailed, in
    case it was a person; if it says "not safe", it stays urgent and reception
    is told, but the address typed gets nothing."""
    consultation.consent_notice_version = ClinicProfile.load().privacy_notice_version
    # The page's language (/hi/book/ or /book/): the notice they read, and their emails.
    consultation.page_language = translation.get_language() or settings.LANGUAGE_CODE
    consultation.consented_at = timezone.now()
    consultation.urgent = consultation.safe_now == SafeNow.NO
    if automated and not consultation.urgent:
        consultation.status = Status.SPAM
        consultation.spam_at = consultation.consented_at
    consultation.possibly_automated = automated and consultation.urgent
    may_hold = slot is not None and not automated and address_may_hold
    for _ in range(REFERENCE_ATTEMPTS):
        consultation.reference = generate_reference()
        try:
            with transaction.atomic():
                _save_new(consultation, slot, may_hold=may_hold)
        except TimeTaken:
            consultation.pk = None
            if not consultation.urgent:
                raise
            may_hold = False  # not safe: stored all the same, the time they chose as a note
            continue
        except IntegrityError:
            consultation.pk = None
            existing = ConsultationRequest.objects.filter(submission_key=consultation.submission_key).first()
            if existing is not None:
                return existing, False
            if ConsultationRequest.objects.filter(reference=consultation.reference).exists():
                continue  # the rare reference collision: draw another
            raise
        logger.info(
            "Consultation request %s received (urgent=%s)", consultation.reference, consultation.urgent
        )
        return consultation, True
    raise RuntimeError("Could not find a free reference")


def _save_new(consultation, slot, *, may_hold):
    if consultation.urgent:
        consultation.repeat_of = (
            ConsultationRequest.objects.urgent_open()
            .same_contact(consultation.email, consultation.phone)
            .order_by("created")
            .first()
        )
    if may_hold:
        # Holds are made one at a time (the profile is the clinic's one row), so
        # two forms sent at once from one contact cannot both pass this check.
        ClinicProfile.objects.select_for_update(no_key=True).exists()
        may_hold = not _contact_holds_a_time(consultation)
    chosen = availability.parse_slot_key(getattr(slot, "key", slot)) if slot is not None else None
    if chosen is not None and not may_hold:
        # The day they chose stands in for a preferred window: the thank-you
        # page and reception see it, and nothing says why it was not held.
        local = timezone.localtime(chosen[1])
        consultation.window1_date, consultation.window1_part = local.date(), DayPart.of(local.time())
    consultation.save(force_insert=True)
    if chosen is not None and may_hold:
        _hold(consultation, slot)
    elif chosen is not None:
        specialist = Specialist.objects.filter(pk=chosen[0]).first()
        InternalNote.objects.create(
            consultation=consultation,
            text=f"The visitor chose {local_datetime(chosen[1])} with {specialist or 'a specialist'}. "
            "It was not held: this contact already holds a time, the time was taken meanwhile, or "
            "their connection has held several times today.",
        )
    if consultation.status == Status.SPAM:
        return
    messages = []
    if not consultation.possibly_automated and _may_acknowledge(consultation):
        messages.append(kinds.Acknowledgement)
    if not _alerted_within_the_hour(consultation):
        messages.append(kinds.NewRequest)
    outbox.queue_many(messages, consultation)


def _contact_holds_a_time(consultation):
    return (
        Appointment.objects.held()
        .filter(
            start__gt=timezone.now(),
            consultation__in=ConsultationRequest.objects.same_contact(consultation.email, consultation.phone),
        )
        .exists()
    )


def _may_acknowledge(consultation):
    """Anyone can type a stranger's address: it gets a few acknowledgements an hour at most."""
    sent = OutgoingMessage.objects.filter(
        kind=kinds.Acknowledgement.name,
        created__gte=timezone.now() - ACKNOWLEDGEMENT_WINDOW,
        consultation__email__iexact=consultation.email,
    )
    return sent.count() < settings.BOOKING_ACKNOWLEDGEMENTS_PER_HOUR


def _alerted_within_the_hour(consultation):
    """Reception hears of a repeat once an hour at most: it is on the first request's page."""
    head = consultation.repeat_of
    if head is None:
        return False
    since = timezone.now() - ACKNOWLEDGEMENT_WINDOW
    return (
        ConsultationRequest.objects.filter(Q(pk=head.pk) | Q(repeat_of=head), created__gte=since)
        .exclude(pk=consultation.pk)
        .exists()
    )


def _still_open(slot, mode, ignore=None):
    """The open Slot for a Slot or its key, looked up again once the
    specialist's calendar is locked; raises TimeTaken when it is not open."""
    key = getattr(slot, "key", slot)
    parsed = availability.parse_slot_key(key)
    if parsed is None:
        raise TimeTaken
    _lock_calendar(Specialist(pk=parsed[0]))
    current = availability.find_slot(key, mode, ignore=ignore)
    if current is None:
        raise TimeTaken
    return current


def _hold(consultation, slot):
    """The held appointment for the visitor's chosen time, checked again under
    the specialist's lock; the database's overlap guard is the last word."""
    current = _still_open(slot, consultation.mode)
    appointment = Appointment(
        consultation=consultation,
        specialist=current.specialist,
        start=current.start,
        end=current.end,
        mode=consultation.mode,
        status=AppointmentStatus.HELD,
        created=consultation.consented_at,
    )
    return _save_hold(appointment, "Time chosen by the visitor")


def _save_hold(appointment, reason):
    """A new hold, saved under the overlap guard; TimeTaken when it refuses."""
    _history(appointment, reason, None)
    try:
        _save_guarded(appointment, force_insert=True)
    except ValidationError as exc:
        raise TimeTaken from exc
    return appointment


# Reached only through an appointment (schedule_appointment, confirm_hold, offer_time).
BY_APPOINTMENT_ONLY = {Status.SCHEDULED}


def _refuse_by_hand(status):
    if status in BY_APPOINTMENT_ONLY:
        raise InvalidTransition("A request is scheduled by booking or confirming an appointment.")


def change_status(consultation, status, *, user):
    """Raises InvalidTransition when the workflow does not allow it. A request
    with a held or confirmed appointment follows that appointment instead."""
    _refuse_by_hand(status)
    if consultation.appointments.current().exists():
        raise InvalidTransition(
            "This request follows its appointment: confirm, cancel or close the appointment instead."
        )
    consultation.transition_to(status, user=user)


def change_status_of_all(consultations, status, *, user):
    """Returns how many changed; the others (those that cannot move, or follow
    an appointment) are left alone."""
    _refuse_by_hand(status)
    on_their_own = consultations.exclude(appointments__status__in=lifecycle.CURRENT)
    return on_their_own.transition_to(status, user=user)


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
    """Until BOOKING_CHANGE_CUTOFF_HOURS before the appointment (ValidationError
    after). The clinic inbox is told; returns whether the visitor was emailed
    (the cancelled calendar event, for a confirmed appointment)."""
    consultation = ConsultationRequest.objects.select_for_update().get(pk=consultation.pk)
    appointments = list(consultation.appointments.current())
    if any(not appointment.changeable_by_visitor for appointment in appointments):
        raise cutoff_error()
    emailed = False
    for appointment in appointments:
        cancel_appointment(appointment, reason=reason, by_visitor=True)
        emailed |= appointment.is_confirmed
    consultation.transition_to(Status.CANCELLED)
    _changed_by_visitor(consultation)
    InternalNote.objects.create(
        consultation=consultation,
        text="Cancelled by the visitor." + (f" Their reason: {reason}" if reason else ""),
    )
    logger.info("Request %s cancelled by the visitor", consultation.reference)
    return emailed


@transaction.atomic
def cancel_session_by_visitor(appointment, reason=""):
    """One session of a course, until the cut-off before it (ValidationError
    after): the course stays open, and the clinic inbox is told."""
    current = _locked(appointment)
    if not current.changeable_by_visitor:
        raise cutoff_error()
    cancel_appointment(current, reason=reason, by_visitor=True)
    InternalNote.objects.create(
        consultation=current.consultation,
        text=f"The session on {local_datetime(current.start)} was cancelled by the visitor."
        + (f" Their reason: {reason}" if reason else ""),
    )
    _changed_by_visitor(current.consultation)
    logger.info("Appointment %s (one session) cancelled by the visitor", current.pk)


@transaction.atomic
def move_by_visitor(appointment, slot):
    """Move a held or confirmed appointment to another open time (a Slot or its
    key) until the cut-off. The clinic inbox is told; a confirmed appointment's
    visitor gets the updated calendar event (SEQUENCE rises)."""
    current = Appointment.objects.select_for_update().select_related("consultation").get(pk=appointment.pk)
    if not current.is_current:
        raise ValidationError(
            gettext("This appointment is cancelled, so it cannot be moved."), code="not_current"
        )
    if not current.changeable_by_visitor:
        raise cutoff_error()
    new = _still_open(slot, current.mode, ignore=current)
    freed = (current.specialist, current.start, current.end)
    current.specialist, current.start, current.end = new.specialist, new.start, new.end
    current.sequence += 1
    _history(current, "Moved by the visitor", None)
    try:
        _save_guarded(current, update_fields=["specialist", "start", "end", "sequence"])
    except ValidationError as exc:
        raise TimeTaken from exc
    consultation = current.consultation
    _offer_freed_time(*freed, freed_by=consultation)
    _changed_by_visitor(consultation)
    if current.is_confirmed:
        outbox.queue(kinds.Moved, consultation, appointment=current)
        _queue_reminders(current)
    logger.info("Appointment %s moved by the visitor", current.pk)
    return current


def _changed_by_visitor(consultation):
    """Stamp it for reception's count and tell the clinic inbox."""
    consultation.visitor_changed_at = timezone.now()
    _history(consultation, "Changed by the visitor", None)
    consultation.save(update_fields=["visitor_changed_at", "updated"])
    outbox.queue(kinds.VisitorChange, consultation)


def mark_visitor_change_seen(consultations, *, user):
    """Reception has seen what visitors changed; returns how many were marked."""
    return consultations.changed_by_visitor().update(visitor_changed_at=None)


def stop_texts(consultations, channel, *, by):
    """No more messages on this channel (sms or whatsapp) for these requests,
    as the visitor asked (`by` says how, for the history); with no channel
    left, email. Returns how many changed."""
    changed = 0
    for consultation in consultations.filter(**{f"contact_by_{channel}": True}):
        setattr(consultation, f"contact_by_{channel}", False)
        if not consultation.contact_channels:
            consultation.contact_by_email = True
        _history(consultation, f"{CONTACT_CHANNELS[channel]} switched off by the visitor ({by})", None)
        consultation.save(update_fields=[f"contact_by_{channel}", "contact_by_email", "updated"])
        changed += 1
    return changed


@transaction.atomic
def withdraw_consent(consultation):
    for appointment in consultation.appointments.current():
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


def join_waitlist(consultation, *, weekdays, day_parts):
    """The visitor waits for a time with their specialist (or anyone) in their
    way of meeting, on these weekdays and parts of the day (WAITLIST_DAYS)."""
    entry, _ = WaitlistEntry.objects.update_or_create(
        consultation=consultation,
        status=WaitlistEntry.Status.WAITING,
        defaults={
            "specialist": consultation.preferred_specialist,
            "mode": consultation.mode,
            "weekdays": ",".join(str(day) for day in sorted(weekdays)),
            "day_parts": ",".join(day_parts),
            "expires_at": waitlist_expiry(),
        },
    )
    logger.info("Request %s joined the waitlist", consultation.reference)
    return entry


def leave_waitlist(consultation):
    return consultation.waitlist.filter(status=WaitlistEntry.Status.WAITING).update(
        status=WaitlistEntry.Status.WITHDRAWN
    )


def _offer_freed_time(specialist, start, end, *, freed_by):
    """A time that came free goes to the earliest matching waitlist entries
    (WAITLIST_OFFERS_PER_TIME), each told on their channels; the first to
    claim it holds it (claim_offer). Not for a time less than an hour away."""
    now = timezone.now()
    if start < now + timedelta(hours=1):
        return
    entries = (
        WaitlistEntry.objects.waiting(now)
        .matching(specialist, start)
        .exclude(consultation=freed_by)
        .exclude(consultation__appointments__status__in=lifecycle.CURRENT)
        .select_related("consultation")[: settings.WAITLIST_OFFERS_PER_TIME]
    )
    expires = min(now + timedelta(hours=settings.WAITLIST_OFFER_HOURS), start - timedelta(hours=1))
    for entry in entries:
        offer = WaitlistOffer.objects.create(
            entry=entry,
            specialist=specialist,
            start=start,
            end=start + specialist.length_for(entry.mode),
            expires_at=expires,
        )
        outbox.queue(kinds.WaitlistOffer, entry.consultation, offer=offer)


@transaction.atomic
def claim_offer(offer):
    """The first visitor to claim a freed time holds it (awaiting
    confirmation, as a time chosen on the form); TimeTaken for everyone after,
    and for an offer that has expired. The clinic inbox is told."""
    # The specialist's calendar first, as every booking takes it: two claims queue there.
    _lock_calendar(Specialist(pk=offer.specialist_id))
    offer = WaitlistOffer.objects.select_for_update().select_related("entry__consultation").get(pk=offer.pk)
    if not offer.is_open:
        raise TimeTaken
    entry, consultation = offer.entry, offer.entry.consultation
    if availability.why_not_free(offer.specialist, offer.start, offer.end):
        raise TimeTaken
    appointment = Appointment(
        consultation=consultation,
        specialist=offer.specialist,
        start=offer.start,
        end=offer.end,
        mode=entry.mode,
        status=AppointmentStatus.HELD,
    )
    _save_hold(appointment, "Time taken from the waitlist")
    now = timezone.now()
    offer.claimed_at = now
    offer.save(update_fields=["claimed_at"])
    # The others offered this time learn it is gone when they come to take it.
    WaitlistOffer.objects.filter(
        specialist=offer.specialist, start=offer.start, claimed_at__isnull=True
    ).update(expires_at=now)
    entry.status = WaitlistEntry.Status.BOOKED
    entry.save(update_fields=["status"])
    _changed_by_visitor(consultation)
    logger.info("Request %s took a freed time from the waitlist", consultation.reference)
    return appointment


def _lock_calendar(specialist):
    """Two people booking one specialist take turns, so the second gets the
    friendly message, not a deadlock on the exclusion constraint."""
    Specialist.objects.select_for_update(no_key=True).filter(pk=specialist.pk).exists()


def _place(appointment, specialist, start, end, *, override_hours):
    """Put the appointment at [start, end) with this specialist, when they offer
    its mode and the time is free (availability.why_not_free), under their lock."""
    if not specialist.offers(appointment.mode):
        offered = ", ".join(str(m.label).lower() for m in specialist.modes)
        mode = Mode(appointment.mode).label.lower()
        raise ValidationError(
            {"mode": f"{specialist} does not offer this way of meeting ({mode}): only {offered}."}
        )
    _lock_calendar(specialist)
    problem = availability.why_not_free(
        specialist, start, end, ignore=appointment.pk, override_hours=override_hours
    )
    if problem:
        raise ValidationError({"start": problem})
    appointment.specialist, appointment.start, appointment.end = specialist, start, end


def _settle(appointment, previous_specialist=None):
    """What a confirmed appointment carries: its room (video) and its fee, fixed
    now from the specialist's fee for its way of meeting."""
    _give_room(appointment, previous_specialist)
    if appointment.fee is None:
        appointment.fee = appointment.specialist.fee_for(appointment.mode)


def _give_room(appointment, previous_specialist=None):
    """A video appointment being confirmed gets its room (bookings.rooms) unless
    it has one; moving keeps it, except a former specialist's own fixed room.
    Any other way of meeting has none."""
    if appointment.mode != Mode.VIDEO:
        appointment.video_link = ""
        return
    former = previous_specialist.video_room if previous_specialist else ""
    if not appointment.video_link or (former and appointment.video_link == former):
        appointment.video_link = rooms.new_room(appointment.specialist)


def _save_guarded(appointment, **save_kwargs):
    """The database's overlap guard, as the same friendly error."""
    try:
        with transaction.atomic():
            appointment.save(**save_kwargs)
    except (IntegrityError, OperationalError) as exc:
        # PostgreSQL may end two overlapping inserts with a deadlock (40P01).
        if isinstance(exc, OperationalError) and getattr(exc.__cause__, "sqlstate", None) != "40P01":
            raise
        logger.info("Overlap guard refused an appointment for specialist %s", appointment.specialist_id)
        raise ValidationError({"start": availability.overlap_message(appointment.specialist)}) from exc


def _history(obj, reason, user):
    obj._change_reason = reason
    if user is not None:
        obj._history_user = user


def _move(appointment, state, reason, user, *, fields=()):
    """The one step every change of state takes: checked against the lifecycle's
    table, recorded (who, when, why) in the history, saved with update_fields."""
    lifecycle.check_move(appointment.status, state)
    appointment.status = state
    _history(appointment, reason, user)
    _save_guarded(appointment, update_fields=["status", *fields])


def _locked(appointment, *, held=False):
    current = (
        Appointment.objects.select_for_update()
        .select_related("consultation", "specialist")
        .get(pk=appointment.pk)
    )
    if held and not current.is_held:
        raise ValidationError(
            f"This appointment is {current.get_status_display().lower()}, not awaiting confirmation."
        )
    return current


def _scheduled(appointment, user):
    """A confirmed appointment schedules its request, and the visitor is sent the confirmation."""
    consultation = appointment.consultation
    if consultation.status != Status.SCHEDULED:
        consultation.transition_to(Status.SCHEDULED, user=user)
    outbox.queue(kinds.Confirmation, consultation, appointment=appointment)
    _queue_reminders(appointment)


@transaction.atomic
def schedule_appointment(
    consultation,
    *,
    specialist,
    start,
    duration=None,
    mode=None,
    location="",
    video_link="",
    override_hours=False,
    user=None,
):
    # Locks the request, so two people scheduling it at once give it one appointment.
    consultation = ConsultationRequest.objects.select_for_update().get(pk=consultation.pk)
    if not consultation.can_be_scheduled:
        raise ValidationError({"request": consultation.why_not_schedulable()})
    appointment = Appointment(
        consultation=consultation,
        mode=mode or consultation.mode,
        status=AppointmentStatus.CONFIRMED,
        location=location,
        video_link=video_link,
    )
    end = start + (duration or specialist.length_for(appointment.mode))
    _place(appointment, specialist, start, end, override_hours=override_hours)
    _settle(appointment)
    _history(appointment, "Scheduled", user)
    _save_guarded(appointment, force_insert=True)
    _scheduled(appointment, user)
    logger.info("Appointment %s scheduled for request %s", appointment.pk, consultation.reference)
    return appointment


@dataclass(frozen=True)
class PlannedSession:
    """A date a series' rule gives: free, or why not and the nearest open time instead."""

    start: datetime
    end: datetime
    problem: str | None
    alternative: availability.Slot | None


def plan_series(specialist, *, first_start, duration, mode, interval_weeks, count=None, until=None):
    """Every date of the rule (every 1 or 2 weeks, `count` sessions or `until`
    a date), each checked as staff scheduling checks one: hours, days off,
    holidays, other appointments. Nothing is skipped: a clash is shown with
    the nearest open time, for staff to choose."""
    local = timezone.localtime(first_start).replace(tzinfo=None)
    last = datetime.combine(until, time.max) if until else None
    rule = rrule(WEEKLY, interval=interval_weeks, dtstart=local, count=None if until else count, until=last)
    starts = [timezone.make_aware(naive) for naive in rule]
    if not starts:
        return []
    # One read of the specialist's schedule for the whole span, however many dates.
    schedule = availability.read_schedule(
        [specialist.pk], timezone.localdate(starts[0]), timezone.localdate(starts[-1] + duration)
    )
    planned = []
    for start in starts:
        end = start + duration
        problem = availability.why_not_free(specialist, start, end, schedule=schedule)
        # The series form has no override: the alternative takes its place.
        problem = problem and problem.replace(f" {availability.OVERRIDE_HINT}", "")
        alternative = availability.nearest_open_time(specialist, mode, start) if problem else None
        planned.append(PlannedSession(start, end, problem, alternative))
    return planned


@transaction.atomic
def book_series(consultation, *, specialist, starts, duration, mode, interval_weeks, user=None):
    """Confirmed sessions at these times, one appointment each, linked to one
    Series; each checked again under the specialist's lock (a clash names its
    date). The visitor gets one confirmation listing them all, with a calendar
    event per session, and each session its reminders."""
    consultation = ConsultationRequest.objects.select_for_update().get(pk=consultation.pk)
    if not consultation.can_be_scheduled:
        raise ValidationError({"request": consultation.why_not_schedulable()})
    if not starts:
        raise ValidationError("Choose at least one date.")
    series = Series.objects.create(consultation=consultation, interval_weeks=interval_weeks)
    sessions = []
    for start in sorted(starts):
        appointment = Appointment(
            consultation=consultation, series=series, mode=mode, status=AppointmentStatus.CONFIRMED
        )
        try:
            _place(appointment, specialist, start, start + duration, override_hours=False)
            _settle(appointment)
            _history(appointment, "Scheduled in a series", user)
            _save_guarded(appointment, force_insert=True)
        except ValidationError as error:
            raise ValidationError(f"{local_datetime(start)}: {' '.join(error.messages)}") from error
        _queue_reminders(appointment)
        sessions.append(appointment)
    if consultation.status != Status.SCHEDULED:
        consultation.transition_to(Status.SCHEDULED, user=user)
    outbox.queue(kinds.SeriesConfirmation, consultation, appointment=sessions[0])
    logger.info("%d sessions scheduled for request %s", len(sessions), consultation.reference)
    return sessions


def cancel_this_and_later(appointment, *, reason="", user=None):
    """This session and every later one of its series still to come; returns how many."""
    if appointment.series_id is None:
        return int(cancel_appointment(appointment, reason=reason, user=user))
    later = appointment.series.sessions.current().filter(start__gte=appointment.start)
    return sum(cancel_appointment(session, reason=reason, user=user) for session in later)


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
    current = _locked(appointment)
    if not current.is_confirmed:
        raise ValidationError("Only a confirmed appointment can be rescheduled.")
    specialist = specialist or current.specialist
    end = start + (duration or current.duration)
    moved = (start, end, specialist.pk) != (current.start, current.end, current.specialist_id)
    for name, value in [("mode", mode), ("location", location), ("video_link", video_link)]:
        if value is not None:
            setattr(current, name, value)
    previous = current.specialist
    freed = (current.specialist, current.start, current.end)
    # A time kept as it was is not checked against the hours again (it may have been an override).
    _place(current, specialist, start, end, override_hours=override_hours or not moved)
    _settle(current, previous)
    if moved:
        _offer_freed_time(*freed, freed_by=current.consultation)
    current.sequence += 1
    _history(current, "Rescheduled" if moved else "Details changed", user)
    _save_guarded(current)
    outbox.queue(kinds.Moved, current.consultation, appointment=current)
    _queue_reminders(current)
    logger.info("Appointment %s rescheduled", current.pk)
    return current


@transaction.atomic
def cancel_appointment(appointment, *, reason="", user=None, by_visitor=False):
    """Kept on record; returns False if it was neither held nor confirmed. Only
    a confirmed one's visitor is emailed (the cancelled calendar event): a hold
    was never in their calendar. Cancelled by staff, its request goes back to
    waiting for a time, with the reason in a note (the visitor's own
    cancellation closes the request: cancel_by_visitor)."""
    current = _locked(appointment)
    if not current.is_current:
        return False
    was_confirmed = current.is_confirmed
    current.cancellation_reason = reason[:500]
    current.sequence += 1
    current.video_link = ""  # the room is retired: nobody meets there any more
    current.cancelled_at = timezone.now()
    by = "Cancelled by the visitor" if by_visitor else "Cancelled"
    fields = ["cancellation_reason", "sequence", "video_link", "cancelled_at"]
    _move(current, AppointmentStatus.CANCELLED, by, user, fields=fields)
    _skip_stale_reminders(current)
    _offer_freed_time(current.specialist, current.start, current.end, freed_by=current.consultation)
    if was_confirmed:
        outbox.queue(kinds.Cancelled, current.consultation, appointment=current)
    consultation = current.consultation
    # A course whose sessions have begun stays in care; staff book the next or close it.
    if (
        not by_visitor
        and consultation.status == Status.SCHEDULED
        and not consultation.appointments.current().exists()
        and not consultation.appointments.filter(status__in=lifecycle.FROM_START_ON).exists()
    ):
        consultation.transition_to(Status.CONTACTED, user=user)
        InternalNote.objects.create(
            consultation=consultation,
            author=user,
            text=f"The appointment on {local_datetime(current.start)} was cancelled by the clinic"
            + (f": {reason}" if reason else "")
            + ". The request is waiting for a new time.",
        )
    logger.info("Appointment %s cancelled", current.pk)
    return True


@transaction.atomic
def confirm_hold(appointment, *, user, location=None, video_link=None):
    """Staff confirm the visitor's chosen time: the request is scheduled and the
    confirmation goes out with its calendar file. The place and video link are
    kept unless new ones are given."""
    current = _locked(appointment, held=True)
    for name, value in [("location", location), ("video_link", video_link)]:
        if value is not None:
            setattr(current, name, value)
    _settle(current)
    _move(current, AppointmentStatus.CONFIRMED, "Confirmed", user, fields=["location", "video_link", "fee"])
    _scheduled(current, user)
    logger.info("Appointment %s confirmed", current.pk)
    return current


@transaction.atomic
def offer_time(appointment, *, start, specialist=None, user, override_hours=False):
    """Staff offer another time for a hold: it moves there and is confirmed
    (its place and video link kept), and the visitor is emailed the confirmation."""
    current = _locked(appointment, held=True)
    specialist = specialist or current.specialist
    end = start + specialist.length_for(current.mode)
    previous = current.specialist
    _place(current, specialist, start, end, override_hours=override_hours)
    _settle(current, previous)
    current.sequence += 1
    reason = "Another time offered and confirmed"
    fields = ["specialist", "start", "end", "sequence", "video_link", "fee"]
    _move(current, AppointmentStatus.CONFIRMED, reason, user, fields=fields)
    _scheduled(current, user)
    logger.info("Appointment %s moved and confirmed", current.pk)
    return current


def release_expired_holds(now=None):
    """Release holds nobody confirmed in time (appointments.hold_duration) and
    tell each visitor kindly, inviting them to choose again. Returns how many."""
    released = 0
    for pk in Appointment.objects.expired_holds(now).values_list("pk", flat=True):
        with transaction.atomic():
            current = Appointment.objects.select_for_update().filter(pk=pk).held().first()
            if current is None:
                continue  # confirmed or cancelled meanwhile
            current.sequence += 1
            _offer_freed_time(current.specialist, current.start, current.end, freed_by=current.consultation)
            _move(
                current,
                AppointmentStatus.RELEASED,
                "Released: not confirmed in time",
                None,
                fields=["sequence"],
            )
            InternalNote.objects.create(
                consultation_id=current.consultation_id,
                text="The visitor's chosen time was released: nobody confirmed it in time. "
                "They were emailed an invitation to choose again.",
            )
            outbox.queue(kinds.HoldReleased, current.consultation, appointment=current)
        released += 1
    if released:
        logger.info("%d hold(s) released: not confirmed in time", released)
    return released


def record_identity_check(appointment, *, checked, user):
    """The clinician confirmed who is on a video or phone call (India's
    Telemedicine Practice Guidelines); the history keeps who and when."""
    appointment.identity_checked = checked
    _history(appointment, "Identity checked" if checked else "Identity check undone", user)
    appointment.save(update_fields=["identity_checked"])


@transaction.atomic
def close_appointment(appointment, status, *, user=None):
    """Completed or no-show, from the start time on (ValidationError before);
    returns False when it is not confirmed. The request stays in care (its
    course of sessions) until staff close it."""
    current = _locked(appointment)
    if not current.is_confirmed:
        return False
    if status in lifecycle.FROM_START_ON and not current.has_started:
        raise ValidationError(
            f"The appointment on {local_datetime(current.start)} has not started yet: "
            f"it can be marked {AppointmentStatus(status).label.lower()} from its start time on."
        )
    _move(current, status, f"Marked {AppointmentStatus(status).label.lower()}", user)
    return True


def give_clinic_hours(specialist):
    """A new specialist's working hours start as the clinic's opening hours."""
    if specialist.working_hours.exists():
        return
    WorkingHours.objects.bulk_create(
        WorkingHours(specialist=specialist, weekday=weekday, start=opens, end=closes)
        for weekday, opens, closes in OpeningHours.week()
    )
    availability.schedule_changed()  # bulk_create sends no post_save


def _skip_stale_reminders(appointment):
    """Reminders for a time the appointment no longer has (all of them once it
    is cancelled) are marked not needed now, as reception then sees them; the
    worker would skip them anyway when their turn comes."""
    stale = appointment.outgoing_messages.filter(
        kind=kinds.Reminder.name, status=OutgoingMessage.Status.QUEUED
    )
    if appointment.is_current:
        stale = stale.exclude(reminder_for=appointment.start)
    stale.update(status=OutgoingMessage.Status.SKIPPED)


def _queue_reminders(appointment):
    """A reminder BOOKING_REMINDER_HOURS before the start, each queued once and
    sent by the worker when due. A moved appointment gets new ones; the old ones
    are skipped, as are a cancelled one's."""
    _skip_stale_reminders(appointment)
    now = timezone.now()
    queued = set(
        appointment.outgoing_messages.filter(
            kind=kinds.Reminder.name, reminder_for=appointment.start
        ).values_list("remind_at", flat=True)
    )
    for hours in settings.BOOKING_REMINDER_HOURS:
        remind_at = appointment.start - timedelta(hours=hours)
        if remind_at > now and remind_at not in queued:
            outbox.queue(
                kinds.Reminder,
                appointment.consultation,
                appointment=appointment,
                reminder_for=appointment.start,
                send_at=remind_at,
            )
