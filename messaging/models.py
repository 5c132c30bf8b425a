"""Every message the clinic sends (messaging.outbox delivers them). A row holds
ids and states only, so erasing a request leaves nothing personal here."""

from django.db import models
from django.urls import reverse
from django.utils import timezone

from .kinds import KINDS


class OutgoingMessage(models.Model):
    class Channel(models.TextChoices):
        EMAIL = "email", "Email"
        SMS = "sms", "SMS"
        WHATSAPP = "whatsapp", "WhatsApp"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        SKIPPED = "skipped", "Not needed"

    kind = models.CharField(max_length=20, choices=[(name, kind.label) for name, kind in KINDS.items()])
    channel = models.CharField(max_length=10, choices=Channel, default=Channel.EMAIL)
    consultation = models.ForeignKey(
        "bookings.ConsultationRequest", on_delete=models.CASCADE, related_name="outgoing_messages"
    )
    appointment = models.ForeignKey(
        "bookings.Appointment",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="outgoing_messages",
    )
    # A waitlist offer's message: the freed time it offers.
    offer = models.ForeignKey(
        "bookings.WaitlistOffer", null=True, blank=True, on_delete=models.CASCADE, related_name="messages"
    )
    # A receipt's message: the payment it is the receipt of.
    payment = models.ForeignKey(
        "bookings.Payment", null=True, blank=True, on_delete=models.CASCADE, related_name="messages"
    )
    status = models.CharField(max_length=10, choices=Status, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0, help_text="Delivery attempts made so far.")
    last_error = models.CharField(
        max_length=200, blank=True, help_text="The kind of failure only (never an address or any content)."
    )
    next_attempt_at = models.DateTimeField("next attempt", null=True, blank=True)
    # A reminder's appointment time (a moved appointment's old reminders are
    # skipped), and when it is due: one each, however often they are queued.
    reminder_for = models.DateTimeField(null=True, blank=True, editable=False)
    remind_at = models.DateTimeField(null=True, blank=True, editable=False)
    created = models.DateTimeField(default=timezone.now, editable=False)
    claimed_at = models.DateTimeField(null=True, blank=True, editable=False)
    sent_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created", "-pk"]
        indexes = [models.Index(fields=["status", "created"], name="messaging_status_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=["queued", "sending", "sent", "failed", "skipped"]),
                name="messaging_status_valid",
                violation_error_message="Unknown message status.",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="sent") | models.Q(sent_at__isnull=False),
                name="messaging_sent_stamped",
                violation_error_message="A sent message records when it was sent.",
            ),
            models.UniqueConstraint(
                fields=["appointment", "channel", "reminder_for", "remind_at"],
                condition=models.Q(kind="reminder", reminder_for__isnull=False),
                name="messaging_one_reminder_per_time",
                violation_error_message="This appointment already has a reminder.",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} for {self.consultation}"

    def get_absolute_url(self):
        return reverse("admin:messaging_outgoingmessage_change", args=[self.pk])

    @property
    def about(self):
        """What this message says (messaging.kinds)."""
        return KINDS[self.kind]
