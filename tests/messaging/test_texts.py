"""SMS and WhatsApp: fixed texts, sent only on the channels the visitor chose,
written to files in development and sent through Twilio's SDK in production
(here against a local server that records what it is sent)."""

import json
import re
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import StringIO
from urllib.parse import parse_qs

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse
from django.utils import translation
from twilio.request_validator import RequestValidator

from bookings import services, tokens
from bookings.models import ConsultationRequest, WaitlistOffer
from messaging import kinds, outbox
from messaging.models import OutgoingMessage
from messaging.texts import TEXTS
from tests.bookings.conftest import run_worker
from tests.factories import (
    ConsultationRequestFactory,
    TopicFactory,
    UserFactory,
    clinic_time,
    specialist_working_every_day,
)
from tests.messaging.test_delivery import time_passes

pytestmark = pytest.mark.django_db

# SMS parts: 153 characters each, 67 in Hindi (UCS-2). The visitor's own link
# takes about 150 of them: two parts in English, five in Hindi.
SMS_LIMIT = {"en": 2 * 153, "hi": 5 * 67}
WHATSAPP_LIMIT = 1024  # a template's body


def book(channels, *, discreet=False, language="en", mode="in_clinic", reminders=False, specialist=None):
    consultation = ConsultationRequestFactory(
        name="Meera",
        email="meera@example.com",
        phone="+919811012345",
        concern=TopicFactory(name="Sexual health", slug="sexual-health"),
        message="Erectile worries",
        mode=mode,
        discreet=discreet,
        page_language=language,
    )
    consultation.contact_channels = channels
    consultation.save()
    with override_settings(BOOKING_REMINDER_HOURS=[24, 2] if reminders else []):
        return services.schedule_appointment(
            consultation,
            specialist=specialist or specialist_working_every_day(name="Dr Kavya Rao", title="Sexologist"),
            start=clinic_time(hour=11, minute=30),
        )


def assert_discreet(text):
    for word in ("Sexual", "Erectile", "Sexologist", "Kavya", "therapy"):
        assert word not in text["body"]


def test_a_confirmation_goes_on_every_channel_the_visitor_chose(clinic_profile, sent_texts, mailoutbox):
    appointment = book(["email", "whatsapp", "sms"])
    run_worker()
    assert len(mailoutbox) == 1
    whatsapp, sms = sorted(sent_texts(), key=lambda text: text["channel"], reverse=True)
    assert (whatsapp["channel"], sms["channel"]) == ("whatsapp", "sms")
    reference = appointment.consultation.reference
    for text in (whatsapp, sms):
        assert text["to"] == "+919811012345"
        assert text["template"].startswith("confirmation (ID: none)")
        assert text["language"] == "en"
        assert_discreet(text)
    start = clinic_time(hour=11, minute=30)
    link = re.search(r"http://testserver/book/request/\S+", whatsapp["body"])[0]
    assert whatsapp["body"] == (
        f"{clinic_profile.name}: Your appointment on {start:%a} {start.day} {start:%b} at 11:30 AM "
        f"is confirmed. Reference {reference}. Details and changes: {link}"
    )
    assert sms["body"] == whatsapp["body"]
    assert OutgoingMessage.objects.filter(status="sent").count() == 3


def test_nothing_goes_to_a_channel_the_visitor_did_not_choose(clinic_profile, sent_texts, mailoutbox):
    book(["email", "phone"])
    run_worker()
    assert sent_texts() == []
    assert len(mailoutbox) == 1
    assert list(OutgoingMessage.objects.values_list("channel", flat=True)) == ["email"]


def test_a_discreet_sms_does_not_name_the_clinic(clinic_profile, sent_texts):
    book(["email", "sms", "whatsapp"], discreet=True)
    run_worker()
    texts = {text["channel"]: text for text in sent_texts()}
    assert texts["sms"]["template"].startswith("confirmation_discreet")
    assert clinic_profile.name not in texts["sms"]["body"]
    # WhatsApp shows the clinic's account anyway: the registered template names it.
    assert texts["whatsapp"]["body"].startswith(clinic_profile.name)


