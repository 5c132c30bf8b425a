"""Video and phone consultations: a private room per appointment, made when
staff confirm it, in every message and on the visitor's page only, joined
from 15 minutes before the start; India's Telemedicine Practice Guidelines
(consent on the form, the clinician's identity check, the registration number)."""

import logging
import re
from datetime import timedelta

import jwt
import pytest
from django.contrib.auth.models import Group
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone, translation
from icalendar import Calendar

from bookings import rooms, services, tokens
from bookings.availability import open_times
from bookings.models import ConsultationRequest, Mode
from messaging.models import OutgoingMessage
from tests.bookings.conftest import form_data, run_worker
from tests.factories import (
    AppointmentFactory,
    ConsultationRequestFactory,
    UserFactory,
    clinic_time,
    specialist_working_every_day,
)
from tests.messaging.test_delivery import time_passes

pytestmark = pytest.mark.django_db
SECRET = "a-secret-of-at-least-32-bytes-long"
ROOM = re.compile(r"https://meet\.jit\.si/[0-9a-f]{32}")
JWT_SETTINGS = {
    "VIDEO_SERVER": "https://meet.clinic.example",
    "VIDEO_JWT_APP_ID": "clinic",
    "VIDEO_JWT_SECRET": SECRET,
}


@pytest.fixture
def specialist(clinic_profile):
    return specialist_working_every_day(name="Dr Kavya Rao", registration_number="RCI A12345")


def held(specialist, *, mode=Mode.VIDEO, days=3, channels=("email", "sms", "whatsapp"), **fields):
    """A visitor's chosen time, awaiting confirmation, as the form makes it."""
    day = timezone.localdate() + timedelta(days=days)
    slot = dict(open_times(mode, specialist))[day][0]
    fields = {"name": "Priya Sharma", "email": "priya@example.com", "phone": "+919811012345", **fields}
    consultation = ConsultationRequestFactory.build(
        mode=mode, window1_date=None, window1_part="", concern=None, discreet=False, **fields
    )
    consultation.contact_channels = list(channels)
    consultation, _ = services.submit_request(consultation, slot=slot)
    return consultation.appointments.get()


def confirmed(specialist, **kwargs):
    appointment = held(specialist, **kwargs)
    services.confirm_hold(appointment, user=None)
    appointment.refresh_from_db()
    return appointment


def status_page(client, appointment):
    return client.get(tokens.status_path(appointment.consultation)).content.decode()


def visitor_messages(mailoutbox, sent_texts, kind_subject):
    email = next(m for m in mailoutbox if kind_subject in m.subject)
    ics = Calendar.from_ical(email.attachments[0][1]).walk("VEVENT")[0]
    return email, ics, sent_texts()


def test_a_room_is_made_when_staff_confirm_and_goes_in_every_message(
    specialist, client, mailoutbox, sent_texts, settings
):
    settings.BOOKING_REMINDER_HOURS = []
    appointment = held(specialist)
    assert appointment.video_link == ""  # a request not yet confirmed carries no live link
    services.confirm_hold(appointment, user=None)
    appointment.refresh_from_db()
    room = appointment.video_link
    assert ROOM.fullmatch(room)
    # The name is random: nothing of the visitor, the clinic or the reference.
    name = room.rsplit("/", 1)[1]
    for personal in ("priya", "sharma", "kavya", "gurgaon", appointment.consultation.reference.lower()):
        assert personal not in name

    run_worker()
    email, ics, texts = visitor_messages(mailoutbox, sent_texts, "is confirmed")
    html = email.alternatives[0][0]
    assert room in email.body and f'href="{room}"' in html
    assert "RCI A12345" in email.body  # the registration number, as the guidelines ask
    assert (str(ics["LOCATION"]), str(ics["URL"])) == (room, room)
    assert [text["template"].split(" ")[0] for text in texts] == ["confirmation_video"] * 2
    assert all(room in text["body"] for text in texts)
    assert room not in email.subject

    assert ROOM.fullmatch(confirmed(specialist, days=4).video_link).group() != room  # another room


