"""Issue 15: the schedule page (day and week, one column per specialist)."""

from datetime import datetime, time, timedelta

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from bookings.models import Appointment, DayOff
from tests.factories import (
    AppointmentFactory,
    ConsultationRequestFactory,
    UserFactory,
    clinic_time,
    specialist_working_every_day,
)

pytestmark = pytest.mark.django_db
WEEK = reverse("admin:bookings_appointment_week")
DASH = "\N{EN DASH}"


def week_of(moment):
    return f"{WEEK}?date={timezone.localdate(moment).isoformat()}"


def test_week_shows_hours_appointments_days_off_and_free_gaps(admin_client):
    specialist = specialist_working_every_day(name="Dr Kavya Rao")
    start = clinic_time(days_ahead=2, hour=11)
    appointment = AppointmentFactory(
        specialist=specialist,
        start=start,
        end=start + timedelta(minutes=50),
        consultation__name="Priya Sharma",
        mode="video",
    )
    DayOff.objects.create(specialist=specialist, date=timezone.localdate(start) + timedelta(days=1))
    html = admin_client.get(week_of(start) + "&view=day").content.decode()
    assert "Dr Kavya Rao" in html
    # The clinic's buffer (10 minutes) on each side of the appointment.
    assert f"10:00{DASH}10:50 free" in html and f"12:00{DASH}18:00 free" in html
    assert appointment.consultation.reference in html and "Video call · Priya" in html
    assert "Sharma" not in html  # first name only
    next_day = admin_client.get(
        f"{WEEK}?view=day&date={(timezone.localdate(start) + timedelta(days=1)).isoformat()}"
    ).content.decode()
    assert "Day off" in next_day


def test_choosing_a_request_makes_free_gaps_open_the_filled_in_form(admin_client):
    specialist = specialist_working_every_day(name="Dr Kavya Rao")
    consultation = ConsultationRequestFactory(name="Priya Sharma")
    start = clinic_time(days_ahead=2, hour=10)
    html = admin_client.get(week_of(start)).content.decode()
    assert f'request={consultation.pk}"' in html  # listed as waiting
    html = admin_client.get(week_of(start) + f"&request={consultation.pk}").content.decode()
    form_url = reverse("admin:bookings_appointment_schedule", args=[consultation.pk])
    link = f"{form_url}?start={start:%Y-%m-%dT%H:%M}&amp;specialist={specialist.pk}"
    assert link in html
    form = admin_client.get(link.replace("&amp;", "&")).content.decode()
    assert f'value="{start:%Y-%m-%d}"' in form and 'value="10:00:00"' in form
    assert f'<option value="{specialist.pk}" selected>' in form


def test_urgent_waiting_requests_come_first(admin_client):
    calm = ConsultationRequestFactory(name="Calm Visitor")
    urgent = ConsultationRequestFactory(name="Urgent Visitor", safe_now="no")
    html = admin_client.get(WEEK).content.decode()
    waiting = html.split('id="waiting-title"')[1]
    assert waiting.index(urgent.reference) < waiting.index(calm.reference)
    assert waiting.index("urgent-label") < waiting.index(urgent.reference)


def test_a_clinician_sees_only_their_own_column(client):
    user = UserFactory(username="dr-ira")
    user.groups.add(Group.objects.get(name="Clinicians"))
    specialist_working_every_day(name="Dr Ira Sen", user=user)
    specialist_working_every_day(name="Dr Other Person")
    client.force_login(user)
    html = client.get(WEEK).content.decode()
    assert "Dr Ira Sen" in html and "Dr Other Person" not in html
    assert "waiting-title" not in html


def make_appointments(specialists, count):
    """`count` appointments in this week, hour by hour, across the specialists."""
    monday = timezone.localdate() - timedelta(days=timezone.localdate().weekday())
    starts = (
        timezone.make_aware(datetime.combine(monday + timedelta(days=offset), time(hour)))
        for offset in range(7)
        for hour in range(10, 18)
    )
    made = 0
    for start in starts:
        for specialist in specialists:
            if made == count:
                return monday
            AppointmentFactory(specialist=specialist, start=start, end=start + timedelta(minutes=50))
            made += 1
    return monday


@pytest.mark.parametrize("count", [20, 200])
def test_the_week_takes_a_fixed_number_of_queries(admin_client, count):
    specialists = [specialist_working_every_day() for _ in range(10)]
    monday = make_appointments(specialists, count)
    ConsultationRequestFactory.create_batch(3)
    assert Appointment.objects.count() == count
    admin_client.get(WEEK)  # sessions and permissions warmed up
    with CaptureQueriesContext(connection) as queries:
        response = admin_client.get(f"{WEEK}?date={monday.isoformat()}")
    assert response.status_code == 200
    assert response.content.decode().count("schedule__appointment ") == count
    # Session and user (2), the admin's app list (1), specialists, working hours,
    # days off, holidays, the buffer, appointments (6), the clinic profile for
    # the page (1), waiting requests and their holds (2), the session saved (3).
    assert len(queries) == 15, [q["sql"][:80] for q in queries]


def test_a_hold_is_confirmed_from_the_schedule_or_given_another_time(admin_client, clinic_profile):
    from bookings import services
    from bookings.availability import open_times
    from clinic.models import Mode

    specialist = specialist_working_every_day(name="Dr Rao")
    day = timezone.localdate() + timedelta(days=3)
    slot = dict(open_times(Mode.VIDEO, specialist))[day][0]
    consultation, _ = services.submit_request(
        ConsultationRequestFactory.build(
            name="Asha Verma", mode=Mode.VIDEO, window1_date=None, window1_part="", concern=None
        ),
        slot=slot,
    )
    hold = consultation.appointments.get()
    page = f"{WEEK}?view=day&date={day.isoformat()}"
    html = admin_client.get(page).content.decode()
    assert reverse("admin:bookings_appointment_confirm", args=[hold.pk]) in html
    assert "Awaiting confirmation" in html
    assert "Chose " in html  # the waiting list shows the chosen time

    chosen = admin_client.get(f"{page}&request={consultation.pk}").content.decode()
    assert reverse("admin:bookings_appointment_offer", args=[hold.pk]) + "?start=" in chosen

    response = admin_client.post(
        reverse("admin:bookings_appointment_confirm", args=[hold.pk]), {"next": page}
    )
    assert response.status_code == 302 and response.url == page
    hold.refresh_from_db()
    assert hold.is_confirmed
    html = admin_client.get(page).content.decode()
    assert "Confirmed" in html and consultation.reference in html


def test_confirm_does_not_follow_a_next_to_another_site(admin_client, clinic_profile):
    from bookings.models import Appointment as Model

    appointment = AppointmentFactory(
        status=Model.Status.HELD, start=clinic_time(hour=11), end=clinic_time(hour=11, minute=50)
    )
    response = admin_client.post(
        reverse("admin:bookings_appointment_confirm", args=[appointment.pk]),
        {"next": "https://evil.example/"},
    )
    assert response.url == reverse(
        "admin:bookings_consultationrequest_change", args=[appointment.consultation_id]
    )
