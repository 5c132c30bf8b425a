"""Issue 15: reception confirms a visitor's held time in one click, or offers another."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone

from bookings import services
from bookings.availability import open_times
from bookings.models import Appointment, ConsultationRequest
from clinic.models import Mode
from messaging.models import OutgoingMessage
from tests.factories import ConsultationRequestFactory, UserFactory, specialist_working_every_day

pytestmark = pytest.mark.django_db


@pytest.fixture
def hold(clinic_profile):
    specialist = specialist_working_every_day(name="Dr Rao")
    day = timezone.localdate() + timedelta(days=3)
    slot = dict(open_times(Mode.VIDEO, specialist))[day][0]
    consultation = ConsultationRequestFactory.build(
        name="Priya Sharma", mode=Mode.VIDEO, window1_date=None, window1_part="", concern=None
    )
    consultation, _ = services.submit_request(consultation, slot=slot)
    return consultation.appointments.get()


def request_url(appointment):
    return reverse("admin:bookings_consultationrequest_change", args=[appointment.consultation_id])


def test_the_request_page_offers_confirm_and_another_time(admin_client, hold):
    html = admin_client.get(request_url(hold)).content.decode()
    assert reverse("admin:bookings_appointment_confirm", args=[hold.pk]) in html
    assert ">Confirm</button>" in html
    assert "Offer another time" in html
    assert "awaiting confirmation" in html


def test_one_click_confirms_the_hold_and_writes_the_confirmation(admin_client, hold):
    response = admin_client.post(reverse("admin:bookings_appointment_confirm", args=[hold.pk]))
    assert response.status_code == 302 and response.url == request_url(hold)
    hold.refresh_from_db()
    assert hold.status == Appointment.Status.CONFIRMED
    assert hold.consultation.status == ConsultationRequest.Status.SCHEDULED
    assert OutgoingMessage.objects.filter(consultation=hold.consultation, kind="confirmation").exists()
    html = admin_client.get(request_url(hold)).content.decode()
    assert ">Confirm</button>" not in html
    # A second click explains rather than fails.
    admin_client.post(reverse("admin:bookings_appointment_confirm", args=[hold.pk]))
    assert admin_client.get(reverse("admin:bookings_appointment_confirm", args=[hold.pk])).status_code in (
        403,
        405,
    )


def test_confirm_is_post_only(admin_client, hold):
    assert admin_client.get(reverse("admin:bookings_appointment_confirm", args=[hold.pk])).status_code == 405
    hold.refresh_from_db()
    assert hold.is_held


def test_offer_another_time_moves_and_confirms(admin_client, hold):
    url = reverse("admin:bookings_appointment_offer", args=[hold.pk])
    assert admin_client.get(url).status_code == 200
    new_start = timezone.localtime(hold.start) + timedelta(days=1)
    response = admin_client.post(
        url,
        {
            "specialist": hold.specialist_id,
            "start_0": f"{new_start:%Y-%m-%d}",
            "start_1": f"{new_start:%H:%M}",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    hold.refresh_from_db()
    assert hold.status == Appointment.Status.CONFIRMED and hold.start == new_start


def test_offer_outside_working_hours_is_explained_beside_the_field(admin_client, hold):
    url = reverse("admin:bookings_appointment_offer", args=[hold.pk])
    late = timezone.localtime(hold.start).replace(hour=21, minute=0)
    response = admin_client.post(
        url, {"specialist": hold.specialist_id, "start_0": f"{late:%Y-%m-%d}", "start_1": "21:00"}
    )
    assert response.status_code == 200
    assert "working hours" in response.content.decode()
    hold.refresh_from_db()
    assert hold.is_held


def test_reception_may_confirm_a_clinician_may_not(client, hold):
    clinician = UserFactory(username="dr")
    clinician.groups.add(Group.objects.get(name="Clinicians"))
    hold.specialist.user = clinician
    hold.specialist.save()
    client.force_login(clinician)
    assert ">Confirm</button>" not in client.get(request_url(hold)).content.decode()
    assert client.post(reverse("admin:bookings_appointment_confirm", args=[hold.pk])).status_code == 403
    hold.refresh_from_db()
    assert hold.is_held

    reception = UserFactory(username="front")
    reception.groups.add(Group.objects.get(name="Reception"))
    client.force_login(reception)
    client.post(reverse("admin:bookings_appointment_confirm", args=[hold.pk]))
    hold.refresh_from_db()
    assert hold.is_confirmed
