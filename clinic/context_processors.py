from django.conf import settings
from django.db.models import Exists

from .models import ClinicProfile, Specialist


def clinic(request):
    """The clinic profile for every template, and SITE_URL for canonical links.
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
    return {"clinic": profile, "site_url": settings.SITE_URL.rstrip("/")}
