"""Open times, computed in one place: working hours minus days off, holidays and
appointments held or confirmed (each with the clinic's buffer around it), from
BOOKING_MIN_NOTICE_HOURS on and within the BOOKING_OPEN_DAYS the form shows.

Six queries at most, whatever the number of specialists or appointments: the
profile, the specialists, their working hours, their days off, the holidays and
the appointments in the period; the rest is arithmetic in Python."""

import re
from bisect import bisect_right
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.conf import settings
from django.utils import timezone

from clinic.models import ClinicProfile, Holiday, Specialist

from .models import Appointment, DayOff, WorkingHours

KEY_RE = re.compile(r"^(\d{1,18})-(\d{12})$")
# Start times after an appointment are rounded up to this many minutes, so none starts at 11:43.
ROUND_TO = 5
MINUTES_A_DAY = 24 * 60


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
    slots = _open_slots(
        mode, specialist, first_day, last_day, now=now, ignore=ignore, one_per_start=specialist is None
    )
    by_day = {}
    for slot in slots:
        by_day.setdefault(slot.local_start.date(), []).append(slot)
    return list(by_day.items())


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
    slots = _open_slots(mode, specialist_id, day, day, now=now, ignore=ignore)
    return next((slot for slot in slots if slot.start == start), None)


def _last_open_day(today, days=None):
    """The last day a time can be chosen on: what the form shows is the whole offer."""
    days = min(days or settings.BOOKING_OPEN_DAYS, settings.BOOKING_OPEN_DAYS)
    return today + timedelta(days=days - 1)


def _minutes(moment, first_day, tz):
    """Clinic wall-clock minutes since midnight of first_day: the arithmetic
    below is on whole numbers (comparing aware datetimes is slow)."""
    local = moment.astimezone(tz)
    return (local.date() - first_day).days * MINUTES_A_DAY + local.hour * 60 + local.minute


def _open_slots(mode, specialist, first_day, last_day, *, now, ignore=None, one_per_start=False):
    """Every open Slot from first_day to last_day (clinic dates), ordered by
    start, then by the specialists' order; with one_per_start, only the first
    specialist's at each start time."""
    buffer_minutes = ClinicProfile.load().buffer_minutes
    specialists = Specialist.objects.bookable().offering(mode)
    if specialist is not None:
        specialists = specialists.filter(pk=getattr(specialist, "pk", specialist))
    specialists = list(specialists)
    if not specialists:
        return []
    ids = [s.pk for s in specialists]
    tz = timezone.get_current_timezone()
    buffer = timedelta(minutes=buffer_minutes)
    period_start = datetime.combine(first_day, time(), tzinfo=tz)
    period_end = datetime.combine(last_day + timedelta(days=1), time(), tzinfo=tz)

    hours = {}
    for specialist_id, weekday, opens, closes in WorkingHours.objects.filter(
        specialist_id__in=ids
    ).values_list("specialist_id", "weekday", "start", "end"):
        hours.setdefault((specialist_id, weekday), []).append(
            (opens.hour * 60 + opens.minute, closes.hour * 60 + closes.minute)
        )
    days_off = set(
        DayOff.objects.filter(specialist_id__in=ids, date__range=(first_day, last_day)).values_list(
            "specialist_id", "date"
        )
    )
    holidays = set(Holiday.objects.filter(date__range=(first_day, last_day)).values_list("date", flat=True))
    appointments = Appointment.objects.occupying().filter(
        specialist_id__in=ids, start__lt=period_end + buffer, end__gt=period_start - buffer
    )
    if ignore is not None:
        appointments = appointments.exclude(pk=getattr(ignore, "pk", ignore))
    # Specialist id -> [(start - buffer, end + buffer), ...] in minutes, by start; they never overlap.
    busy = {}
    for specialist_id, start, end in appointments.order_by("start").values_list(
        "specialist_id", "start", "end"
    ):
        busy.setdefault(specialist_id, []).append(
            (_minutes(start, first_day, tz) - buffer_minutes, _minutes(end, first_day, tz) + buffer_minutes)
        )

    earliest = _minutes(now + timedelta(hours=settings.BOOKING_MIN_NOTICE_HOURS), first_day, tz)
    candidates = []  # (start minute, order, length)
    for order, specialist in enumerate(specialists):
        length = specialist.length_for(mode) // timedelta(minutes=1)
        taken = busy.get(specialist.pk, [])
        taken_ends = [end for _, end in taken]
        for offset in range((last_day - first_day).days + 1):
            day = first_day + timedelta(days=offset)
            if day in holidays or (specialist.pk, day) in days_off:
                continue
            midnight = offset * MINUTES_A_DAY
            for opens, closes in sorted(hours.get((specialist.pk, day.weekday()), [])):
                cursor, block_end = midnight + opens, midnight + closes
                while cursor + length <= block_end:
                    # The first appointment (with its buffer) that ends after the cursor.
                    i = bisect_right(taken_ends, cursor)
                    if i < len(taken) and taken[i][0] < cursor + length:
                        cursor = -(-taken[i][1] // ROUND_TO) * ROUND_TO  # after it, rounded up
                        continue
                    if cursor >= earliest:
                        candidates.append((cursor, order, length))
                    cursor += length + buffer_minutes
    candidates.sort()
    slots, seen = [], set()
    for minute, order, length in candidates:
        if one_per_start and minute in seen:
            continue
        seen.add(minute)
        specialist = specialists[order]
        day, minute_of_day = divmod(minute, MINUTES_A_DAY)
        start = datetime.combine(first_day + timedelta(days=day), time(*divmod(minute_of_day, 60)), tzinfo=tz)
        slots.append(Slot(start, start + timedelta(minutes=length), specialist, specialist.fee_for(mode)))
    return slots
