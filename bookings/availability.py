"""Open times, computed in one place: working hours minus days off, holidays and
appointments held or confirmed (each with the clinic's buffer around it), from
BOOKING_MIN_NOTICE_HOURS on and within BOOKING_MAX_DAYS_AHEAD.

Six queries at most, whatever the number of specialists or appointments: the
profile, the specialists, their working hours, their days off, the holidays and
the appointments in the period; the rest is arithmetic in Python."""

import re
from bisect import bisect_right
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from clinic.models import ClinicProfile, Holiday, Specialist

from .models import Appointment, DayOff, WorkingHours

KEY_RE = re.compile(r"^(\d{1,18})-(\d{12})$")
# Start times after an appointment are rounded up to this, so none starts at 11:43.
ROUND_TO = timedelta(minutes=5)


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


def open_times(mode, specialist=None, *, days=14, now=None, ignore=None):
    """[(date, [Slot, ...]), ...], earliest first, for the next `days` days.
    specialist=None means no preference: the earliest times across everyone
    who takes bookings, one slot per start time. `ignore`: an appointment whose
    own time counts as free (when moving it)."""
    now = now or timezone.now()
    first_day = timezone.localdate(now)
    last_day = min(
        first_day + timedelta(days=days - 1), first_day + timedelta(days=settings.BOOKING_MAX_DAYS_AHEAD)
    )
    slots = _open_slots(mode, specialist, first_day, last_day, now=now, ignore=ignore)
    if specialist is None:
        seen = set()
        slots = [slot for slot in slots if not (slot.start in seen or seen.add(slot.start))]
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
    if (
        not timezone.localdate(now)
        <= day
        <= timezone.localdate(now) + timedelta(days=settings.BOOKING_MAX_DAYS_AHEAD)
    ):
        return None
    slots = _open_slots(mode, specialist_id, day, day, now=now, ignore=ignore)
    return next((slot for slot in slots if slot.start == start), None)


def _round_up(moment):
    local = timezone.localtime(moment)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    steps = -((midnight - local) // ROUND_TO)  # ceiling division
    return midnight + steps * ROUND_TO


def _open_slots(mode, specialist, first_day, last_day, *, now, ignore=None):
    """Every open Slot from first_day to last_day (clinic dates), ordered by
    start, then by the specialists' order."""
    buffer = ClinicProfile.load().buffer
    specialists = Specialist.objects.bookable()
    if specialist is not None:
        specialists = specialists.filter(pk=getattr(specialist, "pk", specialist))
    specialists = list(specialists)
    if not specialists:
        return []
    ids = [s.pk for s in specialists]
    tz = timezone.get_current_timezone()
    period_start = datetime.combine(first_day, datetime.min.time(), tzinfo=tz)
    period_end = datetime.combine(last_day + timedelta(days=1), datetime.min.time(), tzinfo=tz)

    hours = {}
    for specialist_id, weekday, start, end in WorkingHours.objects.filter(specialist_id__in=ids).values_list(
        "specialist_id", "weekday", "start", "end"
    ):
        hours.setdefault((specialist_id, weekday), []).append((start, end))
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
    busy = {}  # specialist id -> [(start - buffer, end + buffer), ...] by start; they never overlap
    for specialist_id, start, end in appointments.order_by("start").values_list(
        "specialist_id", "start", "end"
    ):
        busy.setdefault(specialist_id, []).append((start - buffer, end + buffer))

    earliest = now + timedelta(hours=settings.BOOKING_MIN_NOTICE_HOURS)
    slots = []
    for order, specialist in enumerate(specialists):
        length = specialist.length_for(mode)
        fee = specialist.fee_for(mode)
        taken = busy.get(specialist.pk, [])
        taken_ends = [end for _, end in taken]
        day = first_day
        while day <= last_day:
            if day in holidays or (specialist.pk, day) in days_off:
                day += timedelta(days=1)
                continue
            for opens, closes in sorted(hours.get((specialist.pk, day.weekday()), [])):
                cursor = datetime.combine(day, opens, tzinfo=tz)
                block_end = datetime.combine(day, closes, tzinfo=tz)
                while cursor + length <= block_end:
                    # The first appointment (with its buffer) that ends after the cursor.
                    i = bisect_right(taken_ends, cursor)
                    if i < len(taken) and taken[i][0] < cursor + length:
                        cursor = _round_up(taken[i][1])
                        continue
                    if cursor >= earliest:
                        slots.append((cursor, order, Slot(cursor, cursor + length, specialist, fee)))
                    cursor += length + buffer
            day += timedelta(days=1)
    slots.sort(key=lambda item: item[:2])
    return [slot for _, _, slot in slots]
