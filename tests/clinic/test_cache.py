"""The cache of a site on one machine (no REDIS_URL): every gunicorn worker
must see the same entries, so a page invalidated by one is gone for all, and
the booking rate limit counts every worker's requests."""

import subprocess
import sys
import textwrap

import pytest

from clinic.cache import LocalDiskCache


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


def test_workers_share_entries_and_counters(disk_cache, tmp_path):
    disk_cache.set("pages:content-version", {"token": 1}, None)
    assert in_another_process(tmp_path, "print(cache.get('pages:content-version'))").strip() == "{'token': 1}"
    in_another_process(tmp_path, "cache.set('pages:content-version', {'token': 2}, None)")
    assert disk_cache.get("pages:content-version") == {"token": 2}


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


def redis_cache(url):
    return {
        "default": {
            "BACKEND": "clinic.cache.ForgivingRedisCache",
            "LOCATION": url,
            "KEY_PREFIX": "clinic-tests",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }


def book_and_browse(client):
    from tests.bookings.conftest import BOOK_URL, form_data, thanks_url_of
    from tests.factories import ArticleFactory

    article = ArticleFactory()
    for _ in range(2):  # the second round would be served from the cache
        assert client.get("/").status_code == 200
        assert client.get(article.get_absolute_url()).status_code == 200
        assert client.get(BOOK_URL).status_code == 200
    thanks_url_of(client.post(BOOK_URL, form_data()))


@pytest.mark.django_db
def test_the_site_works_and_takes_bookings_while_redis_is_down(settings, client, caplog):
    from bookings.models import ConsultationRequest, OutboundEmail

    settings.CACHES = redis_cache("redis://127.0.0.1:1/0")  # nothing listens there
    book_and_browse(client)
    assert ConsultationRequest.objects.count() == 1
    assert OutboundEmail.objects.count() == 2
    # The first failure pauses this worker's use of Redis: one wait, not one per call.
    assert caplog.text.count("Cache unavailable (ConnectionError)") == 1


@pytest.mark.django_db
def test_pages_are_cached_in_a_real_redis(settings, client):
    import redis

    try:
        redis.Redis.from_url("redis://127.0.0.1:6379/13", socket_connect_timeout=0.5).ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    settings.CACHES = redis_cache("redis://127.0.0.1:6379/13")
    from django.core.cache import cache

    cache.clear()
    book_and_browse(client)
    assert client.get("/")["X-Page-Cache"] == "hit"
    cache.clear()
