"""The shared page cache for anonymous visitors.

Views opt in with `@cache_public_page`. `PageCacheMiddleware` sits right after
WhiteNoise: a hit is answered there, before sessions, CSRF, CSP and the rest
run, with the headers those added when the page was first made (they are the
same for every anonymous visitor). That is what keeps a cached page close to
the speed of a static file.

Every cached page belongs to a "content version". Saving or deleting anything
a public page shows starts a new version (see articles/signals.py), so every
cached page is stale at once and the next visitor sees the change. The version
also knows the next moment a page changes by itself (a scheduled article going
live); from then on the cached pages are stale too, with no job running.

Each worker reads the version from the shared cache at most once every
PAGE_CACHE_VERSION_RECHECK_MS (a tenth of a second by default) and remembers
it in between: a change saved through one worker is seen by that worker at
once and by the others within that time. A hit on a page this worker holds in
memory then costs no cache read at all, otherwise one read for the page; no SQL.
"""

import functools
import hashlib
import logging
import time
from collections import OrderedDict
from functools import wraps
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.cache import cache
from django.db import DatabaseError, transaction
from django.http import HttpResponse, HttpResponseNotModified
from django.utils.cache import get_conditional_response, patch_cache_control, patch_vary_headers
from django.utils.http import quote_etag

logger = logging.getLogger(__name__)

VERSION_KEY = "pages:content-version"
PAGE_TIMEOUT = 60 * 60
# Query parameters that select a different page; any other parameter (a
# campaign tag, a search) is not served from or stored in the cache.
CACHEABLE_PARAMS = {"page"}
# Headers that belong to one response, never to a stored page.
UNSTORED_HEADERS = {"set-cookie", "x-page-cache", "date"}
# Pages each worker also keeps in its own memory (about 30 KB each), so a hit
# reads only the small version from the shared cache.
LOCAL_PAGES = 300
LOCAL_MAX_BYTES = 256 * 1024
# Part of every page key: a release that changes what an entry holds starts
# new keys instead of reading the previous release's entries.
ENTRY_FORMAT = 2

_next_change_sources = []
# Tests replace it to move time on.
_clock = time.monotonic


class _RememberedVersion:
    """The content version this worker last read or started, and when; and
    whether a new version this worker started has yet to reach the shared cache."""

    version = None
    read_at = 0.0
    bump_pending = False

    @classmethod
    def get(cls):
        age = _clock() - cls.read_at
        fresh = 0 <= age < settings.PAGE_CACHE_VERSION_RECHECK_MS / 1000
        if cls.version is not None and fresh and _is_current(cls.version):
            return cls.version
        return None

    @classmethod
    def put(cls, version):
        cls.version = version
        cls.read_at = _clock()

    @classmethod
    def forget(cls):
        cls.version = None


def register_next_change(source):
    """`source()` returns the next time (a datetime, or None) at which public
    pages change without anyone saving anything; articles register their next
    scheduled publication."""
    _next_change_sources.append(source)
    return source


def _new_version():
    times = [moment for source in _next_change_sources if (moment := source()) is not None]
    next_change = min(times).timestamp() if times else None
    return {"token": time.time_ns(), "next_change": next_change}


def _store_new_version(next_change_by=None):
    """Start a new version in the shared cache; `next_change_by` (a timestamp)
    is the latest its next change may be."""
    # Even if the shared cache is down, this worker serves nothing older.
    _RememberedVersion.forget()
    try:
        version = _new_version()
        if next_change_by and next_change_by > time.time():
            version["next_change"] = min(filter(None, (version["next_change"], next_change_by)))
        cache.set(VERSION_KEY, version, None)
        # The Redis backend skips a write it cannot make rather than fail
        # (clinic/cache.py), and Redis may still hold the old version, which
        # would keep every page made before the change current.
        landed = cache.get(VERSION_KEY) == version
    except Exception:
        # A cache that is down must not undo an editor's save.
        logger.exception("Could not start a new page-cache version")
        landed = False
    # Until the shared cache takes a new version, this worker tries again on
    # each request (see current_version).
    _RememberedVersion.bump_pending = not landed
    if landed:
        _RememberedVersion.put(version)


