import re
from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone, translation
from playwright.sync_api import expect

from bookings import availability, services, tokens
from bookings.models import Appointment, ConsultationRequest
from tests.browser.conftest import DESKTOP, PHONE, check_axe, screenshot
from tests.factories import (
    ConsultationRequestFactory,
    TopicFactory,
    clinic_time,
    specialist_working_every_day,
)

pytestmark = pytest.mark.django_db(transaction=True)


def fits(page, viewport):
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= viewport["width"], f"{page.url} scrolls sideways at {viewport['width']}px"


def look_at_both_sizes(page, name):
    for size_name, viewport in [("phone", PHONE), ("desktop", DESKTOP)]:
        page.set_viewport_size(viewport)
        twin = getattr(page, "axe_twin", None)
        if twin is None:
            check_axe(page, f"{name} at {size_name}")
        else:
            # axe needs scripts to run: the page as this browser shows it, in one that runs them.
            twin.set_viewport_size(viewport)
            twin.goto("/robots.txt")  # the same origin, so the page's stylesheet loads
            twin.set_content(re.sub(r"<script\b.*?</script>", "", page.content(), flags=re.S))
            check_axe(twin, f"{name} at {size_name}, without JavaScript")
        fits(page, viewport)
        screenshot(page, f"{name}-{size_name}")


def link_from_confirmation(live_server, settings):
    settings.SITE_URL = live_server.url  # where the email's links point
    consultation = ConsultationRequestFactory(
        name="Rohan Verma",
        email="rohan@example.com",
        message="Panic attacks at work",
        mode="in_clinic",
        concern=TopicFactory(name="Anxiety", slug="anxiety"),
    )
    services.schedule_appointment(
        consultation,
        specialist=specialist_working_every_day(name="Dr Kavya Rao", fee_in_clinic=1500),
        start=clinic_time(hour=11, minute=30),
        location="Room 2, first floor",
    )
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)
    (confirmation,) = [m for m in mail.outbox if m.subject.endswith("is confirmed")]
    # The link is on SITE_URL; the same path on the live server.
    return consultation, live_server.url + re.search(
        r"http://[^/\s]+(/book/request/\S+/)", confirmation.body
    )[1]


