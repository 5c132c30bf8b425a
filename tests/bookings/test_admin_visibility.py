"""Issue 28: every admin page of a request or an appointment, its history
included, answers 404 to a clinician for what its change view would not show
them; history entries are records, never a way to change anything."""

import re

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.urls import reverse

from bookings.models import Appointment, ConsultationRequest
from tests.factories import AppointmentFactory, SpecialistFactory, UserFactory

pytestmark = pytest.mark.django_db


def clinician(username):
    user = UserFactory(username=username)
    user.groups.add(Group.objects.get(name="Clinicians"))
    return SpecialistFactory(name=f"Dr {username}", user=user)


@pytest.fixture
def two_clinicians(client):
    ira, dev = clinician("ira"), clinician("dev")
    own = AppointmentFactory(
        specialist=ira, consultation__name="Ira's Visitor", status=Appointment.Status.HELD
    )
    other = AppointmentFactory(
        specialist=dev, consultation__name="Dev's Visitor", status=Appointment.Status.HELD
    )
    client.force_login(ira.user)
    return own, other


def urls_of(appointment):
    """Every admin URL that names this appointment or its request, from the
    admins' own URL lists, so a page added later is walked too."""
    consultation = appointment.consultation
    objects = {ConsultationRequest: consultation, Appointment: appointment}
    urls = []
    for model, obj in objects.items():
        for pattern in admin.site.get_model_admin(model).get_urls():
            route = str(pattern.pattern)
            if pattern.name is None or ("<" not in route and "(" not in route):
                continue  # the changelist, add, the week (below) and the bare-id redirect
            target = consultation if "request_id" in route else obj
            args = [target.pk, target.history.latest().history_id] if "history/(" in route else [target.pk]
            urls.append(reverse(f"admin:{pattern.name}", args=args))
    urls.append(f"/admin/bookings/consultationrequest/{consultation.pk}/")
    return urls


def test_every_admin_url_of_another_clinicians_booking_is_404(client, two_clinicians):
    _own, other = two_clinicians
    urls = urls_of(other)
    assert (
        len(urls) >= 11
    )  # change, delete, history, a history entry of each; schedule, reschedule, confirm, offer
    for url in urls:
        for method in (client.get, client.post):
            response = method(url, follow=True)
            assert response.status_code == 404, (method.__name__, url, response.status_code)
            assert "Dev's Visitor" not in response.content.decode()


def test_the_same_pages_of_their_own_booking_open_read_only(client, two_clinicians):
    own, _other = two_clinicians
    for url in [u for u in urls_of(own) if "/history/" in u]:
        page = client.get(url)
        assert page.status_code == 200, url
        assert "Ira's Visitor" in page.content.decode() or "/history/" in url


def test_the_schedule_never_offers_another_clinicians_request(client, two_clinicians):
    _own, other = two_clinicians
    page = client.get(reverse("admin:bookings_appointment_week") + f"?request={other.consultation.pk}")
    assert page.status_code == 200
    assert other.consultation.reference not in page.content.decode()


def test_a_history_entry_opens_for_staff_and_cannot_be_posted_back(admin_client):
    appointment = AppointmentFactory(consultation__name="Asha Verma")
    for obj in (appointment, appointment.consultation):
        model_name = obj._meta.model_name
        url = reverse(
            f"admin:bookings_{model_name}_simple_history", args=[obj.pk, obj.history.latest().history_id]
        )
        page = admin_client.get(url)
        assert page.status_code == 200, url
        assert not re.search(r'<input type="submit"[^>]*value="Save', page.content.decode())
        assert admin_client.post(url, {"assigned_to": ""}).status_code == 405
    assert ConsultationRequest.history.filter(id=appointment.consultation.pk).count() == 1


def test_a_clinician_cannot_reassign_their_own_request_through_its_history(client, two_clinicians):
    own, _other = two_clinicians
    consultation = own.consultation
    url = reverse(
        "admin:bookings_consultationrequest_simple_history",
        args=[consultation.pk, consultation.history.latest().history_id],
    )
    response = client.post(url, {"assigned_to": str(own.specialist.user.pk), "change_status_to": "spam"})
    assert response.status_code == 405
    consultation.refresh_from_db()
    assert consultation.assigned_to is None and consultation.status == "new"
