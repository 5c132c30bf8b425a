"""The empty booking form page, made once and reused.

Rendering the form through crispy takes about 300 small template renders
(tens of milliseconds). Yet the empty page is the same for every visitor who
arrives by the same link, except in a few places: the CSRF token, the
one-time submission key, and the hidden fields a link fills in (the article
the visitor came from, campaign tags). So the page is made once per link
(topic and specialist), content version and release, with a placeholder in
each of those places, and kept in the cache; every visitor gets a copy with
their own values put in, escaped. A form sent back with errors is rendered in
full as usual.
"""

import re

from django.core.cache import cache
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.utils.html import escape

from articles.models import Topic
from clinic.models import Specialist
from clinic.page_cache import ENTRY_FORMAT, LocalCopies, build_token, current_version

from .forms import UTM_FIELDS, ConsultationRequestForm

TIMEOUT = 60 * 60
FIELD_HOLES = ("submission_key", "source_article", *UTM_FIELDS)
# The same in every worker and release, since any of them may fill in a page
# another one made; HTML escaping leaves it alone. A visitor who types it into
# a link gains nothing: values are put in by one pass over the stored page,
# and what is put in is never read again.
_MARK = "booking-form-hole"
_HOLE_RE = re.compile(_MARK + r"_([a-z_]+)_")
_local = LocalCopies(size=50)


def _hole(name):
    return f"{_MARK}_{name}_"


def _remembered(key, make):
    """From this worker's memory, else the shared cache, else made now and
    kept in both."""
    value = _local.get(key)
    if value is None:
        value = cache.get(key)
        if value is None:
            value = make()
            cache.set(key, value, TIMEOUT)
        _local.put(key, value)
    return value


def _known_slugs(token):
    """The topics and specialists a link may preselect, for this version."""
    return _remembered(
        f"bookings:form-slugs:{token}",
        lambda: {
            "concern": set(Topic.objects.order_by().values_list("slug", flat=True)),
            "preferred_specialist": set(
                Specialist.objects.bookable().order_by().values_list("slug", flat=True)
            ),
        },
    )


def _page_key(request, token, choices):
    parts = [str(ENTRY_FORMAT), build_token(), str(token), request.scheme, request.get_host(), *choices]
    return "bookings:form-page:" + ":".join(parts)


def render_empty_form(view, request):
    """The booking page with an empty form prefilled from the link, as
    `view` would render it."""
    initial = view.get_initial()
    token = current_version()["token"]
    known = _known_slugs(token)
    # A slug that names nothing preselects nothing, so it shares the plain page.
    choices = [initial.get(name) if initial.get(name) in known[name] else "" for name in known]

    def make_shell():
        shell_initial = {
            **dict(zip(known, choices, strict=True)),
            **{name: _hole(name) for name in FIELD_HOLES},
        }
        context = view.get_context_data(form=ConsultationRequestForm(initial=shell_initial))
        context["csrf_token"] = _hole("csrf_token")
        return render_to_string(view.template_name, context, request=request)

    shell = _remembered(_page_key(request, token, choices), make_shell)
    values = {
        "csrf_token": get_token(request),
        **{name: initial.get(name, "") for name in FIELD_HOLES},
    }
    return HttpResponse(_HOLE_RE.sub(lambda match: escape(values[match[1]]), shell))
