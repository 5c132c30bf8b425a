"""Messages as one concept: every kind says who it goes to, its subject and
its templates in both languages, and a channel is a backend named in settings."""

from datetime import timedelta

import pytest
from django.core import mail
from django.test import override_settings

from bookings import frontdesk, services
from bookings.models import WaitlistOffer
from messaging import kinds, outbox
from messaging.models import OutgoingMessage
from tests.bookings.conftest import run_worker
from tests.factories import ConsultationRequestFactory, clinic_time, specialist_working_every_day

pytestmark = pytest.mark.django_db

recorded = []


class RecordingChannel:
    """Any channel: it only has to send."""

    def __init__(self, name):
        self.name = name

    def send(self, kind, message, clinic):
        recorded.append((kind.name, message.consultation.reference, kind.language(message)))


@pytest.fixture
def confirmed(clinic_profile):
    consultation = ConsultationRequestFactory(name="Meera", email="meera@example.com", page_language="hi")
    return services.schedule_appointment(
        consultation, specialist=specialist_working_every_day(), start=clinic_time(hour=11)
    )


@pytest.mark.parametrize("language", ["en", "hi"])
def test_every_kind_renders_by_email_in_both_languages(confirmed, language):
    consultation = confirmed.consultation
    consultation.page_language = language
    consultation.save(update_fields=["page_language"])
    OutgoingMessage.objects.all().delete()
    mail.outbox.clear()
    entry = services.join_waitlist(consultation, weekdays=[0], day_parts=["morning"])
    offer = WaitlistOffer.objects.create(
        entry=entry,
        specialist=confirmed.specialist,
        start=confirmed.start + timedelta(days=1),
        end=confirmed.end + timedelta(days=1),
        expires_at=confirmed.start,
    )
    payment = frontdesk.record_payment(confirmed, amount=1500, method="cash", user=None)
    for kind in kinds.KINDS.values():
        outbox.queue(
            kind,
            consultation,
            appointment=confirmed,
            offer=offer,
            payment=payment,
            reminder_for=confirmed.start,
        )
    run_worker()
    sent = {message.kind: message.status for message in OutgoingMessage.objects.all()}
    # The cancellation is for an appointment that is no longer confirmed only: here it still says so.
    assert sent == dict.fromkeys(kinds.KINDS, "sent")
    subjects = {message.subject for message in mail.outbox}
    assert len(mail.outbox) == len(kinds.KINDS) and all(subjects)
    to_visitor = [message for message in mail.outbox if message.to == ["meera@example.com"]]
    assert len(to_visitor) == 9
    if language == "hi":
        assert all("क्लिनिक" in message.body or "/hi/" in message.body for message in to_visitor)
    to_clinic = [message for message in mail.outbox if message.to != ["meera@example.com"]]
    assert [message.reply_to for message in to_clinic] == [[], []]
    assert all(consultation.reference in message.subject for message in to_clinic)


def test_a_channel_is_a_backend_named_in_settings(confirmed):
    recorded.clear()
    channels = {"email": "messaging.channels.EmailChannel", "test": f"{__name__}.RecordingChannel"}
    with override_settings(MESSAGE_CHANNELS=channels):
        outbox.queue(kinds.Confirmation, confirmed.consultation, appointment=confirmed, channels=["test"])
        run_worker()
    assert recorded == [("confirmation", confirmed.consultation.reference, "hi")]
    assert OutgoingMessage.objects.filter(channel="test", status="sent").count() == 1


def test_a_kind_no_longer_wanted_is_skipped_on_every_channel(confirmed):
    recorded.clear()
    services.cancel_appointment(confirmed, reason="Clinic closed", user=None)
    channels = {"email": "messaging.channels.EmailChannel", "test": f"{__name__}.RecordingChannel"}
    with override_settings(MESSAGE_CHANNELS=channels):
        outbox.queue(kinds.Reminder, confirmed.consultation, appointment=confirmed, channels=["test"])
        run_worker()
    assert recorded == []
    assert OutgoingMessage.objects.get(channel="test").status == "skipped"
