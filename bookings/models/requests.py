import operator
import secrets
import unicodedata
from datetime import datetime, time, timedelta
from functools import reduce

from django.conf import settings
from django.db import models
from django.db.models.functions import Length
from django.db.models.lookups import Exact, LessThanOrEqual
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from phonenumber_field.modelfields import PhoneNumberField
from simple_history.models import HistoricalRecords
from simple_history.utils import bulk_update_with_history

from articles.models import Article, Topic
from clinic.formats import local_datetime
from clinic.models import ClinicProfile, Mode, Specialist

# No 0/O, 1/I/L, so a reference read out over the phone cannot be misheard.
REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
REFERENCE_LENGTH = 8
FIRST_NAME_MAX = 20


def generate_reference():
    return "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(REFERENCE_LENGTH))


def generate_access_key():
    return secrets.token_urlsafe(24)


class DayPart(models.TextChoices):
    MORNING = "morning", _("Morning (10 am to 1 pm)")
    AFTERNOON = "afternoon", _("Afternoon (1 pm to 4 pm)")
    EVENING = "evening", _("Evening (4 pm to 7 pm)")

    @classmethod
    def start_time(cls, part):
        return {cls.MORNING: time(10), cls.AFTERNOON: time(13), cls.EVENING: time(16)}[part]

    @classmethod
    def of(cls, moment):
        """The part of the day a clinic time falls in (before 10 counts as morning)."""
        return cls.MORNING if moment < time(13) else cls.AFTERNOON if moment < time(16) else cls.EVENING


class Status(models.TextChoices):
    NEW = "new", _("New")
    CONTACTED = "contacted", _("Contacted")
    SCHEDULED = "scheduled", _("Scheduled")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")
    NO_SHOW = "no_show", _("No-show")
    SPAM = "spam", _("Spam")


class Language(models.TextChoices):
    ENGLISH = "en", _("English")
    HINDI = "hi", _("Hindi")
    PUNJABI = "pa", _("Punjabi")
    URDU = "ur", _("Urdu")
    BENGALI = "bn", _("Bengali")
    MARATHI = "mr", _("Marathi")
    TAMIL = "ta", _("Tamil")
    TELUGU = "te", _("Telugu")


class WhoFor(models.TextChoices):
    """Who the consultation is for: the people the clinic serves."""

    ADULT = "adult", _("Myself (I am 18 or older)")
    COUPLE = "couple", _("My partner and me, as a couple")
    GUARDIAN = "guardian", _("Someone else, as their parent or guardian")


class SafeNow(models.TextChoices):
    YES = "yes", _("Yes")
    NO = "no", _("No")


# Form value -> label; each is the boolean field contact_by_<value>.
CONTACT_CHANNELS = {"email": _("email"), "phone": _("phone call"), "sms": _("SMS"), "whatsapp": _("WhatsApp")}
# Up to three preferred windows, each the fields window<n>_date and window<n>_part.
WINDOWS = (1, 2, 3)


# The one place the workflow is defined: which status may follow which.
TRANSITIONS = {
    Status.NEW: {Status.CONTACTED, Status.SCHEDULED, Status.CANCELLED, Status.SPAM},
    Status.CONTACTED: {Status.SCHEDULED, Status.CANCELLED, Status.SPAM},
    # Back to contacted when the clinic cancels its appointment (it waits for a new time).
    Status.SCHEDULED: {Status.CONTACTED, Status.COMPLETED, Status.CANCELLED, Status.NO_SHOW},
    Status.NO_SHOW: {Status.SCHEDULED, Status.CANCELLED},
    Status.SPAM: {Status.NEW},
    Status.COMPLETED: set(),
    Status.CANCELLED: set(),
}
STATUS_STAMPS = {
    Status.NEW: "created",
    Status.CONTACTED: "contacted_at",
    Status.SCHEDULED: "scheduled_at",
    Status.COMPLETED: "completed_at",
    Status.CANCELLED: "cancelled_at",
    Status.NO_SHOW: "no_show_at",
    Status.SPAM: "spam_at",
}
OPEN_STATUSES = [Status.NEW, Status.CONTACTED, Status.SCHEDULED]
CLOSED_STATUSES = [Status.COMPLETED, Status.CANCELLED, Status.NO_SHOW]
SPAM_RETENTION_DAYS = 30
# An appointment may be booked for a request in these, when it has no current one.
SCHEDULABLE_STATUSES = [Status.NEW, Status.CONTACTED, Status.NO_SHOW]


