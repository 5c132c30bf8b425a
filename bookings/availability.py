"""Free time, computed in one place: working hours minus days off, holidays and
the appointments that occupy time (each with the clinic's buffer around it).
The form's open times (from BOOKING_MIN_NOTICE_HOURS on, within the
BOOKING_OPEN_DAYS it shows), the visitor's move, the schedule page's free gaps
and staff scheduling (why_not_free) all read the same Schedule.

Six queries at most for the open times, whatever the number of specialists or
appointments: the specialists, then read_schedule's five; the rest is
arithmetic in Python. The form's open times are then kept in Django's cache
under the schedule's version, which every change to the facts moves on
(schedule_changed); holding a time checks them afresh in its transaction."""

import re
import time as clock
from bisect import bisect_right
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format

from clinic.models import ClinicProfile, Holiday, Specialist

from .models import Appointment, DayOff, WorkingHours

KEY_RE = re.compile(r"^(\d{1,18})-(\d{12})$")
# Start times after an appointment are rounded up to this many minutes, so none starts at 11:43.
ROUND_TO = 5
MINUTES_A_DAY = 24 * 60
VERSION_KEY = "bookings:schedule-version"
# A safety net only: any change to the schedule moves the version on at once.
OPEN_TIMES_SECONDS = 10 * 60


@dataclass(frozen=True)
class Slot:
    """An open start time with one specialist; start and end are aware datetimes."""

    start: datetime
    end: datetime
    specialist: Specialist
    fee: int | None = None  # in rupees, for the mode it was computed for

    @property
    def key(self):
        """A short form value, e.g. "12-202612031030" (specialist, clinic time)."""
        return f"{self.specialist.pk}-{timezone.localtime(self.start):%Y%m%d%H%M}"

    @property
    def local_start(self):
        return timezone.localtime(self.start)


def parse_slot_key(key):
    """(specialist id, aware start) from Slot.key, or None if it is not one."""
    match = KEY_RE.match(str(key or ""))
    if not match:
        return None
    try:
        start = datetime.strptime(match[2], "%Y%m%d%H%M")
    except ValueError:
        return None
    return int(match[1]), timezone.make_aware(start)


def open_times(mode, specialist=None, *, days=None, now=None, ignore=None):
    """[(date, [Slot, ...]), ...], earliest first, for the next `days` days
    (BOOKING_OPEN_DAYS, and never more).
    specialist=None means no preference: the earliest times across everyone
    who takes bookings, one slot per start time. `ignore`: an appointment whose
    own time counts as free (when moving it)."""
    now = now or timezone.now()
    first_day = timezone.localdate(now)
    last_day = _last_open_day(first_day, days)
    specialist_id = getattr(specialist, "pk", specialist)

    def compute():
        return _open_slots(
            mode, specialist_id, first_day, last_day, ignore=ignore, one_per_start=specialist is None
        )

    if ignore is None:
        key = f"bookings:open-times:{schedule_version()}:{mode}:{specialist_id or ''}:{first_day}:{last_day}"
        slots = cache.get_or_set(key, compute, OPEN_TIMES_SECONDS)
    else:
        slots = compute()
    earliest = _earliest(now)
    by_day = {}
    for slot in slots:
        if slot.start >= earliest:
            by_day.setdefault(slot.local_start.date(), []).append(slot)
    return list(by_day.items())


def schedule_version():
    version = cache.get(VERSION_KEY)
    if version is None:
        # From the clock, so a version lost from the cache never comes back as an old one.
        cache.add(VERSION_KEY, clock.time_ns(), None)
        version = cache.get(VERSION_KEY)
    return version


def schedule_changed(**kwargs):
    """Connected to every save and delete of what free time is made of. Moved
    on at once and again on commit, so open times read while the change was
    still uncommitted are not kept."""
    _next_version()
    transaction.on_commit(_next_version)


def _next_version():
    try:
        cache.incr(VERSION_KEY)
    except ValueError:  # not in the cache (yet, or any more)
        cache.set(VERSION_KEY, clock.time_ns(), None)


def _earliest(now):
    return now + timedelta(hours=settings.BOOKING_MIN_NOTICE_HOURS)


def find_slot(key, mode, *, ignore=None, now=None):
    """The open Slot the key names, or None when it is not (or no longer) open."""
    parsed = parse_slot_key(key)
    if parsed is None:
        return None
    specialist_id, start = parsed
    now = now or timezone.now()
    day = timezone.localdate(start)
    today = timezone.localdate(now)
    if not today <= day <= _last_open_day(today):
        return None
    if start < _earliest(now):
        return None
    slots = _open_slots(mode, specialist_id, day, day, ignore=ignore)
    return next((slot for slot in slots if slot.start == start), None)


def nearest_open_time(specialist, mode, moment, *, days=3):
    """The specialist's open Slot nearest to `moment` within `days` either side
    (never in the past), or None: the alternative to a date that clashes. The
    nearest day first, then the nearest time of day, as a weekly visitor keeps
    their hour."""
    now = timezone.now()
    local = timezone.localtime(moment)
    day = local.date()
    minute = local.hour * 60 + local.minute

    def distance(slot):
        start = slot.local_start
        return abs((start.date() - day).days), abs(start.hour * 60 + start.minute - minute)

    slots = [
        slot
        for slot in _open_slots(mode, specialist, day - timedelta(days=days), day + timedelta(days=days))
        if slot.start > now
    ]
    return min(slots, key=distance, default=None)