def test_moving_and_cancelling_send_their_own_texts_in_hindi(clinic_profile, sent_texts):
    appointment = book(["email", "sms"], language="hi")
    run_worker()
    services.reschedule_appointment(appointment, start=clinic_time(hour=15))
    run_worker()
    services.cancel_appointment(appointment)
    run_worker()
    templates = [text["template"].split()[0] for text in sent_texts()]
    assert sorted(templates) == ["cancelled", "confirmation", "moved"]
    for text in sent_texts():
        assert text["language"] == "hi"
        assert "संदर्भ" in text["body"] and appointment.consultation.reference in text["body"]
    cancelled = next(text for text in sent_texts() if text["template"].startswith("cancelled"))
    assert "रद्द" in cancelled["body"] and "http://testserver/hi/book/" in cancelled["body"]


@pytest.mark.parametrize("language", ["en", "hi"])
def test_each_text_matches_its_registered_template_within_its_length(clinic_profile, language):
    """What is sent is the listed template with its variables filled in, no
    longer than the channel allows, with links to this site and its video
    server only."""
    appointment = book(["email", "sms", "whatsapp"], language=language, mode="video")
    message = OutgoingMessage.objects.filter(channel="sms").first()
    # A waitlist offer's text is of a freed time: the message carries its offer.
    entry = services.join_waitlist(appointment.consultation, weekdays=[0], day_parts=["morning"])
    message.offer = WaitlistOffer.objects.create(
        entry=entry,
        specialist=appointment.specialist,
        start=appointment.start,
        end=appointment.end,
        expires_at=appointment.start,
    )
    listing = StringIO()
    call_command("message_templates", stdout=listing)
    used = set()
    for kind in kinds.KINDS.values():
        for text in [kind.text, *kind.mode_texts.values()] if kind.text else []:
            used.add(text.name)
            with translation.override(language):
                values = kind.text_variables(message, clinic_profile)
                for discreet in (False, True):
                    template = text.template(discreet=discreet)
                    body = template.format(**values)
                    registered = re.sub(r"\{(link|room)\}", "{#url#}", template)
                    registered = re.sub(r"\{\w+\}", "{#var#}", registered)
                    assert f"    {registered}\n" in listing.getvalue()
                    assert len(body) <= min(SMS_LIMIT[language], WHATSAPP_LIMIT), body
                    links = re.findall(r"https?://\S+", body)
                    assert links and all(
                        link.startswith(("http://testserver/", "https://meet.jit.si/")) for link in links
                    ), body
    assert appointment.consultation.reference in values["reference"]
    assert values["room"] == appointment.video_link and values["last_digits"] == "2345"
    assert {text.name for text in TEXTS} == used


class RecordingTwilio(BaseHTTPRequestHandler):
    """Answers as Twilio's Messages API does, and records each request."""

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"])).decode()
        self.server.received.append(
            {"path": self.path, "auth": self.headers["Authorization"], "form": parse_qs(body)}
        )
        status, answer = self.server.answers.pop(0) if self.server.answers else (201, {"sid": "SM1"})
        payload = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


@pytest.fixture
def twilio():
    server = ThreadingHTTPServer(("127.0.0.1", 0), RecordingTwilio)
    server.received, server.answers = [], []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    channels = {
        "email": "messaging.channels.EmailChannel",
        "sms": "messaging.channels.TwilioChannel",
        "whatsapp": "messaging.channels.TwilioChannel",
    }
    with override_settings(
        MESSAGE_CHANNELS=channels,
        TWILIO_API_URL=f"http://127.0.0.1:{server.server_port}",
        TWILIO_ACCOUNT_SID="AC0123456789abcdef0123456789abcdef",
        TWILIO_AUTH_TOKEN="secret-token",
        TWILIO_SMS_FROM="MG0123456789abcdef0123456789abcdef",
        TWILIO_WHATSAPP_FROM="+911244000000",
        MESSAGE_TEMPLATE_IDS={"whatsapp:confirmation:en": "HX0123456789abcdef0123456789abcdef"},
    ):
        yield server
    server.shutdown()
    server.server_close()


