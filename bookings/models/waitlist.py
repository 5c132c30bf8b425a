"""The waitlist: visitors for whom no open time suited, told when a matching
time comes free. An offer goes to the earliest matching entries at once; the
first to claim it holds the time, as a visitor choosing it on the form would."""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone

from clinic.models import Mode, Specialist

from .requests import ConsultationRequest, DayPart


def waitlist_expiry():
    return timezone.now() + timedelta(days=settings.WAITLIST_DAYS)


class WaitlistEntryQuerySet(models.QuerySet):
    def waiting(self, now=None):
        return self.filter(status=WaitlistEntry.Status.WAITING, expires_at__gt=now or timezone.now())

    def matching(self, specialist, start):
        """Entries a time with this specialist suits: their specialist (or anyone),
        a way of meeting the specialist offers, the weekday and part of day."""
        local = timezone.localtime(start)
        return self.filter(
            models.Q(specialist=specialist) | models.Q(specialist__isnull=True),
            mode__in=[mode.value for mode in specialist.modes],
            weekdays__contains=str(local.weekday()),
            day_parts__contains=DayPart.of(local.time()),
        ).order_by("created")


class WaitlistEntry(models.Model):
    class Status(models.TextChoices):
        WAITING = "waiting", "Waiting"
        BOOKED = "booked", "Took an offered time"
        WITHDRAWN = "withdrawn", "Withdrawn"

    consultation = models.ForeignKey(ConsultationRequest, on_delete=models.CASCADE, related_name="waitlist")
    specialist = models.ForeignKey(
        Specialist, null=True, blank=True, on_delete=models.CASCADE, help_text="Empty: anyone."
    )
    mode = models.CharField(max_length=10, choices=Mode)
    # Clinic weekdays (0 is Monday) and parts of the day (bookings.models.DayPart) that suit, comma-separated.
    weekdays = models.CharField(
        max_length=20, help_text="Weekdays that suit, 0 (Monday) to 6, comma-separated."
    )
    day_parts = models.CharField(max_length=40, help_text="morning, afternoon, evening, comma-separated.")
    status = models.CharField(max_length=10, choices=Status, default=Status.WAITING)
    created = models.DateTimeField(default=timezone.now, editable=False)
    expires_at = models.DateTimeField(default=waitlist_expiry)

    objects = WaitlistEntryQuerySet.as_manager()

    class Meta:
        ordering = ["created"]
        verbose_name = "waitlist entry"
        verbose_name_plural = "waitlist"

    def __str__(self):
        return f"{self.consultation} ({self.get_status_display().lower()})"


class WaitlistOffer(models.Model):
    """A freed time offered to one entry; claimed by at most one visitor."""

    entry = models.ForeignKey(WaitlistEntry, on_delete=models.CASCADE, related_name="offers")
    specialist = models.ForeignKey(Specialist, on_delete=models.CASCADE)
    start = models.DateTimeField()
    end = models.DateTimeField()
    created = models.DateTimeField(default=timezone.now, editable=False)
    expires_at = models.DateTimeField()
    claimed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created"]

    def __str__(self):
        return f"Offer to {self.entry.consultation}"

    @property
    def is_open(self):
        return self.claimed_at is None and self.expires_at > timezone.now()
