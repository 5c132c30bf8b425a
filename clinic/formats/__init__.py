"""Dates and times in the admin: India time in one format everywhere (Django
reads clinic/formats/en/formats.py through FORMAT_MODULE_PATH; code that
formats a time itself calls local_datetime)."""

from django.utils import timezone
from django.utils.formats import date_format


def local_datetime(value):
    """'Mon 30 Nov 2026, 17:05 IST': the admin's one way of writing a moment."""
    return date_format(timezone.localtime(value), "DATETIME_FORMAT")
