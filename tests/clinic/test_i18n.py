"""English at /, Hindi under /hi/: the path alone decides, cached pages never
cross languages, and a visitor's emails, calendar file and links follow the
language they booked in."""

import re

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from bookings.models import ConsultationRequest
from bookings.services import schedule_appointment
from tests.bookings.conftest import form_data, run_worker
from tests.factories import UserFactory, clinic_time, specialist_working_every_day

pytestmark = pytest.mark.django_db

DEVANAGARI = re.compile(r"[\u0900-\u097F]")


def queries_for(client, url, **kwargs):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, **kwargs)
    return response, len(queries)


def test_hindi_lives_under_hi_with_a_switcher_to_the_same_page(client, clinic_profile):
    english = client.get("/about/")
    hindi = client.get("/hi/about/")
    assert '<html lang="en-IN">' in english.content.decode()
    assert '<html lang="hi">' in hindi.content.decode()
    assert "हमारे बारे में" in hindi.content.decode()
    assert 'href="/hi/about/" hreflang="hi"' in english.content.decode()
    assert 'href="/about/" hreflang="en"' in hindi.content.decode()
    assert (
        '<link rel="alternate" hreflang="hi" href="http://testserver/hi/about/">' in english.content.decode()
    )
    assert english["Content-Language"] == "en" and hindi["Content-Language"] == "hi"


def test_the_path_alone_decides_so_pages_do_not_vary_on_accept_language(client, clinic_profile):
    response = client.get("/", headers={"accept-language": "hi"})
    assert '<html lang="en-IN">' in response.content.decode()
    assert "Accept-Language" not in response.get("Vary", "")
    assert not DEVANAGARI.search(
        client.get("/contact/").content.decode().split("<main")[1].split("</main>")[0]
    )


def test_the_same_path_in_two_languages_never_serves_the_others_cached_page(clinic_profile):
    visitor = Client()
    assert "<h1>Contact us</h1>" in visitor.get("/contact/").content.decode()
    hindi, queries = queries_for(visitor, "/hi/contact/")
    assert queries > 0, "the Hindi page was made, not taken from the English one's cache entry"
    assert "<h1>संपर्क करें</h1>" in hindi.content.decode()
    # Both are now kept; each comes back from the cache in its own language,
    # whatever language the thread was last left in.
    for language in ("hi", "en"):
        translation.activate(language)
        english, queries = queries_for(visitor, "/contact/")
        assert queries == 0 and "<h1>Contact us</h1>" in english.content.decode()
        hindi, queries = queries_for(visitor, "/hi/contact/")
        assert queries == 0 and "<h1>संपर्क करें</h1>" in hindi.content.decode()
    translation.deactivate()


def test_the_admin_stays_in_english(client, clinic_profile):
    response = client.get("/admin/login/", headers={"accept-language": "hi"})
    assert response.status_code == 200
    assert "Log in" in response.content.decode()
    assert client.get("/hi/admin/login/").status_code == 404


def test_error_pages_speak_the_pages_language(client, clinic_profile):
    response = client.get("/hi/no-such-page/")
    assert response.status_code == 404
    assert "हमें यह पेज नहीं मिला" in response.content.decode()


def test_a_booking_in_hindi_is_answered_in_hindi(client, clinic_profile):
    data = form_data(name="प्रिया शर्मा", spoken_language="hi")
    response = client.post("/hi/book/", data)
    assert response.status_code == 302 and response["Location"].startswith("/hi/book/thanks/")
    thanks = client.get(response["Location"]).content.decode()
    assert "धन्यवाद, आपका अनुरोध हमें मिल गया है" in thanks
    consultation = ConsultationRequest.objects.get()
    assert consultation.page_language == "hi"
    assert consultation.consent_notice_version == clinic_profile.privacy_notice_version
    run_worker()
    acknowledgement = next(m for m in mail.outbox if m.to == ["priya@example.com"])
    to_clinic = next(m for m in mail.outbox if m.to != ["priya@example.com"])
    assert acknowledgement.subject == f"{clinic_profile.name} को भेजा गया आपका अनुरोध"
    assert "प्रिय प्रिया," in acknowledgement.body
    assert "http://testserver/hi/book/request/" in acknowledgement.body
    html = acknowledgement.alternatives[0][0]
    assert '<html lang="hi">' in html and "max-width:600px" in html and 'width="600"' not in html
    assert to_clinic.subject.startswith("New consultation request")
    status_url = re.search(r"http://testserver(/hi/book/request/\S+)", acknowledgement.body)[1]
    status = client.get(status_url).content.decode()
    assert "आपका अनुरोध" in status and '<html lang="hi">' in status


def test_the_appointment_email_and_calendar_file_follow_the_booking_language(client, clinic_profile):
    client.post("/hi/book/", form_data(spoken_language="hi"))
    consultation = ConsultationRequest.objects.get()
    specialist = specialist_working_every_day(name="Dr Asha Mehta")
    start = clinic_time(days_ahead=3)
    schedule_appointment(consultation, specialist=specialist, start=start, mode="video", user=UserFactory())
    mail.outbox.clear()
    run_worker()
    confirmation = next(m for m in mail.outbox if "पक्का" in m.subject)
    assert "आपका अपॉइंटमेंट पक्का हो गया है।" in confirmation.body
    assert "वीडियो कॉल" in confirmation.body
    ics = next(a for a in confirmation.attachments if a[0] == "appointment.ics")[1]
    ics = ics.decode() if isinstance(ics, bytes) else ics
    assert "में अपॉइंटमेंट" in ics.replace("\r\n ", "")


def test_an_english_booking_stays_english_whatever_the_worker_last_spoke(client, clinic_profile):
    client.post("/book/", form_data())
    translation.activate("hi")
    run_worker()
    translation.deactivate()
    acknowledgement = next(m for m in mail.outbox if m.to == ["priya@example.com"])
    assert not DEVANAGARI.search(acknowledgement.body + acknowledgement.subject)
    assert "http://testserver/book/request/" in acknowledgement.body
