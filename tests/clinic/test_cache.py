"""The cache of a site on one machine (no REDIS_URL): every gunicorn worker
must see the same entries, so a page invalidated by one is gone for all, and
the booking rate limit counts every worker's requests."""

import subprocess
import sys
import textwrap

import pytest
from django.core.cache import caches

from clinic.cache import LocalDiskCache
from clinic.settings.base import redis_caches


@pytest.fixture
def disk_cache(tmp_path):
    cache = LocalDiskCache(str(tmp_path), {})
    yield cache
    cache._cache.close()


def worker_command(location, code):
    """A Python process (standing in for a gunicorn worker) with its own
    handle on the same cache."""
    script = textwrap.dedent(f"""
        from clinic.cache import LocalDiskCache
        cache = LocalDiskCache({str(location)!r}, {{}})
    """) + textwrap.dedent(code)
    return [sys.executable, "-c", script]


def in_another_process(location, code):
    return subprocess.run(worker_command(location, code), capture_output=True, text=True, check=True).stdout


def test_workers_share_entries_and_emptying(disk_cache, tmp_path):
    disk_cache.set("page", "one", None)
    assert in_another_process(tmp_path, "print(cache.get('page'))").strip() == "one"
    in_another_process(tmp_path, "cache.clear()")
    assert disk_cache.get("page") is None


def test_counters_do_not_lose_increments_between_processes(disk_cache, tmp_path):
    disk_cache.add("hits", 0, 60)
    code = "for _ in range(200): cache.incr('hits')"
    workers = [subprocess.Popen(worker_command(tmp_path, code)) for _ in range(3)]
    assert [worker.wait(timeout=60) for worker in workers] == [0, 0, 0]
    assert disk_cache.get("hits") == 600


def test_it_stays_usable_after_django_closes_caches_at_the_end_of_a_request(disk_cache):
    disk_cache.set("key", "value", 60)
    disk_cache.close()
    assert disk_cache.get("key") == "value"
    disk_cache.set("key", "other", 60)
    assert disk_cache.get("key") == "other"


def book_and_browse(client):
    from tests.bookings.conftest import BOOK_URL, form_data, thanks_url_of
    from tests.factories import ArticleFactory

    article = ArticleFactory()
    for _ in range(2):  # the second round would be served from the cache
        assert client.get("/").status_code == 200
        assert client.get(article.get_absolute_url()).status_code == 200
        assert client.get(BOOK_URL).status_code == 200
    thanks_url_of(client.post(BOOK_URL, form_data()))
    return article


@pytest.mark.django_db
def test_the_site_works_and_takes_bookings_while_redis_is_down(settings, client):
    from bookings.models import ConsultationRequest
    from messaging.models import OutgoingMessage

    settings.CACHES = redis_caches("redis://127.0.0.1:1/0")  # nothing listens there
    settings.BOOKING_RATE_LIMIT = "1/h"  # the limit cannot be counted: it lets requests by
    book_and_browse(client)
    from tests.bookings.conftest import BOOK_URL, form_data, thanks_url_of

    thanks_url_of(client.post(BOOK_URL, form_data()))
    assert ConsultationRequest.objects.count() == 2
    assert OutgoingMessage.objects.count() == 4


@pytest.fixture
def real_redis(settings):
    import redis

    url = "redis://127.0.0.1:6379/10"  # pages in database 11
    try:
        redis.Redis.from_url(url, socket_connect_timeout=0.5).ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    settings.CACHES = redis_caches(url)
    for cache in caches.all():
        cache.clear()
    yield
    for cache in caches.all():
        cache.clear()


@pytest.mark.django_db
def test_pages_are_cached_in_a_real_redis_and_emptied_on_save(real_redis, client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    article = book_and_browse(client)
    with CaptureQueriesContext(connection) as queries:
        client.get(article.get_absolute_url())
    assert len(queries) == 0
    assert caches["default"].get("rate-limit-survives") is None
    caches["default"].set("rate-limit-survives", 1, 60)
    article.title = "Edited while cached"
    article.save()
    assert "Edited while cached" in client.get(article.get_absolute_url()).content.decode()
    # Emptying the pages leaves the other cache (rate limits) alone.
    assert caches["default"].get("rate-limit-survives") == 1
