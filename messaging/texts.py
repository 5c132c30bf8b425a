"""The fixed texts of SMS and WhatsApp messages, each with its exact words in
one place. India's SMS rules (DLT) drop any text that does not match a template
registered with the operator, and WhatsApp sends only approved templates
outside a 24-hour window: `manage.py message_templates` prints every text in
every language, as the owner registers it, with the setting that takes its ID.

What a lock screen may show: the clinic (left out for visitors who asked for
discreet messages; WhatsApp names the clinic's account whatever we write), the
date, the time, the reference and a link to this site. Never the concern, the
specialist or a word like "therapy"."""

from dataclasses import dataclass
from string import Formatter

from django.utils.translation import gettext_lazy as _

# "{clinic}: " before the words, unless the visitor asked for discreet messages.
NAMED = "{clinic}: "


@dataclass(frozen=True)
class Text:
    name: str
    words: str  # with {date}, {time}, {reference}, {link}, and for some {room}, {last_digits} or {count}

    def template(self, *, discreet):
        """The registered template: the words as sent, variables in braces."""
        return str(self.words) if discreet else NAMED + str(self.words)

    def variables(self, *, discreet):
        """The variables in the order the template names them (WhatsApp numbers them so)."""
        return [name for _, name, _, _ in Formatter().parse(self.template(discreet=discreet)) if name]

    def key(self, *, discreet):
        """The template's name in MESSAGE_TEMPLATE_IDS (with the channel and language)."""
        return f"{self.name}_discreet" if discreet else self.name


CONFIRMATION = Text(
    "confirmation",
    _(
        "Your appointment on {date} at {time} is confirmed. Reference {reference}. Details and changes: {link}"
    ),
)
MOVED = Text(
    "moved", _("Your appointment is now on {date} at {time}. Reference {reference}. Details: {link}")
)
CANCELLED = Text(
    "cancelled",
    _("Your appointment on {date} at {time} is cancelled. Reference {reference}. To book again: {link}"),
)
RELEASED = Text(
    "released",
    _("The time you chose could not be confirmed. Reference {reference}. Please choose another: {link}"),
)
REMINDER = Text(
    "reminder", _("Reminder: your appointment is on {date} at {time}. Reference {reference}. Details: {link}")
)
# Video and phone appointments: how to join, or which number we call. The
# room's link takes the place of the visitor's page (two SMS parts at most).
CONFIRMATION_VIDEO = Text(
    "confirmation_video",
    _("Your video appointment on {date} at {time} is confirmed. Join: {room} Reference {reference}."),
)
MOVED_VIDEO = Text(
    "moved_video",
    _("Your video appointment is now on {date} at {time}. Join: {room} Reference {reference}."),
)
REMINDER_VIDEO = Text(
    "reminder_video",
    _("Reminder: your video appointment is on {date} at {time}. Join: {room} Reference {reference}."),
)
CONFIRMATION_PHONE = Text(
    "confirmation_phone",
    _(
        "Phone appointment confirmed: {date} at {time}. We will call your number ending "
        "{last_digits}. Reference {reference}. Details: {link}"
    ),
)
MOVED_PHONE = Text(
    "moved_phone",
    _(
        "Phone appointment moved to {date} at {time}. We will call your number ending "
        "{last_digits}. Reference {reference}. Details: {link}"
    ),
)
REMINDER_PHONE = Text(
    "reminder_phone",
    _(
        "Reminder: phone appointment on {date} at {time}. We will call your number ending "
        "{last_digits}. Reference {reference}. Details: {link}"
    ),
)
SERIES_CONFIRMATION = Text(
    "series_confirmation",
    _(
        "Your {count} appointments from {date} at {time} are confirmed. Reference {reference}. "
        "Dates and changes: {link}"
    ),
)
WAITLIST_OFFER = Text(
    "waitlist_offer",
    _("A time has come free: {date} at {time}. Reference {reference}. The first to take it has it: {link}"),
)
TEXTS = [
    CONFIRMATION,
    MOVED,
    CANCELLED,
    RELEASED,
    REMINDER,
    CONFIRMATION_VIDEO,
    MOVED_VIDEO,
    REMINDER_VIDEO,
    CONFIRMATION_PHONE,
    MOVED_PHONE,
    REMINDER_PHONE,
    SERIES_CONFIRMATION,
    WAITLIST_OFFER,
]
