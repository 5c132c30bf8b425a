from urllib.parse import urlencode

from django.urls import reverse


def booking_url(topic_slug="", article_slug=""):
    """The booking form, prefilled with the topic and the article the reader came from."""
    base = reverse("bookings:book")
    params = {key: value for key, value in (("topic", topic_slug), ("article", article_slug)) if value}
    return f"{base}?{urlencode(params)}" if params else base
