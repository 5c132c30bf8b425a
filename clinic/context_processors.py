from django.conf import settings
from django.db.models import Exists
from django.utils import translation
from django.utils.functional import SimpleLazyObject

from .models import ClinicProfile, OpeningHours, Specialist, hours_by_day


def clinic(request):
    """The clinic profile for every template, SITE_URL for canonical links, the
    page's language with the address of the same page in the other one, and the
    opening hours (read once, when a template first uses them): opening_week as
    rows, opening_hours as [(days, ["10:00-19:00", ...] (en dashes)), ...].
    has_specialists (the menu hides "Our specialists" while there are none)
    comes in the same query as the profile."""
    profile = (
        ClinicProfile.objects.annotate(has_specialists=Exists(Specialist.objects.active()))
        .filter(pk=1)
        .first()
    )
    if profile is None:
        profile = ClinicProfile.load()
        profile.has_specialists = Specialist.objects.active().exists()
    language = translation.get_language() or settings.LANGUAGE_CODE
    week = SimpleLazyObject(OpeningHours.week)
    return {
        "clinic": profile,
        "site_url": settings.SITE_URL.rstrip("/"),
        "opening_week": week,
        "opening_hours": SimpleLazyObject(lambda: hours_by_day(week)),
        "LANGUAGE_CODE": language,
        "html_lang": "hi" if language == "hi" else "en-IN",
        "other_language_path": other_language_path(request.path) if request else "",
    }


def other_language_path(path):
    """/hi/x <-> /x: the URLs are the same words in both languages."""
    if path == "/hi" or path.startswith("/hi/"):
        return path[3:] or "/"
    return "/hi" + path
