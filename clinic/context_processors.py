from django.conf import settings
from django.utils.functional import SimpleLazyObject

from .models import ClinicProfile, OpeningHours, hours_by_day


def clinic(request):
    """The clinic profile for every template, SITE_URL for canonical links, and
    the opening hours (read once, when a template first uses them):
    opening_week as rows, opening_hours as [(days, ["10:00-19:00", ...] (en dashes)), ...]."""
    week = SimpleLazyObject(OpeningHours.week)
    return {
        "clinic": ClinicProfile.load(),
        "site_url": settings.SITE_URL.rstrip("/"),
        "opening_week": week,
        "opening_hours": SimpleLazyObject(lambda: hours_by_day(week)),
    }
