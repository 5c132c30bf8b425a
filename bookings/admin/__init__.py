"""The bookings admin, one module per concept; importing them registers them."""

from . import appointments, emails, requests, schedule  # noqa: F401