def _last_open_day(today, days=None):
    """The last day a time can be chosen on: what the form shows is the whole offer."""
    days = min(days or settings.BOOKING_OPEN_DAYS, settings.BOOKING_OPEN_DAYS)
    return today + timedelta(days=days - 1)


def _minutes(moment, first_day, tz):
    """Clinic wall-clock minutes since midnight of first_day: the arithmetic
    below is on whole numbers (comparing aware datetimes is slow)."""
    local = moment.astimezone(tz)
    return (local.date() - first_day).days * MINUTES_A_DAY + local.hour * 60 + local.minute


@dataclass
class Schedule:
    """The facts free time is made of, for some specialists from first_day to
    last_day (clinic dates). Working hours are the specialist's own (they start
    as a copy of the clinic's opening hours, bookings.services.give_clinic_hours,
    and then differ: part-time, evenings). Times are whole minutes since
    midnight of first_day."""

    first_day: date
    last_day: date
    buffer_minutes: int
    hours: dict  # (specialist id, weekday) -> [(opens, closes)], minutes of the day, by start
    days_off: dict  # (specialist id, date) -> reason
    holidays: dict  # date -> name
    appointments: list  # occupying ones, by start

    def minutes(self, moment):
        return _minutes(moment, self.first_day, timezone.get_current_timezone())

    def at(self, minute):
        """The aware datetime of a minute."""
        day, minute_of_day = divmod(minute, MINUTES_A_DAY)
        return datetime.combine(
            self.first_day + timedelta(days=day),
            time(*divmod(minute_of_day, 60)),
            tzinfo=timezone.get_current_timezone(),
        )

    def closed(self, specialist_id, day):
        """Why the specialist does not work that day at all ("" when they might)."""
        return self.holidays.get(day) or self.days_off.get((specialist_id, day), "")

    def working(self, specialist_id, day):
        """[(start, end)] minutes of their working hours that day, none when closed."""
        if self.closed(specialist_id, day):
            return []
        midnight = (day - self.first_day).days * MINUTES_A_DAY
        return [
            (midnight + opens, midnight + closes)
            for opens, closes in self.hours.get((specialist_id, day.weekday()), [])
        ]

    def busy(self, specialist_id):
        """[(start, end)] minutes their appointments take, with the buffer around each, merged."""
        merged = []
        for appointment in self.appointments:
            if appointment.specialist_id != specialist_id:
                continue
            start = self.minutes(appointment.start) - self.buffer_minutes
            end = self.minutes(appointment.end) + self.buffer_minutes
            if merged and start <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(merged[-1][1], end))
            else:
                merged.append((start, end))
        return merged

    def free(self, specialist_id, day, busy=None):
        """[(start, end)] minutes of working hours that day that no appointment (or its buffer) takes."""
        busy = self.busy(specialist_id) if busy is None else busy
        gaps = []
        for opens, closes in self.working(specialist_id, day):
            cursor = opens
            for start, end in busy[bisect_right([e for _, e in busy], opens) :]:
                if start >= closes:
                    break
                if start > cursor:
                    gaps.append((cursor, start))
                cursor = max(cursor, end)
            if cursor < closes:
                gaps.append((cursor, closes))
        return gaps


def read_schedule(specialist_ids, first_day, last_day, *, ignore=None, appointments=None):
    """The Schedule, in five queries whatever the number of specialists or
    appointments: the profile, working hours, days off, holidays, appointments.
    `ignore`: an appointment whose own time counts as free (when moving it);
    `appointments`: the queryset to read them from (the schedule page wants
    their requests too)."""
    tz = timezone.get_current_timezone()
    buffer_minutes = ClinicProfile.load().buffer_minutes
    buffer = timedelta(minutes=buffer_minutes)
    hours = {}
    for specialist_id, weekday, opens, closes in (
        WorkingHours.objects.filter(specialist_id__in=specialist_ids)
        .order_by("start")
        .values_list("specialist_id", "weekday", "start", "end")
    ):
        hours.setdefault((specialist_id, weekday), []).append(
            (opens.hour * 60 + opens.minute, closes.hour * 60 + closes.minute)
        )
    days_off = {
        (specialist_id, day): reason or "Day off"
        for specialist_id, day, reason in DayOff.objects.filter(
            specialist_id__in=specialist_ids, date__range=(first_day, last_day)
        ).values_list("specialist_id", "date", "reason")
    }
    rows = (appointments if appointments is not None else Appointment.objects.all()).occupying()
    rows = rows.filter(
        specialist_id__in=specialist_ids,
        start__lt=datetime.combine(last_day + timedelta(days=1), time(), tzinfo=tz) + buffer,
        end__gt=datetime.combine(first_day, time(), tzinfo=tz) - buffer,
    )
    if ignore is not None:
        rows = rows.exclude(pk=getattr(ignore, "pk", ignore))
    return Schedule(
        first_day,
        last_day,
        buffer_minutes,
        hours,
        days_off,
        holidays_between(first_day, last_day),
        list(rows.order_by("start")),
    )


