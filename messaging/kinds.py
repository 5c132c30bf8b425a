"""What each message says: one class per kind, naming who it goes to, its
subject, its template (templates/emails/<template>.txt and .html) and whether
it is still wanted when its turn comes. messaging.outbox sends them; the
visitor's in the language they booked in, the clinic's in English."""

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from bookings import calendar, receipts, rooms, tokens, upi
from clinic.links import absolute_url
from clinic.models import ClinicProfile, Mode

from . import texts

# The channels beside email that carry fixed texts (messaging.texts).
TEXT_CHANNELS = ["sms", "whatsapp"]


def appointment_context(appointment):
    fee = appointment.fee if appointment.fee is not None else appointment.specialist.fee_for(appointment.mode)
    return {
        "appointment": appointment,
        "when": date_format(timezone.localtime(appointment.start), "l j F Y, g:i A"),
        "fee": fee,
        "room_link": rooms.participant_link(appointment),
        "join_opens_minutes": settings.VIDEO_JOIN_OPENS_MINUTES,
        "cutoff_hours": settings.BOOKING_CHANGE_CUTOFF_HOURS,
        # Paying ahead of a video or phone consultation, where the clinic takes UPI.
        "upi_link": upi.pay_link(ClinicProfile.load(), fee, appointment.consultation.reference)
        if appointment.is_confirmed and appointment.mode != Mode.IN_CLINIC
        else "",
    }


class MessageKind:
    name = ""  # stored in OutgoingMessage.kind
    label = ""  # for the admin
    subject = ""  # with %(clinic)s
    template = ""
    text = None  # a messaging.texts.Text, for kinds also sent by SMS and WhatsApp
    mode_texts = {}  # another text for an appointment by video or phone
    link_to_booking = False  # the text's link: the booking form, else the visitor's own page
    email_if_undelivered = False  # sent on one channel only: by email when that fails for good

    def channels(self, consultation):
        """Email always; a kind with a text also each texting channel the visitor
        chose, where the site has one (settings.MESSAGE_CHANNELS)."""
        chosen = consultation.contact_channels if self.text else []
        return [
            "email",
            *[name for name in TEXT_CHANNELS if name in chosen and name in settings.MESSAGE_CHANNELS],
        ]

    def text_for(self, message):
        appointment = message.appointment
        return self.mode_texts.get(appointment.mode if appointment else None, self.text)

    def text_variables(self, message, clinic):
        consultation = message.consultation
        path = reverse("bookings:book") if self.link_to_booking else tokens.status_path(consultation)
        variables = {"clinic": clinic.name, "reference": consultation.reference, "link": absolute_url(path)}
        if message.appointment is not None:
            start = timezone.localtime(message.appointment.start)
            variables.update(
                date=date_format(start, "D j M"),
                time=date_format(start, "g:i A"),
                room=rooms.participant_link(message.appointment),
                last_digits=consultation.phone.as_e164[-4:] if consultation.phone else "",
                count=str(len(series_sessions(message.appointment))),
            )
        return variables

    def language(self, message):
        return message.consultation.page_language

    def wanted(self, message):
        """Not for an erased request, nor by a text the visitor did not agree to (or switched off)."""
        consultation = message.consultation
        return not consultation.erased_at and (
            message.channel not in TEXT_CHANNELS or message.channel in consultation.contact_channels
        )

    def recipients(self, message, clinic):
        return [message.consultation.email]

    def reply_to(self, clinic):
        return [clinic.email]

    def subject_line(self, message, clinic):
        return str(self.subject) % {"clinic": clinic.name}

    def context(self, message):
        return {"status_url": absolute_url(tokens.status_path(message.consultation))}

    def invitation(self, message, clinic):
        """The calendar invitation it carries, (iTIP method, .ics bytes), or None."""
        return None

    def calendar_files(self, message, clinic):
        """More calendar files it carries, [(file name, .ics bytes)]."""
        return []


