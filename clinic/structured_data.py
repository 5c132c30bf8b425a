"""schema.org JSON-LD for the clinic (its pages, and as the publisher of articles)."""

import json

from django.core.serializers.json import DjangoJSONEncoder
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from .links import absolute_url
from .models import Weekday

# The escapes Django's json_script uses: the data can never close the
# <script> element or open a comment inside it.
_JSON_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}


def json_ld_script(data):
    text = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False).translate(_JSON_ESCAPES)
    return format_html('<script type="application/ld+json">{}</script>', mark_safe(text))  # noqa: S308


def opening_hours_specification(week):
    """One entry per (opens, closes), listing its days (schema.org's English names),
    in the order of the first day of each."""
    days_by_range = {}
    for weekday, opens, closes in sorted(week):
        days_by_range.setdefault((opens, closes), []).append(Weekday(weekday).name.title())
    return [
        {
            "@type": "OpeningHoursSpecification",
            "dayOfWeek": days,
            "opens": f"{opens:%H:%M}",
            "closes": f"{closes:%H:%M}",
        }
        for (opens, closes), days in days_by_range.items()
    ]


def clinic_data(clinic, week):
    """`week`: [(weekday, opens, closes), ...] as OpeningHours.week() gives it."""
    return {
        "@type": "MedicalClinic",
        "name": clinic.name,
        "url": absolute_url("/"),
        "telephone": clinic.phone,
        "email": clinic.email,
        "address": {
            "@type": "PostalAddress",
            "streetAddress": clinic.street_address,
            "addressLocality": clinic.locality,
            "addressRegion": clinic.region,
            "postalCode": clinic.postal_code,
            "addressCountry": clinic.country,
        },
        "openingHoursSpecification": opening_hours_specification(week),
    }
