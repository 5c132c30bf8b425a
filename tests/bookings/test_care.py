"""Ongoing care: fair "no preference", a course of sessions, follow-ups."""

import re
from collections import Counter
from datetime import timedelta
from html import unescape

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from bookings import services, tokens
from bookings.availability import open_times
from bookings.lifecycle import State
from bookings.models import Appointment, Mode
from bookings.models.requests import InvalidTransition
from tests.factories import ConsultationRequestFactory, clinic_time, specialist_working_every_day

pytestmark = pytest.mark.django_db


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
    assert "Your later sessions" in html and html.count("data-session") == 2
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
    assert html.count("data-session") == 1 and "Earlier sessions" in html

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