class ToVisitorAboutAppointment(MessageKind):
    """Nothing to say once its appointment is gone, or (when `confirmed`) no
    longer confirmed. Each carries the calendar file, whose SEQUENCE moves on."""

    confirmed = True

    def wanted(self, message):
        appointment = message.appointment
        if appointment is None or (self.confirmed and not appointment.is_confirmed):
            return False
        return super().wanted(message)

    def context(self, message):
        return {**super().context(message), **appointment_context(message.appointment)}

    def invitation(self, message, clinic):
        appointment = message.appointment
        return calendar.invitation_method(appointment), calendar.appointment_calendar(appointment, clinic)


class Acknowledgement(MessageKind):
    name, label = "acknowledgement", "Acknowledgement (to visitor)"
    subject = _("Your request to %(clinic)s")
    template = "acknowledgement"

    def context(self, message):
        context = {**super().context(message), "first_name": message.consultation.first_name}
        # The time they chose, as things stand when it is sent (awaiting confirmation).
        held = message.consultation.appointments.held().select_related("specialist").first()
        if held is not None:
            context.update(appointment_context(held))
        return context


class Confirmation(ToVisitorAboutAppointment):
    name, label = "confirmation", "Appointment confirmation"
    subject = _("Your appointment at %(clinic)s is confirmed")
    template = "appointment_confirmation"
    text = texts.CONFIRMATION
    mode_texts = {Mode.VIDEO: texts.CONFIRMATION_VIDEO, Mode.PHONE: texts.CONFIRMATION_PHONE}


def series_sessions(appointment):
    """The confirmed sessions of the appointment's series (just it, when it has none)."""
    if appointment.series_id is None:
        return [appointment] if appointment.is_confirmed else []
    return list(appointment.series.sessions.confirmed().select_related("specialist"))


class SeriesConfirmation(ToVisitorAboutAppointment):
    """One message for sessions booked together: every date, and a calendar
    event per session (each its own UID, as each session moves alone; iTIP
    carries one event per invitation, so they come as files). Its appointment
    is the series' first session; the dates are those still confirmed."""

    name, label = "series_confirmation", "Sessions confirmed (series)"
    subject = _("Your appointments at %(clinic)s are confirmed")
    template = "series_confirmation"
    text = texts.SERIES_CONFIRMATION
    confirmed = False

    def wanted(self, message):
        return super().wanted(message) and bool(series_sessions(message.appointment))

    def context(self, message):
        sessions = series_sessions(message.appointment)
        return {
            **super().context(message),
            "sessions": [(session, appointment_context(session)) for session in sessions],
        }

    def invitation(self, message, clinic):
        return None

    def calendar_files(self, message, clinic):
        return [
            (f"session-{number}.ics", calendar.appointment_calendar(session, clinic))
            for number, session in enumerate(series_sessions(message.appointment), start=1)
        ]


class Moved(ToVisitorAboutAppointment):
    name, label = "reschedule", "Appointment moved"
    subject = _("Your appointment at %(clinic)s has changed")
    template = "appointment_reschedule"
    text = texts.MOVED
    mode_texts = {Mode.VIDEO: texts.MOVED_VIDEO, Mode.PHONE: texts.MOVED_PHONE}


class Cancelled(ToVisitorAboutAppointment):
    """Sent whoever cancelled (the clinic or the visitor): the calendar event goes."""

    name, label = "cancellation", "Appointment cancelled"
    subject = _("Your appointment at %(clinic)s is cancelled")
    template = "appointment_cancellation"
    text = texts.CANCELLED
    link_to_booking = True
    confirmed = False


class Reminder(ToVisitorAboutAppointment):
    name, label = "reminder", "Appointment reminder"
    subject = _("Reminder: your appointment at %(clinic)s")
    template = "appointment_reminder"
    text = texts.REMINDER
    mode_texts = {Mode.VIDEO: texts.REMINDER_VIDEO, Mode.PHONE: texts.REMINDER_PHONE}
    email_if_undelivered = True

    def channels(self, consultation):
        """The visitor's preferred one: WhatsApp, else SMS, else email."""
        return super().channels(consultation)[-1:]

    def wanted(self, message):
        # Not for a time it has been moved from.
        return super().wanted(message) and message.appointment.start == message.reminder_for

    def invitation(self, message, clinic):
        return None


