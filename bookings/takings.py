"""The owner's view of the money: takings by day and by specialist for a
period, the appointments whose fee is still unpaid, the no-shows, and the
period's payments as CSV for the accountant."""

import csv
from datetime import datetime, time, timedelta

from django.db.models import Count, Prefetch, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from . import frontdesk, lifecycle
from .models import Appointment, Payment

CSV_COLUMNS = [
    ("Receipt", lambda p: p.receipt),
    ("Date", lambda p: timezone.localtime(p.taken_at).strftime("%Y-%m-%d %H:%M")),
    ("Request", lambda p: p.appointment.consultation.reference),
    ("Specialist", lambda p: p.appointment.specialist.name),
    ("Service", lambda p: p.appointment.get_mode_display()),
    ("Amount (INR)", lambda p: p.amount),
    ("Method", lambda p: p.get_method_display()),
    ("UTR", lambda p: p.utr),
    ("Taken by", lambda p: p.taken_by.get_username() if p.taken_by else ""),
    ("Note", lambda p: p.note),
]


def _period(first, last):
    tz = timezone.get_current_timezone()
    return datetime.combine(first, time(), tzinfo=tz), datetime.combine(
        last + timedelta(days=1), time(), tzinfo=tz
    )


def payments_between(first, last):
    start, end = _period(first, last)
    return (
        Payment.objects.filter(taken_at__gte=start, taken_at__lt=end)
        .select_related("appointment__consultation", "appointment__specialist", "taken_by")
        .order_by("taken_at")
    )


def summary(first, last, late_fee):
    start, end = _period(first, last)
    received = payments_between(first, last).exclude(method=Payment.Method.WAIVED)
    by_day = (
        received.annotate(day=TruncDate("taken_at", tzinfo=timezone.get_current_timezone()))
        .values("day")
        .annotate(total=Sum("amount"), count=Count("pk"))
        .order_by("day")
    )
    by_specialist = (
        received.values("appointment__specialist__name")
        .annotate(total=Sum("amount"), count=Count("pk"))
        .order_by("-total")
    )
    closed = (
        Appointment.objects.filter(
            start__gte=start,
            start__lt=end,
            status__in=[*lifecycle.FROM_START_ON, lifecycle.State.CANCELLED],
        )
        .select_related("consultation", "specialist")
        .prefetch_related(Prefetch("payments", Payment.objects.all()))
        .order_by("start")
    )
    unpaid = []
    for appointment in closed:
        appointment.due = frontdesk.amount_due(appointment, late_fee)
        appointment.paid = frontdesk.paid(appointment)
        if appointment.due > appointment.paid:
            unpaid.append(appointment)
    return {
        "by_day": list(by_day),
        "by_specialist": list(by_specialist),
        "total": sum(row["total"] for row in by_day),
        "unpaid": unpaid,
        "no_shows": sum(1 for a in closed if a.status == lifecycle.State.NO_SHOW),
    }


def write_csv(response, first, last):
    writer = csv.writer(response)
    writer.writerow([heading for heading, _ in CSV_COLUMNS])
    for payment in payments_between(first, last):
        writer.writerow([value(payment) for _, value in CSV_COLUMNS])
    return response