def bump_content_version(**kwargs):
    """Start a new content version (signal receiver friendly). It is started
    again when the transaction commits, so a visitor who filled the cache
    between the change and the commit does not keep the old page.

    The first version's next scheduled change is worked out from rows the
    transaction has not committed; should it roll back, no second version
    follows. So that version keeps the earlier of the old and new times: at
    worst a page is made again once more than needed."""
    previous = cache.get(VERSION_KEY)
    _store_new_version(next_change_by=previous.get("next_change") if isinstance(previous, dict) else None)
    transaction.on_commit(_store_new_version, robust=True)


def _is_current(version):
    # A version stored by an older release (other fields) counts as missing.
    if not isinstance(version, dict) or "next_change" not in version:
        return False
    return not (version["next_change"] and version["next_change"] <= time.time())


def current_version():
    if _RememberedVersion.bump_pending:
        _store_new_version()
    version = _RememberedVersion.get()
    if version is not None:
        return version
    version = cache.get(VERSION_KEY)
    if not _is_current(version):
        version = _new_version()
        cache.set(VERSION_KEY, version, None)
    _RememberedVersion.put(version)
    return version


def _source_digest():
    """The templates and Python code of the project's own apps, read once per
    worker: a release that changes how a page or the booking form is made
    starts new cache keys even when no static file changed."""
    base = Path(settings.BASE_DIR).resolve()
    folders = [base / "templates"] + [
        Path(config.path).resolve()
        for config in apps.get_app_configs()
        if Path(config.path).resolve().is_relative_to(base)
    ]
    digest = hashlib.sha256()
    for folder in folders:
        for path in sorted(folder.rglob("*")):
            if path.suffix in (".html", ".txt", ".py") and path.is_file():
                digest.update(str(path.relative_to(base)).encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()


@functools.cache
def build_token():
    """Pages name their CSS and images by hashed file names, so a deploy with
    new static files starts new cache keys: nobody is served a page that
    points at the previous release's files. The project's templates and code
    do the same for other changes, and PAGE_CACHE_BUILD (e.g. the release's
    commit) for anything else."""
    parts = [str(getattr(settings, "PAGE_CACHE_BUILD", "")), _source_digest()]
    manifest = getattr(staticfiles_storage, "manifest_name", None)
    try:
        if manifest and staticfiles_storage.exists(manifest):
            with staticfiles_storage.open(manifest) as file:
                parts.append(hashlib.sha256(file.read()).hexdigest())
    except OSError:
        logger.warning("No static files manifest to tell releases apart in the page cache")
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


class LocalCopies:
    """A few recent entries in this worker's own memory, oldest dropped first.
    Entries are only ever looked up under keys (or with version checks) that
    change when the content does, so a copy here is served only while the
    version it was made under is current, as far as this worker knows."""

    def __init__(self, size, max_bytes=LOCAL_MAX_BYTES):
        self.size = size
        self.max_bytes = max_bytes
        self.entries = OrderedDict()

    def get(self, key):
        value = self.entries.get(key)
        if value is not None:
            self.entries.move_to_end(key)
        return value

    def put(self, key, value, length=None):
        if (len(value) if length is None else length) > self.max_bytes:
            return
        self.entries[key] = value
        self.entries.move_to_end(key)
        while len(self.entries) > self.size:
            self.entries.popitem(last=False)

    def discard(self, key):
        self.entries.pop(key, None)


def cache_public_page(view):
    """Let anonymous GETs of this view be served from the shared page cache
    (the middleware does the serving and storing)."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        response.public_page = True
        return response

    return wrapper


def _personal_cookies():
    # Pages for these people may differ (a signed-in session, a pending
    # message), so they neither read nor fill the shared cache.
    return (settings.SESSION_COOKIE_NAME, getattr(settings, "MESSAGE_COOKIE_NAME", "messages"))


def serves_shared_pages(request):
    """Whether this visitor may be given a page made for anyone."""
    return settings.PAGE_CACHE and not any(name in request.COOKIES for name in _personal_cookies())


def _is_cacheable_request(request):
    if request.method not in ("GET", "HEAD"):
        return False
    if request.GET and set(request.GET) - CACHEABLE_PARAMS:
        return False
    return serves_shared_pages(request)


def _is_cacheable_response(response):
    vary = {part.strip().lower() for part in response.get("Vary", "").split(",") if part.strip()}
    return (
        getattr(response, "public_page", False)
        and response.status_code == 200
        and not response.cookies
        and not response.streaming
        # Only requests without a session cookie are served from the cache,
        # so "Vary: Cookie" holds for all of them; anything else would not.
        and vary <= {"cookie"}
        and "private" not in response.get("Cache-Control", "")
        and "no-store" not in response.get("Cache-Control", "")
    )


def _page_key(request):
    digest = hashlib.sha256(request.get_full_path().encode()).hexdigest()
    # The scheme and host appear in the page (canonical link, og:url).
    return f"pages:{ENTRY_FORMAT}:{build_token()}:{request.scheme}:{request.get_host()}:{digest}"


def _etag(content):
    return quote_etag(hashlib.md5(content, usedforsecurity=False).hexdigest())


class PageCacheMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.local = LocalCopies(LOCAL_PAGES)
        # Paths whose view is not a public page (the booking form, the
        # admin): no point looking them up again in this worker.
        self.not_pages = LocalCopies(1000)

    def __call__(self, request):
        if not _is_cacheable_request(request) or self.not_pages.get(request.path):
            return self.get_response(request)
        key = _page_key(request)
        try:
            version, entry = self._lookup(key)
        except DatabaseError:
            # Working out the next scheduled change needs the database; the
            # view below meets the same outage and answers with the 503 page.
            return self.get_response(request)
        except Exception:
            # The cache backends absorb outages themselves (clinic/cache.py);
            # anything else going wrong here costs speed, not the page.
            logger.exception("Page cache lookup failed")
            return self.get_response(request)
        if entry is not None:
            return self._answer_hit(request, entry)
        response = self.get_response(request)
        if not getattr(response, "public_page", False) and response.status_code < 400:
            self.not_pages.put(request.path, True, 0)
        if _is_cacheable_response(response):
            self._store(key, version, response)
            response["X-Page-Cache"] = "miss"
            conditional = get_conditional_response(request, etag=response["ETag"], response=response)
            if isinstance(conditional, HttpResponseNotModified):
                return conditional
        return response

    def _lookup(self, key):
        version = current_version()
        local = self.local.get(key)
        if local is not None and local["version"] == version["token"]:
            return version, local
        entry = cache.get(key)
        if entry is None or entry["version"] != version["token"]:
            self.local.discard(key)
            return version, None
        self.local.put(key, entry, len(entry["content"]))
        return version, entry

    def _store(self, key, version, response):
        response["ETag"] = _etag(response.content)
        # Browsers check back every time (a 304 is cheap), so an edit shows at once.
        patch_cache_control(response, public=True, max_age=0, must_revalidate=True)
        # Signed-in staff are served fresh pages; shared caches must not mix them up.
        patch_vary_headers(response, ["Cookie"])
        timeout = PAGE_TIMEOUT
        if version["next_change"]:
            timeout = max(1, min(timeout, int(version["next_change"] - time.time())))
        entry = {
            "version": version["token"],
            "content": response.content,
            "headers": [
                (name, value) for name, value in response.items() if name.lower() not in UNSTORED_HEADERS
            ],
        }
        try:
            cache.set(key, entry, timeout)
        except Exception:
            # The page was made and is correct; a cache that is down only
            # costs speed.
            logger.exception("Could not store a page in the page cache")
            return
        self.local.put(key, entry, len(entry["content"]))

    def _answer_hit(self, request, entry):
        response = HttpResponse(entry["content"])
        for name, value in entry["headers"]:
            response[name] = value
        response["X-Page-Cache"] = "hit"
        return get_conditional_response(request, etag=response["ETag"], response=response)
