"""Issue 22: free time is computed once (bookings.availability.Schedule), so the
visitors' open times, the schedule page's free gaps and staff scheduling agree,
at the edges too: the buffer, holidays, days off."""

from datetime import timedelta

import pytest
from django.utils import timezone

from bookings import availability, board, services
from clinic.models import Holiday, Mode
from tests.factories import (
    AppointmentFactory,
    ConsultationRequestFactory,
    DayOffFactory,
    clinic_time,
    specialist_working_every_day,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def week(clinic_profile):
    clinic_profile.buffer_minutes = 15
    clinic_profile.save()
    specialist = specialist_working_every_day(name="Dr Rao")
    AppointmentFactory(specialist=specialist, start=clinic_time(3, 11, 0), end=clinic_time(3, 11, 50))
    AppointmentFactory(specialist=specialist, start=clinic_time(3, 14, 20), end=clinic_time(3, 15, 10))
    Holiday.objects.create(clinic=clinic_profile, date=timezone.localdate() + timedelta(days=4), name="Holi")
    DayOffFactory(specialist=specialist, date=timezone.localdate() + timedelta(days=5))
    return specialist


def gaps(specialist, day):
    (the_day,) = board.build_board(day, 1, specialists=[specialist])
    return [(block.start, block.end) for block in the_day.cells[0].blocks if block.is_free]


def test_every_open_time_is_in_a_free_gap_and_staff_may_book_it(week):
    for day, slots in availability.open_times(Mode.VIDEO, week):
        day_gaps = gaps(week, day)
        for slot in slots:
            assert any(start <= slot.start and slot.end <= end for start, end in day_gaps), slot
            assert availability.why_not_free(week, slot.start, slot.end) is None, slot


def test_the_buffer_is_the_same_edge_for_all_three(week):
    day = timezone.localdate() + timedelta(days=3)
    too_close = clinic_time(3, 11, 55)  # 5 minutes after an appointment, inside the 15-minute buffer
    open_starts = {slot.start for _, slots in availability.open_times(Mode.VIDEO, week) for slot in slots}
    assert too_close not in open_starts
    assert clinic_time(3, 12, 5) in open_starts  # 11:50 + 15, rounded up to 5 minutes
    assert not any(start <= too_close < end for start, end in gaps(week, day))
    problem = availability.why_not_free(week, too_close, too_close + timedelta(minutes=50))
    assert "keeps 15 minutes between appointments" in problem
    with pytest.raises(services.ValidationError):
        services.schedule_appointment(ConsultationRequestFactory(), specialist=week, start=too_close)


@pytest.mark.parametrize(("days_ahead", "why"), [(4, "The clinic is closed"), (5, "has a day off")])
def test_holidays_and_days_off_are_closed_for_all_three(week, days_ahead, why):
    day = timezone.localdate() + timedelta(days=days_ahead)
    assert day not in dict(availability.open_times(Mode.VIDEO, week))
    assert gaps(week, day) == []
    start = clinic_time(days_ahead, 11, 0)
    assert why in availability.why_not_free(week, start, start + timedelta(minutes=50))
    # Reception may still book it on purpose.
    assert availability.why_not_free(week, start, start + timedelta(minutes=50), override_hours=True) is None
