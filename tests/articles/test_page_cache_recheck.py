"""Each worker remembers the content version for PAGE_CACHE_VERSION_RECHECK_MS
between reads of the shared cache (the rest of the suite reads it on every
request). A change saved through another worker shows within that time; one
saved through this worker, or a scheduled article going live, shows at once.
Also here: a new version the shared cache did not take, and one started in a
transaction that rolled back."""

import datetime
import time

import pytest
from django.core.cache import cache
from django.core.cache.backends.locmem import LocMemCache
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from articles.models import Article
from clinic import page_cache
from tests.factories import ArticleFactory

pytestmark = pytest.mark.django_db


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


@pytest.fixture
def clock(monkeypatch, settings, clinic_profile):
    settings.PAGE_CACHE_VERSION_RECHECK_MS = 100
    clock = Clock()
    monkeypatch.setattr(page_cache, "_clock", clock)
    page_cache._RememberedVersion.forget()
    yield clock
    page_cache._RememberedVersion.forget()


def saved_by_another_worker(article, title):
    """What another worker's save leaves behind: the row changed and a new
    version in the shared cache; this worker's memory knows nothing of it."""
    Article.objects.filter(pk=article.pk).update(title=title)
    cache.set(page_cache.VERSION_KEY, page_cache._new_version(), None)


def test_a_change_from_another_worker_shows_within_the_recheck_time(client, article, clock):
    assert client.get(article.get_absolute_url())["X-Page-Cache"] == "miss"
    saved_by_another_worker(article, "Panic attacks: what helps")

    clock.now += 0.099
    within = client.get(article.get_absolute_url())
    assert within["X-Page-Cache"] == "hit"
    assert "Panic attacks: what helps" not in within.content.decode()

    clock.now += 0.002
    after = client.get(article.get_absolute_url())
    assert after["X-Page-Cache"] == "miss"
    assert "Panic attacks: what helps" in after.content.decode()


def test_a_change_saved_through_this_worker_shows_at_once(client, article, clock):
    client.get(article.get_absolute_url())
    assert client.get(article.get_absolute_url())["X-Page-Cache"] == "hit"
    article.title = "Panic attacks: what helps"
    article.save()
    page = client.get(article.get_absolute_url())
    assert page["X-Page-Cache"] == "miss"
    assert "Panic attacks: what helps" in page.content.decode()


def test_a_scheduled_article_goes_live_on_time_within_the_recheck_time(client, article, clock):
    assert client.get(reverse("articles:list")).status_code == 200  # warm: templates compiled
    publish_at = timezone.now() + datetime.timedelta(seconds=1)
    ArticleFactory(title="Coming soon", publish_at=publish_at)
    assert "Coming soon" not in client.get(reverse("articles:list")).content.decode()
    assert client.get(reverse("articles:list"))["X-Page-Cache"] == "hit"
    # The remembered version never expires here (the clock stands still), but
    # it knows when the next article goes live.
    time.sleep(max(0, (publish_at - timezone.now()).total_seconds()) + 0.01)
    assert "Coming soon" in client.get(reverse("articles:list")).content.decode()


class SkippingCache(LocMemCache):
    """A shared cache that, while `skipping`, leaves writes undone without an
    error, as the Redis backend does while Redis does not answer."""

    skipping = False

    def set(self, *args, **kwargs):
        if not SkippingCache.skipping:
            super().set(*args, **kwargs)


def test_a_version_the_shared_cache_skipped_is_stored_on_the_next_request(
    client, article, clinic_profile, settings
):
    settings.CACHES = {"default": {"BACKEND": f"{__name__}.SkippingCache"}}
    url = article.get_absolute_url()
    client.get(url)
    assert client.get(url)["X-Page-Cache"] == "hit"
    SkippingCache.skipping = True
    try:
        article.title = "Panic attacks: what helps"
        article.save()  # both new versions are skipped
    finally:
        SkippingCache.skipping = False
    # The cache answers again and still holds the old version and page.
    page = client.get(url)
    assert page["X-Page-Cache"] == "miss"
    assert "Panic attacks: what helps" in page.content.decode()


def test_a_rolled_back_reschedule_keeps_the_earlier_publication_time(client, article, clinic_profile):
    publish_at = timezone.now() + datetime.timedelta(seconds=1)
    scheduled = ArticleFactory(title="Coming soon", publish_at=publish_at)
    with pytest.raises(RuntimeError), transaction.atomic():
        scheduled.publish_at = timezone.now() + datetime.timedelta(days=7)
        scheduled.save()  # its new version is worked out from this uncommitted row
        raise RuntimeError("a later step of the same save fails")
    assert "Coming soon" not in client.get(reverse("articles:list")).content.decode()
    assert client.get(reverse("articles:list"))["X-Page-Cache"] == "hit"
    time.sleep(max(0, (publish_at - timezone.now()).total_seconds()) + 0.01)
    assert "Coming soon" in client.get(reverse("articles:list")).content.decode()
