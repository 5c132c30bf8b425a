"""Absolute links: the one place that turns a path into a full address."""

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.sitemaps import Sitemap


def absolute_url(path="/"):
    """`path` on the site's public address (SITE_URL), whatever Host a client sent."""
    return settings.SITE_URL.rstrip("/") + path


def site_domain():
    """The public host name (for Message-IDs and calendar UIDs): never "localhost"."""
    return urlsplit(settings.SITE_URL).hostname


class SiteURLSitemap(Sitemap):
    """Entries on SITE_URL (Django's own would use the request's Host)."""

    # Pages that exist in both languages (/x and /hi/x) are listed in each, with
    # hreflang alternates; articles list their own versions (articles/sitemaps.py).
    i18n = True
    alternates = True
    x_default = True

    def get_protocol(self, protocol=None):
        return urlsplit(settings.SITE_URL).scheme

    def get_domain(self, site=None):
        return urlsplit(settings.SITE_URL).netloc