@pytest.fixture(params=[True, False], ids=["with-js", "without-js"])
def visitor(request, browser, live_server):
    """A visitor's browser, with JavaScript and without; nothing may reach the console."""
    context = browser.new_context(
        viewport=DESKTOP, base_url=live_server.url, java_script_enabled=request.param
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    errors = []
    page.on("console", lambda msg: msg.type == "error" and errors.append(msg.text))
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.js = request.param
    if not request.param:
        page.axe_twin = browser.new_context(base_url=live_server.url).new_page()
    yield page
    if not request.param:
        page.axe_twin.context.close()
    context.close()
    assert errors == [], f"Browser console errors: {errors}"


def ics_sequence(message):
    (ics,) = [content for name, content, _ in message.attachments if name.endswith(".ics")]
    ics = ics.decode() if isinstance(ics, bytes) else ics
    return int(re.search(r"^SEQUENCE:(\d+)", ics, re.M)[1])


def test_visitor_moves_the_appointment_then_cancels_it(visitor, live_server, settings):
    page, suffix = visitor, "" if visitor.js else "-nojs"
    consultation, link = link_from_confirmation(live_server, settings)
    appointment = Appointment.objects.get()
    (confirmation,) = [m for m in mail.outbox if m.subject.endswith("is confirmed")]
    page.goto(link)
    expect(page.get_by_role("heading", name="Your request", exact=True)).to_be_visible()
    assert page.locator("[data-reference]").inner_text() == consultation.reference
    expect(page.get_by_role("heading", name="Your appointment")).to_be_visible()
    expect(page.locator("[data-appointment-time]")).to_contain_text("11:30 AM")
    expect(page.get_by_text("Dr Kavya Rao")).to_be_visible()
    expect(page.locator("[data-fee]")).to_have_text("₹1,500")
    look_at_both_sizes(page, "self-service-status" + suffix)

    page.get_by_role("link", name="Move to another time").click()
    expect(page.get_by_role("heading", name="Move your appointment")).to_be_visible()
    days = page.locator("details")
    assert days.count() >= 10
    look_at_both_sizes(page, "self-service-move" + suffix)
    page.get_by_role("button", name="Continue").click()  # nothing chosen yet
    expect(page.get_by_text("Please choose one of the times.")).to_be_visible()
    expect(page.get_by_role("heading", name="Move your appointment")).to_be_visible()

    second_day = days.nth(1)
    second_day.locator("summary").click()  # each day opens on its own, with or without JavaScript
    new_day = second_day.locator("summary").inner_text().split("\n")[0].rsplit(" ", 2)[0]
    second_day.get_by_text("3:00 PM").click()
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Move your appointment?")).to_be_visible()
    expect(page.locator("[data-move-from]")).to_contain_text("11:30 AM")
    expect(page.locator("[data-move-to]")).to_contain_text(f"{new_day}")
    expect(page.locator("[data-move-to]")).to_contain_text("3:00 PM")
    look_at_both_sizes(page, "self-service-move-confirm" + suffix)
    page.get_by_role("button", name="Yes, move my appointment").click()

    expect(page.get_by_text("Your appointment is now on")).to_be_visible()
    expect(page.locator("[data-appointment-time]")).to_contain_text("3:00 PM")
    look_at_both_sizes(page, "self-service-moved" + suffix)
    appointment.refresh_from_db()
    assert timezone.localtime(appointment.start).hour == 15 and appointment.status == "confirmed"
    mail.outbox.clear()
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)
    (moved,) = [m for m in mail.outbox if m.to == ["rohan@example.com"]]
    assert ics_sequence(moved) > ics_sequence(confirmation)

    page.get_by_role("link", name="Cancel my appointment").click()
    expect(page.get_by_role("heading", name="Cancel your appointment?")).to_be_visible()
    look_at_both_sizes(page, "self-service-cancel-confirm" + suffix)
    page.get_by_label("Would you like to tell us why? (optional)").fill("Found help closer to home")
    page.get_by_role("button", name="Yes, cancel my appointment").click()
    expect(page.get_by_text("Your appointment is cancelled.")).to_be_visible()
    expect(page.locator("[data-status]")).to_have_text("Cancelled")
    expect(page.get_by_role("link", name="Cancel my appointment")).to_have_count(0)
    look_at_both_sizes(page, "self-service-cancelled" + suffix)
    assert ConsultationRequest.objects.get().status == "cancelled"
    assert Appointment.objects.get().status == "cancelled"


def test_a_time_taken_meanwhile_brings_back_the_list(page, live_server, settings):
    _, link = link_from_confirmation(live_server, settings)
    appointment = Appointment.objects.get()
    page.goto(link + "move/")
    chosen = page.locator("details").first.locator("label").first
    chosen.click()
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Move your appointment?")).to_be_visible()
    key = page.locator("input[name=slot]").get_attribute("value")
    # Someone else books that time while this visitor reads the question.
    slot = availability.find_slot(key, appointment.mode, ignore=appointment)
    services.schedule_appointment(
        ConsultationRequestFactory(), specialist=appointment.specialist, start=slot.start
    )
    page.get_by_role("button", name="Yes, move my appointment").click()
    expect(page.get_by_text("Sorry, that time is no longer available.")).to_be_visible()
    expect(page.get_by_role("heading", name="Move your appointment")).to_be_visible()
    assert page.locator(f"input[value='{key}']").count() == 0
    look_at_both_sizes(page, "self-service-move-taken")
    appointment.refresh_from_db()
    assert appointment.start != slot.start


def test_after_the_cut_off_the_visitor_is_asked_to_call(page, live_server, settings):
    settings.SITE_URL = live_server.url
    consultation = ConsultationRequestFactory(email="rohan@example.com", mode="video")
    services.schedule_appointment(
        consultation,
        specialist=specialist_working_every_day(name="Dr Kavya Rao"),
        start=timezone.now() + timedelta(hours=3),
        override_hours=True,
    )
    page.goto(tokens.status_path(consultation))
    notice = page.locator("[data-too-late]")
    expect(notice).to_contain_text("can no longer be moved or cancelled here")
    assert notice.get_by_role("link").get_attribute("href").startswith("tel:")
    expect(page.get_by_role("link", name="Move to another time")).to_have_count(0)
    expect(page.get_by_role("link", name="Cancel my appointment")).to_have_count(0)
    look_at_both_sizes(page, "self-service-too-late")


