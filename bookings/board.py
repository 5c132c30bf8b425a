"""The schedule page's data: per day and specialist, working hours, days off,
holidays, appointments and the free gaps between them. A fixed number of
queries whatever the number of appointments or specialists."""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.utils import timezone

from clinic.models import Specialist

from .emails import first_name
from .models import Appointment, ConsultationRequest, DayOff, WorkingHours

# Gaps shorter than this are not offered: nobody is booked into them.
SHORTEST_GAP = timedelta(minutes=30)


@dataclass
class Block:
    start: datetime
    end: datetime
    appointment: Appointment | None = None

    @property
    def is_free(self):
        return self.appointment is None

    @property
    def first_name(self):
        return first_name(self.appointment.consultation.name) if self.appointment else ""


@dataclass
class Cell:
    specialist: Specialist
    hours: list = field(default_factory=list)  # [(start, end)] clinic time
    day_off: str | None = None
    blocks: list = field(default_factory=list)


@dataclass
class Day:
    date: date
    holiday: str = ""
    cells: list = field(default_factory=list)


def week_start(day):
    return day - timedelta(days=day.weekday())


def _at(day, moment):
    return timezone.make_aware(datetime.combine(day, moment))


def holidays_between(first, last):
    """{date: name} of clinic-wide closed days (clinic.Holiday, when it exists)."""
    from clinic import models as clinic_models

    holiday = getattr(clinic_models, "Holiday", None)
    if holiday is None:
        return {}
    return dict(holiday.objects.filter(date__range=(first, last)).values_list("date", "name"))


def build_board(first, days, *, specialists=None, now=None):
    """[Day, ...] from `first` for `days` days, one Cell per active specialist."""
    now = _next_quarter(now or timezone.now())
    last = first + timedelta(days=days - 1)
    specialists = list(specialists if specialists is not None else Specialist.objects.active())
    hours = {}
    for row in WorkingHours.objects.filter(specialist__is_active=True).order_by("start"):
        hours.setdefault((row.specialist_id, row.weekday), []).append((row.start, row.end))
    days_off = {
        (row.specialist_id, row.date): row.reason or "Day off"
        for row in DayOff.objects.filter(date__range=(first, last))
    }
    holidays = holidays_between(first, last)
    appointments = {}
    for appointment in (
        Appointment.objects.occupying()
        .filter(start__lt=_at(last + timedelta(days=1), time()), end__gt=_at(first, time()))
        .select_related("consultation")
        .order_by("start")
    ):
        key = (appointment.specialist_id, timezone.localdate(appointment.start))
        appointments.setdefault(key, []).append(appointment)

    board = []
    for offset in range(days):
        day = first + timedelta(days=offset)
        board.append(Day(day, holidays.get(day, "")))
        for specialist in specialists:
            cell = Cell(
                specialist, hours.get((specialist.pk, day.weekday()), []), days_off.get((specialist.pk, day))
            )
            booked = appointments.get((specialist.pk, day), [])
            free = [] if cell.day_off or board[-1].holiday else free_gaps(day, cell.hours, booked, now)
            cell.blocks = sorted([*free, *(Block(a.start, a.end, a) for a in booked)], key=lambda b: b.start)
            board[-1].cells.append(cell)
    return board


def _next_quarter(moment):
    """Gaps start on a quarter hour, not at 17:19:43."""
    moment = timezone.localtime(moment).replace(second=0, microsecond=0)
    return moment + timedelta(minutes=-moment.minute % 15)


def free_gaps(day, hours, booked, now):
    gaps = []
    for opens, closes in hours:
        cursor, end = max(_at(day, opens), now), _at(day, closes)
        for appointment in booked:
            if appointment.end <= cursor or appointment.start >= end:
                continue
            if appointment.start - cursor >= SHORTEST_GAP:
                gaps.append(Block(cursor, appointment.start))
            cursor = max(cursor, appointment.end)
        if end - cursor >= SHORTEST_GAP:
            gaps.append(Block(cursor, end))
    return gaps


def waiting_requests():
    """Open requests with no appointment yet: urgent first, then oldest first."""
    from .models.requests import URGENT_FIRST

    waiting = list(
        ConsultationRequest.objects.filter(
            status__in=[ConsultationRequest.Status.NEW, ConsultationRequest.Status.CONTACTED]
        )
        .exclude(appointments__status__in=[Appointment.Status.BOOKED])
        .select_related("preferred_specialist")
        .order_by(URGENT_FIRST, "created")[:50]
    )
    for consultation in waiting:
        consultation.first_name = first_name(consultation.name)
    return waiting
