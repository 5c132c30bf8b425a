import time

import pytest
from django.core import mail, signing

from bookings.forms import SUBMISSION_SALT
from bookings.models import ConsultationRequest
from tests.bookings.conftest import BOOK_URL, form_data, run_worker, thanks_url_of

pytestmark = pytest.mark.django_db


def _key_signed_seconds_ago(seconds):
    class Earlier(signing.TimestampSigner):
        def timestamp(self):
            return signing.b62_encode(int(time.time()) - seconds)

    return Earlier(salt=SUBMISSION_SALT).sign("a-visitors-form-key-0123456789")


@pytest.fixture
def bot_checks(settings, clinic_profile):
    settings.BOOKING_MIN_FILL_SECONDS = 3


def test_a_person_who_took_their_time_is_booked_and_emailed(client, bot_checks):
    thanks_url_of(client.post(BOOK_URL, form_data(submission_key=_key_signed_seconds_ago(40))))
    request = ConsultationRequest.objects.get()
    assert request.status == ConsultationRequest.Status.NEW
    run_worker()
    assert len(mail.outbox) == 2


def test_the_hidden_field_filled_in_means_spam_with_the_normal_thank_you(client, bot_checks):
    response = client.post(
        BOOK_URL, form_data(submission_key=_key_signed_seconds_ago(40), website="https://spam.example")
    )
    page = client.get(thanks_url_of(response))
    assert page.status_code == 200
    request = ConsultationRequest.objects.get()
    assert request.reference in page.content.decode()
    assert request.status == ConsultationRequest.Status.SPAM
    assert request.spam_at is not None
    run_worker()
    assert mail.outbox == []


def test_a_form_sent_faster_than_a_person_can_is_spam(client, bot_checks):
    thanks_url_of(client.post(BOOK_URL, form_data(submission_key=_key_signed_seconds_ago(1))))
    assert ConsultationRequest.objects.get().status == ConsultationRequest.Status.SPAM
    run_worker()
    assert mail.outbox == []


def test_the_hidden_field_is_hidden_by_a_class_not_an_inline_style(client, clinic_profile):
    html = client.get(BOOK_URL).content.decode()
    assert 'class="booking-form__trap"' in html
    assert 'aria-hidden="true"' in html
    assert 'name="website"' in html
    assert "style=" not in html


@pytest.fixture
def strict_rate(settings, clinic_profile):
    settings.BOOKING_RATE_LIMIT = "3/h"
    return settings


def test_too_many_posts_from_one_address_are_refused_kindly_and_keep_the_typing(client, strict_rate):
    for n in range(3):
        thanks_url_of(client.post(BOOK_URL, form_data(email=f"p{n}@example.com"), REMOTE_ADDR="203.0.113.5"))
    refused = client.post(BOOK_URL, form_data(name="Meera"), REMOTE_ADDR="203.0.113.5")
    assert refused.status_code == 429
    html = refused.content.decode()
    assert "several requests from your connection" in html
    assert 'value="Meera"' in html
    assert ConsultationRequest.objects.count() == 3
    # Another visitor is not affected.
    thanks_url_of(client.post(BOOK_URL, form_data(), REMOTE_ADDR="198.51.100.9"))


def test_the_limit_follows_the_address_our_proxy_reports(client, strict_rate):
    strict_rate.TRUSTED_PROXY_IPS = ["127.0.0.1"]
    for _ in range(3):
        thanks_url_of(
            client.post(BOOK_URL, form_data(), REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.7")
        )
    assert (
        client.post(
            BOOK_URL, form_data(), REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.7"
        ).status_code
        == 429
    )
    # A different visitor behind the same proxy is counted separately.
    thanks_url_of(
        client.post(BOOK_URL, form_data(), REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.8")
    )


def test_a_forged_forwarded_header_does_not_escape_the_limit(client, strict_rate):
    # Not from a trusted proxy: the header is ignored, the real address counts.
    for n in range(3):
        thanks_url_of(
            client.post(BOOK_URL, form_data(), REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR=f"10.0.0.{n}")
        )
    assert (
        client.post(
            BOOK_URL, form_data(), REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR="10.0.0.99"
        ).status_code
        == 429
    )


def test_someone_not_safe_right_now_is_never_refused_by_the_limit(client, strict_rate):
    for n in range(4):
        client.post(BOOK_URL, form_data(email=f"p{n}@example.com"), REMOTE_ADDR="203.0.113.5")
    assert client.post(BOOK_URL, form_data(), REMOTE_ADDR="203.0.113.5").status_code == 429
    thanks_url_of(client.post(BOOK_URL, form_data(safe_now="no"), REMOTE_ADDR="203.0.113.5"))
    assert ConsultationRequest.objects.filter(safe_now="no", urgent=True).count() == 1


def test_the_open_times_are_throttled_per_address_with_a_limit_no_person_meets(
    client, settings, clinic_profile
):
    settings.BOOKING_TIMES_RATE_LIMIT = "5/m"
    for _ in range(5):
        assert client.post("/book/times/", {"mode": "video"}, REMOTE_ADDR="203.0.113.5").status_code == 200
    assert client.post("/book/times/", {"mode": "video"}, REMOTE_ADDR="203.0.113.5").status_code == 429
    assert client.post("/book/times/", {"mode": "video"}, REMOTE_ADDR="198.51.100.9").status_code == 200


def test_a_form_key_older_than_a_few_hours_is_sent_back_with_a_fresh_one(client, bot_checks, settings):
    settings.BOOKING_FORM_MAX_AGE_HOURS = 6
    stale = _key_signed_seconds_ago(6 * 3600 + 60)
    response = client.post(BOOK_URL, form_data(name="Meera", submission_key=stale))
    assert response.status_code == 200
    html = response.content.decode()
    assert "This form was open for several hours" in html and 'value="Meera"' in html
    assert ConsultationRequest.objects.count() == 0
    fresh = response.context["form"].data["submission_key"]
    assert fresh != stale
    # Sent again after a moment, as a person would, it goes through.
    thanks_url_of(client.post(BOOK_URL, form_data(submission_key=_key_signed_seconds_ago(40))))
