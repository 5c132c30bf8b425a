"""Issue 22: the appointment lifecycle written once (bookings/lifecycle.py),
and the request following its appointments."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from bookings import lifecycle, services
from bookings.availability import find_slot, open_times
from bookings.board import waiting_requests
from bookings.lifecycle import State
from bookings.models import Appointment, ConsultationRequest, InvalidTransition
from clinic.models import Mode
from tests.factories import AppointmentFactory, ConsultationRequestFactory, specialist_working_every_day

pytestmark = pytest.mark.django_db


@pytest.fixture
def hold(clinic_profile):
    specialist = specialist_working_every_day(name="Dr Rao")
    slot = dict(open_times(Mode.VIDEO, specialist))[timezone.localdate() + timedelta(days=3)][0]
    consultation = ConsultationRequestFactory.build(
        name="Priya Sharma", mode=Mode.VIDEO, window1_date=None, window1_part="", concern=None
    )
    consultation, _ = services.submit_request(consultation, slot=slot)
    return consultation.appointments.get()


def test_the_table_names_every_state_once_and_the_database_refuses_others(hold):
    assert set(lifecycle.MOVES) == set(State)
    assert lifecycle.CURRENT | lifecycle.FROM_START_ON <= lifecycle.OCCUPYING
    assert State.CONFIRMED.label == "Confirmed" and not hasattr(State, "BOOKED")
    with pytest.raises(IntegrityError), transaction.atomic():
        Appointment.objects.filter(pk=hold.pk).update(status="booked")


def test_moves_outside_the_table_are_refused(hold):
    services.cancel_appointment(hold, user=None)
    hold.refresh_from_db()
    with pytest.raises(ValidationError):
        services.confirm_hold(hold, user=None)  # a cancelled hold cannot be confirmed
    with pytest.raises(lifecycle.InvalidMove):
        lifecycle.check_move(State.CANCELLED, State.CONFIRMED)
    assert services.close_appointment(hold, State.COMPLETED) is False


def test_a_released_hold_frees_its_time_and_says_so(hold):
    key = f"{hold.specialist_id}-{timezone.localtime(hold.start):%Y%m%d%H%M}"
    assert find_slot(key, Mode.VIDEO) is None
    Appointment.objects.filter(pk=hold.pk).update(created=timezone.now() - timedelta(hours=25))
    assert services.release_expired_holds() == 1
    hold.refresh_from_db()
    assert hold.status == State.RELEASED and hold.sequence == 1
    assert find_slot(key, Mode.VIDEO) is not None
    # The database's overlap guard lets another appointment have that time.
    AppointmentFactory(specialist=hold.specialist, start=hold.start, end=hold.end)


def test_completed_and_no_show_only_from_the_start_time_on(hold, admin_client):
    services.confirm_hold(hold, user=None)
    with pytest.raises(ValidationError, match="has not started yet"):
        services.close_appointment(hold, State.NO_SHOW)
    hold.refresh_from_db()
    assert hold.status == State.CONFIRMED and hold.consultation.status == "scheduled"
    # The admin action says why, and changes nothing.
    response = admin_client.post(
        reverse("admin:bookings_appointment_changelist"),
        {"action": "mark_no_show", "_selected_action": [hold.pk]},
        follow=True,
    )
    assert "has not started yet" in response.content.decode()
    hold.refresh_from_db()
    assert hold.status == State.CONFIRMED
    # Once it has started, it can.
    Appointment.objects.filter(pk=hold.pk).update(
        start=timezone.now() - timedelta(minutes=5), end=timezone.now() + timedelta(minutes=45)
    )
    assert services.close_appointment(hold, State.NO_SHOW) is True
    hold.refresh_from_db()
    # The request stays in care (issue 25): reception books the next session or closes the course.
    assert hold.status == State.NO_SHOW and hold.consultation.status == "scheduled"


def test_staff_cancelling_sends_the_request_back_to_waiting_with_the_reason(hold, admin_client):
    services.confirm_hold(hold, user=None)
    consultation = hold.consultation
    consultation.refresh_from_db()
    assert consultation.status == "scheduled"
    assert consultation not in waiting_requests()
    services.cancel_appointment(hold, reason="Dr Rao is unwell", user=None)
    consultation.refresh_from_db()
    assert consultation.status == "contacted"
    assert consultation.appointments.current().count() == 0
    assert [c.pk for c in waiting_requests()] == [consultation.pk]
    assert "Dr Rao is unwell" in consultation.notes.get().text
    assert consultation.can_be_scheduled


def test_the_visitor_cancelling_closes_the_request(hold):
    services.cancel_by_visitor(hold.consultation, reason="")
    hold.consultation.refresh_from_db()
    assert hold.consultation.status == "cancelled"


def test_a_request_holding_a_time_offers_confirm_not_schedule(hold, admin_client):
    consultation = hold.consultation
    assert not consultation.can_be_scheduled
    schedule = reverse("admin:bookings_appointment_schedule", args=[consultation.pk])
    html = admin_client.get(consultation.get_absolute_url()).content.decode()
    assert schedule not in html and ">Confirm</button>" in html
    listing = admin_client.get(reverse("admin:bookings_appointment_changelist")).content.decode()
    assert schedule not in listing
    # The list's "Schedule an appointment" action explains instead of opening a form that fails.
    response = admin_client.post(
        reverse("admin:bookings_consultationrequest_changelist"),
        {"action": "schedule_appointment", "_selected_action": [consultation.pk]},
        follow=True,
    )
    assert "holds a time that awaits confirmation" in response.content.decode()
    assert Appointment.objects.count() == 1


def test_a_request_with_an_appointment_follows_it_and_is_not_moved_by_hand(hold):
    consultation = ConsultationRequest.objects.get(pk=hold.consultation_id)
    with pytest.raises(InvalidTransition, match="follows its appointment"):
        services.change_status(consultation, "cancelled", user=None)
    assert services.change_status_of_all(ConsultationRequest.objects.all(), "spam", user=None) == 0


def test_confirming_or_offering_another_time_keeps_the_place_and_video_link(hold, admin_client):
    Appointment.objects.filter(pk=hold.pk).update(video_link="https://meet.example/room-1", location="Room 2")
    admin_client.post(reverse("admin:bookings_appointment_confirm", args=[hold.pk]))
    hold.refresh_from_db()
    assert (hold.status, hold.video_link, hold.location) == (
        State.CONFIRMED,
        "https://meet.example/room-1",
        "Room 2",
    )

    other = AppointmentFactory(
        status=State.HELD,
        mode="video",
        video_link="https://meet.example/room-2",
        start=hold.start + timedelta(days=1),
    )
    new_start = timezone.localtime(other.start + timedelta(hours=2))
    services.offer_time(other, start=new_start, user=None, override_hours=True)
    other.refresh_from_db()
    assert other.status == State.CONFIRMED and other.video_link == "https://meet.example/room-2"
