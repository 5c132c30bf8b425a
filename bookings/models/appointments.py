from datetime import timedelta

from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from clinic.models import Specialist

from .requests import ConsultationRequest, Mode


class AppointmentQuerySet(models.QuerySet):
    def live(self):
        return self.filter(status=Appointment.Status.BOOKED)

    def today(self):
        return self.live().filter(start__date=timezone.localdate())

    def occupying(self):
        """Appointments that hold the specialist's time: every one not cancelled."""
        return self.exclude(status=Appointment.Status.CANCELLED)

    def overlapping(self, specialist, start, end):
        return self.occupying().filter(specialist=specialist, start__lt=end, end__gt=start)

    def due_for_reminder(self, now=None, within=timedelta(hours=24)):
        now = now or timezone.now()
        return self.live().filter(start__gt=now, start__lte=now + within)


class Appointment(models.Model):
    """Two that are not cancelled never overlap for one specialist: a database
    guard makes sure of it (migrations 0003 and 0004)."""

    class Status(models.TextChoices):
        BOOKED = "booked", _("Booked")
        CANCELLED = "cancelled", _("Cancelled")
        COMPLETED = "completed", _("Completed")
        NO_SHOW = "no_show", _("No-show")

    consultation = models.ForeignKey(
        ConsultationRequest, on_delete=models.CASCADE, related_name="appointments"
    )
    specialist = models.ForeignKey(Specialist, on_delete=models.PROTECT, related_name="appointments")
    start = models.DateTimeField()
    end = models.DateTimeField()
    mode = models.CharField(max_length=10, choices=Mode, default=Mode.IN_CLINIC)
    status = models.CharField(max_length=10, choices=Status, default=Status.BOOKED)
    location = models.CharField(
        "place",
        max_length=200,
        blank=True,
        help_text="For appointments in the clinic: the room or floor the visitor should ask for.",
    )
    video_link = models.URLField(
        blank=True, help_text="For video calls: the meeting link the visitor will use. Sent by email."
    )
    # Raised by every change, so calendar apps replace the event, not add one.
    sequence = models.PositiveIntegerField(default=0, editable=False)
    cancellation_reason = models.CharField(max_length=500, blank=True)
    created = models.DateTimeField(default=timezone.now, editable=False)

    objects = AppointmentQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["start"]
        verbose_name = "appointment"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end__gt=models.F("start")),
                name="bookings_appointment_ends_after_start",
                violation_error_message="An appointment must end after it starts.",
            ),
        ]

    def __str__(self):
        return f"{self.consultation} at {timezone.localtime(self.start):%d %b %Y %H:%M}"

    def get_absolute_url(self):
        return reverse("admin:bookings_appointment_change", args=[self.pk])

    @property
    def duration(self):
        return self.end - self.start

    @property
    def is_live(self):
        return self.status == self.Status.BOOKED
