"""Every email a booking causes (bookings.outbox sends them). A row holds ids and
states only, so erasing a request leaves nothing personal here."""

from django.db import models
from django.urls import reverse
from django.utils import timezone


class OutboundEmail(models.Model):
    class Kind(models.TextChoices):
        ACKNOWLEDGEMENT = "acknowledgement", "Acknowledgement (to visitor)"
        NEW_REQUEST = "new_request", "New request (to clinic)"
        CONFIRMATION = "confirmation", "Appointment confirmation"
        RESCHEDULE = "reschedule", "Appointment moved"
        CANCELLATION = "cancellation", "Appointment cancelled"
        REMINDER = "reminder", "Appointment reminder"
        HOLD_RELEASED = "hold_released", "Chosen time released (to visitor)"
        VISITOR_CHANGE = "visitor_change", "Changed by the visitor (to clinic)"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        SKIPPED = "skipped", "Not needed"

    kind = models.CharField(max_length=20, choices=Kind)
    consultation = models.ForeignKey(
        "bookings.ConsultationRequest", on_delete=models.CASCADE, related_name="outbound_emails"
    )
    appointment = models.ForeignKey(
        "bookings.Appointment",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="outbound_emails",
    )
    status = models.CharField(max_length=10, choices=Status, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0, help_text="Delivery attempts made so far.")
    last_error = models.CharField(
        max_length=200, blank=True, help_text="The kind of failure only (never an address or any content)."
    )
    next_attempt_at = models.DateTimeField("next attempt", null=True, blank=True)
    # One reminder per appointment time, however often the reminder command runs.
    reminder_for = models.DateTimeField(null=True, blank=True, editable=False)
    created = models.DateTimeField(default=timezone.now, editable=False)
    claimed_at = models.DateTimeField(null=True, blank=True, editable=False)
    sent_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created", "-pk"]
        verbose_name = "outgoing email"
        indexes = [models.Index(fields=["status", "created"], name="bookings_outbound_status_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=["queued", "sending", "sent", "failed", "skipped"]),
                name="bookings_outbound_status_valid",
                violation_error_message="Unknown email status.",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="sent") | models.Q(sent_at__isnull=False),
                name="bookings_outbound_sent_stamped",
                violation_error_message="A sent email records when it was sent.",
            ),
            models.UniqueConstraint(
                fields=["appointment", "reminder_for"],
                condition=models.Q(kind="reminder", reminder_for__isnull=False),
                name="bookings_outbound_one_reminder_per_time",
                violation_error_message="This appointment already has a reminder.",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} for {self.consultation}"

    def get_absolute_url(self):
        return reverse("admin:bookings_outboundemail_change", args=[self.pk])

    @property
    def to_clinic(self):
        return self.kind in (self.Kind.NEW_REQUEST, self.Kind.VISITOR_CHANGE)
