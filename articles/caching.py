"""A shared page cache for anonymous readers.

Every cached page belongs to a "content version". Saving or deleting anything
a public page shows (articles, topics, references, specialists, the clinic
profile) starts a new version, so every cached page is stale at once and the
next reader sees the change. The version also knows when the next scheduled
article goes live; from that moment the cached pages are stale too, so a
scheduled article appears on time with no job running.

A hit costs one round trip to the cache (the version and the page together)
and no SQL.
"""

import functools
import hashlib
import logging
import time
from functools import wraps

from django.conf import settings
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.cache import cache
from django.db import transaction
from django.http import HttpResponse, HttpResponseNotModified
from django.utils import timezone
from django.utils.cache import get_conditional_response, patch_cache_control, patch_vary_headers
from django.utils.http import quote_etag

logger = logging.getLogger(__name__)

VERSION_KEY = "pages:content-version"
PAGE_TIMEOUT = 60 * 60
# Query parameters that select a different page; any other parameter (a
# campaign tag, a search) is not served from or stored in the cache.
CACHEABLE_PARAMS = {"page"}


def _personal_cookies():
    # Pages for these people may differ (a signed-in session, a pending
    # message), so they neither read nor fill the shared cache.
    return (settings.SESSION_COOKIE_NAME, getattr(settings, "MESSAGE_COOKIE_NAME", "messages"))


def _new_version():
    from .models import Article

    next_publish = (
        Article.objects.scheduled().order_by("publish_at").values_list("publish_at", flat=True).first()
    )
    return {"token": time.time_ns(), "next_publish": next_publish.timestamp() if next_publish else None}


def _store_new_version():
    try:
        cache.set(VERSION_KEY, _new_version(), None)
    except Exception:
        # A cache that is down must not undo an editor's save; pages are
        # re-rendered once it is back, as the stored version is gone with it.
        logger.exception("Could not start a new page-cache version")


def bump_content_version(**kwargs):
    """Start a new content version (signal receiver friendly). It is started
    again when the transaction commits, so a reader who filled the cache
    between the change and the commit does not keep the old page."""
    _store_new_version()
    transaction.on_commit(_store_new_version, robust=True)


def current_version(version=None):
    if version is None:
        version = cache.get(VERSION_KEY)
    if version is None or (version["next_publish"] and version["next_publish"] <= time.time()):
        version = _new_version()
        cache.set(VERSION_KEY, version, None)
    return version


@functools.cache
def build_token():
    """Pages name their CSS and images by hashed file names, so a deploy with
    new static files starts new cache keys: nobody is served a page that
    points at the previous release's files. PAGE_CACHE_BUILD (e.g. the
    release's commit) does the same for template-only changes."""
    parts = [str(getattr(settings, "PAGE_CACHE_BUILD", ""))]
    manifest = getattr(staticfiles_storage, "manifest_name", None)
    try:
        if manifest and staticfiles_storage.exists(manifest):
            with staticfiles_storage.open(manifest) as file:
                parts.append(hashlib.sha256(file.read()).hexdigest())
    except OSError:
        logger.warning("No static files manifest to tell releases apart in the page cache")
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


def _page_key(request):
    digest = hashlib.sha256(request.get_full_path().encode()).hexdigest()
    return f"pages:{build_token()}:{request.get_host()}:{digest}"


def _is_cacheable_request(request):
    if request.method not in ("GET", "HEAD"):
        return False
    if set(request.GET) - CACHEABLE_PARAMS:
        return False
    return not any(name in request.COOKIES for name in _personal_cookies())


def _is_cacheable_response(response):
    return (
        response.status_code == 200
        and not response.cookies
        and not response.streaming
        and not response.has_header("Vary")
        and "private" not in response.get("Cache-Control", "")
        and "no-store" not in response.get("Cache-Control", "")
    )


def _etag(content):
    return quote_etag(hashlib.md5(content, usedforsecurity=False).hexdigest())


def _answer(request, response, etag):
    response["ETag"] = etag
    # Browsers check back every time (a 304 is cheap), so an edit shows at once.
    patch_cache_control(response, public=True, max_age=0, must_revalidate=True)
    # Signed-in staff are served fresh pages; shared caches must not mix them up.
    patch_vary_headers(response, ["Cookie"])
    return get_conditional_response(request, etag=etag, response=response)


def cache_public_page(view):
    """Serve anonymous GETs of a public page from the shared cache, with an
    ETag and 304 answers to conditional requests."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not settings.PAGE_CACHE or not _is_cacheable_request(request):
            return view(request, *args, **kwargs)
        key = _page_key(request)
        found = cache.get_many([VERSION_KEY, key])
        version = current_version(found.get(VERSION_KEY))
        entry = found.get(key)
        if entry and entry["version"] == version["token"]:
            response = HttpResponse(entry["content"], content_type=entry["content_type"])
            response["X-Page-Cache"] = "hit"
            if entry.get("robots"):
                response["X-Robots-Tag"] = entry["robots"]
            return _answer(request, response, entry["etag"])

        response = view(request, *args, **kwargs)
        if hasattr(response, "render") and callable(response.render):
            response = response.render()
        if not _is_cacheable_response(response):
            return response
        etag = _etag(response.content)
        timeout = PAGE_TIMEOUT
        if version["next_publish"]:
            timeout = max(1, min(timeout, int(version["next_publish"] - time.time())))
        cache.set(
            key,
            {
                "version": version["token"],
                "content": response.content,
                "content_type": response["Content-Type"],
                "etag": etag,
                "robots": response.get("X-Robots-Tag"),
                "stored": timezone.now().isoformat(),
            },
            timeout,
        )
        response["X-Page-Cache"] = "miss"
        answer = _answer(request, response, etag)
        return answer if isinstance(answer, HttpResponseNotModified) else response

    return wrapper
