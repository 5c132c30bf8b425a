import re

import pytest
from django.core import mail
from django.core.management import call_command
from playwright.sync_api import expect

from bookings import services
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
        check_axe(page, f"{name} at {size_name}")
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
        specialist=specialist_working_every_day(name="Dr Kavya Rao"),
        start=clinic_time(hour=11, minute=30),
        location="Room 2, first floor",
    )
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)
    (confirmation,) = [m for m in mail.outbox if m.subject.endswith("is confirmed")]
    # The link is on SITE_URL; the same path on the live server.
    return consultation, live_server.url + re.search(
        r"http://[^/\s]+(/book/request/\S+/)", confirmation.body
    )[1]


def test_visitor_follows_the_confirmation_link_and_cancels(page, live_server, settings):
    consultation, link = link_from_confirmation(live_server, settings)
    page.goto(link)
    expect(page.get_by_role("heading", name="Your request", exact=True)).to_be_visible()
    assert page.locator("[data-reference]").inner_text() == consultation.reference
    expect(page.get_by_role("heading", name="Your appointment")).to_be_visible()
    expect(page.locator("[data-appointment-time]")).to_contain_text("11:30 AM")
    expect(page.get_by_text("Dr Kavya Rao")).to_be_visible()
    look_at_both_sizes(page, "self-service-status")

    page.get_by_label("Would you like to tell us why? (optional)").fill("Found help closer to home")
    page.get_by_role("button", name="Cancel my appointment").click()
    expect(page.get_by_text("Your request is cancelled.")).to_be_visible()
    expect(page.locator("[data-status]")).to_have_text("Cancelled")
    expect(page.get_by_role("button", name="Cancel my appointment")).to_have_count(0)
    look_at_both_sizes(page, "self-service-cancelled")
    assert ConsultationRequest.objects.get().status == "cancelled"
    assert Appointment.objects.get().status == "cancelled"


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
