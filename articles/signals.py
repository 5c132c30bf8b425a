"""Cache invalidation only: anything a public page shows starts a new content
version when it changes (see caching.py)."""

from django.db.models.signals import m2m_changed, post_delete, post_save

from clinic.models import ClinicProfile, Specialist

from .caching import bump_content_version
from .models import Article, Reference, SlugRedirect, Topic

CONTENT_MODELS = (Article, Topic, Reference, SlugRedirect, Specialist, ClinicProfile)


def connect():
    for model in CONTENT_MODELS:
        for signal in (post_save, post_delete):
            signal.connect(
                bump_content_version, sender=model, dispatch_uid=f"pages-{signal}-{model.__name__}"
            )
    for through in (Article.topics.through, Topic.specialists.through):
        m2m_changed.connect(
            bump_content_version, sender=through, dispatch_uid=f"pages-m2m-{through.__name__}"
        )
