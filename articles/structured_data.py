"""schema.org JSON-LD for article pages."""

from clinic.links import absolute_url
from clinic.structured_data import clinic_data


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


def medical_web_page(article, clinic, week):
    publisher = clinic_data(clinic, week)
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