def test_moving_keeps_the_room_and_cancelling_retires_it(specialist, client):
    appointment = confirmed(specialist)
    room = appointment.video_link
    later = appointment.start + timedelta(days=1)
    services.reschedule_appointment(appointment, start=later, user=None)
    appointment.refresh_from_db()
    assert appointment.video_link == room
    assert "Join the video call" in status_page(client, appointment)

    services.cancel_appointment(appointment, user=None)
    appointment.refresh_from_db()
    assert appointment.video_link == ""
    assert room not in status_page(client, appointment)
    assert "Join the video call" not in status_page(client, appointment)


def test_a_specialist_with_their_own_room_gives_it(clinic_profile):
    specialist = specialist_working_every_day(name="Dr Own Room", video_room="https://zoom.example/j/123")
    assert confirmed(specialist).video_link == "https://zoom.example/j/123"


def test_changing_to_another_way_of_meeting_drops_the_room(specialist):
    appointment = confirmed(specialist)
    services.reschedule_appointment(appointment, start=appointment.start, mode=Mode.IN_CLINIC, user=None)
    appointment.refresh_from_db()
    assert appointment.video_link == ""


@override_settings(**JWT_SETTINGS)
def test_with_token_authentication_each_link_opens_its_room_in_its_window_only(specialist, client):
    appointment = confirmed(specialist)
    room = appointment.video_link
    assert room.startswith("https://meet.clinic.example/")
    link = rooms.participant_link(appointment)
    assert link.startswith(room + "?jwt=")
    token = link.split("?jwt=")[1]
    claims = jwt.decode(token, SECRET, algorithms=["HS256"], audience="jitsi", options={"verify_nbf": False})
    assert claims["room"] == room.rsplit("/", 1)[1]
    assert (claims["iss"], claims["sub"]) == ("clinic", "meet.clinic.example")
    assert claims["nbf"] == int((appointment.start - timedelta(minutes=15)).timestamp())
    assert claims["exp"] == int(appointment.end.timestamp())
    assert claims["context"] == {"user": {"moderator": False}}  # no name in the visitor's link
    # Days before, the server refuses it; the signature is checked.
    with pytest.raises(jwt.ImmatureSignatureError):
        jwt.decode(token, SECRET, algorithms=["HS256"], audience="jitsi")
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(token, "another-secret-of-32-bytes-length", algorithms=["HS256"], audience="jitsi")

    past = AppointmentFactory(
        mode=Mode.VIDEO,
        status="confirmed",
        video_link=rooms.new_room(specialist),
        start=timezone.now() - timedelta(hours=2),
    )
    with pytest.raises(jwt.ExpiredSignatureError):
        jwt.decode(
            rooms.participant_link(past).split("?jwt=")[1], SECRET, algorithms=["HS256"], audience="jitsi"
        )


def now_relative(name, *, starts_in, minutes=50):
    specialist = specialist_working_every_day(name=name)
    start = timezone.now() + starts_in
    consultation = ConsultationRequestFactory(mode=Mode.VIDEO, page_language="en")
    return AppointmentFactory(
        consultation=consultation,
        specialist=specialist,
        mode=Mode.VIDEO,
        status="confirmed",
        start=start,
        end=start + timedelta(minutes=minutes),
        video_link=rooms.new_room(specialist),
    )


