"""Issue 15: the request list and the request page, as reception uses them."""

from datetime import UTC, datetime, timedelta
from urllib.parse import unquote

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import ConsultationRequestFactory, InternalNoteFactory, UserFactory

pytestmark = pytest.mark.django_db
CHANGELIST = reverse("admin:bookings_consultationrequest_changelist")


def change_url(obj):
    return reverse("admin:bookings_consultationrequest_change", args=[obj.pk])


def test_urgent_requests_come_first_with_a_red_label(admin_client):
    older_urgent = ConsultationRequestFactory(
        name="Urgent Visitor", safe_now="no", created=timezone.now() - timedelta(hours=5)
    )
    ConsultationRequestFactory(name="Newer Visitor")
    html = admin_client.get(CHANGELIST).content.decode()
    assert html.index(older_urgent.reference) < html.index("Newer Visitor")
    assert html.count('class="urgent-label">Urgent</strong>') == 1
    # No green tick or red cross in the urgent column.
    assert "icon-yes.svg" not in html and "icon-no.svg" not in html
    assert "5\xa0hours" in html  # time waiting


def test_closed_urgent_requests_are_not_put_first(admin_client):
    closed = ConsultationRequestFactory(
        safe_now="no", status="cancelled", cancelled_at=timezone.now(), created=timezone.now()
    )
    waiting = ConsultationRequestFactory(created=timezone.now() - timedelta(days=1))
    html = admin_client.get(CHANGELIST).content.decode()
    assert html.index(closed.reference) < html.index(waiting.reference)  # newest first among the rest


def test_note_times_are_india_time_in_the_admin_format(admin_client):
    consultation = ConsultationRequestFactory()
    moment = datetime(2026, 11, 30, 5, 0, tzinfo=UTC)
    InternalNoteFactory(consultation=consultation, created=moment)
    html = admin_client.get(change_url(consultation)).content.decode()
    # 05:00 UTC is 10:30 in India.
    assert "Mon 30 Nov 2026, 10:30 IST" in html


def test_request_page_summary_with_contact_links(admin_client):
    consultation = ConsultationRequestFactory(
        name="Priya Sharma",
        phone="+919876543210",
        email="priya@example.com",
        contact_by_whatsapp=True,
        contact_by_sms=True,
        discreet=False,
    )
    html = admin_client.get(change_url(consultation)).content.decode()
    assert 'href="tel:+919876543210"' in html
    assert 'href="mailto:priya@example.com"' in html
    assert "https://wa.me/919876543210?text=" in html
    assert "sms:+919876543210?body=" in html
    assert "Priya" in unquote(html)
    assert "this is Gurgaon Mind" in unquote(html)
    assert "Schedule an appointment" in html


def test_discreet_message_names_neither_clinic_nor_visitor(admin_client):
    consultation = ConsultationRequestFactory(name="Priya Sharma", contact_by_whatsapp=True, discreet=True)
    html = unquote(admin_client.get(change_url(consultation)).content.decode())
    start = html.index("https://wa.me/")
    link = html[start : html.index('"', start)]
    assert consultation.reference in link
    assert "Priya" not in link and "Clinic" not in link and "consultation" not in link


def test_no_whatsapp_or_sms_link_unless_the_visitor_chose_it(admin_client):
    consultation = ConsultationRequestFactory(contact_by_whatsapp=False, contact_by_sms=False)
    html = admin_client.get(change_url(consultation)).content.decode()
    assert "wa.me" not in html and "sms:" not in html


def test_reply_is_written_in_the_visitors_language():
    from bookings.replies import reply_text
    from clinic.models import ClinicProfile

    consultation = ConsultationRequestFactory.build(spoken_language="en", discreet=True, reference="ABCDEFGH")
    assert "ABCDEFGH" in reply_text(consultation, ClinicProfile.load())


def test_schedule_form_starts_at_the_first_preferred_window_and_returns_to_the_request(admin_client):
    from tests.factories import SpecialistFactory

    specialist = SpecialistFactory()
    consultation = ConsultationRequestFactory(window1_part="afternoon", preferred_specialist=specialist)
    url = reverse("admin:bookings_appointment_schedule", args=[consultation.pk])
    html = admin_client.get(url).content.decode()
    assert 'value="13:00:00"' in html or 'value="13:00"' in html
    assert f'<option value="{specialist.pk}" selected>' in html


def test_reception_sees_the_summary_but_no_schedule_link_without_permission(client):
    user = UserFactory(username="viewer")
    from django.contrib.auth.models import Permission

    user.user_permissions.add(Permission.objects.get(codename="view_consultationrequest"))
    client.force_login(user)
    consultation = ConsultationRequestFactory()
    html = client.get(change_url(consultation)).content.decode()
    assert "tel:" in html
    assert "Schedule an appointment</a> " not in html


def test_schedule_form_takes_the_specialists_length_for_the_mode(admin_client):
    from tests.factories import SpecialistFactory

    specialist = SpecialistFactory(length_video=30)
    consultation = ConsultationRequestFactory(mode="video", preferred_specialist=specialist)
    html = admin_client.get(
        reverse("admin:bookings_appointment_schedule", args=[consultation.pk])
    ).content.decode()
    assert 'name="duration" value="30"' in html
