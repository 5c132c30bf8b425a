"""A clinician's caseload: their open courses of care (requests in care with
sessions with them), each with its next session and the sessions this month.
One query, however many courses."""

from datetime import datetime, time

from django.db.models import Count, Min, Q
from django.utils import timezone

from . import lifecycle
from .models import ConsultationRequest


def caseload(specialist, now=None):
    now = now or timezone.now()
    today = timezone.localdate(now)
    month = datetime.combine(today.replace(day=1), time(), tzinfo=timezone.get_current_timezone())
    next_month = month.replace(year=month.year + month.month // 12, month=month.month % 12 + 1)
    theirs = Q(appointments__specialist=specialist)
    occupying = theirs & Q(appointments__status__in=lifecycle.OCCUPYING)
    return list(
        ConsultationRequest.objects.filter(theirs, status=ConsultationRequest.Status.SCHEDULED)
        .annotate(
            next_session=Min(
                "appointments__start",
                filter=theirs & Q(appointments__status__in=lifecycle.CURRENT, appointments__end__gt=now),
            ),
            this_month=Count(
                "appointments",
                filter=occupying & Q(appointments__start__gte=month, appointments__start__lt=next_month),
            ),
            sessions=Count("appointments", filter=occupying),
        )
        .order_by("next_session", "created")
    )
