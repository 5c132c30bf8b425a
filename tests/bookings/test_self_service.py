import re

import pytest

from bookings import services, tokens
from bookings.models import Appointment, ConsultationRequest, InternalNote, OutboundEmail
from tests.bookings.conftest import BOOK_URL, form_data, run_worker, thanks_url_of
from tests.factories import (
    ConsultationRequestFactory,
    TopicFactory,
    clinic_time,
    specialist_working_every_day,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def consultation(clinic_profile):
    return ConsultationRequestFactory(
        name="Rohan Verma",
        email="rohan@example.com",
        phone="+919812345678",
        message="Panic attacks at work",
        utm_source="newsletter",
        concern=TopicFactory(name="Anxiety", slug="anxiety"),
    )


@pytest.fixture
def appointment(consultation):
    return services.schedule_appointment(
        consultation, specialist=specialist_working_every_day(name="Dr Kavya Rao"), start=clinic_time(hour=11)
    )


def status_url(consultation):
    return tokens.status_path(consultation)


def test_every_visitor_email_links_to_a_working_status_page(client, clinic_profile, mailoutbox):
    thanks_url_of(client.post(BOOK_URL, form_data(email="asha@example.com")))
    run_worker()
    ack = next(m for m in mailoutbox if m.to == ["asha@example.com"])
    url = re.search(r"http://testserver(/book/request/\S+/)", ack.body).group(1)
    assert "asha" not in url.lower()
    assert url in ack.alternatives[0][0]
    response = client.get(url)
    assert response.status_code == 200
    assert ConsultationRequest.objects.get().reference in response.content.decode()


def test_status_page_is_private_and_shows_the_appointment(client, appointment):
    response = client.get(status_url(appointment.consultation))
    html = response.content.decode()
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert '<meta name="robots" content="noindex, nofollow">' in html
    assert appointment.consultation.reference in html and "Dr Kavya Rao" in html
    assert "Scheduled" in html and "<script>" not in html
    assert 'rel="canonical" href="http://testserver/book/"' in html


@pytest.mark.parametrize("token", ["nonsense", "a" * 40, "W1siQUJDIl0:1vO:sig"])
def test_a_bad_link_shows_a_kind_404(client, clinic_profile, token):
    response = client.get(f"/book/request/{token}/")
    assert response.status_code == 404
    assert "This link does not work any more" in response.content.decode()
    assert "no-store" in response["Cache-Control"]


def test_links_expire(client, consultation, settings):
    url = status_url(consultation)
    settings.BOOKING_LINK_MAX_AGE_DAYS = -1
    assert client.get(url).status_code == 404


def test_cancel_cancels_the_request_and_its_appointment(client, appointment, mailoutbox):
    url = status_url(appointment.consultation)
    response = client.post(url + "cancel/", {"reason": "Found help closer to home"})
    assert response.status_code == 302 and response["Location"] == url
    consultation = ConsultationRequest.objects.get()
    appointment.refresh_from_db()
    assert consultation.status == "cancelled" and appointment.status == "cancelled"
    assert appointment.cancellation_reason == "Found help closer to home"
    assert appointment.history.first().history_change_reason == "Cancelled by the visitor"
    assert (
        InternalNote.objects.get().text == "Cancelled by the visitor. Their reason: Found help closer to home"
    )
    page = client.get(url).content.decode()
    assert "Your request is cancelled" in page and "Cancel my" not in page
    run_worker()
    subjects = sorted(m.subject for m in mailoutbox)
    assert subjects[0] == f"Changed by the visitor: request {consultation.reference}"
    assert subjects[1].endswith("is cancelled")


def test_cancel_needs_a_post_and_a_short_reason(client, consultation):
    url = status_url(consultation) + "cancel/"
    assert client.get(url).status_code == 405
    response = client.post(url, {"reason": "x" * 501})
    assert response.status_code == 400
    assert "at most 500 characters" in response.content.decode()
    assert ConsultationRequest.objects.get().status == "new"


def test_a_closed_request_cannot_be_cancelled_again(client, consultation):
    consultation.transition_to("cancelled")
    response = client.post(status_url(consultation) + "cancel/", follow=True)
    assert "already closed" in response.content.decode()


def test_withdrawing_consent_erases_the_request(client, appointment, admin_client, mailoutbox):
    consultation = appointment.consultation
    url = status_url(consultation)
    InternalNote.objects.create(consultation=consultation, text="Mentioned panic attacks on the phone")
    confirm = client.get(url + "erase/")
    assert confirm.status_code == 200 and "no-store" in confirm["Cache-Control"]
    assert "This cannot be undone" in confirm.content.decode()

    unconfirmed = client.post(url + "erase/", {})
    assert unconfirmed.status_code == 200 and "Please tick the box" in unconfirmed.content.decode()
    assert ConsultationRequest.objects.get().erased_at is None

    response = client.post(url + "erase/", {"confirm": "on"})
    assert response.status_code == 302 and response["Location"] == "/book/request/erased/"
    assert "Your data has been erased" in client.get(response["Location"]).content.decode()

    consultation = ConsultationRequest.objects.get()
    assert consultation.erased_at is not None and consultation.status == "cancelled"
    assert (consultation.name, consultation.email, str(consultation.phone), consultation.message) == (
        "",
        "",
        "",
        "",
    )
    assert consultation.utm_source == "" and consultation.access_key == ""
    assert consultation.concern.slug == "anxiety" and consultation.reference
    assert Appointment.objects.get().status == "cancelled"
    assert InternalNote.objects.get().text == "(erased)"
    for row in consultation.history.all():
        assert (row.name, row.email, row.message) == ("", "", "")
    assert consultation.history.first().history_change_reason.startswith("Personal details erased")

    assert client.get(url).status_code == 404  # the old link is dead
    run_worker()
    assert mailoutbox == []  # nothing more goes to an address we no longer have
    assert set(OutboundEmail.objects.values_list("status", flat=True)) == {"skipped"}

    history = admin_client.get(f"/admin/bookings/consultationrequest/{consultation.pk}/history/")
    assert "Personal details erased" in history.content.decode()
    assert "Rohan" not in history.content.decode()


def test_self_service_pages_work_without_javascript_markup(client, consultation):
    html = client.get(status_url(consultation)).content.decode()
    assert 'method="post"' in html and 'name="csrfmiddlewaretoken"' in html
    assert "style=" not in html and "<script>" not in html