def test_visitor_withdraws_consent_and_the_data_is_gone(page, live_server, console_errors, settings):
    consultation, link = link_from_confirmation(live_server, settings)
    page.goto(link)
    page.get_by_role("link", name="Withdraw my consent and erase my data").click()
    expect(page.get_by_role("heading", name="Withdraw your consent and erase your data")).to_be_visible()
    look_at_both_sizes(page, "self-service-erase-confirm")

    page.get_by_role("button", name="Erase my data").click()  # not confirmed yet
    expect(page.get_by_text("Please tick the box to confirm.")).to_be_visible()
    check_axe(page, "erase confirmation with an error")
    page.get_by_label(re.compile("I understand")).check()
    page.get_by_role("button", name="Erase my data").click()
    expect(page.get_by_role("heading", name="Your data has been erased")).to_be_visible()
    look_at_both_sizes(page, "self-service-erased")

    consultation = ConsultationRequest.objects.get()
    assert consultation.erased_at is not None
    assert (consultation.name, consultation.email, consultation.message) == ("", "", "")

    response = page.goto(link)
    assert response.status == 404
    # Chromium reports every 404 document on the console; this one is expected.
    console_errors.remove("Failed to load resource: the server responded with a status of 404 (Not Found)")
    expect(page.get_by_role("heading", name="This link does not work any more")).to_be_visible()
    expect(page.get_by_text("Rohan")).to_have_count(0)
    look_at_both_sizes(page, "self-service-link-dead")


def test_a_held_time_shows_as_awaiting_confirmation(page, live_server, settings):
    settings.SITE_URL = live_server.url
    specialist = specialist_working_every_day(name="Dr Kavya Rao", fee_video=1200)
    slot = availability.open_times("video", specialist)[1][1][2]
    consultation, _ = services.submit_request(
        ConsultationRequestFactory.build(
            email="rohan@example.com", mode="video", concern=None, window1_date=None, window1_part=""
        ),
        slot=slot,
    )
    page.goto(tokens.status_path(consultation))
    expect(page.locator("[data-status]")).to_have_text("Awaiting confirmation")
    expect(page.locator("[data-held]")).to_contain_text("awaiting confirmation")
    expect(page.locator("[data-fee]")).to_have_text("₹1,200")
    expect(page.get_by_role("link", name="Move to another time")).to_be_visible()
    look_at_both_sizes(page, "self-service-held")


@pytest.mark.parametrize("language", ["en", "hi"])
def test_the_join_button_on_the_visitors_page_when_the_call_is_near(page, live_server, language):
    """Ten minutes before a video appointment: the button opens the room, with the
    checklist before the call; looked at, and checked with axe, at both sizes."""
    specialist = specialist_working_every_day(name="Dr Kavya Rao", registration_number="RCI A12345")
    start = timezone.now() + timedelta(minutes=10)
    consultation = ConsultationRequestFactory(
        name="Rohan Verma", mode="video", page_language=language, who_for="couple"
    )
    appointment = Appointment.objects.create(
        consultation=consultation,
        specialist=specialist,
        mode="video",
        status="confirmed",
        start=start,
        end=start + timedelta(minutes=50),
        video_link="https://meet.jit.si/0123456789abcdef0123456789abcdef",
    )
    with translation.override(language):
        page.goto(live_server.url + tokens.status_path(consultation))
    join = {"en": "Join the video call", "hi": "वीडियो कॉल से जुड़ें"}[language]
    link = page.get_by_role("link", name=join)
    expect(link).to_have_attribute("href", appointment.video_link)
    expect(
        page.get_by_role("heading", name={"en": "Before the call", "hi": "कॉल से पहले"}[language])
    ).to_be_visible()
    expect(page.get_by_text("RCI A12345")).to_be_visible()
    look_at_both_sizes(page, f"status-join-open-{language}")
