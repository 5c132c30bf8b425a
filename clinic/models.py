from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils.text import slugify
from django.utils.translation import get_language


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
    opening_hours = models.CharField(
        max_length=200,
        default="Monday to Saturday, 10 am to 7 pm",
        help_text="Opening hours as visitors should read them.",
    )
    open_weekdays = models.CharField(
        max_length=20,
        default="0,1,2,3,4,5",
        help_text="Days the clinic takes appointments: 0 is Monday, 6 is Sunday, comma-separated.",
    )
    opening_hours_hi = models.CharField(
        "opening hours in Hindi",
        max_length=200,
        blank=True,
        default="सोमवार से शनिवार, सुबह 10 बजे से शाम 7 बजे तक",
    )
    helpline_name = models.CharField(max_length=80, default="Tele-MANAS")
    helpline_phone = models.CharField(max_length=40, default="14416")
    helpline_alt_phone = models.CharField(max_length=40, default="1-800-891-4416", blank=True)
    emergency_phone = models.CharField(max_length=20, default="112")
    response_time_hours = models.PositiveSmallIntegerField(
        default=24,
        help_text="The promise on the thank-you page: we reply within this many hours.",
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
        """The profile, created with defaults if missing."""
        return cls.objects.get_or_create(pk=1)[0]

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
    def opening_hours_local(self):
        return self._local("opening_hours")

    @property
    def open_weekday_numbers(self):
        return {int(day) for day in self.open_weekdays.split(",") if day.strip().isdigit()}

    @property
    def address_lines(self):
        return [self.street_address, f"{self.locality}, {self.region} {self.postal_code}"]


class SpecialistQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)

    def bookable(self):
        return self.active().filter(accepts_bookings=True)


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

    objects = SpecialistQuerySet.as_manager()

    class Meta:
        ordering = ["order", "name"]
        verbose_name = "specialist"

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        if not self.slug:
            self.slug = slugify(self.name)[:140]
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("clinic:specialist", kwargs={"slug": self.slug})

    def clean(self):
        if self.photo and not self.photo_alt.strip():
            raise ValidationError({"photo_alt": "Describe the photo for people who cannot see it."})

    @property
    def display_name(self):
        return f"{self.name}, {self.credentials}" if self.credentials else self.name
