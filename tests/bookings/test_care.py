"""Ongoing care: fair "no preference", a course of sessions, follow-ups."""

from collections import Counter

import pytest

from bookings import services
from bookings.availability import open_times
from bookings.models import Mode
from tests.factories import ConsultationRequestFactory, specialist_working_every_day

pytestmark = pytest.mark.django_db


def book_first_open_time(number, specialist=None):
    """A visitor who takes the earliest time the form shows them."""
    (day, slots), *_ = open_times(Mode.VIDEO, specialist)
    consultation = ConsultationRequestFactory.build(
        email=f"visitor{number}@example.com",
        phone=f"+9198110{number:05d}",
        mode=Mode.VIDEO,
        preferred_specialist=specialist,
        window1_date=None,
        window1_part="",
        concern=None,
    )
    consultation, _ = services.submit_request(consultation, slot=slots[0])
    return consultation.appointments.get()


def test_no_preference_spreads_bookings_evenly(clinic_profile):
    team = [specialist_working_every_day(name=f"Dr {name}") for name in ("Asha", "Bina", "Chitra")]
    # Dr Asha already has two appointments: she is not given the next ones.
    book_first_open_time(100, team[0])
    book_first_open_time(101, team[0])
    first = book_first_open_time(0)
    assert first.specialist != team[0]
    for number in range(1, 20):
        book_first_open_time(number)
    counts = Counter(appointment.specialist for specialist in team for appointment in specialist.appointments.all())
    assert sum(counts.values()) == 22
    assert max(counts.values()) - min(counts.values()) <= 1, counts


def test_the_form_shows_each_time_with_whoever_is_least_booked(clinic_profile):
    asha, bina = (specialist_working_every_day(name=f"Dr {name}") for name in ("Asha", "Bina"))
    (day, slots), *_ = open_times(Mode.VIDEO)
    assert slots[0].specialist == asha  # a tie: the order on the specialists' list
    book_first_open_time(1, asha)
    (day, slots), *_ = open_times(Mode.VIDEO)
    assert slots[0].specialist == bina
