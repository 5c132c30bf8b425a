"""Open times: working hours minus days off, holidays and appointments (held
or confirmed, with the buffer), from the minimum notice on; a fixed number of
queries however many appointments are on the books."""

from datetime import time, timedelta

import pytest
from django.utils import timezone

from bookings.availability import Slot, find_slot, open_times, parse_slot_key
from bookings.models import Appointment, WorkingHours
from clinic.models import Holiday, Mode
from tests.factories import (
    AppointmentFactory,
    ConsultationRequestFactory,
    DayOffFactory,
    SpecialistFactory,
    clinic_time,
    specialist_working_every_day,
)

pytestmark = pytest.mark.django_db

DAYS = 14


def starts(day_slots):
    return [f"{slot.local_start:%H:%M}" for slot in day_slots]


def times_on(specialist, days_ahead, mode=Mode.VIDEO, **kwargs):
    day = timezone.localdate() + timedelta(days=days_ahead)
    return starts(dict(open_times(mode, specialist, **kwargs)).get(day, []))


def test_a_working_day_is_cut_into_consultations_with_the_buffer_between(clinic_profile):
    specialist = specialist_working_every_day()  # 10:00 to 18:00
    # 50 minutes and a 10-minute buffer: on the hour, the last ending 17:50.
    assert times_on(specialist, 3) == [f"{hour}:00" for hour in range(10, 18)]


def test_length_and_fee_are_the_specialists_for_the_mode(clinic_profile):
    specialist = specialist_working_every_day(length_phone=30, fee_phone=800, fee_video=None)
    assert specialist.length_for(Mode.PHONE) == timedelta(minutes=30)
    assert specialist.length_for(Mode.VIDEO) == timedelta(minutes=50)
    assert times_on(specialist, 3, Mode.PHONE)[:3] == ["10:00", "10:40", "11:20"]
    day = dict(open_times(Mode.PHONE, specialist))[timezone.localdate() + timedelta(days=3)]
    assert day[0].fee == 800 and day[0].end - day[0].start == timedelta(minutes=30)
    assert dict(open_times(Mode.VIDEO, specialist))[day[0].local_start.date()][0].fee is None


def test_appointments_held_or_confirmed_take_their_time_and_the_buffer(clinic_profile):
    specialist = specialist_working_every_day()
    AppointmentFactory(specialist=specialist, start=clinic_time(3, 11, 30), status="confirmed")
    AppointmentFactory(specialist=specialist, start=clinic_time(3, 15, 0), status="held")
    AppointmentFactory(specialist=specialist, start=clinic_time(3, 16, 0), status="cancelled")
    # 11:30-12:20 blocks 11:00 (its buffer) and everything up to 12:30.
    assert times_on(specialist, 3) == ["10:00", "12:30", "13:30", "16:00", "17:00"]


def test_days_off_holidays_and_days_without_hours_have_no_times(clinic_profile):
    specialist = specialist_working_every_day()
    DayOffFactory(specialist=specialist, date=timezone.localdate() + timedelta(days=3))
    Holiday.objects.create(date=timezone.localdate() + timedelta(days=4), name="Diwali")
    day5 = timezone.localdate() + timedelta(days=5)
    WorkingHours.objects.filter(specialist=specialist, weekday=day5.weekday()).delete()
    assert times_on(specialist, 3) == times_on(specialist, 4) == times_on(specialist, 5) == []
    assert times_on(specialist, 6)


def test_nothing_inside_the_minimum_notice(clinic_profile, settings):
    specialist = specialist_working_every_day()
    settings.BOOKING_MIN_NOTICE_HOURS = 24
    now = clinic_time(0, 12, 0)
    days = dict(open_times(Mode.VIDEO, specialist, now=now))
    assert timezone.localdate(now) not in days
    assert starts(days[timezone.localdate(now) + timedelta(days=1)]) == [
        "12:00",
        "13:00",
        "14:00",
        "15:00",
        "16:00",
        "17:00",
    ]


def test_days_are_ordered_and_within_the_horizon(clinic_profile):
    specialist = specialist_working_every_day()
    now = clinic_time(0, 12, 0)
    today = timezone.localdate()
    days = [day for day, _ in open_times(Mode.VIDEO, specialist, now=now)]
    assert days == [today + timedelta(days=n) for n in range(1, DAYS)]
    assert [day for day, _ in open_times(Mode.VIDEO, specialist, days=3, now=now)] == days[:2]


