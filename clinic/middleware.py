import logging
import time

from csp.constants import HEADER as CSP_HEADER
from csp.middleware import CheckableLazyObject, CSPMiddleware
from csp.utils import build_policy
from django.conf import settings
from django.contrib.auth import logout
from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.urls import reverse

logger = logging.getLogger(__name__)

LOGIN_STARTED_KEY = "staff_login_started"


class StaffSessionLimitMiddleware:
    """Ends a staff session 12 hours after login, however active it is.
    (Idle sessions already end with the cookie's 30-minute age.)"""

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
    """When the database is down, visitors get the site's own 503 page (and the
    load balancer a 503) instead of a traceback; the next request after it is
    back reconnects by itself."""

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


class SitePolicyCSPMiddleware(CSPMiddleware):
    """django-csp's middleware, with the site-wide policy built once per worker.

    django-csp builds the header anew for every response (twice, with the
    report-only one), which is a good share of a fast page's time. Most
    responses carry the site-wide policy unchanged; those that do not (a view
    with its own policy through django-csp's decorators, a nonce, an exempt
    view) go through django-csp as usual."""

    _PER_RESPONSE = (
        "_csp_config",
        "_csp_update",
        "_csp_replace",
        "_csp_config_ro",
        "_csp_update_ro",
        "_csp_replace_ro",
    )

    _NOT_BUILT = object()

    def __init__(self, get_response):
        super().__init__(get_response)
        self._built_for = self._NOT_BUILT
        self._policy = ""

    def _site_policy(self):
        policy = getattr(settings, "CONTENT_SECURITY_POLICY", None)
        if policy is not self._built_for:  # built again when tests change the setting
            self._policy, self._built_for = build_policy(), policy
        return self._policy

    def _uses_site_policy(self, request, response):
        policy = getattr(settings, "CONTENT_SECURITY_POLICY", None) or {}
        return (
            not settings.DEBUG
            and not getattr(settings, "CONTENT_SECURITY_POLICY_REPORT_ONLY", None)
            and not policy.get("EXCLUDE_URL_PREFIXES")
            and getattr(request, "_csp_nonce", None) is None
            and not getattr(response, "_csp_exempt", False)
            and all(getattr(response, name, None) is None for name in self._PER_RESPONSE)
        )

    def process_response(self, request, response):
        if not self._uses_site_policy(request, response):
            return super().process_response(request, response)
        if CSP_HEADER not in response and (policy := self._site_policy()):
            response[CSP_HEADER] = policy
        # As django-csp does: a nonce asked for after this point is an error.
        request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)
        return response


class RequestSizeLimitMiddleware:
    """Refuses a body larger than DJANGO_MAX_REQUEST_BYTES (413) before anything
    reads it. Django's own limit counts form fields only, not uploaded files,
    and only while it parses the body."""

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
