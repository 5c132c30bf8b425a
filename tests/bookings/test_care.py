"""Ongoing care: fair "no preference", a course of sessions, follow-ups."""

import re
from collections import Counter
from datetime import timedelta
from html import unescape

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from icalendar import Calendar

from bookings import services, tokens
from bookings.availability import open_times
from bookings.lifecycle import State
from bookings.models import Appointment, Mode
from bookings.models.requests import InvalidTransition
from clinic.models import Holiday
from tests.bookings.conftest import run_worker
from tests.factories import ConsultationRequestFactory, clinic_time, specialist_working_every_day

pytestmark = pytest.mark.django_db
# Queries of the caseload page and of checking a series' dates, whatever their number.
CASELOAD_BUDGET = 11
SERIES_BUDGET = 17


def book_first_open_time(number, specialist=None):
    """A visitor who takes the earliest time the form shows them."""
    (_day, slots), *_ = open_times(Mode.VIDEO, specialist)
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
    counts = Counter(
        appointment.specialist for specialist in team for appointment in specialist.appointments.all()
    )
    assert sum(counts.values()) == 22
    assert max(counts.values()) - min(counts.values()) <= 1, counts


def test_the_form_shows_each_time_with_whoever_is_least_booked(clinic_profile):
    asha, bina = (specialist_working_every_day(name=f"Dr {name}") for name in ("Asha", "Bina"))
    (_day, slots), *_ = open_times(Mode.VIDEO)
    assert slots[0].specialist == asha  # a tie: the order on the specialists' list
    book_first_open_time(1, asha)
    (_day, slots), *_ = open_times(Mode.VIDEO)
    assert slots[0].specialist == bina


def past(appointment, days=7):
    """The appointment as if it had taken place `days` ago."""
    Appointment.objects.filter(pk=appointment.pk).update(
        start=appointment.start - timedelta(days=days), end=appointment.end - timedelta(days=days)
    )
    appointment.refresh_from_db()
    return appointment


def test_a_course_of_sessions_stays_open_until_staff_close_it(clinic_profile):
    specialist = specialist_working_every_day(name="Dr Asha")
    consultation = ConsultationRequestFactory(mode=Mode.IN_CLINIC)
    first = services.schedule_appointment(consultation, specialist=specialist, start=clinic_time(hour=11))
    past(first)
    assert services.close_appointment(first, State.COMPLETED)
    consultation.refresh_from_db()
    assert consultation.status == "scheduled" and consultation.can_be_scheduled  # in care: the next session
    second = services.schedule_appointment(
        consultation, specialist=specialist, start=first.start + timedelta(days=7 + 7)
    )
    third = services.schedule_appointment(
        consultation, specialist=specialist, start=second.start + timedelta(days=7)
    )
    assert consultation.appointments.current().count() == 2 and second.video_link == third.video_link == ""
    # Closing the course by hand waits for the sessions still to come.
    with pytest.raises(InvalidTransition):
        services.change_status(consultation, "completed", user=None)
    services.cancel_appointment(second, user=None)
    services.cancel_appointment(third, user=None)
    consultation.refresh_from_db()
    services.change_status(consultation, "completed", user=None)
    consultation.refresh_from_db()
    assert consultation.status == "completed" and not consultation.can_be_scheduled


def test_a_visitor_holding_a_time_gets_no_second_booking_until_it_is_confirmed(clinic_profile):
    hold = book_first_open_time(1, specialist_working_every_day(name="Dr Asha"))
    assert "holds a time" in hold.consultation.why_not_schedulable()
    services.confirm_hold(hold, user=None)
    hold.consultation.refresh_from_db()
    assert hold.consultation.can_be_scheduled


def test_the_follow_up_is_two_clicks_next_week_same_time(admin_client, clinic_profile):
    specialist = specialist_working_every_day(name="Dr Asha")
    consultation = ConsultationRequestFactory(mode=Mode.VIDEO)
    first = services.schedule_appointment(consultation, specialist=specialist, start=clinic_time(hour=11))
    page = admin_client.get(reverse("admin:bookings_appointment_change", args=[first.pk])).content.decode()
    next_week = timezone.localtime(first.start) + timedelta(days=7)
    link = re.search(r'href="([^"]+)">Book the next session \(([^)]+)\)', page)
    assert link[2] == date_format(next_week, "D j M, H:i")
    form = admin_client.get(unescape(link[1]))
    assert form.status_code == 200
    initial = form.context["adminform"].form.initial
    assert (initial["start"], initial["specialist"]) == (next_week, specialist.pk)
    response = admin_client.post(
        unescape(link[1]),
        {
            "specialist": specialist.pk,
            "start_0": next_week.date().isoformat(),
            "start_1": next_week.strftime("%H:%M"),
            "duration": 50,
            "mode": "video",
            "location": "",
            "video_link": "",
        },
    )
    assert response.status_code == 302
    follow_up = consultation.appointments.order_by("start").last()
    assert (follow_up.start, follow_up.specialist, follow_up.status) == (next_week, specialist, "confirmed")
    assert follow_up.video_link and follow_up.video_link != first.video_link  # a room of its own


