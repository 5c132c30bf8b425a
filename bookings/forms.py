import re
import secrets
from datetime import timedelta

from django import forms
from django.conf import settings
from django.core import signing
from django.forms.models import fields_for_model
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from phonenumber_field.formfields import PhoneNumberField

from articles.models import Article, Topic
from clinic.models import ClinicProfile, Specialist

from . import availability
from .models import ConsultationRequest, DayPart, Mode, window_start
from .models.requests import CAMPAIGN_FIELDS, CONTACT_CHANNELS, WINDOWS, SafeNow, WhoFor

SUBMISSION_SALT = "bookings.submission-key"
SLUG_RE = re.compile(r"^[-a-zA-Z0-9_]{1,200}$")
WEEKDAYS = [
    _("Mondays"),
    _("Tuesdays"),
    _("Wednesdays"),
    _("Thursdays"),
    _("Fridays"),
    _("Saturdays"),
    _("Sundays"),
]
WINDOW_FIELDS = [f"window{n}_{part}" for n in WINDOWS for part in ("date", "part")]
DATE_INVALID = _("Please enter a date, for example 2026-12-24.")
# Form field -> the query parameter of a link that prefills it.
LINK_PARAMETERS = {"concern": "topic", "source_article": "article", "preferred_specialist": "specialist"}
# The ways of meeting that need the visitor's consent to consult at a distance.
REMOTE_MODES = [Mode.VIDEO, Mode.PHONE]

# Checked by the form and set in save(), so model validation does not ask the
# database once per constraint that repeats their rules.
CHECKED_BY_FORM = ["concern", "message", "mode", "preferred_specialist", *WINDOW_FIELDS]


def new_submission_key():
    # Timestamped, so the form knows how long the visitor took to fill it in.
    return signing.TimestampSigner(salt=SUBMISSION_SALT).sign(secrets.token_urlsafe(24))


def clean_slug(value):
    """A slug from a link, or "" when it is not one (so nothing odd reaches a query)."""
    value = (value or "").strip()
    return value if SLUG_RE.match(value) else ""


class SlugChoiceField(forms.ModelChoiceField):
    """Chosen by slug, so a link's ?topic=anxiety can select it; a value that
    is not a slug never reaches the database."""

    def __init__(self, queryset, **kwargs):
        super().__init__(queryset, to_field_name="slug", **kwargs)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if not SLUG_RE.match(str(value)):
            raise forms.ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().to_python(value)


class QuietHiddenField(forms.CharField):
    """Hidden bookkeeping the visitor cannot fix: odd values are tidied, not reported."""

    widget = forms.HiddenInput

    def __init__(self, *, max_length=100, **kwargs):
        self.keep = max_length
        super().__init__(required=False, **kwargs)

    def to_python(self, value):
        value = super().to_python(value)
        return value.replace("\x00", "")[: self.keep]

    def run_validators(self, value):
        pass