# A repeat waits with the open request it repeats, not as a request of its own;
# once that one is closed, it stands on its own.
REPEATS_AN_OPEN_REQUEST = models.Q(repeat_of__status__in=OPEN_STATUSES)
# Ordering that puts urgent open requests (someone said they are not safe) first.
URGENT_FIRST = models.Case(
    models.When(models.Q(urgent=True, status__in=OPEN_STATUSES) & ~REPEATS_AN_OPEN_REQUEST, then=0),
    default=1,
    output_field=models.IntegerField(),
).asc()


class InvalidTransition(Exception):
    """A status change the workflow does not allow."""


class ConsultationRequestQuerySet(models.QuerySet):
    def awaiting_contact(self):
        """New, counted once per contact: a repeat waits with the request it repeats."""
        return self.filter(status=ConsultationRequest.Status.NEW).exclude(REPEATS_AN_OPEN_REQUEST)

    def open(self):
        return self.filter(status__in=OPEN_STATUSES)

    def urgent_open(self):
        """One per contact: repeats are shown on the request they repeat."""
        return self.open().filter(urgent=True).exclude(REPEATS_AN_OPEN_REQUEST)

    def same_contact(self, email, phone):
        """From this email address (in any case) or this phone number."""
        return self.filter(models.Q(email__iexact=email) | models.Q(phone=phone))

    def waiting_longer_than(self, hours, now=None):
        now = now or timezone.now()
        return self.awaiting_contact().filter(created__lt=now - timedelta(hours=hours))

    def overdue(self):
        """Waiting for a first contact longer than the clinic promises."""
        return self.waiting_longer_than(ClinicProfile.load().response_time_hours)

    def closed_past_retention(self):
        """Closed more than BOOKING_RETENTION_DAYS ago, not yet erased."""
        before = timezone.now() - timedelta(days=settings.BOOKING_RETENTION_DAYS)
        closed_before = [
            models.Q(status=status, **{f"{STATUS_STAMPS[status]}__lt": before}) for status in CLOSED_STATUSES
        ]
        return self.filter(reduce(operator.or_, closed_before), erased_at__isnull=True)

    def spam_past_retention(self):
        before = timezone.now() - timedelta(days=SPAM_RETENTION_DAYS)
        return self.filter(status=Status.SPAM, spam_at__lt=before, erased_at__isnull=True)

    def not_spam(self):
        return self.exclude(status=ConsultationRequest.Status.SPAM)

    def changed_by_visitor(self):
        """Moved or cancelled by the visitor, and reception has not yet marked it seen."""
        return self.filter(visitor_changed_at__isnull=False)

    def transition_to(self, status, user=None):
        """The bulk twin of transition_to; returns how many changed."""
        status = ConsultationRequest.Status(status)
        sources = [s for s, targets in TRANSITIONS.items() if status in targets]
        changed = list(self.filter(status__in=sources))
        now = timezone.now()
        for consultation in changed:
            consultation._apply_status(status, now)
        fields = ["status", STATUS_STAMPS[status], "updated"]
        bulk_update_with_history(
            changed,
            ConsultationRequest,
            fields,
            default_user=user,
            default_change_reason=f"Marked {status.label.lower()}",
        )
        return len(changed)

    def assign_to(self, user, by=None):
        changed = list(self.exclude(assigned_to=user))
        now = timezone.now()
        for consultation in changed:
            consultation.assigned_to = user
            consultation.updated = now
        bulk_update_with_history(
            changed,
            ConsultationRequest,
            ["assigned_to", "updated"],
            default_user=by or user,
            default_change_reason=f"Assigned to {user.get_username()}",
        )
        return len(changed)


