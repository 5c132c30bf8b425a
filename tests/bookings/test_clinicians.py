"""Issue 15: clinicians see their own bookings, read-only, and have a private,
revocable calendar feed with times, mode and reference only."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from icalendar import Calendar

from tests.factories import AppointmentFactory, ConsultationRequestFactory, SpecialistFactory, UserFactory

pytestmark = pytest.mark.django_db
APPOINTMENTS = reverse("admin:bookings_appointment_changelist")
REQUESTS = reverse("admin:bookings_consultationrequest_changelist")


@pytest.fixture
def clinician(client):
    user = UserFactory(username="dr-ira")
    user.groups.add(Group.objects.get(name="Clinicians"))
    specialist = SpecialistFactory(name="Dr Ira Sen", user=user)
    client.force_login(user)
    return specialist


def test_a_clinician_sees_only_their_own_appointments_and_requests(client, clinician):
    mine = AppointmentFactory(specialist=clinician, consultation__name="Own Visitor")
    theirs = AppointmentFactory(consultation__name="Other Visitor")
    assigned = ConsultationRequestFactory(name="Assigned Visitor", assigned_to=clinician.user)
    ConsultationRequestFactory(name="Unrelated Visitor")

    html = client.get(APPOINTMENTS).content.decode()
    assert mine.consultation.reference in html
    assert theirs.consultation.reference not in html

    html = client.get(REQUESTS).content.decode()
    assert "Own Visitor" in html and "Assigned Visitor" in html
    assert "Other Visitor" not in html and "Unrelated Visitor" not in html
    assert "Export selected" not in html

    other_url = reverse("admin:bookings_consultationrequest_change", args=[theirs.consultation.pk])
    assert client.get(other_url).status_code == 404  # the same answer as for no such request
    own_url = reverse("admin:bookings_consultationrequest_change", args=[assigned.pk])
    page = client.get(own_url)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="assigned_to"' not in html  # read-only
    assert 'type="submit" value="Save"' not in html


def test_reception_still_sees_everything(client):
    user = UserFactory(username="front-desk")
    user.groups.add(Group.objects.get(name="Reception"))
    client.force_login(user)
    first, second = AppointmentFactory(), AppointmentFactory()
    html = client.get(APPOINTMENTS).content.decode()
    assert first.consultation.reference in html and second.consultation.reference in html


def test_the_feed_shows_times_mode_and_reference_and_404s_once_revoked(client, clinician):
    appointment = AppointmentFactory(
        specialist=clinician, mode="video", consultation__name="Priya Secret", consultation__message="private"
    )
    AppointmentFactory(consultation__name="Someone Else")
    clinician.renew_calendar_token()
    url = reverse("bookings:specialist_calendar", args=[clinician.calendar_token])

    client.logout()  # calendar apps have no session
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    assert "no-store" in response["Cache-Control"]
    body = response.content.decode()
    assert "Priya" not in body and "private" not in body
    events = Calendar.from_ical(response.content).walk("VEVENT")
    assert len(events) == 1
    assert str(events[0]["summary"]) == f"Video call · {appointment.consultation.reference}"
    assert events[0]["dtstart"].dt == appointment.start.replace(microsecond=0)

    old_token = clinician.calendar_token
    clinician.renew_calendar_token()
    assert client.get(reverse("bookings:specialist_calendar", args=[old_token])).status_code == 404
    clinician.revoke_calendar_token()
    assert client.get(url).status_code == 404
    assert client.get(reverse("bookings:specialist_calendar", args=["x"])).status_code == 404


def test_feed_actions_in_the_specialist_admin(admin_client):
    specialist = SpecialistFactory()
    changelist = reverse("admin:clinic_specialist_changelist")
    admin_client.post(changelist, {"action": "renew_calendar_feed", "_selected_action": [specialist.pk]})
    specialist.refresh_from_db()
    assert specialist.calendar_token
    page = admin_client.get(reverse("admin:clinic_specialist_change", args=[specialist.pk])).content.decode()
    assert f"/book/calendar/{specialist.calendar_token}/appointments.ics" in page
    admin_client.post(changelist, {"action": "revoke_calendar_feed", "_selected_action": [specialist.pk]})
    specialist.refresh_from_db()
    assert specialist.calendar_token == ""


def test_a_clinician_finds_their_feed_on_the_admin_index(client, clinician):
    clinician.renew_calendar_token()
    html = client.get(reverse("admin:index")).content.decode()
    assert f"/book/calendar/{clinician.calendar_token}/appointments.ics" in html


def test_the_access_log_hides_the_feed_token():
    from clinic.access_log import TOKEN_IN_PATH

    assert TOKEN_IN_PATH.sub(r"\1[redacted]", "GET /book/calendar/abc123/appointments.ics") == (
        "GET /book/calendar/[redacted]/appointments.ics"
    )


def test_a_clinician_does_not_see_the_clinics_request_counts(client, clinician):
    ConsultationRequestFactory.create_batch(2)
    html = client.get(reverse("admin:index")).content.decode()
    assert "new, awaiting contact" not in html