def test_twilio_is_sent_the_sms_text_and_the_whatsapp_template(clinic_profile, twilio):
    appointment = book(["email", "sms", "whatsapp"])
    run_worker()
    paths = {request["path"] for request in twilio.received}
    assert paths == {"/2010-04-01/Accounts/AC0123456789abcdef0123456789abcdef/Messages.json"}
    assert all(request["auth"].startswith("Basic ") for request in twilio.received)
    forms = {request["form"].get("ContentSid", ["sms"])[0]: request["form"] for request in twilio.received}
    sms, whatsapp = forms["sms"], forms["HX0123456789abcdef0123456789abcdef"]
    assert sms["To"] == ["+919811012345"]
    assert sms["MessagingServiceSid"] == ["MG0123456789abcdef0123456789abcdef"]
    assert sms["Body"][0].startswith(f"{clinic_profile.name}: Your appointment on ")
    assert whatsapp["To"] == ["whatsapp:+919811012345"] and whatsapp["From"] == ["whatsapp:+911244000000"]
    variables = json.loads(whatsapp["ContentVariables"][0])
    assert list(variables) == ["1", "2", "3", "4", "5"]
    assert variables["1"] == clinic_profile.name and variables["4"] == appointment.consultation.reference
    assert variables["5"].startswith("http://testserver/book/request/")
    assert OutgoingMessage.objects.filter(status="sent").count() == 3


def test_twilio_down_is_retried_and_a_refusal_is_not(clinic_profile, twilio):
    twilio.answers = [
        (503, {"code": 20503, "message": "Service unavailable", "status": 503}),
        (400, {"code": 21211, "message": "Invalid 'To' Phone Number", "status": 400}),
    ]
    appointment = book(["email", "sms"])
    outbox.queue(
        kinds.Reminder,
        appointment.consultation,
        appointment=appointment,
        reminder_for=appointment.start,
        channels=["sms"],
    )
    run_worker()
    states = sorted(OutgoingMessage.objects.filter(channel="sms").values_list("status", "last_error"))
    assert states == [
        ("failed", "Undeliverable (Twilio 400 (21211))"),
        ("queued", "ProviderUnavailable (Twilio 503)"),
    ]
    # The reminder refused by SMS went by email instead.
    emails = OutgoingMessage.objects.filter(channel="email").values_list("kind", "status")
    assert sorted(emails) == [("confirmation", "sent"), ("reminder", "sent")]


def test_a_whatsapp_text_without_an_approved_template_is_not_sent(clinic_profile, twilio):
    with override_settings(MESSAGE_TEMPLATE_IDS={}):
        book(["email", "whatsapp"])
        run_worker()
    assert twilio.received == []
    failed = OutgoingMessage.objects.get(channel="whatsapp")
    assert failed.status == "failed" and failed.last_error.startswith("Undeliverable")


def test_the_request_page_shows_a_text_that_did_not_arrive(clinic_profile, twilio, client):
    twilio.answers = [(400, {"code": 21614, "message": "Not a mobile number", "status": 400})]
    appointment = book(["email", "sms"])
    run_worker()
    reception = UserFactory(username="reception")
    reception.groups.add(Group.objects.get(name="Reception"))
    client.force_login(reception)
    page = client.get(
        reverse("admin:bookings_consultationrequest_change", args=[appointment.consultation_id])
    )
    messages = page.content.decode().split('class="request-summary__messages"')[1].split("</ul>")[0]
    assert "Appointment confirmation by Email: sent" in messages
    assert "Appointment confirmation by SMS: <strong>not delivered on SMS</strong>" in messages


def test_a_reminder_goes_on_the_preferred_channel_and_by_email_when_that_fails(
    clinic_profile, twilio, mailoutbox
):
    """WhatsApp has no approved reminder template here: the reminder is emailed instead."""
    appointment = book(["email", "sms", "whatsapp"], reminders=True)
    reminders = OutgoingMessage.objects.filter(kind="reminder")
    assert set(reminders.values_list("channel", flat=True)) == {"whatsapp"}
    run_worker()
    time_passes(reminders.filter(remind_at=appointment.start - timedelta(hours=24)))
    run_worker()
    states = sorted(reminders.exclude(status="queued").values_list("channel", "status"))
    assert states == [("email", "sent"), ("whatsapp", "failed")]
    assert [m.subject for m in mailoutbox if m.subject.startswith("Reminder")] == [
        f"Reminder: your appointment at {clinic_profile.name}"
    ]


