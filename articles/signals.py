"""What public pages show: saving or deleting any of it, from the admin or from
code, empties the page cache (clinic/caching.py)."""

from django.db.models.signals import m2m_changed, post_delete, post_save

from clinic.caching import empty_page_cache
from clinic.models import ClinicProfile, Specialist

from .models import Article, Reference, SlugRedirect, Topic

PUBLIC_CONTENT = (Article, Topic, Reference, SlugRedirect, Specialist, ClinicProfile)


def connect():
    for model in PUBLIC_CONTENT:
        post_save.connect(empty_page_cache, sender=model, dispatch_uid=f"pages-save-{model.__name__}")
        post_delete.connect(empty_page_cache, sender=model, dispatch_uid=f"pages-delete-{model.__name__}")
    for through in (Article.topics.through, Topic.specialists.through):
        m2m_changed.connect(empty_page_cache, sender=through, dispatch_uid=f"pages-m2m-{through.__name__}")
