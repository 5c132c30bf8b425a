from urllib.parse import urlencode

from django.urls import NoReverseMatch, reverse


def booking_url(topic_slug="", article_slug=""):
    """The booking form, prefilled with the topic and the article the reader
    came from. The one place that knows where the form lives."""
    try:
        base = reverse("bookings:book")
    except NoReverseMatch:
        base = "/book/"
    params = {key: value for key, value in (("topic", topic_slug), ("article", article_slug)) if value}
    return f"{base}?{urlencode(params)}" if params else base


def about_url():
    try:
        return reverse("clinic:about")
    except NoReverseMatch:
        return "/"