def test_no_preference_gives_the_earliest_time_once_across_specialists(clinic_profile):
    first = specialist_working_every_day(name="Dr First", order=1)
    second = specialist_working_every_day(name="Dr Second", order=2)
    SpecialistFactory(name="Dr Not Booking", accepts_bookings=False)
    AppointmentFactory(specialist=first, start=clinic_time(3, 10, 0))
    day = dict(open_times(Mode.VIDEO))[timezone.localdate() + timedelta(days=3)]
    assert starts(day) == [f"{hour}:00" for hour in range(10, 18)]
    # 10:00 from the second (the first is busy), the rest too: the second is
    # the less booked (issue 25's fair "no preference").
    assert [slot.specialist for slot in day[:2]] == [second, second]


def test_moving_an_appointment_counts_its_own_time_as_free(clinic_profile):
    specialist = specialist_working_every_day()
    appointment = AppointmentFactory(specialist=specialist, start=clinic_time(3, 11, 0))
    assert "11:00" not in times_on(specialist, 3)
    assert "11:00" in times_on(specialist, 3, ignore=appointment)


def test_a_slot_key_round_trips_and_finds_only_open_times(clinic_profile):
    specialist = specialist_working_every_day()
    slot = dict(open_times(Mode.VIDEO, specialist))[timezone.localdate() + timedelta(days=3)][0]
    assert slot.key == f"{specialist.pk}-{slot.local_start:%Y%m%d%H%M}"
    assert parse_slot_key(slot.key) == (specialist.pk, slot.start)
    assert find_slot(slot.key, Mode.VIDEO) == slot
    AppointmentFactory(specialist=specialist, start=slot.start, status="held")
    assert find_slot(slot.key, Mode.VIDEO) is None
    off_grid = f"{specialist.pk}-{slot.local_start + timedelta(minutes=7):%Y%m%d%H%M}"
    assert find_slot(off_grid, Mode.VIDEO) is None


@pytest.mark.parametrize(
    "key",
    [
        "",
        "12",
        "abc-202612031030",
        "12-20261303103",
        "12-202613031030",
        "12-202612031099",
        "1" * 40 + "-x",
        None,
    ],
)
def test_odd_keys_are_not_slots(clinic_profile, key):
    assert find_slot(key, Mode.VIDEO) is None


def test_a_slot_far_beyond_the_horizon_is_not_open(clinic_profile, settings):
    specialist = specialist_working_every_day()
    far = clinic_time(settings.BOOKING_MAX_DAYS_AHEAD + 5, 10, 0)
    assert find_slot(Slot(far, far, specialist).key, Mode.VIDEO) is None


def test_new_clinics_open_monday_to_saturday_ten_to_seven(db):
    from clinic.models import ClinicProfile, OpeningHours

    ClinicProfile.load()
    assert OpeningHours.week() == [(day, time(10), time(19)) for day in range(6)]


def bulk_appointments(specialists, count):
    """`count` appointments spread over the specialists, from a year back to
    the end of the coming fortnight (at least an hour apart, so none overlap)."""
    consultation = ConsultationRequestFactory()
    first = timezone.now() - timedelta(days=365)
    per_specialist = -(-count // len(specialists))
    step = max(timedelta(days=365 + DAYS) / per_specialist, timedelta(hours=1))
    if per_specialist == 1:
        first = timezone.now() + timedelta(days=3)  # a handful, in the fortnight
    Appointment.objects.bulk_create(
        Appointment(
            consultation=consultation,
            specialist=specialists[n % len(specialists)],
            start=first + (n // len(specialists)) * step,
            end=first + (n // len(specialists)) * step + timedelta(minutes=50),
            status="confirmed",
        )
        for n in range(count)
    )


@pytest.mark.parametrize("appointments", [10, 10_000])
def test_open_times_take_six_queries_whatever_the_number_of_appointments(
    clinic_profile, django_assert_num_queries, appointments
):
    specialists = [specialist_working_every_day() for _ in range(20)]
    bulk_appointments(specialists, appointments)
    assert Appointment.objects.count() == appointments
    with django_assert_num_queries(6):
        days = open_times(Mode.VIDEO, days=DAYS)
    assert len(days) >= DAYS - 2
    with django_assert_num_queries(6):
        open_times(Mode.VIDEO, specialists[3], days=DAYS)
    with django_assert_num_queries(6):
        find_slot(days[0][1][0].key, Mode.VIDEO)
