"""The owner's setup checklist on the admin index: what a fresh install still
shows visitors as sample values or empty promises, each with where to fix it.
Here rather than in clinic because it looks at working hours (bookings) too."""

from urllib.parse import urlsplit

from django.conf import settings
from django.db.models import Q
from django.urls import reverse

from articles.models import Article
from clinic.models import ClinicProfile, Specialist

# Profile fields whose sample value must not reach visitors.
SAMPLE_FIELDS = ["phone", "email", "street_address", "grievance_officer", "grievance_email"]


def setup_checklist():
    """[(what is missing, where it is fixed or ""), ...]; empty once all is done."""
    items = []
    profile = ClinicProfile.load()
    profile_url = reverse("admin:clinic_clinicprofile_change", args=[profile.pk])
    for name in SAMPLE_FIELDS:
        field = ClinicProfile._meta.get_field(name)
        if getattr(profile, name) == field.default:
            items.append(
                (
                    f"Clinic profile: the {field.verbose_name} is still the sample “{field.default}”.",
                    profile_url,
                )
            )

    specialists = Specialist.objects.active()
    if not specialists.exists():
        items.append(
            (
                "No specialists yet: add the clinicians visitors can book.",
                reverse("admin:clinic_specialist_add"),
            )
        )
    no_hours = set(specialists.filter(working_hours__isnull=True).values_list("pk", flat=True))
    no_fee = Q(fee_in_clinic__isnull=True, fee_video__isnull=True, fee_phone__isnull=True)
    for specialist in specialists.filter(Q(pk__in=no_hours) | no_fee):
        missing = "working hours, so cannot be booked" if specialist.pk in no_hours else "fee"
        items.append(
            (
                f"{specialist} has no {missing}.",
                reverse("admin:clinic_specialist_change", args=[specialist.pk]),
            )
        )

    unreviewed = Article.objects.filter(status=Article.Status.PUBLISHED).awaiting_review().count()
    if unreviewed:
        url = reverse("admin:articles_article_changelist") + "?status__exact=published&review=awaiting"
        items.append((f"{unreviewed} published article(s) without a clinical reviewer.", url))

    if not settings.DEBUG:
        if urlsplit(settings.SITE_URL).hostname in {"127.0.0.1", "localhost", "::1", None}:
            items.append(
                ("SITE_URL is not set in the server's environment: links in emails point nowhere.", "")
            )
        sender = settings.DEFAULT_FROM_EMAIL.lower()
        if "@localhost" in sender or sender.rstrip(">").endswith((".example", ".invalid", ".test")):
            items.append(("DEFAULT_FROM_EMAIL is not a real sender address: emails will not arrive.", ""))
    return items
