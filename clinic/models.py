import secrets
from datetime import time, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils.text import slugify
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

DEFAULT_LENGTH_MINUTES = 50
# A new clinic's hours, until the owner changes them: Monday to Saturday.
DEFAULT_HOURS = [(weekday, time(10), time(19)) for weekday in range(6)]


class Mode(models.TextChoices):
    IN_CLINIC = "in_clinic", _("In the clinic")
    VIDEO = "video", _("Video call")
    PHONE = "phone", _("Phone call")


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class ClinicProfile(models.Model):
    """The clinic's own details: one row, edited in the admin, read everywhere."""

    name = models.CharField(max_length=120, default="Gurgaon Mind & Wellness Clinic")
    tagline = models.CharField(
        max_length=200,
        default="Confidential care for mental health, relationships and recovery.",
        help_text="One sentence shown under the clinic's name on the home page.",
    )
    about = models.TextField(
        default=(
            "We are a mental-health and rehabilitation clinic in Gurgaon. Our team of "
            "psychiatrists, psychologists and therapists helps adults, couples and "
            "families with anxiety, depression, stress, relationships, intimacy and "
            "recovery from addiction, in the clinic, by video or on the phone."
        ),
        help_text="A short paragraph about the clinic for the home and about pages.",
    )
    # The same words in Hindi, for the pages under /hi/ (the admin itself stays in English).
    tagline_hi = models.CharField(
        "tagline in Hindi",
        max_length=200,
        blank=True,
        default="मानसिक स्वास्थ्य, रिश्तों और नशे से उबरने के लिए गोपनीय देखभाल।",
    )
    about_hi = models.TextField(
        "about in Hindi",
        blank=True,
        default=(
            "हम गुड़गाँव में एक मानसिक स्वास्थ्य और पुनर्वास क्लिनिक हैं। हमारे मनोचिकित्सक, "
            "मनोवैज्ञानिक और थेरेपिस्ट वयस्कों, दंपतियों और परिवारों की चिंता, डिप्रेशन, तनाव, "
            "रिश्तों, अंतरंगता और नशे से उबरने में मदद करते हैं — क्लिनिक में, वीडियो पर या फ़ोन पर।"
        ),
    )
    phone = models.CharField(max_length=40, default="+91 124 000 0000")
    email = models.EmailField(default="care@clinic.example")
    street_address = models.CharField(max_length=200, default="Sector 44")
    locality = models.CharField(max_length=120, default="Gurgaon")
    region = models.CharField(max_length=120, default="Haryana")
    postal_code = models.CharField(max_length=12, default="122003")
    country = models.CharField(max_length=2, default="IN")
    helpline_name = models.CharField(max_length=80, default="Tele-MANAS")
    helpline_phone = models.CharField(max_length=40, default="14416")
    helpline_alt_phone = models.CharField(max_length=40, default="1-800-891-4416", blank=True)
    emergency_phone = models.CharField(max_length=20, default="112")
    response_time_hours = models.PositiveSmallIntegerField(
        default=24,
        help_text="The promise on the thank-you page: we reply within this many hours. "
        "A chosen time nobody confirms is released after this long (unless BOOKING_HOLD_HOURS says otherwise).",
    )
    buffer_minutes = models.PositiveSmallIntegerField(
        "buffer between appointments (minutes)",
        default=10,
        help_text="Kept free after each appointment, for notes and a breather; open times leave it out.",
    )
    privacy_notice_version = models.CharField(
        max_length=20,
        default="2026-11-01",
        help_text="Change this whenever the privacy notice changes; consents record it.",
    )
    grievance_officer = models.CharField(
        max_length=120,
        default="The Grievance Officer",
        help_text="Named in the privacy notice as the contact for data-protection complaints.",
    )
    grievance_email = models.EmailField(default="privacy@clinic.example")
    upi_id = models.CharField(
        "UPI ID",
        max_length=100,
        blank=True,
        help_text="The clinic's merchant UPI ID (e.g. clinic@okhdfcbank): visitors pay by scanning its QR code.",
    )
    late_fee = models.PositiveIntegerField(
        "late cancellation and no-show fee (₹)",
        default=0,
        help_text="Charged when a visitor cancels within the change cut-off or does not come; 0 for none. "
        "Shown to visitors before they book and in their confirmation.",
    )
    gst_note = models.CharField(
        "GST line on receipts",
        max_length=300,
        default="Health care services by a clinical establishment are exempt from GST.",
    )
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "clinic profile"
        verbose_name_plural = "clinic profile"
        ordering = ["pk"]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        self.pk = 1  # there is only ever one profile
        super().save(*args, **kwargs)

    @classmethod
    def load(cls):
        """The profile, created with default opening hours if missing."""
        profile, created = cls.objects.get_or_create(pk=1)
        if created:
            OpeningHours.objects.bulk_create(
                OpeningHours(clinic=profile, weekday=weekday, start=opens, end=closes)
                for weekday, opens, closes in DEFAULT_HOURS
            )
        return profile

    def _local(self, field):
        """The Hindi wording on Hindi pages when there is one, else the English."""
        if get_language() == "hi":
            return getattr(self, f"{field}_hi") or getattr(self, field)
        return getattr(self, field)

    @property
    def tagline_local(self):
        return self._local("tagline")

    @property
    def about_local(self):
        return self._local("about")

    @property
    def open_weekday_numbers(self):
        """The weekdays (0 is Monday) with opening hours."""
        return set(self.hours.values_list("weekday", flat=True))

    @property
    def buffer(self):
        return timedelta(minutes=self.buffer_minutes)

    @property
    def address_lines(self):
        return [self.street_address, f"{self.locality}, {self.region} {self.postal_code}"]