class ConsultationRequestForm(forms.ModelForm):
    contact_channels = forms.MultipleChoiceField(
        label=_("How may we contact you?"),
        choices=[(name, capfirst(label)) for name, label in CONTACT_CHANNELS.items()],
        widget=forms.CheckboxSelectMultiple,
        initial=["email", "phone"],
        help_text=_("Choose one or more."),
        error_messages={"required": _("Please choose at least one way for us to contact you.")},
    )
    consent = forms.BooleanField(
        required=True,
        error_messages={"required": _("We can only reply if you agree to this. Please tick the box.")},
    )
    # India's Telemedicine Practice Guidelines: consent to consult at a distance, asked for those modes.
    remote_consent = forms.BooleanField(
        required=False,
        label=_(
            "For a video or phone consultation: I consent to consult this way. At the start, the specialist "
            "will confirm who I am and who the consultation is for, as India's Telemedicine Practice "
            "Guidelines ask."
        ),
    )
    submission_key = forms.CharField(widget=forms.HiddenInput, required=False)
    # A field people never see (hidden by a CSS class) but form-filling bots do.
    website = forms.CharField(
        label=_("Leave this field empty"),
        required=False,
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )
    source_article = QuietHiddenField(max_length=200)
    phone = PhoneNumberField(
        region="IN",
        label=_("Phone number"),
        help_text=_("An Indian number, or any number with its country code (+44 …)."),
        error_messages={
            "required": _("Please give a phone number."),
            "invalid": _("Please enter a valid phone number, for example 98765 43210."),
        },
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
    )
    concern = SlugChoiceField(
        Topic.objects.all(),
        required=False,
        empty_label=_("Something else, or not sure"),
        label=_("What would you like help with?"),
        help_text=_("If nothing fits, choose “Something else, or not sure”."),
    )
    preferred_specialist = SlugChoiceField(
        Specialist.objects.bookable(),
        required=False,
        empty_label=_("No preference"),
        label=_("Whom would you like to see?"),
        help_text=_("“No preference” shows the earliest times with any of our specialists."),
    )
    # The chosen open time, as availability.Slot.key; checked again when saved.
    slot = forms.CharField(required=False, max_length=40, label=_("Choose a time"), widget=forms.RadioSelect)
    no_time_suits = forms.BooleanField(
        required=False,
        label=_("None of these suit me: I will tell you which days and times of day suit me"),
    )
    # The order of the page (and of its summary of errors): safety first, then the time.
    field_order = [
        "safe_now",
        "who_for",
        "mode",
        "preferred_specialist",
        "slot",
        "no_time_suits",
        *WINDOW_FIELDS,
        "name",
        "email",
        "phone",
        "contact_channels",
        "discreet",
        "spoken_language",
        "concern",
        "message",
    ]

    class Meta:
        model = ConsultationRequest
        fields = ["name", "email", "phone", "discreet", "spoken_language", "who_for", "safe_now"]
        labels = {
            "name": _("Your name"),
            "discreet": _("Discreet messages only"),
            "spoken_language": _("Preferred language"),
            "email": _("Email address"),
            "message": _("Anything you would like us to know (optional)"),
            "mode": _("How would you like to meet?"),
            **{f"window{n}_date": _("Date") for n in WINDOWS},
            **{f"window{n}_part": _("Time of day") for n in WINDOWS},
            "who_for": _("Who is the consultation for?"),
            "safe_now": _("Are you safe right now?"),
        }
        help_texts = {
            "name": _("The name you would like us to use. It need not be your full name."),
            "email": _("We send your reference here."),
            "discreet": _("Texts and voicemails will not mention the clinic or any health matter."),
            "message": _(
                "A line or two is enough. Please don't share detailed medical history here; "
                "you can tell your specialist in person. At most 1,000 characters."
            ),
        }
        widgets = {
            "message": forms.Textarea(attrs={"rows": 4, "maxlength": 1000}),
            "mode": forms.RadioSelect,
            "who_for": forms.RadioSelect,
            "safe_now": forms.RadioSelect,
            **{f"window{n}_date": forms.DateInput(attrs={"type": "date"}) for n in WINDOWS},
        }
        error_messages = {
            "name": {"required": _("Please tell us what to call you.")},
            "email": {
                "required": _("Please give an email address so we can send your reference."),
                "invalid": _("Please check the email address; it should look like name@example.com."),
            },
            **{f"window{n}_date": {"invalid": DATE_INVALID} for n in WINDOWS},
            "window1_date": {"required": _("Please choose a date that suits you."), "invalid": DATE_INVALID},
            "window1_part": {"required": _("Please choose a time of day.")},
            "who_for": {"required": _("Please tell us who the consultation is for.")},
            "safe_now": {"required": _("Please answer this question; it helps us reach you in time.")},
        }

    def __init__(self, *args, profile=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.filled_in_seconds = 0
        self.profile = profile or ClinicProfile.load()
        # Only the ways of meeting someone offers (all three while nobody takes bookings).
        modes = Specialist.objects.bookable().offered_modes() or list(Mode)
        self.fields["mode"].choices = [(mode.value, mode.label) for mode in modes]
        # WhatsApp's rules: the visitor agrees to messages from the business, by its name.
        whatsapp = _("WhatsApp messages from %(clinic)s") % {"clinic": self.profile.name}
        self.fields["contact_channels"].choices = [
            (name, whatsapp if name == "whatsapp" else capfirst(label))
            for name, label in CONTACT_CHANNELS.items()
        ]
        self.fields["consent"].label = format_html(
            _(
                "I agree that {clinic} may use these details to reply to this request, "
                'as the <a href="{privacy_url}">privacy notice</a> explains.'
            ),
            clinic=self.profile.name,
            privacy_url=reverse("clinic:privacy"),
        )

    @classmethod
    def _adjust_fields(cls):
        """Made once on the class, which every form copies: cheaper than per form."""
        fields = cls.base_fields
        meta = cls._meta
        fields.update(
            fields_for_model(
                ConsultationRequest,
                ["message", "mode", *WINDOW_FIELDS],
                labels=meta.labels,
                help_texts=meta.help_texts,
                widgets=meta.widgets,
                error_messages=meta.error_messages,
            )
        )
        fields["mode"].error_messages["invalid_choice"] = _("Please choose one of the ways of meeting shown.")
        # After Back, the browser must not restore these by position into lists
        # that have changed: the page comes fresh, consistent with itself.
        for name in ["mode", "preferred_specialist", "no_time_suits"]:
            fields[name].widget.attrs["autocomplete"] = "off"
        fields["safe_now"].choices = SafeNow.choices
        fields["who_for"].choices = WhoFor.choices
        for name in CAMPAIGN_FIELDS:
            fields[name] = QuietHiddenField()
        for n in WINDOWS:
            fields[f"window{n}_part"].choices = [("", _("Choose a time of day")), *DayPart.choices]
        # Needed only without a chosen time, and never from someone who is not safe (clean()).
        fields["window1_date"].required = fields["window1_part"].required = False
        fields["message"].error_messages["max_length"] = _(
            "Please keep the message to 1,000 characters (it has %(show_value)d). "
            "You can tell us more when we talk."
        )
        fields["name"].error_messages["max_length"] = _("Please keep the name to 120 characters.")
        fields["name"].widget.attrs["autocomplete"] = "name"
        fields["email"].widget.attrs["autocomplete"] = "email"

    @property
    def windows(self):
        return [(self[f"window{n}_date"], self[f"window{n}_part"]) for n in WINDOWS]

    @classmethod
    def initial_from_query(cls, query):
        """Prefill from the link that brought the visitor here."""
        initial = {"submission_key": new_submission_key()}
        for field, param in LINK_PARAMETERS.items():
            slug = clean_slug(query.get(param))
            if slug:
                initial[field] = slug
        for name in CAMPAIGN_FIELDS:
            value = query.get(name, "").replace("\x00", "")[:100]
            if value:
                initial[name] = value
        return initial

    @classmethod
    def initial_from_data(cls, data):
        """What was posted, as the initial values of a fresh form (to show it again unchecked)."""
        initial = {}
        for name, field in cls.base_fields.items():
            if isinstance(field, forms.MultipleChoiceField):
                initial[name] = data.getlist(name)
            elif name in data:
                initial[name] = data.get(name)
        return initial

    @property
    def looks_automated(self):
        """Filled the hidden field, or sent the form faster than a person can."""
        return (
            bool(self.cleaned_data.get("website"))
            or self.filled_in_seconds < settings.BOOKING_MIN_FILL_SECONDS
        )

    def clean_submission_key(self):
        value = self.cleaned_data.get("submission_key", "")
        signer = signing.TimestampSigner(salt=SUBMISSION_SALT)
        try:
            # Keys gathered in advance stop working, so they cannot pass the fill-time check later.
            key = signer.unsign(value, max_age=timedelta(hours=settings.BOOKING_FORM_MAX_AGE_HOURS))
        except signing.SignatureExpired:
            return self._renew_key(
                _("This form was open for several hours. Please check your details and send it again.")
            )
        except signing.BadSignature:
            # Not from our form: a fresh key, so the visitor can simply send again.
            return self._renew_key(
                _("Something went wrong with this form. Please check your details and send it again.")
            )
        try:
            # Its age tells a person from a script.
            signer.unsign(value, max_age=settings.BOOKING_MIN_FILL_SECONDS)
        except signing.SignatureExpired:
            self.filled_in_seconds = settings.BOOKING_MIN_FILL_SECONDS
        else:
            self.filled_in_seconds = 0
        return key

    def _renew_key(self, message):
        self.data = self.data.copy()
        self.data["submission_key"] = new_submission_key()
        self.add_error(None, message)
        return ""

    def clean_source_article(self):
        slug = clean_slug(self.cleaned_data.get("source_article"))
        if not slug:
            return None
        return Article.objects.published().filter(slug=slug).first()

    def _check_window(self, n, earliest, latest, open_days, holidays):
        day = self.cleaned_data.get(f"window{n}_date")
        part = self.cleaned_data.get(f"window{n}_part")
        if day is None and not part:
            return None
        if day is None:
            if f"window{n}_date" not in self.errors:
                field = self.fields[f"window{n}_date"]
                self.add_error(
                    f"window{n}_date",
                    field.error_messages["required"]
                    if n == 1
                    else _("Please choose a date for this time of day."),
                )
            return None
        if not part:
            field = self.fields[f"window{n}_part"]
            self.add_error(
                f"window{n}_part",
                field.error_messages["required"]
                if n == 1
                else _("Please choose a time of day for this date."),
            )
            return None
        start = window_start(day, part)
        today = timezone.localdate()
        if day < today or (day == today and start <= timezone.now()):
            error = _("This date has passed. Please choose a day from tomorrow on.")
        elif day.weekday() not in open_days:
            error = _("The clinic is closed on %(days)s. Please choose another day.") % {
                "days": WEEKDAYS[day.weekday()]
            }
        elif day in holidays:
            error = _("The clinic is closed on %(day)s. Please choose another day.") % {
                "day": date_format(day, "l j F")
            }
        elif start < earliest:
            hours = settings.BOOKING_MIN_NOTICE_HOURS
            error = _("We need at least %(hours)s hours' notice. Please choose a later day or time.") % {
                "hours": hours
            }
        elif day > latest:
            error = _("Please choose a day within the next %(days)s days.") % {
                "days": settings.BOOKING_MAX_DAYS_AHEAD
            }
        else:
            return (day, part)
        self.add_error(f"window{n}_date", error)
        return None

    @property
    def safe(self):
        """False when the visitor said they are not safe: then no time is required."""
        return self.data.get("safe_now", self.initial.get("safe_now")) != SafeNow.NO

    def _clean_slot(self):
        """The key of the time the visitor chose, or None. Whether it is still open
        is checked once, when it is held (services.submit_request raises TimeTaken)."""
        key = self.cleaned_data.get("slot", "")
        if not key or self.cleaned_data.get("no_time_suits"):
            return None
        parsed = availability.parse_slot_key(key)
        specialist = self.cleaned_data.get("preferred_specialist")
        if parsed is None:
            self.add_error("slot", _("Please choose one of the times shown."))
        elif specialist is not None and parsed[0] != specialist.pk:
            self.add_error(
                "slot", _("That time was with another specialist. Please choose one of the times below.")
            )
        else:
            return key
        return None

    def clean(self):
        cleaned = super().clean()
        specialist, mode = cleaned.get("preferred_specialist"), cleaned.get("mode")
        if specialist is not None and mode and not specialist.offers(mode):
            self.add_error(
                "mode",
                _("%(name)s does not offer this way of meeting. Please choose another, or “No preference”.")
                % {"name": specialist.name},
            )
        if mode in REMOTE_MODES and not cleaned.get("remote_consent"):
            self.add_error(
                "remote_consent",
                _("Please agree to a video or phone consultation, or choose to meet in the clinic."),
            )
        cleaned["slot"] = self._clean_slot()
        if cleaned["slot"] or "slot" in self.errors:
            # A chosen time stands in for the preferred windows.
            for name in WINDOW_FIELDS:
                cleaned[name] = None if name.endswith("_date") else ""
                self.errors.pop(name, None)
            return cleaned
        windows_given = any(self.data.get(name) for name in WINDOW_FIELDS)
        if self.safe and not windows_given and not cleaned.get("no_time_suits"):
            self.add_error(
                "slot",
                _(
                    "Please choose one of the open times, or tick “None of these suit me” and tell us what suits you."
                ),
            )
            return cleaned
        earliest = timezone.now() + timedelta(hours=settings.BOOKING_MIN_NOTICE_HOURS)
        latest = timezone.localdate() + timedelta(days=settings.BOOKING_MAX_DAYS_AHEAD)
        open_days = self.profile.open_weekday_numbers or set(range(7))
        if self.safe and not windows_given:
            self.add_error("window1_date", self.fields["window1_date"].error_messages["required"])
            self.add_error("window1_part", self.fields["window1_part"].error_messages["required"])
        holidays = availability.holidays_between(timezone.localdate(), latest)
        seen = set()
        for n in WINDOWS:
            window = self._check_window(n, earliest, latest, open_days, holidays)
            if window is not None and window in seen:
                self.add_error(f"window{n}_date", _("You have chosen this day and time already."))
            elif window is not None:
                seen.add(window)
        return cleaned

    def save(self, commit=False):
        consultation = super().save(commit=False)
        consultation.contact_channels = self.cleaned_data["contact_channels"]
        for name in [*CHECKED_BY_FORM, *CAMPAIGN_FIELDS, "submission_key", "source_article"]:
            setattr(consultation, name, self.cleaned_data[name])
        if consultation.mode in REMOTE_MODES:
            consultation.remote_consent_at = timezone.now()
        return consultation


ConsultationRequestForm._adjust_fields()


class OpenTimesQuery(forms.Form):
    """The open-times fragment's query: how to meet, with whom, and the time already chosen."""

    mode = forms.ChoiceField(choices=Mode.choices)
    specialist = SlugChoiceField(Specialist.objects.bookable(), required=False)
    slot = QuietHiddenField(max_length=40)
    all_days = forms.BooleanField(required=False)
