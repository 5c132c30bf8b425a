"""Health data stays where it belongs: out of logs, URLs, subjects and inline code."""

import logging
import re

import pytest

from bookings import services
from bookings.models import ConsultationRequest
from tests.bookings.conftest import BOOK_URL, form_data, run_worker, thanks_url_of
from tests.factories import (
    ConsultationRequestFactory,
    TopicFactory,
    clinic_time,
    specialist_working_every_day,
)

pytestmark = pytest.mark.django_db


def test_no_submitted_value_reaches_a_log_line(client, clinic_profile, caplog, mailoutbox):
    topic = TopicFactory(name="Intimacy worries", slug="intimacy-worries")
    data = form_data(
        name="Zubeida Quorra",
        email="zubeida.quorra@example.com",
        phone="98111 22333",
        message="Quorra private words",
        concern=topic.slug,
        safe_now="no",
    )
    with caplog.at_level(logging.DEBUG):
        url = thanks_url_of(client.post(BOOK_URL, data))
        client.get(url)
        run_worker()
    assert len(mailoutbox) == 2
    logged = caplog.text
    for value in [
        "Zubeida",
        "Quorra",
        "zubeida.quorra",
        "98111",
        "8111 22333",
        "Intimacy",
        "intimacy-worries",
    ]:
        assert value not in logged, value
    assert any(m.subject.startswith("Urgent: new consultation request") for m in mailoutbox)


def test_emails_escape_what_the_visitor_typed(clinic_profile, mailoutbox):
    consultation = ConsultationRequestFactory(name="<script>alert(1)</script>", email="priya@example.com")
    services.schedule_appointment(
        consultation, specialist=specialist_working_every_day(), start=clinic_time(hour=11)
    )
    run_worker()
    (confirmation,) = mailoutbox
    html = confirmation.alternatives[0][0]
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    # The plain-text part is text: shown as typed, never interpreted.
    assert "<script>alert(1)</script>" in confirmation.body


@pytest.mark.parametrize(
    ("name", "greeting"),
    [
        ("Priya Sharma", "Dear Priya,"),
        ("प्रिया शर्मा", "Dear प्रिया,"),
        ("Win-a-prize.example/claim Priya", "Hello,"),
        ("<script>alert(1)</script>", "Hello,"),
        ("Abcdefghijklmnopqrstuvwxyz", "Hello,"),
    ],
)
def test_the_acknowledgement_carries_no_visitor_text_beyond_a_first_name(
    client, clinic_profile, mailoutbox, name, greeting
):
    """Anyone can type anyone's address into the form: the email that goes
    there at once greets by a plain first name and repeats nothing else typed."""
    data = form_data(name=name, message="Call 98100 00000 for cheap pills", email="stranger@example.com")
    thanks_url_of(client.post(BOOK_URL, data))
    run_worker()
    acknowledgement = next(m for m in mailoutbox if m.to == ["stranger@example.com"])
    for text in (acknowledgement.body, acknowledgement.alternatives[0][0]):
        assert greeting in text
        for typed in ("Sharma", "शर्मा", "prize", "script", "klmnop", "pills", "98100"):
            assert typed not in text, typed


def test_booking_pages_have_no_inline_script_or_style(client, clinic_profile):
    form_html = client.get(BOOK_URL).content.decode()
    invalid_html = client.post(BOOK_URL, form_data(email="x")).content.decode()
    thanks_html = client.get(thanks_url_of(client.post(BOOK_URL, form_data()))).content.decode()
    for html in (form_html, invalid_html, thanks_html):
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
        assert " style=" not in html
        assert "<style" not in html
        assert re.search(r" on[a-z]+=", html) is None
    assert "/static/bookings/booking-form.js" in form_html


def test_a_reference_collision_draws_another(client, clinic_profile, monkeypatch):
    taken = ConsultationRequestFactory(reference="ABCD2345")
    draws = iter(["ABCD2345", "EFGH6789"])
    monkeypatch.setattr(services, "generate_reference", lambda: next(draws))
    thanks_url_of(client.post(BOOK_URL, form_data()))
    assert set(ConsultationRequest.objects.values_list("reference", flat=True)) == {
        taken.reference,
        "EFGH6789",
    }


def test_the_staff_journey_logs_none_of_the_visitors_details(admin_client, clinic_profile, caplog):
    """Reception's whole round (list, search, open, assign, contact, note,
    export, history) and the visitor's status page leave no personal value in
    any log line."""
    from django.urls import reverse

    from bookings.tokens import status_path

    consultation = ConsultationRequestFactory(
        name="Zubeida Quorra",
        email="zubeida.quorra@example.com",
        phone="+919811122333",
        message="Quorra private words",
    )
    changelist = reverse("admin:bookings_consultationrequest_changelist")
    change = reverse("admin:bookings_consultationrequest_change", args=[consultation.pk])
    with caplog.at_level(logging.DEBUG):
        assert admin_client.get(changelist).status_code == 200
        assert admin_client.get(changelist, {"q": "Quorra"}).status_code == 200
        assert admin_client.get(change).status_code == 200
        for action in ("assign_to_me", "mark_contacted", "export_csv"):
            response = admin_client.post(
                changelist, {"action": action, "_selected_action": [consultation.pk]}
            )
            assert response.status_code in (200, 302), action
        services.add_note(consultation, consultation.assigned_to, "Called Zubeida, will call back")
        assert (
            admin_client.get(
                reverse("admin:bookings_consultationrequest_history", args=[consultation.pk])
            ).status_code
            == 200
        )
        admin_client.logout()
        status_page = admin_client.get(status_path(consultation))
        assert status_page.status_code == 200
    logged = caplog.text
    for value in ["Zubeida", "Quorra", "zubeida.quorra", "9811122333", "98111 22333", "private words"]:
        assert value not in logged, value
