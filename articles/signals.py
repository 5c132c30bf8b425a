"""Cache invalidation only: anything a public page shows starts a new content
version when it changes (see clinic/page_cache.py)."""

from django.db.models.signals import m2m_changed, post_delete, post_save

from clinic.models import ClinicProfile, Specialist
from clinic.page_cache import bump_content_version, register_next_change

from .models import Article, Reference, SlugRedirect, Topic

CONTENT_MODELS = (Article, Topic, Reference, SlugRedirect, Specialist, ClinicProfile)


def next_publication():
    """When the next scheduled article goes live: cached pages go stale then."""
    return Article.objects.scheduled().order_by("publish_at").values_list("publish_at", flat=True).first()


def connect():
    register_next_change(next_publication)
    for model in CONTENT_MODELS:
        for signal in (post_save, post_delete):
            signal.connect(
                bump_content_version, sender=model, dispatch_uid=f"pages-{signal}-{model.__name__}"
            )
    for through in (Article.topics.through, Topic.specialists.through):
        m2m_changed.connect(
            bump_content_version, sender=through, dispatch_uid=f"pages-m2m-{through.__name__}"
        )
