"""Calendar files (.ics) for appointments. The event names the clinic only:
calendars are shared and shown on lock screens. The visitor's is an iTIP
invitation (RFC 5546): REQUEST from the clinic as organizer to the visitor as
attendee, then CANCEL, one UID with a rising SEQUENCE, so their calendar
updates the one event."""

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from icalendar import Calendar, Event, vCalAddress, vText

from clinic.links import absolute_url, site_domain

from . import rooms
from .models import Mode

PRODID = "-//Clinic website//Appointments//EN"


def invitation_method(appointment):
    return "CANCEL" if appointment.status == appointment.Status.CANCELLED else "REQUEST"


def appointment_calendar(appointment, clinic):
    method = invitation_method(appointment)
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", method)

    event = Event()
    event.add("uid", f"appointment-{appointment.pk}@{site_domain()}")
    event.add("sequence", appointment.sequence)
    event.add("dtstamp", timezone.now())
    event.add("dtstart", timezone.localtime(appointment.start))
    event.add("dtend", timezone.localtime(appointment.end))
    event.add("summary", _("Appointment at %(clinic)s") % {"clinic": clinic.name})
    event.add("status", "CANCELLED" if method == "CANCEL" else "CONFIRMED")
    event.add("class", "PRIVATE")
    organizer = vCalAddress(f"mailto:{clinic.email}")
    organizer.params["cn"] = vText(clinic.name)
    event.add("organizer", organizer)
    # No RSVP: the visitor answers reception, not the calendar.
    attendee = vCalAddress(f"mailto:{appointment.consultation.email}")
    attendee.params.update(role="REQ-PARTICIPANT", partstat="ACCEPTED", rsvp="FALSE")
    event.add("attendee", attendee)
    if appointment.mode == Mode.IN_CLINIC:
        event.add("location", ", ".join([clinic.name, *clinic.address_lines]))
    elif appointment.mode == Mode.VIDEO and appointment.video_link:
        link = rooms.participant_link(appointment)
        event.add("location", link)
        event.add("url", link)
    elif appointment.mode == Mode.VIDEO:
        event.add("location", _("Video call"))
    else:
        event.add("location", _("Phone call"))
    event.add(
        "description",
        _("Reference %(reference)s. Questions: %(phone)s.")
        % {"reference": appointment.consultation.reference, "phone": clinic.phone},
    )
    calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()


def specialist_calendar(specialist, appointments):
    """A specialist's private feed: times, mode and reference, nothing more
    (a subscribed calendar syncs to phones, watches and shared accounts)."""
    host = site_domain()
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", "Clinic appointments")
    calendar.add("x-wr-timezone", settings.TIME_ZONE)
    for appointment in appointments:
        reference = appointment.consultation.reference
        event = Event()
        event.add("uid", f"specialist-appointment-{appointment.pk}@{host}")
        event.add("sequence", appointment.sequence)
        event.add("dtstamp", timezone.now())
        event.add("dtstart", timezone.localtime(appointment.start))
        event.add("dtend", timezone.localtime(appointment.end))
        event.add("summary", f"{appointment.get_mode_display()} · {reference}")
        event.add("status", "TENTATIVE" if appointment.is_held else "CONFIRMED")
        description = f"Reference {reference}. Details in the clinic admin."
        if appointment.mode == Mode.VIDEO and appointment.video_link:
            # The admin's join link: it asks the clinician to sign in.
            room = absolute_url(reverse("admin:bookings_appointment_join", args=[appointment.pk]))
            event.add("url", room)
            description += f" Video room: {room}"
        event.add("description", description)
        calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()
