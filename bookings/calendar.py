"""Calendar files (.ics) for appointments. The event names the clinic only:
calendars are shared and shown on lock screens."""

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from icalendar import Calendar, Event, vCalAddress, vText

from clinic.links import site_domain

from .models import Mode

PRODID = "-//Clinic website//Appointments//EN"


def appointment_calendar(appointment, clinic):
    cancelled = appointment.status == appointment.Status.CANCELLED
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "CANCEL" if cancelled else "PUBLISH")

    event = Event()
    event.add("uid", f"appointment-{appointment.pk}@{site_domain()}")
    event.add("sequence", appointment.sequence)
    event.add("dtstamp", timezone.now())
    event.add("dtstart", timezone.localtime(appointment.start))
    event.add("dtend", timezone.localtime(appointment.end))
    event.add("summary", _("Appointment at %(clinic)s") % {"clinic": clinic.name})
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    organizer = vCalAddress(f"mailto:{clinic.email}")
    organizer.params["cn"] = vText(clinic.name)
    event.add("organizer", organizer)
    if appointment.mode == Mode.IN_CLINIC:
        event.add("location", ", ".join([clinic.name, *clinic.address_lines]))
    elif appointment.mode == Mode.VIDEO:
        event.add("location", appointment.video_link or _("Video call"))
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
        event.add("description", f"Reference {reference}. Details in the clinic admin.")
        calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()
