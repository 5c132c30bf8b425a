"""Absolute links: the one place that turns a path into a full address."""

from django.conf import settings


def absolute_url(path="/"):
    """`path` on the site's public address (SITE_URL), whatever Host a client sent."""
    return settings.SITE_URL.rstrip("/") + path