def test_the_visitor_sees_every_session_and_moves_or_cancels_one(client, clinic_profile, mailoutbox):
    specialist = specialist_working_every_day(name="Dr Asha")
    consultation = ConsultationRequestFactory(mode=Mode.IN_CLINIC)
    sessions = [
        services.schedule_appointment(consultation, specialist=specialist, start=clinic_time(days, hour=11))
        for days in (3, 6, 9)
    ]
    status = tokens.status_path(consultation)
    html = client.get(status).content.decode()
    assert "Your later sessions" in html and html.count("<li data-session>") == 2
    second = sessions[1]
    cancel = reverse("bookings:cancel_session", kwargs={"token": status.split("/")[-2], "session": second.pk})
    assert cancel in html
    client.post(cancel, {"reason": "Travelling"})
    second.refresh_from_db()
    consultation.refresh_from_db()
    assert second.status == "cancelled" and consultation.status == "scheduled"
    assert [s.status for s in Appointment.objects.filter(pk__in=[sessions[0].pk, sessions[2].pk])] == [
        "confirmed",
        "confirmed",
    ]
    html = client.get(status).content.decode()
    assert html.count("<li data-session>") == 1 and "Past and cancelled sessions" in html

    third = sessions[2]
    token = status.split("/")[-2]
    day = timezone.localdate(third.start)
    slots = [
        slot
        for open_day, day_slots in open_times(Mode.IN_CLINIC, specialist, ignore=third)
        for slot in day_slots
        if open_day == day and slot.start != third.start
    ]
    move = reverse("bookings:move_confirm_session", kwargs={"token": token, "session": third.pk})
    client.post(move, {"slot": slots[0].key})
    third.refresh_from_db()
    assert third.start == slots[0].start
    sessions[0].refresh_from_db()
    assert sessions[0].start == clinic_time(3, hour=11)  # the other session did not move


def series_form(specialist, first, **extra):
    return {
        "specialist": specialist.pk,
        "start_0": first.date().isoformat(),
        "start_1": first.strftime("%H:%M"),
        "duration": 50,
        "mode": "video",
        "interval_weeks": 1,
        "count": 8,
        "until": "",
        **extra,
    }


def booked_series(admin_client, specialist, consultation, first):
    url = reverse("admin:bookings_appointment_series", args=[consultation.pk])
    checked = admin_client.post(url, series_form(specialist, first, check="Check the dates"))
    return url, checked


def visitor_sees(client, consultation):
    """The times on the visitor's page still to come: the next one, then the later ones."""
    html = client.get(tokens.status_path(consultation)).content.decode()
    return re.findall(r"data-(?:appointment|session)-time>([^<]+?)(?: \(India time\))?<", html)


def test_eight_weekly_sessions_across_a_holiday_one_confirmation_then_cancel_some(
    admin_client, client, clinic_profile, mailoutbox, settings
):
    settings.BOOKING_REMINDER_HOURS = []
    specialist = specialist_working_every_day(name="Dr Asha")
    consultation = ConsultationRequestFactory(mode=Mode.VIDEO, name="Priya")
    first = timezone.localtime(clinic_time(3, hour=11))
    Holiday.objects.create(date=(first + timedelta(weeks=2)).date(), name="Diwali")

    url, checked = booked_series(admin_client, specialist, consultation, first)
    page = checked.content.decode()
    assert page.count('<tr class="series-plan__row') == 8 and page.count("series-plan__row--clash") == 1
    assert "The clinic is closed on" in page and "(Diwali)" in page
    planned = checked.context["planned"]
    clash = planned[2]
    assert clash.problem and clash.alternative is not None
    assert timezone.localdate(clash.alternative.start) != clash.start.date()  # not on the holiday
    # The nearest day at the same hour: a weekly visitor keeps their time.
    assert clash.alternative.local_start.time() == first.time()
    assert abs(clash.alternative.local_start.date() - clash.start.date()) == timedelta(days=1)
    assert "schedule outside working hours" not in page

    admin_client.post(url, series_form(specialist, first, book="Book", **{"session-2": "alternative"}))
    sessions = list(consultation.appointments.order_by("start"))
    assert len(sessions) == 8 and {s.status for s in sessions} == {"confirmed"}
    assert sessions[2].start == clash.alternative.start
    assert len({s.series_id for s in sessions}) == 1 and len({s.video_link for s in sessions}) == 8

    run_worker()
    (email,) = mailoutbox
    assert email.subject == "Your appointments at Gurgaon Mind & Wellness Clinic are confirmed"
    assert "Your 8 appointments are confirmed" in email.body
    for session in sessions:
        assert date_format(timezone.localtime(session.start), "l j F Y, g:i A") in email.body
    events = [Calendar.from_ical(content).walk("VEVENT")[0] for name, content, _ in email.attachments]
    assert len(events) == 8 and len({str(event["UID"]) for event in events}) == 8
    assert sorted(event.decoded("DTSTART") for event in events) == [s.start for s in sessions]

    services.cancel_appointment(sessions[2], user=None)
    assert consultation.appointments.confirmed().count() == 7
    left = [date_format(timezone.localtime(s.start), "l j F Y, g:i A") for s in sessions if s != sessions[2]]
    assert visitor_sees(client, consultation) == left

    # Another visitor's series: "this and all later" from the 6th leaves 5.
    other = ConsultationRequestFactory(mode=Mode.VIDEO)
    later_first = first + timedelta(hours=3)
    url, _ = booked_series(admin_client, specialist, other, later_first)
    admin_client.post(url, series_form(specialist, later_first, book="Book", **{"session-2": "alternative"}))
    theirs = list(other.appointments.order_by("start"))
    admin_client.post(
        reverse("admin:bookings_appointment_changelist"),
        {"action": "cancel_this_and_later", "_selected_action": [theirs[5].pk]},
    )
    assert other.appointments.confirmed().count() == 5
    assert visitor_sees(client, other) == [
        date_format(timezone.localtime(s.start), "l j F Y, g:i A") for s in theirs[:5]
    ]


