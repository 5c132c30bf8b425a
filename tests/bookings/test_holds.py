"""Holds: a chosen time is held with the request, staff confirm it or offer
another, unconfirmed holds are released, and visitors move or cancel until the
cut-off, the clinic told each time."""

import re
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.utils import timezone

from bookings import services
from bookings.availability import find_slot, open_times
from bookings.models import Appointment, ConsultationRequest, InvalidTransition
from clinic.models import Mode
from messaging.models import OutgoingMessage
from tests.bookings.conftest import run_worker
from tests.factories import (
    AppointmentFactory,
    ConsultationRequestFactory,
    UserFactory,
    clinic_time,
    specialist_working_every_day,
)

pytestmark = pytest.mark.django_db


def unsaved_request(**kwargs):
    consultation = ConsultationRequestFactory.build(
        mode=Mode.VIDEO, window1_date=None, window1_part="", concern=None, **kwargs
    )
    return consultation


def first_slot(specialist=None, days_ahead=3):
    day = timezone.localdate() + timedelta(days=days_ahead)
    return dict(open_times(Mode.VIDEO, specialist))[day][0]


@pytest.fixture
def specialist(clinic_profile):
    return specialist_working_every_day(name="Dr Rao")


@pytest.fixture
def hold(specialist):
    consultation, _ = services.submit_request(unsaved_request(), slot=first_slot(specialist))
    return consultation.appointments.get()


def kinds():
    return sorted(OutgoingMessage.objects.values_list("kind", flat=True))


def test_a_chosen_time_is_held_with_the_request(hold, specialist):
    assert hold.status == "held" and hold.get_status_display() == "Awaiting confirmation"
    assert hold.specialist == specialist and hold.duration == timedelta(minutes=50)
    assert hold.consultation.status == "new"
    assert hold.expires_at == hold.created + timedelta(hours=24)  # the response-time promise
    assert list(Appointment.objects.held()) == list(Appointment.objects.current()) == [hold]
    assert not Appointment.objects.confirmed().exists()
    assert kinds() == ["acknowledgement", "new_request"]
    assert find_slot(first_slot(specialist).key, Mode.VIDEO) is not None  # the next one


def test_a_time_taken_meanwhile_saves_nothing(hold):
    slot_key = f"{hold.specialist_id}-{timezone.localtime(hold.start):%Y%m%d%H%M}"
    with pytest.raises(services.TimeTaken) as caught:
        services.submit_request(unsaved_request(), slot=slot_key)
    assert isinstance(caught.value, ValidationError)
    assert "someone else has just taken that time" in caught.value.messages[0]
    assert ConsultationRequest.objects.count() == 1 and Appointment.objects.count() == 1
    assert kinds() == ["acknowledgement", "new_request"]


def test_the_database_guard_covers_held_times(hold):
    with pytest.raises(IntegrityError), transaction.atomic():
        AppointmentFactory(specialist=hold.specialist, start=hold.start + timedelta(minutes=20))


def test_an_automated_submission_holds_nothing(specialist):
    consultation, _ = services.submit_request(unsaved_request(), slot=first_slot(specialist), automated=True)
    assert consultation.status == "spam" and not Appointment.objects.exists()


def test_staff_confirm_a_hold_and_the_visitor_gets_the_calendar_file(hold, mailoutbox):
    user = UserFactory()
    hold.specialist.fee_video = 1500
    hold.specialist.save()
    services.confirm_hold(hold, user=user, video_link="https://meet.example/abc")
    hold.refresh_from_db()
    assert hold.status == "confirmed" and hold.video_link == "https://meet.example/abc"
    assert hold.consultation.status == "scheduled"
    run_worker()
    confirmation = next(m for m in mailoutbox if m.subject.endswith("is confirmed"))
    assert confirmation.attachments[0][0] == "appointment.ics"
    assert "Fee: ₹1,500" in confirmation.body and "₹1,500" in confirmation.alternatives[0][0]
    with pytest.raises(ValidationError):
        services.confirm_hold(hold, user=user)


