from django.conf import settings
from django.utils import translation
from django.utils.functional import SimpleLazyObject

from .models import ClinicProfile, OpeningHours, hours_by_day


def clinic(request):
    """The clinic profile for every template, SITE_URL for canonical links, and
    the page's language with the address of the same page in the other one, and
    the opening hours (read once, when a template first uses them):
    opening_week as rows, opening_hours as [(days, ["10:00-19:00", ...] (en dashes)), ...]."""
    language = translation.get_language() or settings.LANGUAGE_CODE
    week = SimpleLazyObject(OpeningHours.week)
    return {
        "clinic": ClinicProfile.load(),
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
