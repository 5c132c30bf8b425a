from datetime import timedelta

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from clinic.formats import local_datetime
from clinic.models import ClinicProfile, Mode, Specialist

from .requests import ConsultationRequest


def hold_duration():
    """How long a chosen time is held for staff to confirm: BOOKING_HOLD_HOURS,
    else the clinic's response-time promise."""
    hours = settings.BOOKING_HOLD_HOURS
    if hours is None:
        hours = ClinicProfile.load().response_time_hours
    return timedelta(hours=hours)


class AppointmentQuerySet(models.QuerySet):
    def live(self):
        """Confirmed."""
        return self.filter(status=Appointment.Status.BOOKED)

    def held(self):
        """Chosen by a visitor, awaiting confirmation by staff."""
        return self.filter(status=Appointment.Status.HELD)

    def current(self):
        """Held or confirmed."""
        return self.filter(status__in=[Appointment.Status.HELD, Appointment.Status.BOOKED])

    def expired_holds(self, now=None):
        return self.held().filter(created__lt=(now or timezone.now()) - hold_duration())

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
    """Two that are not cancelled (held ones included) never overlap for one
    specialist: a database guard makes sure of it (migrations 0003 and 0004)."""

    class Status(models.TextChoices):
        HELD = "held", _("Awaiting confirmation")
        BOOKED = "booked", _("Confirmed")
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
        # Open times and the overlap guard look for a specialist's appointments
        # that end after a moment: the recent ones, out of years of them.
        indexes = [models.Index(fields=["specialist", "end"], name="bookings_appt_spec_end_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end__gt=models.F("start")),
                name="bookings_appointment_ends_after_start",
                violation_error_message="An appointment must end after it starts.",
            ),
        ]

    def __str__(self):
        return f"{self.consultation} at {local_datetime(self.start)}"

    def get_absolute_url(self):
        return reverse("admin:bookings_appointment_change", args=[self.pk])

    @property
    def duration(self):
        return self.end - self.start

    @property
    def is_live(self):
        """Confirmed."""
        return self.status == self.Status.BOOKED

    @property
    def is_held(self):
        return self.status == self.Status.HELD

    @property
    def is_current(self):
        return self.status in (self.Status.HELD, self.Status.BOOKED)

    @property
    def expires_at(self):
        """When a hold nobody confirmed is released; None for other statuses."""
        return self.created + hold_duration() if self.is_held else None

    @property
    def changeable_by_visitor(self):
        """May the visitor still move or cancel it (BOOKING_CHANGE_CUTOFF_HOURS)?"""
        cutoff = timedelta(hours=settings.BOOKING_CHANGE_CUTOFF_HOURS)
        return self.is_current and self.start - timezone.now() >= cutoff
