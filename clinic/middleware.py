import logging
import time
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import logout
from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import HttpResponse, HttpResponsePermanentRedirect
from django.middleware.locale import LocaleMiddleware
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from .links import absolute_url

logger = logging.getLogger(__name__)

LOGIN_STARTED_KEY = "staff_login_started"


class StaffSessionLimitMiddleware:
    """Ends a staff session 12 hours after login, however active it is."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if settings.SESSION_COOKIE_NAME not in request.COOKIES:
            # No session, nobody signed in; looking would load an empty
            # session and mark every anonymous response "Vary: Cookie".
            return self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            started = request.session.setdefault(LOGIN_STARTED_KEY, int(time.time()))
            if time.time() - started > settings.STAFF_SESSION_MAX_HOURS * 3600:
                logout(request)
                return redirect(reverse("admin:login"))
        return self.get_response(request)


class DatabaseUnavailableMiddleware:
    """When the database is down, the site's own 503 page instead of a traceback."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, OperationalError | InterfaceError) or (
            isinstance(exception, DatabaseError) and "connection" in str(exception).lower()
        ):
            logger.error("Database unavailable: %s", type(exception).__name__)
            html = render_to_string("503.html")
            response = HttpResponse(html, status=503)
            response["Retry-After"] = "30"
            return response
        return None


class CanonicalHostMiddleware:
    """With REDIRECT_TO_SITE_URL, other hosts are sent to SITE_URL, so caches hold
    one copy of each page; the load balancer's health check is answered anywhere."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if (
            settings.REDIRECT_TO_SITE_URL
            and request.path != reverse("healthz")
            and request.get_host() != urlsplit(settings.SITE_URL).netloc
        ):
            return HttpResponsePermanentRedirect(absolute_url(request.get_full_path()))
        return self.get_response(request)


class RequestSizeLimitMiddleware:
    """Refuses an oversized body (413) before anything reads it: Django's own
    limit counts form fields only, not uploaded files."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0  # as Django reads a malformed length: no body
        if length > settings.MAX_REQUEST_BYTES:
            return HttpResponse(render_to_string("errors/413.html"), status=413)
        return self.get_response(request)


class PathLocaleMiddleware(LocaleMiddleware):
    """Django's LocaleMiddleware for a site whose language is in the path alone:
    English unprefixed, Hindi under /hi/. Neither a cookie nor Accept-Language
    changes a page, so it does not say `Vary: Accept-Language`, and one cached
    English page serves every visitor."""

    def process_response(self, request, response):
        response.headers.setdefault("Content-Language", translation.get_language())
        return response
