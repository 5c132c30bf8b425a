from datetime import timedelta

from django import template
from django.db.models import Count
from django.db.models.functions import TruncWeek
from django.utils import timezone

from clinic.models import ClinicProfile, Specialist

from ..access import sees_only_own
from ..checklist import setup_checklist
from ..feeds import calendar_feed_url
from ..models import Appointment, ConsultationRequest

register = template.Library()
WEEKS = 12
BAR_STEPS = 10


@register.simple_tag(takes_context=True)
def owner_checklist(context):
    """The setup checklist, for superusers (the owner) only."""
    request = context.get("request")
    if request is None or not request.user.is_superuser:
        return []
    return setup_checklist()


@register.simple_tag(takes_context=True)
def my_calendar_feed(context):
    """A clinician's own feed address, for the admin index; "" without one."""
    request = context.get("request")
    specialist = Specialist.objects.filter(user_id=request.user.pk).exclude(calendar_token="").first()
    return calendar_feed_url(specialist) if specialist else ""


@register.simple_tag(takes_context=True)
def booking_dashboard(context):
    """The reception queue for the admin index; None for those who may not see requests."""
    request = context.get("request")
    if request is None or not request.user.has_perm("bookings.view_consultationrequest"):
        return None
    if sees_only_own(request.user):
        return None  # the clinic's counts are reception's; a clinician has "Your appointments"
    requests = ConsultationRequest.objects.all()
    weeks = weekly_counts(timezone.now())
    return {
        "new": requests.awaiting_contact().count(),
        "urgent": requests.urgent_open().count(),
        "overdue": requests.overdue().count(),
        "changed": requests.changed_by_visitor().count(),
        "hours": ClinicProfile.load().response_time_hours,
        "today": Appointment.objects.today().count(),
        "calls": calls_today(),
        "weeks": weeks,
        "weeks_total": sum(week["count"] for week in weeks),
        "top_articles": top_articles(),
    }


def calls_today():
    """Today's visitors who take no texts but asked for a call: reception reminds them by phone."""
    return list(
        Appointment.objects.today()
        .filter(
            consultation__contact_by_phone=True,
            consultation__contact_by_sms=False,
            consultation__contact_by_whatsapp=False,
        )
        .select_related("consultation", "specialist")
    )


def weekly_counts(now):
    this_week = timezone.localdate(now) - timedelta(days=timezone.localdate(now).weekday())
    first = this_week - timedelta(weeks=WEEKS - 1)
    rows = (
        ConsultationRequest.objects.not_spam()
        .filter(created__date__gte=first)
        .annotate(week=TruncWeek("created"))
        .values("week")
        .annotate(n=Count("pk"))
    )
    by_week = {}
    for row in rows:
        week = row["week"]
        week = timezone.localdate(week) if hasattr(week, "hour") else week
        by_week[week] = by_week.get(week, 0) + row["n"]
    highest = max(by_week.values(), default=0)
    weeks = []
    for i in range(WEEKS):
        start = first + timedelta(weeks=i)
        n = by_week.get(start, 0)
        # Bar heights come in steps that CSS classes draw: no inline styles.
        step = 0 if not highest else max(1 if n else 0, round(n * BAR_STEPS / highest))
        weeks.append({"start": start, "count": n, "step": step})
    return weeks


def top_articles(limit=5):
    return list(
        ConsultationRequest.objects.not_spam()
        .filter(source_article__isnull=False)
        .values("source_article__title")
        .annotate(n=Count("pk"))
        .order_by("-n", "source_article__title")[:limit]
    )
