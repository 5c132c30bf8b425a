"""schema.org JSON-LD for article pages."""

import json

from django.core.serializers.json import DjangoJSONEncoder
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from clinic.links import absolute_url

# The escapes Django's json_script uses: the data can never close the
# <script> element or open a comment inside it.
_JSON_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}


def json_ld_script(data):
    text = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False).translate(_JSON_ESCAPES)
    return format_html('<script type="application/ld+json">{}</script>', mark_safe(text))  # noqa: S308


def _person(specialist):
    person = {
        "@type": "Person",
        "name": specialist.name,
        "jobTitle": specialist.title,
        "url": absolute_url(specialist.get_absolute_url()),
    }
    if specialist.credentials:
        person["honorificSuffix"] = specialist.credentials
    return person


def clinic_data(clinic):
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
    }


def medical_web_page(article, clinic):
    publisher = clinic_data(clinic)
    data = {
        "@context": "https://schema.org",
        "@type": "MedicalWebPage",
        "headline": article.title,
        "name": article.title,
        "description": article.meta_description,
        "url": absolute_url(article.get_absolute_url()),
        "inLanguage": "hi-IN" if article.language == "hi" else "en-IN",
        "datePublished": article.publish_at,
        "dateModified": article.updated,
        "about": [
            {"@type": "MedicalCondition" if topic.is_mental_health else "Thing", "name": topic.name}
            for topic in article.topics.all()
        ],
        "author": _person(article.author) if article.author else publisher,
        "reviewedBy": _person(article.reviewer) if article.reviewer else None,
        "lastReviewed": article.last_reviewed if article.is_reviewed else None,
        "citation": [
            {
                "@type": "CreativeWork",
                "name": reference.title,
                **({"publisher": reference.publisher} if reference.publisher else {}),
                **({"datePublished": str(reference.year)} if reference.year else {}),
                **({"url": reference.url} if reference.url else {}),
            }
            for reference in article.references.all()
        ],
        "publisher": publisher,
    }
    # The other language's version, named both ways (schema.org translation links).
    if article.language != "en" and article.translation_of and article.translation_of.is_public:
        data["translationOfWork"] = {
            "@type": "MedicalWebPage",
            "url": absolute_url(article.translation_of.get_absolute_url()),
            "inLanguage": "en-IN",
        }
    versions = [version for version in article.translations.all() if version.is_public]
    if versions:
        data["workTranslation"] = [
            {
                "@type": "MedicalWebPage",
                "url": absolute_url(version.get_absolute_url()),
                "inLanguage": "hi-IN",
            }
            for version in versions
        ]
    # Unreviewed articles say nothing about a review rather than "null".
    data = {key: value for key, value in data.items() if value is not None}
    if article.hero_image:
        data["image"] = absolute_url(article.hero_image.url)
    return data