class WaitlistOffer(MessageKind):
    """A freed time, to a visitor on the waitlist; wanted while the offer stands."""

    name, label = "waitlist_offer", "A freed time offered (waitlist)"
    subject = _("A time has come free at %(clinic)s")
    template = "waitlist_offer"
    text = texts.WAITLIST_OFFER

    def wanted(self, message):
        return message.offer is not None and message.offer.is_open and super().wanted(message)

    def claim_url(self, message):
        token = tokens.token_for(message.consultation)
        return absolute_url(reverse("bookings:claim", kwargs={"token": token, "offer": message.offer.pk}))

    def text_variables(self, message, clinic):
        start = timezone.localtime(message.offer.start)
        return {
            **super().text_variables(message, clinic),
            "date": date_format(start, "D j M"),
            "time": date_format(start, "g:i A"),
            "link": self.claim_url(message),
        }

    def context(self, message):
        offer = message.offer
        return {
            **super().context(message),
            "first_name": message.consultation.first_name,
            "offer": offer,
            "when": date_format(timezone.localtime(offer.start), "l j F Y, g:i A"),
            "claim_url": self.claim_url(message),
            "expires": date_format(timezone.localtime(offer.expires_at), "l j F, g:i A"),
        }


class Receipt(MessageKind):
    """A payment's receipt, emailed when the visitor or reception asks for it."""

    name, label = "receipt", "Receipt (to visitor)"
    subject = _("Your receipt from %(clinic)s")
    template = "receipt"

    def wanted(self, message):
        return message.payment is not None and super().wanted(message)

    def context(self, message):
        return {**super().context(message), **receipts.receipt_context(message.payment)}


class HoldReleased(MessageKind):
    name, label = "hold_released", "Chosen time released (to visitor)"
    subject = _("Please choose another time with %(clinic)s")
    template = "hold_released"
    text = texts.RELEASED
    link_to_booking = True

    def context(self, message):
        return {
            **super().context(message),
            "first_name": message.consultation.first_name,
            "book_url": absolute_url(reverse("bookings:book")),
        }


class ToClinic(MessageKind):
    """Reception's own notices: in English, to the clinic inbox, with a link to the request."""

    def language(self, message):
        return settings.LANGUAGE_CODE

    def wanted(self, message):
        return True

    def recipients(self, message, clinic):
        return [settings.CLINIC_INBOX_EMAIL or clinic.email]

    def reply_to(self, clinic):
        return None

    def context(self, message):
        path = reverse("admin:bookings_consultationrequest_change", args=[message.consultation.pk])
        return {"admin_url": absolute_url(path)}


class NewRequest(ToClinic):
    name, label = "new_request", "New request (to clinic)"
    template = "new_request"

    def subject_line(self, message, clinic):
        consultation = message.consultation
        prefix = "Urgent: new" if consultation.urgent else "New"
        return f"{prefix} consultation request {consultation.reference}"


class VisitorChange(ToClinic):
    name, label = "visitor_change", "Changed by the visitor (to clinic)"
    template = "visitor_change"

    def subject_line(self, message, clinic):
        return f"Changed by the visitor: request {message.consultation.reference}"

    def context(self, message):
        # As things stand when it is sent: the latest appointment, if any.
        latest = message.consultation.appointments.select_related("specialist").order_by("-pk").first()
        context = {**super().context(message), "latest": latest}
        if latest is not None:
            context["when"] = date_format(timezone.localtime(latest.start), "l j F Y, g:i A")
        return context


KINDS = {
    kind.name: kind()
    for kind in (
        Acknowledgement,
        NewRequest,
        Confirmation,
        SeriesConfirmation,
        Moved,
        Cancelled,
        Reminder,
        HoldReleased,
        WaitlistOffer,
        Receipt,
        VisitorChange,
    )
}