def holidays_between(first, last):
    """{date: name} of the days the whole clinic is closed."""
    return dict(Holiday.objects.filter(date__range=(first, last)).values_list("date", "name"))


def _open_slots(mode, specialist, first_day, last_day, *, ignore=None, one_per_start=False):
    """Every open Slot from first_day to last_day (clinic dates), ordered by
    start, then by the specialists' order; with one_per_start (no preference),
    one per start time: the fairest specialist's (fewest_booked_first)."""
    specialists = Specialist.objects.bookable().offering(mode)
    if specialist is not None:
        specialists = specialists.filter(pk=getattr(specialist, "pk", specialist))
    specialists = list(specialists)
    if not specialists:
        return []
    schedule = read_schedule([s.pk for s in specialists], first_day, last_day, ignore=ignore)
    step_after = schedule.buffer_minutes
    rank = fewest_booked_first(schedule, specialists) if one_per_start else list(range(len(specialists)))
    candidates = []  # (start minute, rank, order, length)
    for order, specialist in enumerate(specialists):
        length = specialist.length_for(mode) // timedelta(minutes=1)
        busy = schedule.busy(specialist.pk)
        for offset in range((last_day - first_day).days + 1):
            for start, end in schedule.free(specialist.pk, first_day + timedelta(days=offset), busy):
                cursor = -(-start // ROUND_TO) * ROUND_TO  # after an appointment, rounded up
                while cursor + length <= end:
                    candidates.append((cursor, rank[order], order, length))
                    cursor += length + step_after
    candidates.sort()
    slots, seen = [], set()
    for minute, _rank, order, length in candidates:
        if one_per_start and minute in seen:
            continue
        seen.add(minute)
        specialist = specialists[order]
        start = schedule.at(minute)
        slots.append(Slot(start, start + timedelta(minutes=length), specialist, specialist.fee_for(mode)))
    return slots


def fewest_booked_first(schedule, specialists):
    """Each specialist's rank for a visitor with no preference: fewest
    appointments in the days read (the open days, two weeks), then the one
    booked longest ago, so that bookings spread evenly."""
    count = Counter(appointment.specialist_id for appointment in schedule.appointments)
    last_booked = {}
    for appointment in schedule.appointments:
        last_booked[appointment.specialist_id] = max(
            last_booked.get(appointment.specialist_id, appointment.created), appointment.created
        )
    never = datetime.min.replace(tzinfo=UTC)
    order = sorted(
        range(len(specialists)),
        key=lambda i: (count[specialists[i].pk], last_booked.get(specialists[i].pk, never), i),
    )
    rank = [0] * len(specialists)
    for position, i in enumerate(order):
        rank[i] = position
    return rank


def overlap_message(specialist, buffer_minutes=0):
    gap = f" (the clinic keeps {buffer_minutes} minutes between appointments)" if buffer_minutes else ""
    return (
        f"{specialist} already has an appointment that overlaps this time{gap}. Please choose another time."
    )


OVERRIDE_HINT = "Tick “schedule outside working hours” to book it anyway."


def why_not_free(specialist, start, end, *, ignore=None, override_hours=False, schedule=None):
    """Why staff cannot book [start, end) with this specialist, or None: the
    same facts as the open times (hours, days off, holidays, the buffer), any
    start minute. With override_hours, only a clash with another appointment
    counts. `schedule`: one already read for days that include this one (a
    series checks all its dates against one)."""
    if start < timezone.now():
        return "The appointment must be in the future."
    day = timezone.localdate(start)
    if schedule is None:
        schedule = read_schedule([specialist.pk], day, timezone.localdate(end), ignore=ignore)
    first, last = schedule.minutes(start), schedule.minutes(end)
    midnight = (day - schedule.first_day).days * MINUTES_A_DAY
    if not override_hours:
        if last - midnight > MINUTES_A_DAY:
            return f"The appointment runs past midnight. {OVERRIDE_HINT}"
        if day in schedule.holidays:
            return f"The clinic is closed on {date_format(day, 'l j F')} ({schedule.holidays[day]}). {OVERRIDE_HINT}"
        if (specialist.pk, day) in schedule.days_off:
            return f"{specialist} has a day off on {date_format(day, 'l j F')}. {OVERRIDE_HINT}"
        blocks = schedule.working(specialist.pk, day)
        if not any(opens <= first and last <= closes for opens, closes in blocks):
            hours = (
                ", ".join(f"{schedule.at(a):%H:%M}-{schedule.at(b):%H:%M}" for a, b in blocks)
                or "no working hours"
            )
            return f"This is outside {specialist}'s working hours on {date_format(day, 'l')}s ({hours}). {OVERRIDE_HINT}"
    if any(busy_start < last and first < busy_end for busy_start, busy_end in schedule.busy(specialist.pk)):
        return overlap_message(specialist, schedule.buffer_minutes)
    return None
