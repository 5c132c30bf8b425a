"""Issue 28: someone who says they are not safe is never turned away (always
stored, reception alerted), but the answer opens no door: one held time per
email or phone and a few per address, repeats from one contact grouped,
acknowledgements to one address capped, look-alike bots kept as urgent."""

import threading
import time
from datetime import timedelta
from unittest import mock

import pytest
from django.core import mail, signing
from django.db import connections
from django.utils import timezone

from bookings import availability, services
from bookings.board import waiting_requests
from bookings.forms import SUBMISSION_SALT
from bookings.models import Appointment, ConsultationRequest, InternalNote
from bookings.models.requests import generate_reference
from clinic.models import Mode
from messaging.models import OutgoingMessage
from tests.bookings.conftest import BOOK_URL, form_data, run_worker, thanks_url_of
from tests.factories import ConsultationRequestFactory, specialist_working_every_day

pytestmark = pytest.mark.django_db
ATTACKS = 30


@pytest.fixture
def specialist(clinic_profile):
    return specialist_working_every_day(name="Dr Rao")


def open_keys(specialist):
    return [slot.key for _, slots in availability.open_times(Mode.VIDEO, specialist) for slot in slots]


def not_safe(slot_key, **overrides):
    return form_data(
        safe_now="no", slot=slot_key, mode="video", window1_date="", window1_part="", **overrides
    )


def test_thirty_not_safe_bookings_from_one_contact_hold_one_time_and_are_all_kept(client, specialist):
    keys = open_keys(specialist)
    for n in range(ATTACKS):
        # Each from its own address (the per-address limit is tested below).
        thanks_url_of(client.post(BOOK_URL, not_safe(keys[n * 2]), REMOTE_ADDR=f"203.0.113.{n + 1}"))
    assert ConsultationRequest.objects.count() == ATTACKS
    assert ConsultationRequest.objects.filter(urgent=True).count() == ATTACKS
    assert Appointment.objects.held().count() == 1
    assert len(open_keys(specialist)) == len(keys) - 1
    # Reception sees one urgent contact, with the other 29 on its page.
    first = ConsultationRequest.objects.order_by("created").first()
    assert list(ConsultationRequest.objects.urgent_open()) == [first]
    assert list(ConsultationRequest.objects.awaiting_contact()) == [first]
    assert [c.pk for c in waiting_requests()] == [first.pk]
    assert first.repeats.count() == ATTACKS - 1
    # One alert to the clinic this hour, and three acknowledgements to the address typed.
    assert OutgoingMessage.objects.filter(kind="new_request").count() == 1
    assert OutgoingMessage.objects.filter(kind="acknowledgement").count() == 3
    run_worker()
    assert sorted(len(m.to) for m in mail.outbox) == [1] * 4
    # What each chose is kept for reception, as its preferred day.
    later = first.repeats.order_by("created").first()
    assert later.window1_date is not None and later.window1_part
    assert "was not held" in InternalNote.objects.get(consultation=later).text


def test_reception_sees_the_repeats_on_the_first_requests_page(admin_client, specialist):
    keys = open_keys(specialist)
    for n in range(3):
        thanks_url_of(admin_client.post(BOOK_URL, not_safe(keys[n]), REMOTE_ADDR=f"203.0.113.{n + 1}"))
    first, *repeats = ConsultationRequest.objects.order_by("created")
    html = admin_client.get(first.get_absolute_url()).content.decode()
    assert "2 more requests while this one is open" in html
    assert all(repeat.reference in html for repeat in repeats)
    html = admin_client.get(repeats[0].get_absolute_url()).content.decode()
    assert f">{first.reference}</a>. Handle them together there." in html
    listing = admin_client.get("/admin/bookings/consultationrequest/?queue=urgent").content.decode()
    assert first.reference in listing and repeats[0].reference not in listing


def test_a_repeat_after_the_first_is_closed_stands_on_its_own(specialist):
    first = ConsultationRequestFactory(safe_now="no", email="asha@example.com")
    services.change_status(first, "cancelled", user=None)
    later, _ = services.submit_request(
        ConsultationRequestFactory.build(safe_now="no", email="ASHA@example.com", concern=None)
    )
    assert later.repeat_of is None
    assert list(ConsultationRequest.objects.urgent_open()) == [later]
    assert "new_request" in later.outgoing_messages.values_list("kind", flat=True)


def test_a_repeat_an_hour_later_alerts_reception_again(specialist):
    first, _ = services.submit_request(ConsultationRequestFactory.build(safe_now="no", concern=None))
    ConsultationRequest.objects.filter(pk=first.pk).update(created=timezone.now() - timedelta(minutes=61))
    later, _ = services.submit_request(
        ConsultationRequestFactory.build(safe_now="no", phone=first.phone, concern=None)
    )
    assert later.repeat_of == first
    assert "new_request" in later.outgoing_messages.values_list("kind", flat=True)


