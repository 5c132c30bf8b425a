"""What the front desk records: payments against appointments, each with a
receipt numbered in an unbroken series per financial year (April to March)."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords

from .appointments import Appointment


def financial_year(moment):
    """'2026-27' for any day from 1 April 2026 to 31 March 2027 (clinic time)."""
    day = timezone.localdate(moment)
    first = day.year if day.month >= 4 else day.year - 1
    return f"{first}-{(first + 1) % 100:02d}"


class ReceiptCounter(models.Model):
    """The last receipt number given in a financial year; taken under a row lock."""

    financial_year = models.CharField(max_length=7, unique=True)
    last_number = models.PositiveIntegerField(default=0)

    def __str__(self):
        return f"{self.financial_year}: {self.last_number}"


class Payment(models.Model):
    class Method(models.TextChoices):
        UPI = "upi", "UPI"
        CASH = "cash", "Cash"
        CARD = "card", "Card"
        WAIVED = "waived", "Waived"

    appointment = models.ForeignKey(Appointment, on_delete=models.PROTECT, related_name="payments")
    amount = models.PositiveIntegerField("amount (₹)")
    method = models.CharField(max_length=10, choices=Method)
    utr = models.CharField(
        "UPI reference (UTR)",
        max_length=30,
        blank=True,
        help_text="The 12-digit reference the visitor reads out.",
    )
    note = models.CharField(max_length=200, blank=True, help_text="Why a fee was waived or changed.")
    taken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, editable=False
    )
    taken_at = models.DateTimeField(default=timezone.now, editable=False)
    financial_year = models.CharField(max_length=7, editable=False)
    receipt_number = models.PositiveIntegerField(editable=False)
    # A correction changes the payment in place; its history keeps what was recorded before.
    history = HistoricalRecords()

    class Meta:
        ordering = ["taken_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["financial_year", "receipt_number"], name="bookings_payment_receipt_unique"
            )
        ]

    def __str__(self):
        return f"Receipt {self.receipt}"

    @property
    def receipt(self):
        return f"{self.financial_year}/{self.receipt_number}"
