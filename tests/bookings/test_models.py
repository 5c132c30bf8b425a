from datetime import datetime, time, timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from bookings.models import Appointment, ConsultationRequest, InvalidTransition, generate_reference
from bookings.models.requests import REFERENCE_ALPHABET
from tests.factories import AppointmentFactory, ConsultationRequestFactory, UserFactory

pytestmark = pytest.mark.django_db
Status = ConsultationRequest.Status


def test_reference_is_eight_unambiguous_characters():
    references = {generate_reference() for _ in range(2000)}
    assert len(references) == 2000
    for reference in references:
        assert len(reference) == 8
        assert set(reference) <= set(REFERENCE_ALPHABET)
    assert not set("01OIL") & set(REFERENCE_ALPHABET)


def test_reference_is_unique_in_the_database():
    first = ConsultationRequestFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        ConsultationRequestFactory(reference=first.reference)


@pytest.mark.parametrize(
    "fields",
    [
        {"reference": "SHORT"},
        {"status": "lost"},
        {"contact_by_email": False, "contact_by_phone": False},
        {"safe_now": "no", "urgent": False},
        {"consent_notice_version": ""},
        {"message": "x" * 1001},
        {"window2_date": timezone.localdate(), "window2_part": ""},
        {"window3_date": None, "window3_part": "evening"},
        {"status": "contacted", "contacted_at": None},
        {"status": "spam", "spam_at": None},
    ],
)
def test_database_refuses_requests_that_break_the_rules(fields):
    with pytest.raises(IntegrityError), transaction.atomic():
        ConsultationRequestFactory(**fields)


def test_appointment_must_end_after_it_starts():
    start = timezone.now()
    with pytest.raises(IntegrityError), transaction.atomic():
        AppointmentFactory(start=start, end=start)


def test_transition_stamps_the_time_and_records_who(django_assert_num_queries):
    consultation = ConsultationRequestFactory()
    user = UserFactory()
    consultation.transition_to(Status.CONTACTED, user=user)
    consultation.refresh_from_db()
    assert consultation.status == Status.CONTACTED
    assert consultation.contacted_at is not None
    latest = consultation.history.first()
    assert latest.history_user == user
    assert latest.history_change_reason == "Marked contacted"


def test_forbidden_transition_raises_and_changes_nothing():
    consultation = ConsultationRequestFactory(status=Status.COMPLETED, completed_at=timezone.now())
    with pytest.raises(InvalidTransition, match="completed request cannot be marked contacted"):
        consultation.transition_to(Status.CONTACTED)
    consultation.refresh_from_db()
    assert consultation.status == Status.COMPLETED


def test_whole_workflow_path():
    consultation = ConsultationRequestFactory()
    for status in [Status.CONTACTED, Status.SCHEDULED, Status.COMPLETED]:
        consultation.transition_to(status)
    consultation.refresh_from_db()
    assert consultation.status == Status.COMPLETED
    assert consultation.contacted_at <= consultation.scheduled_at <= consultation.completed_at
    assert consultation.allowed_transitions() == []


def test_spam_can_be_restored_to_new():
    consultation = ConsultationRequestFactory()
    consultation.transition_to(Status.SPAM)
    assert consultation.allowed_transitions() == [Status.NEW]
    consultation.transition_to(Status.NEW)
    assert consultation.status == Status.NEW


def test_bulk_transition_skips_rows_that_may_not_move_and_keeps_history():
    user = UserFactory()
    fresh = ConsultationRequestFactory()
    done = ConsultationRequestFactory(status=Status.COMPLETED, completed_at=timezone.now())
    changed = ConsultationRequest.objects.all().transition_to(Status.CONTACTED, user=user)
    assert changed == 1
    fresh.refresh_from_db()
    done.refresh_from_db()
    assert fresh.status == Status.CONTACTED and fresh.contacted_at
    assert done.status == Status.COMPLETED
    record = fresh.history.first()
    assert record.history_user == user and record.status == Status.CONTACTED


def test_bulk_assign_records_history():
    user = UserFactory()
    consultation = ConsultationRequestFactory()
    assert ConsultationRequest.objects.all().assign_to(user) == 1
    assert ConsultationRequest.objects.all().assign_to(user) == 0
    consultation.refresh_from_db()
    assert consultation.assigned_to == user
    assert consultation.history.first().history_change_reason == f"Assigned to {user.username}"


def test_queue_querysets_at_their_edges():
    hours = 24
    now = timezone.now()
    old = ConsultationRequestFactory(created=now - timedelta(hours=hours, minutes=1))
    recent = ConsultationRequestFactory(created=now - timedelta(hours=hours) + timedelta(minutes=1))
    contacted = ConsultationRequestFactory(
        created=now - timedelta(days=3), status=Status.CONTACTED, contacted_at=now
    )
    urgent = ConsultationRequestFactory(safe_now="no")
    spam = ConsultationRequestFactory(safe_now="no", status=Status.SPAM, spam_at=now)
    qs = ConsultationRequest.objects
    assert set(qs.awaiting_contact()) == {old, recent, urgent}
    assert list(qs.waiting_longer_than(hours, now=now)) == [old]
    assert set(qs.urgent_open()) == {urgent}
    assert contacted in qs.open() and spam not in qs.open()
    assert spam not in qs.not_spam()


def test_todays_appointments_are_live_ones_today():
    noon = timezone.make_aware(datetime.combine(timezone.localdate(), time(12)))
    today = AppointmentFactory(start=noon)
    AppointmentFactory(start=noon + timedelta(days=1))
    AppointmentFactory(start=noon - timedelta(days=1))
    AppointmentFactory(start=noon + timedelta(hours=2), status=Appointment.Status.CANCELLED)
    assert list(Appointment.objects.today()) == [today]


def test_str_and_admin_url_reveal_nothing_personal():
    consultation = ConsultationRequestFactory(name="Priya Sharma", message="panic attacks")
    assert str(consultation) == consultation.reference
    url = consultation.get_absolute_url()
    assert "Priya" not in url and "panic" not in url and str(consultation.pk) in url