class WeeklyHours(models.Model):
    """One block of a usual week, clinic time; a lunch break is a gap between two."""

    weekday = models.PositiveSmallIntegerField(choices=Weekday)
    start = models.TimeField(help_text="Clinic time (India Standard Time).")
    end = models.TimeField(help_text="Clinic time; the last appointment must end by then.")

    class Meta:
        abstract = True
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end__gt=models.F("start")),
                name="%(app_label)s_%(class)s_end_after_start",
                violation_error_message="The hours must end after they start.",
            ),
            models.CheckConstraint(
                condition=models.Q(weekday__gte=0, weekday__lte=6),
                name="%(app_label)s_%(class)s_weekday_valid",
                violation_error_message="Unknown weekday.",
            ),
        ]

    def __str__(self):
        return f"{self.get_weekday_display()} {self.start:%H:%M}-{self.end:%H:%M}"


class OpeningHours(WeeklyHours):
    """The clinic's: what visitors are shown (the contact page, search engines)
    and what a new specialist's working hours start as. A model apart from
    bookings.WorkingHours, which say when each specialist can be booked, so the
    public hours do not change with who works which day."""

    clinic = models.ForeignKey(
        ClinicProfile, on_delete=models.CASCADE, default=1, editable=False, related_name="hours"
    )

    class Meta(WeeklyHours.Meta):
        ordering = ["weekday", "start"]
        verbose_name = "opening hours"
        verbose_name_plural = "opening hours"

    def get_absolute_url(self):
        return reverse("admin:clinic_clinicprofile_change", args=[self.clinic_id])

    @classmethod
    def week(cls):
        """[(weekday, opens, closes), ...]"""
        return list(cls.objects.values_list("weekday", "start", "end"))


class Holiday(models.Model):
    """A date the whole clinic is closed: no open times that day, for anyone."""

    clinic = models.ForeignKey(
        ClinicProfile, on_delete=models.CASCADE, default=1, editable=False, related_name="holidays"
    )
    date = models.DateField(unique=True)
    name = models.CharField(max_length=120, help_text="For example: Diwali.")

    class Meta:
        ordering = ["date"]
        verbose_name = "holiday"

    def __str__(self):
        return f"{self.name} ({self.date:%d %b %Y})"

    def get_absolute_url(self):
        return reverse("admin:clinic_clinicprofile_change", args=[self.clinic_id])


def hours_by_day(week=None):
    """[(day label, ["10:00\u201319:00", ...]), ...] Monday first; consecutive days
    with the same hours are one entry ("Monday\u2013Saturday", an en dash)."""
    ranges = {}
    for weekday, opens, closes in sorted(week if week is not None else OpeningHours.week()):
        ranges.setdefault(weekday, []).append(f"{opens:%H:%M}\u2013{closes:%H:%M}")
    groups = []  # [first weekday, last weekday, ranges]
    for weekday in sorted(ranges):
        if groups and groups[-1][1] == weekday - 1 and groups[-1][2] == ranges[weekday]:
            groups[-1][1] = weekday
        else:
            groups.append([weekday, weekday, ranges[weekday]])
    labels = Weekday.labels
    return [
        (labels[first] if first == last else f"{labels[first]}\u2013{labels[last]}", day_ranges)
        for first, last, day_ranges in groups
    ]


class SpecialistQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)

    def bookable(self):
        return self.active().filter(accepts_bookings=True)

    def offering(self, mode):
        """Those who offer consultations in this way of meeting."""
        return self.filter(**{f"offers_{Mode(mode).value}": True})

    def offered_modes(self):
        """The ways of meeting at least one of them offers, in the form's order (one query)."""
        rows = self.values_list(*[f"offers_{mode.value}" for mode in Mode])
        offered = {mode for row in rows for mode, on in zip(Mode, row, strict=True) if on}
        return [mode for mode in Mode if mode in offered]