def test_a_series_date_that_became_busy_is_refused_by_name(admin_client, clinic_profile):
    specialist = specialist_working_every_day(name="Dr Asha")
    consultation = ConsultationRequestFactory(mode=Mode.VIDEO)
    first = timezone.localtime(clinic_time(3, hour=11))
    url, _ = booked_series(admin_client, specialist, consultation, first)
    # Someone takes the 4th date meanwhile.
    services.schedule_appointment(
        ConsultationRequestFactory(mode=Mode.VIDEO), specialist=specialist, start=first + timedelta(weeks=3)
    )
    response = admin_client.post(url, series_form(specialist, first, book="Book"), follow=True)
    # The dates are checked again: the 4th now clashes and is left out unless staff choose its alternative.
    assert consultation.appointments.count() == 7
    assert "7 sessions booked" in response.content.decode()


@pytest.fixture
def clinician(client):
    from django.contrib.auth.models import Group

    from tests.factories import UserFactory

    user = UserFactory(username="dr-asha")
    user.groups.add(Group.objects.get(name="Clinicians"))
    client.force_login(user)
    return specialist_working_every_day(name="Dr Asha", user=user)


def courses_of(specialist, count):
    references = []
    for number in range(count):
        consultation = ConsultationRequestFactory(mode=Mode.VIDEO)
        start = clinic_time(3 + number // 6, hour=10 + number % 6)
        services.schedule_appointment(consultation, specialist=specialist, start=start)
        references.append(consultation.reference)
    return references


def test_a_clinician_sees_their_caseload_and_nothing_of_others(
    client, clinician, clinic_profile, django_assert_num_queries
):
    other = specialist_working_every_day(name="Dr Other")
    mine = courses_of(clinician, 2)
    (theirs,) = courses_of(other, 1)
    url = reverse("admin:bookings_appointment_caseload")
    html = client.get(url).content.decode()
    assert "Open courses of care: 2" in html and all(reference in html for reference in mine)
    assert theirs not in html and "Dr Other" not in html
    html = client.get(url + f"?specialist={other.pk}").content.decode()
    assert "Open courses of care: 2" in html  # a clinician cannot choose another's
    # The same number of queries for 2 courses and for 12.
    with django_assert_num_queries(CASELOAD_BUDGET) as first:
        client.get(url)
    Appointment.objects.filter(specialist=clinician).delete()
    courses_of(clinician, 12)
    with django_assert_num_queries(CASELOAD_BUDGET):
        response = client.get(url)
    assert "Open courses of care: 12" in response.content.decode() and len(first) == CASELOAD_BUDGET


def test_the_series_page_checks_two_or_eight_dates_in_the_same_queries(admin_client, clinic_profile):
    specialist = specialist_working_every_day(name="Dr Asha")
    consultation = ConsultationRequestFactory(mode=Mode.VIDEO)
    first = timezone.localtime(clinic_time(3, hour=11))
    url = reverse("admin:bookings_appointment_series", args=[consultation.pk])
    counts = []
    for count in (2, 8):
        with CaptureQueriesContext(connection) as queries:
            response = admin_client.post(url, series_form(specialist, first, count=count, check="1"))
        assert response.content.decode().count('<tr class="series-plan__row') == count
        counts.append(len(queries))
    assert counts == [SERIES_BUDGET, SERIES_BUDGET]
