"""The bookings admin, one module per concept; importing them registers them."""

from . import appointments, requests, schedule, waitlist  # noqa: F401
