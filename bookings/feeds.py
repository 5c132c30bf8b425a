"""A specialist's private calendar feed, subscribed from Google, Apple or
Outlook. The address is the key; renewing or revoking the token ends it."""

from datetime import timedelta

from django.http import Http404, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from clinic.links import absolute_url
from clinic.models import Specialist

from .calendar import specialist_calendar
from .models import Appointment

# Past appointments stay in the feed a while, so a calendar keeps recent history.
PAST_DAYS = 30


def calendar_feed_url(specialist):
    return absolute_url(reverse("bookings:specialist_calendar", args=[specialist.calendar_token]))


@require_GET
def specialist_feed(request, token):
    specialist = Specialist.objects.filter(calendar_token=token).exclude(calendar_token="").first()
    if specialist is None:
        raise Http404
    appointments = (
        Appointment.objects.filter(
            specialist=specialist, start__gte=timezone.now() - timedelta(days=PAST_DAYS)
        )
        .occupying()
        .select_related("consultation")
        .order_by("start")
    )
    response = HttpResponse(
        specialist_calendar(specialist, appointments), content_type="text/calendar; charset=utf-8"
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Robots-Tag"] = "noindex"
    return response
