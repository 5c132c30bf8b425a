from django.conf import settings
from django.utils import translation

from .models import ClinicProfile


def clinic(request):
    """The clinic profile for every template, SITE_URL for canonical links, and
    the page's language with the address of the same page in the other one."""
    language = translation.get_language() or settings.LANGUAGE_CODE
    return {
        "clinic": ClinicProfile.load(),
        "site_url": settings.SITE_URL.rstrip("/"),
        "LANGUAGE_CODE": language,
        "html_lang": "hi" if language == "hi" else "en-IN",
        "other_language_path": other_language_path(request.path) if request else "",
    }


def other_language_path(path):
    """/hi/x <-> /x: the URLs are the same words in both languages."""
    if path == "/hi" or path.startswith("/hi/"):
        return path[3:] or "/"
    return "/hi" + path