def test_staff_offer_another_time(hold, mailoutbox):
    other = specialist_working_every_day(name="Dr Iyer")
    start = clinic_time(4, 15, 0)
    services.offer_time(hold, start=start, specialist=other, user=UserFactory())
    hold.refresh_from_db()
    assert (hold.status, hold.start, hold.specialist) == ("confirmed", start, other)
    assert hold.consultation.status == "scheduled"
    assert "confirmation" in kinds()


def test_scheduled_comes_only_with_an_appointment(admin_client):
    consultation = ConsultationRequestFactory()
    with pytest.raises(InvalidTransition):
        services.change_status(consultation, "scheduled", user=None)
    with pytest.raises(InvalidTransition):
        services.change_status_of_all(ConsultationRequest.objects.all(), "scheduled", user=None)
    page = admin_client.get(consultation.get_absolute_url()).content.decode()
    assert 'value="contacted"' in page and 'value="scheduled"' not in page


def test_holds_nobody_confirms_are_released_and_the_visitor_invited_back(hold, mailoutbox, settings):
    fresh = services.submit_request(
        unsaved_request(email="second@example.com"), slot=first_slot(hold.specialist)
    )[0].appointments.get()
    assert services.release_expired_holds(now=timezone.now() + timedelta(hours=23)) == 0
    Appointment.objects.filter(pk=hold.pk).update(created=timezone.now() - timedelta(hours=25))
    mailoutbox.clear()
    call_command("release_holds", verbosity=0)
    hold.refresh_from_db()
    fresh.refresh_from_db()
    assert hold.status == "released" and fresh.status == "held"
    assert hold.get_status_display() == "Released: not confirmed in time"
    assert hold.history.first().history_change_reason == "Released: not confirmed in time"
    assert find_slot(f"{hold.specialist_id}-{timezone.localtime(hold.start):%Y%m%d%H%M}", Mode.VIDEO)
    run_worker()
    released = [m for m in mailoutbox if "Please choose another time" in m.subject]
    assert len(released) == 1 and not released[0].attachments
    assert released[0].to == [hold.consultation.email]
    assert "http://testserver/book/" in released[0].body
    settings.BOOKING_HOLD_HOURS = 1
    assert services.release_expired_holds(now=timezone.now() + timedelta(hours=2)) == 1


@pytest.fixture
def confirmed(hold):
    return services.confirm_hold(hold, user=UserFactory())


def test_the_visitor_moves_a_confirmed_time_and_everyone_hears(confirmed, mailoutbox):
    new = first_slot(confirmed.specialist, days_ahead=5)
    moved = services.move_by_visitor(confirmed, new)
    assert (moved.start, moved.sequence, moved.status) == (new.start, 1, "confirmed")
    assert ConsultationRequest.objects.changed_by_visitor().get() == confirmed.consultation
    mailoutbox.clear()
    run_worker()
    inbox = next(m for m in mailoutbox if m.subject.startswith("Changed by the visitor"))
    assert inbox.to == ["care@clinic.example"] and confirmed.consultation.reference in inbox.subject
    assert confirmed.consultation.name not in inbox.body and "Their appointment is now" in inbox.body
    visitor = next(m for m in mailoutbox if m.subject.endswith("has changed"))
    ics = (
        visitor.attachments[0][1].decode()
        if isinstance(visitor.attachments[0][1], bytes)
        else visitor.attachments[0][1]
    )
    assert re.search(r"SEQUENCE:1\b", ics)
    services.mark_visitor_change_seen(ConsultationRequest.objects.all(), user=None)
    assert not ConsultationRequest.objects.changed_by_visitor().exists()


def test_the_visitor_cannot_move_to_a_taken_time(confirmed):
    other = services.submit_request(unsaved_request(), slot=first_slot(confirmed.specialist, 5))[0]
    taken = other.appointments.get()
    key = f"{taken.specialist_id}-{timezone.localtime(taken.start):%Y%m%d%H%M}"
    with pytest.raises(services.TimeTaken):
        services.move_by_visitor(confirmed, key)
    confirmed.refresh_from_db()
    assert confirmed.sequence == 0


