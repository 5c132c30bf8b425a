"""The schedule page's data: per day and specialist, working hours, days off,
holidays, appointments and the free gaps between them (bookings.availability's
Schedule). A fixed number of queries whatever the number of appointments or
specialists."""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db.models import Prefetch
from django.utils import timezone

from clinic.models import Specialist

from . import availability
from .models import Appointment, ConsultationRequest

# Gaps shorter than this are not offered: nobody is booked into them.
SHORTEST_GAP_MINUTES = 30


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
        return self.appointment.consultation.first_name if self.appointment else ""


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


def build_board(first, days, *, specialists=None, now=None):
    """[Day, ...] from `first` for `days` days, one Cell per active specialist;
    the free gaps come from the same Schedule as the visitors' open times."""
    now = _next_quarter(now or timezone.now())
    last = first + timedelta(days=days - 1)
    specialists = list(specialists if specialists is not None else Specialist.objects.active())
    schedule = availability.read_schedule(
        [s.pk for s in specialists],
        first,
        last,
        appointments=Appointment.objects.select_related("consultation"),
    )
    booked = {}
    for appointment in schedule.appointments:
        booked.setdefault((appointment.specialist_id, timezone.localdate(appointment.start)), []).append(
            appointment
        )
    earliest = schedule.minutes(now)
    board = []
    for offset in range(days):
        day = first + timedelta(days=offset)
        board.append(Day(day, schedule.holidays.get(day, "")))
        for specialist in specialists:
            hours = [
                (schedule.at(opens).time(), schedule.at(closes).time())
                for opens, closes in schedule.hours.get((specialist.pk, day.weekday()), [])
            ]
            cell = Cell(specialist, hours, schedule.days_off.get((specialist.pk, day)))
            free = [
                Block(schedule.at(max(start, earliest)), schedule.at(end))
                for start, end in schedule.free(specialist.pk, day)
                if end - max(start, earliest) >= SHORTEST_GAP_MINUTES
            ]
            appointments = [Block(a.start, a.end, a) for a in booked.get((specialist.pk, day), [])]
            cell.blocks = sorted([*free, *appointments], key=lambda block: block.start)
            board[-1].cells.append(cell)
    return board


def _next_quarter(moment):
    """Gaps start on a quarter hour, not at 17:19:43."""
    moment = timezone.localtime(moment).replace(second=0, microsecond=0)
    return moment + timedelta(minutes=-moment.minute % 15)


def waiting_requests():
    """Open requests without a confirmed appointment, urgent first, then oldest
    first; each with .holds (the time the visitor chose, if any)."""
    from .models.requests import REPEATS_AN_OPEN_REQUEST, URGENT_FIRST

    return list(
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
