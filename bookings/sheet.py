"""The front desk's day sheet: per specialist, the day's appointments in time
order, each with whether it is a first visit, its fee and what was paid. A
fixed number of queries, whatever the number of appointments."""

from datetime import datetime, time, timedelta

from django.db.models import Prefetch
from django.utils import timezone

from . import frontdesk, lifecycle
from .models import Appointment, Payment


def day_sheet(day, specialists, late_fee=0):
    """[(specialist, [appointment, ...])], each appointment with .first_visit,
    .paid and .due (what its state makes due, frontdesk.amount_due)."""
    tz = timezone.get_current_timezone()
    start = datetime.combine(day, time(), tzinfo=tz)
    appointments = list(
        Appointment.objects.filter(
            specialist__in=specialists,
            start__gte=start,
            start__lt=start + timedelta(days=1),
            status__in=[*lifecycle.OCCUPYING, lifecycle.State.CANCELLED],
        )
        .select_related("consultation", "specialist")
        .prefetch_related(Prefetch("payments", Payment.objects.order_by("taken_at")))
        .order_by("start")
    )
    returning = set(
        Appointment.objects.occupying()
        .filter(consultation__in={a.consultation_id for a in appointments}, start__lt=start)
        .values_list("consultation_id", flat=True)
    )
    by_specialist = {}
    for appointment in appointments:
        appointment.first_visit = appointment.consultation_id not in returning
        appointment.paid = frontdesk.paid(appointment)
        appointment.due = frontdesk.amount_due(appointment, late_fee)
        if appointment.status == lifecycle.State.CANCELLED and not appointment.due:
            continue  # cancelled in time: nothing for the desk
        by_specialist.setdefault(appointment.specialist, []).append(appointment)
    return [
        (specialist, by_specialist[specialist]) for specialist in specialists if specialist in by_specialist
    ]