def test_changes_stop_at_the_cutoff(confirmed, settings):
    settings.BOOKING_CHANGE_CUTOFF_HOURS = 24 * 4
    confirmed.refresh_from_db()
    assert not confirmed.changeable_by_visitor
    with pytest.raises(ValidationError, match="can no longer be changed"):
        services.move_by_visitor(confirmed, first_slot(confirmed.specialist, 5))
    with pytest.raises(ValidationError):
        services.cancel_by_visitor(confirmed.consultation)
    assert Appointment.objects.get().status == "confirmed"


def test_the_visitor_cancels_and_the_clinic_is_told(confirmed):
    assert services.cancel_by_visitor(confirmed.consultation, "Feeling better") is True
    confirmed.refresh_from_db()
    assert confirmed.status == "cancelled" and confirmed.sequence == 1
    assert confirmed.consultation.status == "cancelled"
    assert ConsultationRequest.objects.changed_by_visitor().count() == 1
    assert "visitor_change" in kinds() and "cancellation" in kinds()


def test_cancelling_a_hold_sends_no_calendar_file(hold):
    assert services.cancel_by_visitor(hold.consultation) is False
    assert "cancellation" not in kinds() and "visitor_change" in kinds()


def test_staff_cancel_a_hold_without_emailing_a_calendar_file(hold):
    assert services.cancel_appointment(hold, user=UserFactory()) is True
    hold.refresh_from_db()
    assert hold.status == "cancelled" and "cancellation" not in kinds()
    assert services.cancel_appointment(hold) is False  # already cancelled


def test_a_time_beyond_the_days_the_form_shows_cannot_be_held_or_moved_to(hold, settings):
    settings.BOOKING_OPEN_DAYS = 14
    beyond = clinic_time(20, 11, 0)  # inside BOOKING_MAX_DAYS_AHEAD (90), past the 14 days shown
    key = f"{hold.specialist_id}-{timezone.localtime(beyond):%Y%m%d%H%M}"
    assert find_slot(key, Mode.VIDEO) is None
    with pytest.raises(services.TimeTaken):
        services.submit_request(
            ConsultationRequestFactory.build(
                mode=Mode.VIDEO, window1_date=None, window1_part="", concern=None
            ),
            slot=key,
        )
    with pytest.raises(services.TimeTaken):
        services.move_by_visitor(hold, key)
    last_shown = max(day for day, _ in open_times(Mode.VIDEO, hold.specialist, days=60))
    assert last_shown <= timezone.localdate() + timedelta(days=13)


def test_the_acknowledgement_names_the_held_time_specialist_mode_and_fee(specialist, mailoutbox, settings):
    specialist.fee_video = 1800
    specialist.save()
    slot = first_slot(specialist)
    consultation, _ = services.submit_request(unsaved_request(), slot=slot)
    run_worker()
    (acknowledgement,) = [m for m in mailoutbox if m.to == [consultation.email]]
    when = timezone.localtime(slot.start)
    for body in (acknowledgement.body, acknowledgement.alternatives[0][0]):
        assert "awaiting confirmation" in body
        assert "Dr Rao" in body and "Video call" in body and "1,800" in body
        assert f"{when:%B} {when.year}" in body and when.strftime("%-I:%M") in body
    assert "Dr Rao" not in acknowledgement.subject


def test_the_acknowledgement_in_hindi_names_the_held_time(specialist, mailoutbox):
    from django.utils import translation

    with translation.override("hi"):
        consultation, _ = services.submit_request(unsaved_request(), slot=first_slot(specialist))
    run_worker()
    (acknowledgement,) = [m for m in mailoutbox if m.to == [consultation.email]]
    assert "पुष्टि के इंतज़ार में" in acknowledgement.body and "Dr Rao" in acknowledgement.body
