from django.conf import settings

from .models import ClinicProfile


def clinic(request):
    """The clinic profile for every template, and SITE_URL for canonical links."""
    return {"clinic": ClinicProfile.load(), "site_url": settings.SITE_URL.rstrip("/")}