def test_the_visitor_switches_whatsapp_off_on_their_page(clinic_profile, client, sent_texts):
    appointment = book(["email", "whatsapp"], reminders=True)
    run_worker()
    page = client.get(tokens.status_path(appointment.consultation))
    assert 'data-stop="whatsapp"' in page.content.decode() and 'data-stop="sms"' not in page.content.decode()
    stop = reverse(
        "bookings:stop_texts", kwargs={"token": page.wsgi_request.path.split("/")[-2], "channel": "whatsapp"}
    )
    response = client.post(stop, follow=True)
    assert "You will get no more messages from us by WhatsApp." in response.content.decode()
    consultation = appointment.consultation
    consultation.refresh_from_db()
    assert consultation.contact_channels == ["email"]
    assert (
        consultation.history.first().history_change_reason
        == "WhatsApp switched off by the visitor (on their page)"
    )
    time_passes()  # the reminders queued for WhatsApp fall due: nothing goes there now
    run_worker()
    assert [text["template"].split()[0] for text in sent_texts()] == ["confirmation"]
    assert set(OutgoingMessage.objects.filter(kind="reminder").values_list("status", flat=True)) == {
        "skipped"
    }


def signed_post(client, data, token="secret-token"):
    url = "http://testserver/messages/twilio/"
    signature = RequestValidator(token).compute_signature(url, data)
    return client.post("/messages/twilio/", data, HTTP_X_TWILIO_SIGNATURE=signature)


def test_an_sms_stop_from_the_provider_switches_sms_off(clinic_profile, client, settings):
    settings.TWILIO_AUTH_TOKEN = "secret-token"
    appointment = book(["email", "sms", "whatsapp"])
    other = ConsultationRequestFactory(phone="+919811099999", contact_by_sms=True)
    data = {"From": "+919811012345", "Body": "STOP", "OptOutType": "STOP", "MessageSid": "SM1"}
    assert signed_post(client, data, token="not-our-token").status_code == 403
    appointment.consultation.refresh_from_db()
    assert "sms" in appointment.consultation.contact_channels
    response = signed_post(client, data)
    assert response.status_code == 200 and response["Content-Type"] == "text/xml"
    appointment.consultation.refresh_from_db()
    assert appointment.consultation.contact_channels == ["email", "whatsapp"]
    other.refresh_from_db()
    assert "sms" in other.contact_channels  # another number: untouched
    signed_post(client, {"From": "whatsapp:+919811012345", "Body": "stop"})
    appointment.consultation.refresh_from_db()
    assert appointment.consultation.contact_channels == ["email"]


def test_a_number_that_is_not_valid_gets_no_text_and_the_console_backend_prints(
    clinic_profile, settings, capsys, sent_texts
):
    settings.MESSAGE_CHANNELS = {**settings.MESSAGE_CHANNELS, "whatsapp": "messaging.channels.ConsoleChannel"}
    appointment = book(["email", "sms", "whatsapp"])
    ConsultationRequest.objects.filter(pk=appointment.consultation_id).update(phone="+9112")
    run_worker()
    assert sent_texts() == []
    failed = OutgoingMessage.objects.exclude(channel="email").values_list("status", "last_error")
    assert set(failed) == {("failed", "Undeliverable (not a valid phone number)")}
    other = book(["email", "whatsapp"], specialist=specialist_working_every_day())
    run_worker()
    printed = capsys.readouterr().out
    assert "Channel: whatsapp\nTo: +919811012345\nTemplate: confirmation" in printed
    assert other.consultation.reference in printed


def test_a_provider_back_up_sends_its_backlog_but_not_reminders_before_their_time(clinic_profile, twilio):
    twilio.answers = [(503, {"code": 20503, "message": "Service unavailable", "status": 503})]
    appointment = book(["email", "sms"], reminders=True)
    run_worker()
    confirmation = OutgoingMessage.objects.get(channel="sms", kind="confirmation")
    assert (confirmation.status, confirmation.attempts) == ("queued", 1)
    time_passes(OutgoingMessage.objects.filter(pk=confirmation.pk))
    run_worker()  # the retry succeeds, and would wake whatever waits on this channel
    confirmation.refresh_from_db()
    assert confirmation.status == "sent"
    reminders = OutgoingMessage.objects.filter(kind="reminder")
    assert sorted(reminders.values_list("channel", "status", "next_attempt_at")) == [
        ("sms", "queued", appointment.start - timedelta(hours=24)),
        ("sms", "queued", appointment.start - timedelta(hours=2)),
    ]
    assert len(twilio.received) == 2