@pytest.mark.parametrize("language", ["en", "hi"])
def test_the_join_button_opens_15_minutes_before_and_closes_at_the_end(specialist, client, language):
    words = {
        "en": ("Join the video call", "The button works from", "This video call has ended."),
        "hi": ("वीडियो कॉल से जुड़ें", "बटन", "यह वीडियो कॉल समाप्त हो गई है।"),
    }[language]
    join, opens_at, ended = words

    def page(appointment):
        appointment.consultation.page_language = language
        appointment.consultation.save()
        with translation.override(language):
            return client.get(tokens.status_path(appointment.consultation)).content.decode()

    early = now_relative("Dr early", starts_in=timedelta(minutes=15, seconds=30))
    html = page(early)
    assert join in html and opens_at in html and early.video_link not in html
    assert "disabled" in html and "data-join-opens" in html

    just_open = now_relative("Dr just_open", starts_in=timedelta(minutes=14, seconds=30))
    html = page(just_open)
    assert f'href="{just_open.video_link}"' in html and join in html

    last_minute = now_relative("Dr last_minute", starts_in=-timedelta(minutes=49, seconds=30))
    assert f'href="{last_minute.video_link}"' in page(last_minute)

    over = now_relative("Dr over", starts_in=-timedelta(minutes=50, seconds=30))
    html = page(over)
    assert ended in html and over.video_link not in html

    opens, closes = rooms.join_window(early)
    assert not rooms.is_open(early, opens - timedelta(microseconds=1)) and rooms.is_open(early, opens)
    assert rooms.is_open(early, closes - timedelta(microseconds=1)) and not rooms.is_open(early, closes)


def test_the_room_is_on_no_other_page_subject_or_log_line(specialist, client, caplog, mailoutbox):
    caplog.set_level(logging.DEBUG)
    appointment = confirmed(specialist)
    other = held(specialist, days=5, email="other@example.com", phone="+919811099999")
    run_worker()
    room = appointment.video_link
    assert room not in status_page(client, other)
    for url in ["/", "/book/", reverse("clinic:specialists"), specialist.get_absolute_url()]:
        assert room not in client.get(url).content.decode()
    assert all(room not in message.subject for message in mailoutbox)
    assert room not in caplog.text
    assert room.rsplit("/", 1)[1] not in caplog.text


def test_video_and_phone_need_the_visitors_consent_on_the_form(client, clinic_profile):
    specialist_working_every_day(name="Dr Rao")
    response = client.post("/book/", form_data(remote_consent=None))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Please agree to a video or phone consultation, or choose to meet in the clinic." in html
    assert not ConsultationRequest.objects.exists()

    client.post("/book/", form_data(remote_consent=None, mode="in_clinic"))
    client.post("/book/", form_data(mode="phone", email="other@example.com", phone="98111 22222"))
    in_clinic, phone = ConsultationRequest.objects.order_by("pk")
    assert in_clinic.remote_consent_at is None
    assert phone.remote_consent_at is not None and phone.mode == "phone"


def test_a_phone_consultation_says_who_calls_which_number(specialist, mailoutbox, sent_texts, settings):
    settings.BOOKING_REMINDER_HOURS = []
    appointment = confirmed(specialist, mode=Mode.PHONE, who_for="couple")
    assert appointment.video_link == ""
    run_worker()
    email = next(m for m in mailoutbox if "is confirmed" in m.subject)
    assert "Dr Kavya Rao will call you on 098110 12345" in email.body
    assert "Both partners should be present" in email.body
    assert "RCI A12345" in email.body
    assert {text["template"].split(" ")[0] for text in sent_texts()} == {"confirmation_phone"}
    assert all("number ending 2345" in text["body"] for text in sent_texts())


def test_the_reminder_carries_the_checklist_before_the_call(specialist, mailoutbox, settings):
    settings.BOOKING_REMINDER_HOURS = [24]
    appointment = confirmed(specialist, channels=["email"])
    time_passes(OutgoingMessage.objects.filter(kind="reminder"))
    run_worker()
    reminder = next(m for m in mailoutbox if m.subject.startswith("Reminder"))
    assert "Before the call" in reminder.body and "headphones" in reminder.body
    assert appointment.video_link in reminder.body


