"""Public pages, cached by Django's cache middleware (settings.MIDDLEWARE).

Views opt in with `@public_page`: their pages for anonymous visitors say
`Cache-Control: public, max-age=N`, and the middleware, proxies and browsers
keep them that long: PAGE_CACHE_SECONDS, never past the next scheduled
publication. Saving anything a public page shows empties the cache
(`empty_page_cache`; what counts is listed in articles/signals.py)."""

from functools import wraps
from math import ceil

from django.conf import settings
from django.core.cache import caches
from django.db import transaction
from django.utils import timezone
from django.utils.cache import add_never_cache_headers, patch_cache_control
from django.utils.module_loading import import_string
from django.views.decorators.vary import vary_on_cookie


def page_lifetime():
    """Seconds a page made now may be kept (0: not at all)."""
    seconds = settings.PAGE_CACHE_SECONDS
    next_change = import_string(settings.PAGE_CACHE_NEXT_CHANGE)()
    if next_change is not None:
        seconds = min(seconds, ceil((next_change - timezone.now()).total_seconds()))
    return max(seconds, 0)


def public_page(view):
    """Let the view's pages for anonymous visitors be cached (Vary: Cookie keeps
    visitors with a pending message apart)."""

    @wraps(view)
    def view_with_lifetime(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        if request.user.is_authenticated:
            # Staff see their own edits at once, and their pages are kept nowhere.
            add_never_cache_headers(response)
        elif response.status_code == 200:
            patch_cache_control(response, public=True, max_age=page_lifetime())
        return response

    return vary_on_cookie(view_with_lifetime)


def empty_page_cache(**kwargs):
    """Forget every cached page, now and again when the transaction commits: a
    page made in between, from the rows as they were, must not stay."""
    pages = caches[settings.CACHE_MIDDLEWARE_ALIAS]
    pages.clear()
    transaction.on_commit(pages.clear, robust=True)
