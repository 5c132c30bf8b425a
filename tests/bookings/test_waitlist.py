"""The waitlist: a cancelled time goes to the matching waitlisted visitors at
once; the first to claim it holds it, and two claiming together give one hold
(threads, on SQLite and on PostgreSQL)."""

import re
import threading
from datetime import timedelta

import pytest
from django.db import connections
from django.urls import reverse
from django.utils import timezone

from bookings import services, tokens
from bookings.models import Appointment, DayPart, Mode, WaitlistEntry, WaitlistOffer
from tests.bookings.conftest import run_worker
from tests.factories import ConsultationRequestFactory, clinic_time, specialist_working_every_day


def waiting(number, *, weekday, part="morning", mode=Mode.VIDEO, specialist=None):
    consultation = ConsultationRequestFactory(
        name=f"Waiting {number}",
        email=f"waiting{number}@example.com",
        mode=mode,
        preferred_specialist=specialist,
    )
    services.join_waitlist(consultation, weekdays=[weekday], day_parts=[part])
    return consultation


def booked_and_cancelled(specialist):
    """A confirmed appointment at 11:00 in three days, then cancelled by the clinic."""
    appointment = services.schedule_appointment(
        ConsultationRequestFactory(mode=Mode.VIDEO), specialist=specialist, start=clinic_time(3, hour=11)
    )
    services.cancel_appointment(appointment, reason="Visitor travelling", user=None)
    return appointment


@pytest.mark.django_db
def test_the_visitor_joins_the_waitlist_from_their_page(client, clinic_profile):
    consultation = ConsultationRequestFactory(mode=Mode.VIDEO)
    status = tokens.status_path(consultation)
    assert "Join the waitlist" in client.get(status).content.decode()
    url = reverse("bookings:waitlist", kwargs={"token": tokens.token_for(consultation)})
    response = client.post(url, {})
    assert response.status_code == 400 and "Please choose at least one day." in response.content.decode()
    client.post(url, {"weekdays": ["0", "2"], "day_parts": ["evening"]})
    entry = WaitlistEntry.objects.get()
    assert (entry.weekdays, entry.day_parts, entry.mode, entry.status) == (
        "0,2",
        "evening",
        "video",
        "waiting",
    )
    assert "You are on the waitlist until" in client.get(status).content.decode()
    client.post(url, {"leave": "1"})
    entry.refresh_from_db()
    assert entry.status == "withdrawn"


@pytest.mark.django_db
def test_a_cancelled_time_is_offered_to_the_matching_visitors_and_the_first_claim_holds_it(
    client, clinic_profile, mailoutbox
):
    specialist = specialist_working_every_day(name="Dr Asha")
    weekday = clinic_time(3).weekday()
    first = waiting(1, weekday=weekday)
    second = waiting(2, weekday=weekday, specialist=specialist)
    waiting(3, weekday=weekday, part=DayPart.EVENING)  # not a morning person
    waiting(4, weekday=(weekday + 1) % 7)  # another day
    waiting(5, weekday=weekday, mode=Mode.IN_CLINIC, specialist=specialist_working_every_day(name="Dr B"))
    freed = booked_and_cancelled(specialist)

    offers = WaitlistOffer.objects.order_by("entry__created")
    assert [offer.entry.consultation for offer in offers] == [first, second]
    assert all((offer.start, offer.specialist) == (freed.start, specialist) for offer in offers)
    run_worker()
    offered = [m for m in mailoutbox if m.subject == "A time has come free at Gurgaon Mind & Wellness Clinic"]
    assert sorted(m.to[0] for m in offered) == ["waiting1@example.com", "waiting2@example.com"]
    claim = re.search(r"http://testserver(/book/request/\S+/offer/\d+/)", offered[0].body)[1]
    page = client.get(claim).content.decode()
    assert "Take this time?" in page

    client.post(claim)
    (hold,) = Appointment.objects.held()
    assert (hold.start, hold.specialist, hold.status) == (freed.start, specialist, "held")
    winner = hold.consultation
    assert winner.waitlist.get().status == "booked"
    # The other one comes too late.
    loser = first if winner == second else second
    late = WaitlistOffer.objects.get(entry__consultation=loser)
    late_url = reverse("bookings:claim", kwargs={"token": tokens.token_for(loser), "offer": late.pk})
    response = client.post(late_url, follow=True)
    assert "this time has been taken" in response.content.decode()
    assert Appointment.objects.held().count() == 1 and loser.waitlist.get().status == "waiting"


@pytest.mark.django_db(transaction=True)
def test_two_visitors_claiming_the_same_freed_time_at_once_give_one_hold(clinic_profile):
    specialist = specialist_working_every_day(name="Dr Asha")
    weekday = clinic_time(3).weekday()
    for number in range(2):
        waiting(number, weekday=weekday)
    booked_and_cancelled(specialist)
    offers = list(WaitlistOffer.objects.all())
    assert len(offers) == 2
    outcomes, barrier = [], threading.Barrier(2)

    def claim(offer):
        try:
            barrier.wait(timeout=30)
            services.claim_offer(offer)
            outcomes.append("held")
        except services.TimeTaken:
            outcomes.append("taken")
        except Exception as exc:  # any other outcome fails the test, by name
            outcomes.append(repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=claim, args=(offer,)) for offer in offers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["held", "taken"]
    assert Appointment.objects.held().count() == 1


@pytest.mark.django_db
def test_no_offer_for_a_time_about_to_start_or_an_expired_entry(clinic_profile):
    specialist = specialist_working_every_day(name="Dr Asha")
    soon = timezone.now() + timedelta(minutes=30)
    consultation = waiting(
        1, weekday=timezone.localtime(soon).weekday(), part=DayPart.of(timezone.localtime(soon).time())
    )
    appointment = Appointment.objects.create(
        consultation=ConsultationRequestFactory(),
        specialist=specialist,
        start=soon,
        end=soon + timedelta(minutes=50),
        status="confirmed",
    )
    services.cancel_appointment(appointment, user=None)
    assert not WaitlistOffer.objects.exists()
    consultation.waitlist.update(expires_at=timezone.now() - timedelta(days=1))
    waiting(2, weekday=clinic_time(3).weekday())
    WaitlistEntry.objects.filter(consultation__name="Waiting 2").update(
        expires_at=timezone.now() - timedelta(days=1)
    )
    booked_and_cancelled(specialist)
    assert not WaitlistOffer.objects.exists()
