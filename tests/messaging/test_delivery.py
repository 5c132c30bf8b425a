import email
import socket
import time
from datetime import timedelta
from io import StringIO

import pytest
from aiosmtpd.controller import Controller
from django.core.management import call_command
from django.db import OperationalError, connection
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from icalendar import Calendar

from bookings import services
from bookings.models import ConsultationRequest
from messaging import outbox
from messaging.models import OutgoingMessage
from tests.bookings.conftest import BOOK_URL, form_data, run_worker, thanks_url_of
from tests.factories import (
    ConsultationRequestFactory,
    TopicFactory,
    clinic_time,
    specialist_working_every_day,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def appointment(clinic_profile, settings):
    # These tests follow the confirmation email; reminders have tests of their own.
    settings.BOOKING_REMINDER_HOURS = []
    topic = TopicFactory(name="Sexual health", slug="sexual-health")
    consultation = ConsultationRequestFactory(
        name="Meera", email="meera@example.com", concern=topic, message="Erectile worries", mode="video"
    )
    return services.schedule_appointment(
        consultation,
        specialist=specialist_working_every_day(name="Dr Kavya Rao", title="Sexologist"),
        start=clinic_time(hour=11, minute=30),
        video_link="https://meet.example/room-42",
    )


def calendar_of(message):
    """The invitation as a mail app reads it: a text/calendar part beside the
    body naming its iTIP method, and the same file attached."""
    parsed = email.message_from_bytes(message.message().as_bytes())
    (alternative,) = [part for part in parsed.walk() if part.get_content_type() == "multipart/alternative"]
    types = [part.get_content_type() for part in alternative.get_payload()]
    assert types == ["text/plain", "text/html", "text/calendar"]
    part = alternative.get_payload()[2]
    calendar = Calendar.from_ical(part.get_payload(decode=True))
    assert part.get_param("method") == calendar["METHOD"]
    (name, content, mimetype) = message.attachments[0]
    assert (name, mimetype) == ("appointment.ics", "application/ics")
    assert Calendar.from_ical(content) == calendar
    return calendar, next(iter(calendar.walk("VEVENT")))


def assert_discreet(message):
    for text in (message.subject, message.body, message.alternatives[0][0]):
        assert "Sexual" not in text and "Erectile" not in text and "Sexologist" not in text


def waiting_deliveries():
    return DBTaskResult.objects.filter(status="READY", task_path=outbox.deliver.module_path)


def time_passes(emails=None):
    """The clock reaches the retry time of `emails` (every queued one by
    default): their back-off and the delivery tasks waiting for it."""
    emails = OutgoingMessage.objects.filter(status="queued") if emails is None else emails
    past = timezone.now() - timedelta(seconds=1)
    ids = set(emails.values_list("pk", flat=True))
    emails.update(next_attempt_at=past)
    for task in waiting_deliveries():
        if task.args_kwargs["args"][0] in ids:
            DBTaskResult.objects.filter(pk=task.pk).update(run_after=past)


def test_confirmation_carries_a_calendar_event_that_names_the_clinic_only(
    appointment, clinic_profile, mailoutbox
):
    run_worker()
    (message,) = mailoutbox
    assert message.subject == "Your appointment at Gurgaon Mind & Wellness Clinic is confirmed"
    assert message.to == ["meera@example.com"]
    assert message.alternatives[0][1] == "text/html"
    assert "https://meet.example/room-42" in message.body
    assert "/book/request/" in message.body and "/book/request/" in message.alternatives[0][0]
    assert_discreet(message)
    calendar, event = calendar_of(message)
    assert calendar["METHOD"] == "REQUEST"
    assert str(event["CLASS"]) == "PRIVATE"
    assert str(event["ORGANIZER"]) == f"mailto:{clinic_profile.email}"
    attendee = event["ATTENDEE"]
    assert str(attendee) == "mailto:meera@example.com"
    assert attendee.params["RSVP"] == "FALSE"
    assert message.extra_headers["Auto-Submitted"] == "auto-generated"
    assert str(event["SUMMARY"]) == "Appointment at Gurgaon Mind & Wellness Clinic"
    assert event["SEQUENCE"] == 0
    assert event.decoded("DTSTART") == clinic_time(hour=11, minute=30)
    assert event["DTSTART"].params["TZID"] == "Asia/Kolkata"
    assert event.decoded("DTEND") - event.decoded("DTSTART") == timedelta(minutes=50)
    assert any(tz["TZID"] == "Asia/Kolkata" for tz in calendar.walk("VTIMEZONE"))
    for value in (event["SUMMARY"], event["DESCRIPTION"], event["LOCATION"]):
        assert "Sexual" not in value and "Kavya" not in value
    assert OutgoingMessage.objects.get().status == "sent"


def test_the_calendar_file_carries_no_self_service_link(appointment, clinic_profile, mailoutbox):
    """Calendars are shared and synced: the visitor's private link stays in the email."""
    run_worker()
    (message,) = mailoutbox
    _, event = calendar_of(message)
    description = str(event["DESCRIPTION"])
    assert (
        description == f"Reference {appointment.consultation.reference}. Questions: {clinic_profile.phone}."
    )
    assert "/book/request/" not in "".join(str(value) for value in event.values())
    assert "http://testserver/book/request/" in message.body


def test_reschedule_updates_and_cancellation_cancels_the_same_event(appointment, mailoutbox):
    run_worker()
    services.reschedule_appointment(appointment, start=clinic_time(hour=15))
    run_worker()
    services.cancel_appointment(appointment)
    run_worker()
    confirmation, moved, cancelled = mailoutbox
    assert moved.subject == "Your appointment at Gurgaon Mind & Wellness Clinic has changed"
    assert cancelled.subject == "Your appointment at Gurgaon Mind & Wellness Clinic is cancelled"
    events = [calendar_of(m) for m in (confirmation, moved, cancelled)]
    assert len({str(event["UID"]) for _, event in events}) == 1
    assert [event["SEQUENCE"] for _, event in events] == [0, 1, 2]
    assert events[1][1].decoded("DTSTART") == clinic_time(hour=15)
    assert [calendar["METHOD"] for calendar, _ in events] == ["REQUEST", "REQUEST", "CANCEL"]
    assert events[2][1]["STATUS"] == "CANCELLED"
    for message in mailoutbox:
        assert_discreet(message)


def test_an_email_is_sent_once_however_often_its_task_runs(appointment, mailoutbox):
    email = OutgoingMessage.objects.get()
    outbox.deliver.enqueue(email.pk)
    outbox.deliver.enqueue(email.pk)
    run_worker()
    assert len(mailoutbox) == 1
    outbox.send_again([OutgoingMessage.objects.get()])  # staff ask for a copy
    run_worker()
    assert len(mailoutbox) == 2
    assert OutgoingMessage.objects.filter(status="sent").count() == 2


class RefusingBackend:
    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise ConnectionRefusedError(111, "Connection refused")


def test_retries_back_off_then_fail_and_staff_can_send_again(appointment, settings, mailoutbox, admin_client):
    settings.EMAIL_BACKEND = "tests.messaging.test_delivery.RefusingBackend"
    email = OutgoingMessage.objects.get()
    waits = []
    for _ in range(outbox.MAX_ATTEMPTS):
        time_passes()
        before = timezone.now()
        run_worker()
        email.refresh_from_db()
        if email.next_attempt_at:
            waits.append(round((email.next_attempt_at - before).total_seconds() / 60))
    assert waits == [1, 5, 15, 60, 180, 360]
    assert (email.status, email.attempts, email.last_error) == ("failed", 7, "ConnectionRefusedError (111)")
    # No delivery left waiting.
    assert not waiting_deliveries().exists()
    assert outbox.sweep() == (0, 0)  # a failed email waits for staff

    response = admin_client.get("/admin/messaging/outgoingmessage/?status=failed")
    assert response.status_code == 200 and "Failed" in response.content.decode()
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    response = admin_client.post(
        "/admin/messaging/outgoingmessage/", {"action": "send_again", "_selected_action": [email.pk]}
    )
    assert response.status_code == 302
    run_worker()
    email.refresh_from_db()
    assert email.status == "sent" and len(mailoutbox) == 1


def test_a_cancelled_appointment_gets_no_late_confirmation_or_reminder(clinic_profile, mailoutbox):
    appointment = services.schedule_appointment(
        ConsultationRequestFactory(), specialist=specialist_working_every_day(), start=clinic_time(hour=11)
    )
    services.cancel_appointment(appointment)
    time_passes()  # the reminders fall due
    run_worker()
    assert [m.subject.rsplit(" ", 1)[-1] for m in mailoutbox] == ["cancelled"]
    assert sorted(OutgoingMessage.objects.values_list("kind", "status")) == [
        ("cancellation", "sent"),
        ("confirmation", "skipped"),
        ("reminder", "skipped"),
        ("reminder", "skipped"),
    ]


def test_reminders_are_sent_when_due_once_each_and_follow_a_move(clinic_profile, mailoutbox, settings):
    start = timezone.now() + timedelta(hours=30)
    appointment = services.schedule_appointment(
        ConsultationRequestFactory(),
        specialist=specialist_working_every_day(),
        start=start,
        override_hours=True,
    )
    reminders = OutgoingMessage.objects.filter(kind="reminder")
    due = [start - timedelta(hours=24), start - timedelta(hours=2)]
    assert sorted(reminders.values_list("channel", "remind_at")) == [("email", due[0]), ("email", due[1])]
    run_worker()
    assert [m.subject.split(":")[0] for m in mailoutbox] == [
        "Your appointment at Gurgaon Mind & Wellness Clinic is confirmed"
    ]
    time_passes(reminders.filter(remind_at=due[0]))
    run_worker()
    run_worker()  # a second worker run sends nothing twice
    sent = [m for m in mailoutbox if m.subject.startswith("Reminder")]
    assert len(sent) == 1 and sent[0].to == [appointment.consultation.email]
    # No web request behind the worker: links come from SITE_URL.
    assert f"{settings.SITE_URL}/book/request/" in sent[0].body
    assert not sent[0].attachments
    # Moved: new reminders for the new time; the old time's last one is skipped when due.
    services.reschedule_appointment(appointment, start=start + timedelta(hours=1), override_hours=True)
    assert reminders.filter(reminder_for=start + timedelta(hours=1)).count() == 2
    time_passes()
    run_worker()
    states = sorted(reminders.values_list("reminder_for", "status"))
    assert states == [
        (start, "sent"),
        (start, "skipped"),
        (start + timedelta(hours=1), "sent"),
        (start + timedelta(hours=1), "sent"),
    ]


def test_no_reminder_is_queued_for_a_time_already_past(clinic_profile):
    services.schedule_appointment(
        ConsultationRequestFactory(),
        specialist=specialist_working_every_day(),
        start=timezone.now() + timedelta(hours=20),
        override_hours=True,
    )
    reminders = OutgoingMessage.objects.filter(kind="reminder")
    assert [
        timezone.now() + timedelta(hours=18) - at < timedelta(minutes=1)
        for at in reminders.values_list("remind_at", flat=True)
    ] == [True]


def test_message_ids_name_the_sites_domain(client, clinic_profile, mailoutbox, settings):
    settings.SITE_URL = "https://clinic.example"
    thanks_url_of(client.post(BOOK_URL, form_data()))
    run_worker()
    assert len(mailoutbox) == 2
    for message in mailoutbox:
        assert message.message()["Message-ID"].endswith("@clinic.example>")


def test_staff_are_told_of_new_and_urgent_requests_without_details(client, clinic_profile, mailoutbox):
    thanks_url_of(client.post(BOOK_URL, form_data(safe_now="no", message="I feel hopeless")))
    run_worker()
    staff = next(m for m in mailoutbox if m.to == ["care@clinic.example"])
    reference = ConsultationRequest.objects.get().reference
    assert staff.subject == f"Urgent: new consultation request {reference}"
    assert "hopeless" not in staff.body and "hopeless" not in staff.alternatives[0][0]


# ---- The mail server is down, then comes back ----


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Sink:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((tuple(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted"


def test_smtp_down_then_up_every_email_arrives_exactly_once(client, clinic_profile, settings):
    bookings = 100
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", free_port(), 5
    for n in range(bookings):
        response = client.post(BOOK_URL, form_data(email=f"visitor{n}@example.com", name=f"Visitor {n}"))
        thanks_url_of(response)
    assert ConsultationRequest.objects.count() == bookings

    run_worker()  # nothing listens: every email stays queued, with a retry scheduled
    assert OutgoingMessage.objects.filter(status="queued", attempts=1).count() == 2 * bookings
    assert waiting_deliveries().filter(run_after__gt=timezone.now()).count() == 2 * bookings

    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=settings.EMAIL_PORT)
    controller.start()
    try:
        back_at = time.monotonic()
        # The first retry falls due; its success brings all the others forward.
        first = OutgoingMessage.objects.order_by("next_attempt_at")[0]
        time_passes(OutgoingMessage.objects.filter(pk=first.pk))
        run_worker()
        delivered_in = time.monotonic() - back_at
    finally:
        controller.stop()
    recipients = [rcpt for rcpt, _ in sink.messages]
    assert len(recipients) == 2 * bookings
    assert sorted(r for r in recipients if r != ("care@clinic.example",)) == sorted(
        (f"visitor{n}@example.com",) for n in range(bookings)
    )
    assert recipients.count(("care@clinic.example",)) == bookings
    assert OutgoingMessage.objects.filter(status="sent", attempts=2).count() == 2 * bookings
    print(f"\n{2 * bookings} emails delivered {delivered_in:.2f} s after the mail server came back")


def test_a_hanging_mail_server_never_holds_up_a_booking(client, clinic_profile, settings):
    # Accepts connections and never says a word.
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = (
        "127.0.0.1",
        server.getsockname()[1],
        0.5,
    )
    try:
        started = time.monotonic()
        thanks_url_of(client.post(BOOK_URL, form_data()))
        assert time.monotonic() - started < 1
        started = time.monotonic()
        run_worker()  # each email gives up after EMAIL_TIMEOUT and is queued for later
        assert time.monotonic() - started < 3
    finally:
        server.close()
    assert ConsultationRequest.objects.count() == 1
    # smtplib reports the read that timed out as the server disconnecting.
    assert set(OutgoingMessage.objects.values_list("status", "attempts", "last_error")) == {
        ("queued", 1, "SMTPServerDisconnected")
    }


def worker_dies_holding_its_tasks():
    """What a killed worker leaves: the tasks it had taken, "running" forever."""
    waiting_deliveries().update(status="RUNNING")


def test_an_email_abandoned_by_a_dying_worker_is_queued_again_and_sent_once(
    appointment, mailoutbox, settings
):
    """A worker claims the email and dies before the mail server has it: the
    sweep puts it back in the queue once the claim is older than any honest
    attempt, and it is sent exactly once."""
    email = OutgoingMessage.objects.get()
    worker_dies_holding_its_tasks()
    claimed_at = timezone.now() - timedelta(seconds=3 * settings.EMAIL_TIMEOUT + 29)
    OutgoingMessage.objects.filter(pk=email.pk).update(status="sending", claimed_at=claimed_at)
    assert outbox.sweep() == (0, 0)  # it may still be on its way: leave it
    OutgoingMessage.objects.filter(pk=email.pk).update(claimed_at=claimed_at - timedelta(seconds=2))
    assert call_command_output("sweep_outbox") == (
        "1 abandoned message(s) queued again; 1 given a delivery task.\n"
    )
    run_worker()
    email.refresh_from_db()
    assert email.status == "sent"
    assert len(mailoutbox) == 1
    assert outbox.sweep() == (0, 0)
    run_worker()
    assert len(mailoutbox) == 1


@pytest.mark.django_db(transaction=True)
def test_a_database_outage_while_the_worker_claims_an_email_does_not_lose_it(appointment, mailoutbox):
    """The database goes away as the worker claims the email: the task fails,
    the email stays queued, and the sweep gives it a new task; sent once."""
    dropped = []

    def drop_the_first_claim(execute, sql, params, many, context):
        if not dropped and sql.startswith('UPDATE "messaging_outgoingmessage"'):
            dropped.append(sql)
            raise OperationalError("terminating connection due to administrator command")
        return execute(sql, params, many, context)

    with connection.execute_wrapper(drop_the_first_claim):
        run_worker()
    assert dropped
    assert OutgoingMessage.objects.get().status == "queued" and mailoutbox == []
    assert outbox.sweep() == (0, 1)
    run_worker()
    assert OutgoingMessage.objects.get().status == "sent"
    assert len(mailoutbox) == 1


def test_queued_emails_whose_task_was_lost_get_a_new_one(appointment, mailoutbox):
    worker_dies_holding_its_tasks()  # it took the task and died before claiming
    assert (
        call_command_output("sweep_outbox")
        == "0 abandoned message(s) queued again; 1 given a delivery task.\n"
    )
    assert outbox.sweep() == (0, 0)  # it has a task waiting now
    outbox.deliver.enqueue(OutgoingMessage.objects.get().pk)  # a duplicate is harmless
    run_worker()
    assert len(mailoutbox) == 1
    assert OutgoingMessage.objects.get().status == "sent"


def test_an_email_waiting_out_its_back_off_is_left_to_its_task(appointment, settings, mailoutbox):
    settings.EMAIL_BACKEND = "tests.messaging.test_delivery.RefusingBackend"
    run_worker()
    assert OutgoingMessage.objects.get().status == "queued"
    assert outbox.sweep() == (0, 0)
    outbox.deliver.enqueue(OutgoingMessage.objects.get().pk)  # an early task finds nothing due
    run_worker()
    assert OutgoingMessage.objects.get().attempts == 1


def call_command_output(name):
    out = StringIO()
    call_command(name, stdout=out)
    return out.getvalue()