@pytest.fixture
def clinician(client, specialist):
    user = UserFactory(username="dr-kavya")
    user.groups.add(Group.objects.get(name="Clinicians"))
    specialist.user = user
    specialist.save()
    client.force_login(user)
    return user


def test_the_clinician_opens_the_room_from_the_schedule_and_records_the_identity_check(
    client, clinician, specialist
):
    appointment = confirmed(specialist, who_for="guardian")
    week = client.get(
        reverse("admin:bookings_appointment_week") + f"?date={timezone.localdate(appointment.start)}"
    )
    join = reverse("admin:bookings_appointment_join", args=[appointment.pk])
    assert join in week.content.decode() and "schedule__appointment--video" in week.content.decode()
    response = client.get(join)
    assert response.status_code == 302 and response["Location"] == appointment.video_link

    page = client.get(reverse("admin:bookings_appointment_change", args=[appointment.pk])).content.decode()
    assert "Priya Sharma" in page and "as their parent or guardian" in page and "098110 12345" in page
    assert 'name="identity_checked"' in page
    assert "Reschedule or change the details" not in page  # reception's, not the clinician's
    client.post(
        reverse("admin:bookings_appointment_change", args=[appointment.pk]), {"identity_checked": "on"}
    )
    appointment.refresh_from_db()
    assert appointment.identity_checked
    record = appointment.history.first()
    assert (record.history_change_reason, record.history_user) == ("Identity checked", clinician)
    # Nothing else on the page changed, and clinicians still cannot cancel.
    assert appointment.status == "confirmed"

    # Another clinician's appointment: not found, room or page.
    theirs = confirmed(
        specialist_working_every_day(name="Dr Other"), days=5, email="x@example.com", phone="+919811033333"
    )
    assert client.get(reverse("admin:bookings_appointment_join", args=[theirs.pk])).status_code == 404


@override_settings(**JWT_SETTINGS)
def test_the_clinician_joins_as_moderator_under_their_name(admin_client, specialist):
    appointment = confirmed(specialist)
    response = admin_client.get(reverse("admin:bookings_appointment_join", args=[appointment.pk]))
    token = response["Location"].split("?jwt=")[1]
    claims = jwt.decode(token, SECRET, algorithms=["HS256"], audience="jitsi", options={"verify_nbf": False})
    assert claims["context"]["user"] == {"moderator": True, "name": "Dr Kavya Rao"}


def test_an_appointment_in_the_clinic_has_no_identity_box_and_cannot_be_changed(admin_client, specialist):
    appointment = confirmed(specialist, mode=Mode.IN_CLINIC)
    url = reverse("admin:bookings_appointment_change", args=[appointment.pk])
    assert 'name="identity_checked"' not in admin_client.get(url).content.decode()
    admin_client.post(url, {"identity_checked": "on"})
    appointment.refresh_from_db()
    assert not appointment.identity_checked


def test_the_clinicians_feed_links_the_admin_not_the_room(client, specialist):
    appointment = confirmed(specialist)
    specialist.renew_calendar_token()
    feed = client.get(reverse("bookings:specialist_calendar", args=[specialist.calendar_token]))
    body = feed.content.decode()
    assert appointment.video_link not in body
    event = Calendar.from_ical(feed.content).walk("VEVENT")[0]
    assert str(event["URL"]).endswith(reverse("admin:bookings_appointment_join", args=[appointment.pk]))


def test_staff_scheduling_a_video_appointment_gets_a_room_too(specialist):
    consultation = ConsultationRequestFactory(mode=Mode.VIDEO)
    appointment = services.schedule_appointment(
        consultation, specialist=specialist, start=clinic_time(hour=12)
    )
    assert ROOM.fullmatch(appointment.video_link)
    typed = services.schedule_appointment(
        ConsultationRequestFactory(mode=Mode.VIDEO),
        specialist=specialist,
        start=clinic_time(hour=15),
        video_link="https://meet.example/typed",
    )
    assert typed.video_link == "https://meet.example/typed"