def test_one_address_holds_a_few_times_a_day_whatever_the_answer(client, specialist, settings):
    settings.BOOKING_HOLD_RATE_LIMIT = "4/d"
    keys = open_keys(specialist)
    for n in range(6):
        # Six visitors on one connection, safe and not safe in turn.
        data = not_safe(keys[n], email=f"p{n}@example.com", phone=f"98110 2222{n}")
        data["safe_now"] = "no" if n % 2 else "yes"
        thanks_url_of(client.post(BOOK_URL, data, REMOTE_ADDR="203.0.113.50"))
    assert ConsultationRequest.objects.count() == 6
    assert Appointment.objects.held().count() == 4
    # Another address is not affected.
    thanks_url_of(
        client.post(
            BOOK_URL,
            form_data(
                slot=keys[10], email="x@example.com", phone="98110 33333", window1_date="", window1_part=""
            ),
            REMOTE_ADDR="198.51.100.9",
        )
    )
    assert Appointment.objects.held().count() == 5


def test_a_second_time_from_the_same_phone_is_kept_as_a_preferred_day_not_held(client, specialist):
    keys = open_keys(specialist)
    thanks_url_of(client.post(BOOK_URL, form_data(slot=keys[0], window1_date="", window1_part="")))
    second = form_data(slot=keys[5], email="someone.else@example.com", window1_date="", window1_part="")
    page = client.get(thanks_url_of(client.post(BOOK_URL, second)))
    assert Appointment.objects.held().count() == 1
    later = ConsultationRequest.objects.get(email="someone.else@example.com")
    chosen = availability.parse_slot_key(keys[5])[1]
    assert later.window1_date == timezone.localtime(chosen).date()
    html = page.content.decode()
    # The visitor is told we will be in touch; nothing says another booking exists.
    assert "The times you suggested" in html and "data-held-time" not in html
    assert "already" not in html


@pytest.mark.django_db(transaction=True)
def test_thirty_sent_at_once_from_one_contact_hold_one_time(clinic_profile):
    specialist = specialist_working_every_day()
    keys = open_keys(specialist)[:ATTACKS]
    outcomes = []
    barrier = threading.Barrier(ATTACKS)

    def visitor(number):
        consultation = ConsultationRequestFactory.build(
            mode=Mode.VIDEO,
            window1_date=None,
            window1_part="",
            concern=None,
            safe_now="no",
            email="target@example.com",
            submission_key=f"at-once-{number}",
        )
        try:
            barrier.wait(timeout=30)
            services.submit_request(consultation, slot=keys[number])
            outcomes.append("stored")
        except Exception as exc:  # any other outcome fails the test, by name
            outcomes.append(repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=visitor, args=(n,)) for n in range(ATTACKS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert outcomes == ["stored"] * ATTACKS
    assert ConsultationRequest.objects.count() == ATTACKS
    assert Appointment.objects.held().count() == 1


# ---- Looks automated, says "not safe" ----


def _key_signed_seconds_ago(seconds):
    class Earlier(signing.TimestampSigner):
        def timestamp(self):
            return signing.b62_encode(int(time.time()) - seconds)

    return Earlier(salt=SUBMISSION_SALT).sign("a-visitors-form-key-0123456789")


@pytest.mark.parametrize(
    ("website", "seconds"),
    [("filled in by a password manager", 40), ("", 1)],
    ids=["hidden field filled", "sent within a second"],
)
def test_an_urgent_request_that_looks_automated_is_kept_as_urgent_and_reception_told(
    client, specialist, settings, website, seconds
):
    settings.BOOKING_MIN_FILL_SECONDS = 3
    key = open_keys(specialist)[0]
    data = not_safe(key, website=website, submission_key=_key_signed_seconds_ago(seconds))
    response = client.post(BOOK_URL, data)
    page = client.get(thanks_url_of(response))
    consultation = ConsultationRequest.objects.get()
    assert consultation.reference in page.content.decode()
    assert consultation.status == "new" and consultation.urgent and consultation.possibly_automated
    assert not Appointment.objects.exists()  # a program holds no time
    assert list(consultation.outgoing_messages.values_list("kind", flat=True)) == ["new_request"]
    run_worker()
    (alert,) = mail.outbox
    assert "Urgent" in alert.subject and "sent the way a program sends forms" in alert.body


def test_only_a_real_reference_collision_is_retried(specialist):
    taken = ConsultationRequestFactory().reference
    draws = iter([taken, generate_reference()])
    with mock.patch("bookings.services.generate_reference", lambda: next(draws)):
        consultation, created = services.submit_request(
            ConsultationRequestFactory.build(safe_now="no", concern=None)
        )
    assert created and consultation.reference != taken
    assert ConsultationRequest.objects.count() == 2
