"""Paying by UPI: the `upi://pay` link of the clinic's merchant UPI ID with the
amount and the reference as the note, and its QR code (segno, as SVG in the
page: no outside service). A static link tells nobody it was paid: reception
records the payment with the UTR the visitor reads out."""

from urllib.parse import urlencode

import segno
from django.utils.safestring import mark_safe


def pay_link(profile, amount, reference):
    """The link, or "" when the clinic has no UPI ID set."""
    if not profile.upi_id or not amount:
        return ""
    query = {"pa": profile.upi_id, "pn": profile.name, "am": f"{amount}.00", "cu": "INR", "tn": reference}
    return "upi://pay?" + urlencode(query)


def qr_svg(link, *, title):
    """The link's QR code as inline SVG, with a title for screen readers."""
    if not link:
        return ""
    # No fixed size: a viewBox, so the stylesheet sizes it whole.
    svg = segno.make(link, error="m").svg_inline(omitsize=True, title=title, dark="#1f2a2e")
    # segno escapes the title; the rest is its own markup. Named by its <title> for screen readers.
    return mark_safe(svg.replace("<svg ", '<svg role="img" ', 1))  # noqa: S308
