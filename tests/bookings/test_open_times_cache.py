"""The form's open times are kept in the cache under the schedule's version:
every change to what free time is made of shows at once, and holding a time
checks it afresh whatever the cache says."""

from datetime import time, timedelta

import pytest
from django.utils import timezone

from bookings import availability, services
from bookings.models import Appointment
from clinic.models import ClinicProfile, Holiday, Mode
from tests.factories import (
    AppointmentFactory,
    ConsultationRequestFactory,
    DayOffFactory,
    clinic_time,
    specialist_working_every_day,
)

pytestmark = pytest.mark.django_db

DAY = 3


def times(specialist=None, mode=Mode.VIDEO):
    day = timezone.localdate() + timedelta(days=DAY)
    return [
        f"{slot.local_start:%H:%M}" for slot in dict(availability.open_times(mode, specialist)).get(day, [])
    ]


@pytest.fixture
def specialist(clinic_profile):
    return specialist_working_every_day()  # 10:00 to 18:00, on the hour


def test_a_second_look_reads_nothing_from_the_database(specialist, django_assert_num_queries):
    times(specialist)
    with django_assert_num_queries(0):
        assert times(specialist)[0] == "10:00"


def test_every_kind_of_change_shows_at_once(specialist):
    assert times(specialist)[:2] == times()[:2] == ["10:00", "11:00"]
    start = clinic_time(DAY, 10)
    appointment = AppointmentFactory(specialist=specialist, start=start, end=start + timedelta(minutes=50))
    assert times(specialist)[0] == times()[0] == "11:00"
    services.cancel_appointment(appointment, reason="", user=None)
    assert times(specialist)[0] == "10:00"

    hours = specialist.working_hours.get(weekday=start.weekday())
    hours.start = time(14)
    hours.save()
    assert times(specialist)[0] == "14:00"
    hours.delete()
    assert times(specialist) == []

    other = specialist_working_every_day()
    assert times(other)[0] == times()[0] == "10:00"
    DayOffFactory(specialist=other, date=start.date())
    assert times(other) == times() == []
    day_off = other.days_off.get()
    day_off.delete()
    assert times()[0] == "10:00"

    holiday = Holiday.objects.create(date=start.date(), name="Diwali")
    assert times() == []
    holiday.delete()
    assert times()[0] == "10:00"

    other.offers_video = False
    other.save()
    assert times() == []
    assert times(mode=Mode.PHONE)[0] == "10:00"

    profile = ClinicProfile.load()
    profile.buffer_minutes = 40
    profile.save()
    other.length_phone = 50
    other.save()
    assert times(mode=Mode.PHONE)[:2] == ["10:00", "11:30"]


def test_the_version_moves_on_again_when_the_change_commits(specialist, django_capture_on_commit_callbacks):
    before = availability.schedule_version()
    with django_capture_on_commit_callbacks(execute=True):
        DayOffFactory(specialist=specialist, date=clinic_time(DAY).date())
        during = availability.schedule_version()
    assert before < during < availability.schedule_version()


def test_a_version_lost_from_the_cache_never_comes_back_as_an_old_one(specialist):
    from django.core.cache import cache

    old = availability.schedule_version()
    cache.delete(availability.VERSION_KEY)
    assert availability.schedule_version() > old


def test_holding_a_time_checks_it_afresh_whatever_the_cache_says(specialist):
    assert times(specialist)[0] == "10:00"
    slot = dict(availability.open_times(Mode.VIDEO, specialist))[clinic_time(DAY).date()][0]
    # Taken by a path that sends no signal: the cached times still show it.
    start = clinic_time(DAY, 10)
    taker = ConsultationRequestFactory()
    Appointment.objects.bulk_create(
        [
            Appointment(
                consultation=taker, specialist=specialist, start=start, end=start + timedelta(minutes=50)
            )
        ]
    )
    assert times(specialist)[0] == "10:00"
    visitor = ConsultationRequestFactory.build(
        mode=Mode.VIDEO, window1_date=None, window1_part="", concern=None
    )
    with pytest.raises(services.TimeTaken):
        services.submit_request(visitor, slot=slot)
    assert Appointment.objects.filter(specialist=specialist, start=start).count() == 1
