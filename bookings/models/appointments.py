from datetime import timedelta

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from simple_history.models import HistoricalRecords

from clinic.formats import local_datetime
from clinic.models import ClinicProfile, Mode, Specialist

from .. import lifecycle
from ..lifecycle import State
from .requests import ConsultationRequest


def hold_duration():
    """How long a chosen time is held for staff to confirm: BOOKING_HOLD_HOURS,
    else the clinic's response-time promise."""
    hours = settings.BOOKING_HOLD_HOURS
    if hours is None:
        hours = ClinicProfile.load().response_time_hours
    return timedelta(hours=hours)


class AppointmentQuerySet(models.QuerySet):
    """Named after the sets of states in bookings.lifecycle."""

    def confirmed(self):
        return self.filter(status=State.CONFIRMED)

    def held(self):
        """Chosen by a visitor, awaiting confirmation by staff."""
        return self.filter(status=State.HELD)

    def current(self):
        """Held or confirmed: still to come."""
        return self.filter(status__in=lifecycle.CURRENT)

    def expired_holds(self, now=None):
        return self.held().filter(created__lt=(now or timezone.now()) - hold_duration())

    def today(self):
        return self.confirmed().filter(start__date=timezone.localdate())

    def occupying(self):
        """Taking the specialist's time (held, confirmed, completed, no-show)."""
        return self.filter(status__in=lifecycle.OCCUPYING)

    def overlapping(self, specialist, start, end):
        return self.occupying().filter(specialist=specialist, start__lt=end, end__gt=start)


class Series(models.Model):
    """Sessions booked together, every week or every two weeks. Each session is
    an appointment of its own, moved or cancelled alone or with the later ones."""

    INTERVALS = [(1, "every week"), (2, "every 2 weeks")]

    consultation = models.ForeignKey(ConsultationRequest, on_delete=models.CASCADE, related_name="series")
    interval_weeks = models.PositiveSmallIntegerField(choices=INTERVALS, default=1)
    created = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = "series of sessions"
        verbose_name_plural = "series of sessions"

    def __str__(self):
        return f"{self.consultation}: {self.get_interval_weeks_display()}"


class Appointment(models.Model):
    """Two occupying ones (lifecycle.OCCUPYING) never overlap for one
    specialist: a database guard makes sure of it (migrations 0004 and 0014)."""

    Status = State

    consultation = models.ForeignKey(
        ConsultationRequest, on_delete=models.CASCADE, related_name="appointments"
    )
    specialist = models.ForeignKey(Specialist, on_delete=models.PROTECT, related_name="appointments")
    start = models.DateTimeField()
    end = models.DateTimeField()
    mode = models.CharField(max_length=10, choices=Mode, default=Mode.IN_CLINIC)
    status = models.CharField(max_length=10, choices=State, default=State.CONFIRMED)
    location = models.CharField(
        "place",
        max_length=200,
        blank=True,
        help_text="For appointments in the clinic: the room or floor the visitor should ask for.",
    )
    video_link = models.URLField(
        "video room",
        blank=True,
        help_text="For video calls: made when the appointment is confirmed (or type a link). "
        "Sent to the visitor only.",
    )
    # India's Telemedicine Practice Guidelines: the clinician confirms who is on the call.
    identity_checked = models.BooleanField(
        "identity checked",
        default=False,
        help_text="Ticked by the clinician at the start of a video or phone consultation, "
        "once the visitor's name, age group and who the appointment is for are confirmed.",
    )
    series = models.ForeignKey(
        Series, null=True, blank=True, on_delete=models.SET_NULL, related_name="sessions", editable=False
    )
    # The fee, fixed when the appointment is confirmed (the specialist's for its mode).
    fee = models.PositiveIntegerField("fee (₹)", null=True, blank=True, editable=False)
    # The front desk's day: when the visitor arrived, and went in to the clinician.
    arrived_at = models.DateTimeField(null=True, blank=True, editable=False)
    seen_at = models.DateTimeField("with the clinician at", null=True, blank=True, editable=False)
    # Raised by every change, so calendar apps replace the event, not add one.
    sequence = models.PositiveIntegerField(default=0, editable=False)
    cancellation_reason = models.CharField(max_length=500, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True, editable=False)
    created = models.DateTimeField(default=timezone.now, editable=False)

    objects = AppointmentQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["start"]
        verbose_name = "appointment"
        permissions = [("check_identity", "Can record the identity check of a video or phone consultation")]
        # Open times and the overlap guard look for a specialist's appointments
        # that end after a moment: the recent ones, out of years of them.
        indexes = [models.Index(fields=["specialist", "end"], name="bookings_appt_spec_end_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=list(lifecycle.MOVES)),
                name="bookings_appointment_state_valid",
                violation_error_message="Unknown appointment state.",
            ),
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
    def is_confirmed(self):
        return self.status == State.CONFIRMED

    @property
    def is_held(self):
        return self.status == State.HELD

    @property
    def is_current(self):
        return self.status in lifecycle.CURRENT

    @property
    def has_started(self):
        return self.start <= timezone.now()

    @property
    def expires_at(self):
        """When a hold nobody confirmed is released; None for other statuses."""
        return self.created + hold_duration() if self.is_held else None

    @property
    def changeable_by_visitor(self):
        """May the visitor still move or cancel it (BOOKING_CHANGE_CUTOFF_HOURS)?"""
        cutoff = timedelta(hours=settings.BOOKING_CHANGE_CUTOFF_HOURS)
        return self.is_current and self.start - timezone.now() >= cutoff