class Specialist(models.Model):
    """A clinician: author or reviewer of articles, and whom appointments are with."""

    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=140, unique=True, blank=True)
    title = models.CharField(max_length=120, help_text="For example: Clinical Psychologist.")
    credentials = models.CharField(
        max_length=200, blank=True, help_text="Degrees and qualifications, e.g. M.Phil, PhD."
    )
    registration_number = models.CharField(
        max_length=60,
        blank=True,
        help_text="Professional registration, e.g. RCI or NMC number, shown on the profile.",
    )
    bio = models.TextField(blank=True)
    photo = models.ImageField(upload_to="specialists/", blank=True)
    photo_alt = models.CharField(
        max_length=200, blank=True, help_text="Describe the photo for people who cannot see it."
    )
    languages = models.CharField(max_length=200, default="English, Hindi", help_text="Comma-separated.")
    accepts_bookings = models.BooleanField(default=True, help_text="Offered as a choice on the booking form.")
    is_active = models.BooleanField(
        "active", default=True, help_text="Inactive specialists are hidden from the site."
    )
    order = models.PositiveSmallIntegerField(default=0, help_text="Lower numbers come first.")
    # Which ways of meeting they offer, each with its fee and length below.
    offers_in_clinic = models.BooleanField("offers consultations in the clinic", default=True)
    offers_video = models.BooleanField("offers video calls", default=True)
    offers_phone = models.BooleanField("offers phone calls", default=True)
    fee_in_clinic = models.PositiveIntegerField(
        "fee in the clinic (₹)", null=True, blank=True, help_text="In rupees. Empty: not shown."
    )
    fee_video = models.PositiveIntegerField("fee by video (₹)", null=True, blank=True)
    fee_phone = models.PositiveIntegerField("fee by phone (₹)", null=True, blank=True)
    length_in_clinic = models.PositiveSmallIntegerField(
        "length in the clinic (minutes)", default=DEFAULT_LENGTH_MINUTES
    )
    length_video = models.PositiveSmallIntegerField(
        "length by video (minutes)", default=DEFAULT_LENGTH_MINUTES
    )
    length_phone = models.PositiveSmallIntegerField(
        "length by phone (minutes)", default=DEFAULT_LENGTH_MINUTES
    )
    video_room = models.URLField(
        "own video room",
        blank=True,
        help_text="Optional: a fixed meeting link of theirs (Zoom, Google Meet) for every video "
        "appointment. Empty: each appointment gets its own private room.",
    )
    # Clinicians: their staff account, and their private calendar feed.
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name="staff account",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="specialist",
        help_text="Optional. A staff account in the Clinicians group sees this specialist's appointments.",
    )
    calendar_token = models.CharField(
        max_length=64, blank=True, editable=False, help_text="The secret in the calendar feed's address."
    )

    objects = SpecialistQuerySet.as_manager()

    class Meta:
        ordering = ["order", "name"]
        verbose_name = "specialist"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(length_in_clinic__gte=5, length_video__gte=5, length_phone__gte=5),
                name="clinic_specialist_length_positive",
                violation_error_message="A consultation lasts at least 5 minutes.",
            ),
            models.CheckConstraint(
                condition=models.Q(offers_in_clinic=True)
                | models.Q(offers_video=True)
                | models.Q(offers_phone=True),
                name="clinic_specialist_offers_a_mode",
                violation_error_message="Tick at least one way of meeting this specialist offers.",
            ),
        ]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        if not self.slug:
            self.slug = slugify(self.name)[:140]
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("clinic:specialist", kwargs={"slug": self.slug})

    def renew_calendar_token(self):
        """A new feed address; the old one stops working."""
        self.calendar_token = secrets.token_urlsafe(32)
        self.save(update_fields=["calendar_token"])

    def revoke_calendar_token(self):
        self.calendar_token = ""
        self.save(update_fields=["calendar_token"])

    def clean(self):
        if self.photo and not self.photo_alt.strip():
            raise ValidationError({"photo_alt": "Describe the photo for people who cannot see it."})

    @property
    def display_name(self):
        return f"{self.name}, {self.credentials}" if self.credentials else self.name

    def offers(self, mode):
        return getattr(self, f"offers_{Mode(mode).value}")

    @property
    def modes(self):
        """The ways of meeting they offer, in the form's order."""
        return [mode for mode in Mode if self.offers(mode)]

    def fee_for(self, mode):
        """The fee in rupees for a consultation in this mode, or None."""
        return getattr(self, f"fee_{Mode(mode).value}")

    def length_for(self, mode):
        return timedelta(minutes=getattr(self, f"length_{Mode(mode).value}"))
