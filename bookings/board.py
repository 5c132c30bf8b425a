"""The schedule page's data: per day and specialist, working hours, days off,
holidays, appointments and the free gaps between them. A fixed number of
queries whatever the number of appointments or specialists."""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import Prefetch
from django.utils import timezone

from clinic.models import ClinicProfile, Holiday, Specialist

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
    """{date: name} of clinic-wide closed days."""
    return dict(Holiday.objects.filter(date__range=(first, last)).values_list("date", "name"))


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
    buffer = ClinicProfile.load().buffer
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
            closed = cell.day_off or board[-1].holiday
            free = [] if closed else free_gaps(day, cell.hours, booked, now, buffer)
            cell.blocks = sorted([*free, *(Block(a.start, a.end, a) for a in booked)], key=lambda b: b.start)
            board[-1].cells.append(cell)
    return board


def _next_quarter(moment):
    """Gaps start on a quarter hour, not at 17:19:43."""
    moment = timezone.localtime(moment).replace(second=0, microsecond=0)
    return moment + timedelta(minutes=-moment.minute % 15)


def free_gaps(day, hours, booked, now, buffer=timedelta(0)):
    """Working hours less appointments and the clinic's buffer around each."""
    gaps = []
    for opens, closes in hours:
        cursor, end = max(_at(day, opens), now), _at(day, closes)
        for appointment in booked:
            before, after = appointment.start - buffer, appointment.end + buffer
            if after <= cursor or before >= end:
                continue
            if before - cursor >= SHORTEST_GAP:
                gaps.append(Block(cursor, before))
            cursor = max(cursor, after)
        if end - cursor >= SHORTEST_GAP:
            gaps.append(Block(cursor, end))
    return gaps


def waiting_requests():
    """Open requests without a confirmed appointment, urgent first, then oldest
    first; each with .holds (the time the visitor chose, if any) and .first_name."""
    from .models.requests import REPEATS_AN_OPEN_REQUEST, URGENT_FIRST

    waiting = list(
        ConsultationRequest.objects.filter(
            status__in=[ConsultationRequest.Status.NEW, ConsultationRequest.Status.CONTACTED]
        )
        .exclude(appointments__status=Appointment.Status.CONFIRMED)
        .exclude(REPEATS_AN_OPEN_REQUEST)
        .select_related("preferred_specialist")
        .prefetch_related(
            Prefetch("appointments", Appointment.objects.held().select_related("specialist"), to_attr="holds")
        )
        .order_by(URGENT_FIRST, "created")[:50]
    )
    for consultation in waiting:
        consultation.first_name = first_name(consultation.name)
    return waiting