class ConsultationRequest(models.Model):
    """What a visitor sent from the booking form, and how the clinic handles it."""

    Status = Status
    STATUS_STAMPS = STATUS_STAMPS

    reference = models.CharField(max_length=REFERENCE_LENGTH, unique=True, editable=False)
    # From the form, so a double-clicked submit finds the first click's request.
    submission_key = models.CharField(max_length=64, unique=True, editable=False)

    name = models.CharField("name", max_length=120, help_text="How they would like to be addressed.")
    email = models.EmailField()
    phone = PhoneNumberField(region="IN")
    contact_by_email = models.BooleanField(CONTACT_CHANNELS["email"], default=False)
    contact_by_phone = models.BooleanField(CONTACT_CHANNELS["phone"], default=False)
    contact_by_sms = models.BooleanField(CONTACT_CHANNELS["sms"], default=False)
    contact_by_whatsapp = models.BooleanField(CONTACT_CHANNELS["whatsapp"], default=False)
    discreet = models.BooleanField(
        "discreet messages only",
        default=True,
        help_text="Nothing that names the clinic or a health matter in texts or voicemail.",
    )

    concern = models.ForeignKey(
        Topic,
        verbose_name="help with",
        null=True,
        blank=True,
        # What visitors asked for is never blanked by deleting a topic.
        on_delete=models.PROTECT,
        related_name="consultation_requests",
        help_text="Empty means “Something else”.",
    )
    message = models.TextField(max_length=1000, blank=True)
    mode = models.CharField(max_length=10, choices=Mode, default=Mode.IN_CLINIC)
    preferred_specialist = models.ForeignKey(
        Specialist,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="consultation_requests",
        help_text="Empty means no preference.",
    )
    # Preferred windows: asked for when the visitor chose no open time.
    window1_date = models.DateField("first choice: date", null=True, blank=True)
    window1_part = models.CharField("first choice: time", max_length=10, choices=DayPart, blank=True)
    window2_date = models.DateField("second choice: date", null=True, blank=True)
    window2_part = models.CharField("second choice: time", max_length=10, choices=DayPart, blank=True)
    window3_date = models.DateField("third choice: date", null=True, blank=True)
    window3_part = models.CharField("third choice: time", max_length=10, choices=DayPart, blank=True)
    # The visitor's: the language they would like to talk in.
    spoken_language = models.CharField(
        "preferred language", max_length=2, choices=Language, default=Language.ENGLISH
    )
    who_for = models.CharField("who for", max_length=10, choices=WhoFor)
    safe_now = models.CharField("safe right now?", max_length=3, choices=SafeNow)
    urgent = models.BooleanField(default=False, help_text="Set when the visitor said they are not safe.")
    possibly_automated = models.BooleanField(
        default=False,
        editable=False,
        help_text="Sent the way a program sends forms (the hidden field filled in, or sent within "
        "seconds) by someone who said they are not safe: kept as urgent, but no email went to the address typed.",
    )
    repeat_of = models.ForeignKey(
        "self",
        verbose_name="repeats request",
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="repeats",
        help_text="An open urgent request from the same email or phone came first: "
        "they are handled together, on that request's page.",
    )

    # The page's: the language of the pages the visitor booked on (the privacy
    # notice they read and consented to, and every message and calendar file they get).
    page_language = models.CharField(
        "language of the pages (notice shown, messages sent)",
        max_length=5,
        choices=settings.LANGUAGES,
        default=settings.LANGUAGE_CODE,
    )
    consent_notice_version = models.CharField("privacy notice version agreed to", max_length=20)
    consented_at = models.DateTimeField("consent given at")
    # India's Telemedicine Practice Guidelines: consent to consult by video or phone.
    remote_consent_at = models.DateTimeField(
        "consent to a video or phone consultation given at", null=True, blank=True
    )

    source_article = models.ForeignKey(
        Article,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="consultation_requests",
        help_text="The article whose call to action led here.",
    )
    utm_source = models.CharField(max_length=100, blank=True)
    utm_medium = models.CharField(max_length=100, blank=True)
    utm_campaign = models.CharField(max_length=100, blank=True)
    utm_term = models.CharField(max_length=100, blank=True)
    utm_content = models.CharField(max_length=100, blank=True)

    status = models.CharField(max_length=10, choices=Status, default=Status.NEW)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_consultation_requests",
        help_text="The member of staff looking after this request.",
    )
    created = models.DateTimeField(default=timezone.now, editable=False)
    updated = models.DateTimeField(auto_now=True)
    contacted_at = models.DateTimeField(null=True, blank=True, editable=False)
    scheduled_at = models.DateTimeField(null=True, blank=True, editable=False)
    completed_at = models.DateTimeField(null=True, blank=True, editable=False)
    cancelled_at = models.DateTimeField(null=True, blank=True, editable=False)
    no_show_at = models.DateTimeField("no-show at", null=True, blank=True, editable=False)
    spam_at = models.DateTimeField(null=True, blank=True, editable=False)
    visitor_changed_at = models.DateTimeField(
        "changed by the visitor at",
        null=True,
        blank=True,
        editable=False,
        help_text="The visitor moved or cancelled their appointment; cleared when reception marks it seen.",
    )
    # In every self-service link: erasing clears it, so old links stop working.
    access_key = models.CharField(max_length=32, default=generate_access_key, editable=False)
    erased_at = models.DateTimeField(
        "erased at",
        null=True,
        blank=True,
        editable=False,
        help_text="When the contact details and free text were erased (consent withdrawn, or retention).",
    )

    objects = ConsultationRequestQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=["updated", "submission_key", "access_key"])

    class Meta:
        ordering = ["-created"]
        verbose_name = "consultation request"
        permissions = [("export_consultationrequest", "Can export consultation requests as CSV")]
        indexes = [models.Index(fields=["status", "created"], name="bookings_status_created_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Exact(Length("reference"), REFERENCE_LENGTH),
                name="bookings_reference_length",
                violation_error_message="A reference has exactly 8 characters.",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=Status.values),
                name="bookings_status_valid",
                violation_error_message="Unknown status.",
            ),
            models.CheckConstraint(
                condition=models.Q(mode__in=Mode.values),
                name="bookings_mode_valid",
                violation_error_message="Unknown consultation mode.",
            ),
            models.CheckConstraint(
                condition=reduce(
                    operator.or_, [models.Q(**{f"contact_by_{name}": True}) for name in CONTACT_CHANNELS]
                ),
                name="bookings_some_contact_channel",
                violation_error_message="Choose at least one way to contact you.",
            ),
            models.CheckConstraint(
                condition=~models.Q(safe_now=SafeNow.NO) | models.Q(urgent=True),
                name="bookings_not_safe_is_urgent",
                violation_error_message="A request from someone who is not safe is urgent.",
            ),
            models.CheckConstraint(
                condition=~models.Q(consent_notice_version=""),
                name="bookings_consent_recorded",
                violation_error_message="A request needs the visitor's consent.",
            ),
            models.CheckConstraint(
                condition=LessThanOrEqual(Length("message"), 1000),
                name="bookings_message_length",
                violation_error_message="The message can be at most 1,000 characters.",
            ),
            *[
                models.CheckConstraint(
                    condition=models.Q(**{f"window{n}_date__isnull": True, f"window{n}_part": ""})
                    | models.Q(**{f"window{n}_date__isnull": False, f"window{n}_part__in": DayPart.values}),
                    name=f"bookings_window{n}_complete",
                    violation_error_message="Give both a date and a time of day.",
                )
                for n in WINDOWS
            ],
            # Every status after "new" carries the time it was reached.
            *[
                models.CheckConstraint(
                    condition=~models.Q(status=status) | models.Q(**{f"{stamp}__isnull": False}),
                    name=f"bookings_{status}_stamped",
                    violation_error_message=f"A {status.label.lower()} request records when that happened.",
                )
                for status, stamp in STATUS_STAMPS.items()
                if status != Status.NEW
            ],
        ]

    def __str__(self):
        # The reference only: this appears in admin logs and messages.
        return self.reference

    def get_absolute_url(self):
        return reverse("admin:bookings_consultationrequest_change", args=[self.pk])

    @property
    def first_name(self):
        """A short word of letters, else "": anyone can type a stranger's address
        into the form, so a message there must not carry their words."""
        word = next(iter(self.name.split()), "")
        if len(word) > FIRST_NAME_MAX or not all(unicodedata.category(c)[0] in "LM" for c in word):
            return ""
        return word

    @property
    def contact_channels(self):
        return [name for name in CONTACT_CHANNELS if getattr(self, f"contact_by_{name}")]

    @contact_channels.setter
    def contact_channels(self, names):
        for name in CONTACT_CHANNELS:
            setattr(self, f"contact_by_{name}", name in names)

    @property
    def contact_channels_display(self):
        return ", ".join(str(CONTACT_CHANNELS[name]) for name in self.contact_channels)

    @property
    def campaign(self):
        """{field name: value} of the campaign (UTM) tags the visitor arrived with."""
        return {name: getattr(self, name) for name in CAMPAIGN_FIELDS if getattr(self, name)}

    @property
    def preferred_windows(self):
        """[(date, day part label), ...] in the visitor's order of preference."""
        windows = []
        for n in WINDOWS:
            day, part = getattr(self, f"window{n}_date"), getattr(self, f"window{n}_part")
            if day and part:
                windows.append((day, DayPart(part).label))
        return windows

    @property
    def concern_display(self):
        return self.concern.name if self.concern_id else "Something else"

    @property
    def can_be_scheduled(self):
        """May staff book an appointment for it now? The one answer every link,
        button, queue and check uses."""
        return self.why_not_schedulable() is None

    def why_not_schedulable(self):
        """A request in care (scheduled) takes further sessions; one whose visitor
        holds a time waits for that time to be confirmed or another offered."""
        if self.erased_at:
            return "This request's details were erased."
        if self.appointments.held().exists():
            return (
                "The visitor holds a time that awaits confirmation: confirm it or offer another "
                "before booking anything else."
            )
        if self.status == Status.SCHEDULED:
            return None
        if self.appointments.current().exists():
            return "This request already has an appointment: reschedule that one instead."
        if self.status not in SCHEDULABLE_STATUSES:
            return f"A {self.get_status_display().lower()} request cannot be scheduled."
        return None

    def allowed_transitions(self):
        return sorted(TRANSITIONS[self.Status(self.status)], key=list(self.Status).index)

    def can_transition_to(self, status):
        return status in TRANSITIONS[self.Status(self.status)]

    def _apply_status(self, status, now):
        self.status = status
        setattr(self, self.STATUS_STAMPS[status], now)
        self.updated = now

    def transition_to(self, status, user=None):
        status = self.Status(status)
        if not self.can_transition_to(status):
            raise InvalidTransition(
                f"A {self.get_status_display().lower()} request cannot be marked {status.label.lower()}."
            )
        self._apply_status(status, timezone.now())
        self._change_reason = f"Marked {status.label.lower()}"
        if user is not None:
            self._history_user = user
        self.save(update_fields=["status", self.STATUS_STAMPS[status], "updated"])

    def assign(self, user, by=None):
        self.assigned_to = user
        self._change_reason = f"Assigned to {user.get_username()}" if user else "Unassigned"
        if by is not None:
            self._history_user = by
        self.save(update_fields=["assigned_to", "updated"])


# The campaign (UTM) tags a link may carry, as they are named in links and in fields.
CAMPAIGN_FIELDS = [field.name for field in ConsultationRequest._meta.fields if field.name.startswith("utm_")]


def window_start(day, part):
    """The moment a preferred window opens, in the clinic's time zone."""
    return timezone.make_aware(datetime.combine(day, DayPart.start_time(part)))


class InternalNote(models.Model):
    """A note staff keep on a request; visitors never see these."""

    consultation = models.ForeignKey(ConsultationRequest, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    text = models.TextField("note", max_length=4000)
    created = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["created", "pk"]
        verbose_name = "internal note"

    def __str__(self):
        return f"Note by {self.author or 'someone'} on {local_datetime(self.created)}"
