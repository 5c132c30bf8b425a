"""Issue 25 in a real browser: the visitor's sessions, the waitlist and a freed
time claimed from its email; reception's weekly-sessions page. Each page looked
at and checked with axe at 375 and 1280 px."""

import importlib
import re
from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from bookings import services, tokens
from bookings.models import Appointment
from clinic.models import Holiday
from tests.browser.conftest import DESKTOP, PHONE, check_axe, screenshot
from tests.browser.test_admin_reception import axe_admin
from tests.factories import ConsultationRequestFactory, UserFactory, clinic_time, specialist_working_every_day

pytestmark = pytest.mark.django_db(transaction=True)
PASSWORD = "a-long-reception-password"


def look(page, name):
    for size, viewport in [("phone", PHONE), ("desktop", DESKTOP)]:
        page.set_viewport_size(viewport)
        check_axe(page, f"{name} at {size}")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= viewport["width"], f"{name} scrolls sideways at {viewport['width']}px"
        screenshot(page, f"care-{name}-{size}")
    page.set_viewport_size(DESKTOP)


def run_worker():
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)


def test_the_visitor_waits_takes_a_freed_time_and_sees_their_sessions(page, live_server, settings):
    settings.SITE_URL = live_server.url
    specialist = specialist_working_every_day(name="Dr Asha Rao")
    waiting = ConsultationRequestFactory(name="Priya", email="priya@example.com", mode="video")
    page.goto(tokens.status_path(waiting))
    page.get_by_role("link", name="Join the waitlist").click()
    look(page, "waitlist-join")
    day = clinic_time(3).strftime("%A") + "s"
    page.get_by_label(day).check()
    page.get_by_label("Morning").check()
    page.get_by_role("button", name="Put me on the waitlist").click()
    expect(page.locator("[data-waitlist]")).to_contain_text("You are on the waitlist until")

    # Someone else's appointment at that time is cancelled: Priya is told at once.
    other = services.schedule_appointment(
        ConsultationRequestFactory(mode="video"), specialist=specialist, start=clinic_time(3, hour=11)
    )
    services.cancel_appointment(other, user=None)
    run_worker()
    (offer,) = [m for m in mail.outbox if m.to == ["priya@example.com"]]
    link = re.search(r"http://[^/\s]+(/book/request/\S+/offer/\d+/)", offer.body)[1]
    page.goto(link)
    expect(page.get_by_role("heading", name="Take this time?")).to_be_visible()
    look(page, "claim")
    page.get_by_role("button", name="Yes, I take this time").click()
    expect(page.get_by_text("The time is yours")).to_be_visible()
    hold = Appointment.objects.get(consultation=waiting)
    assert (hold.start, hold.status) == (other.start, "held")

    # Confirmed, with two more sessions: the page lists them, each moved or cancelled alone.
    services.confirm_hold(hold, user=None)
    for days in (6, 9):
        services.schedule_appointment(waiting, specialist=specialist, start=clinic_time(days, hour=11))
    page.goto(tokens.status_path(waiting))
    expect(page.locator("[data-session]")).to_have_count(2)
    look(page, "sessions")
    page.get_by_role("link", name=re.compile("Cancel this session")).first.click()
    page.get_by_role("button", name="Yes, cancel my appointment").click()
    expect(page.locator("[data-session]")).to_have_count(1)
    assert waiting.appointments.confirmed().count() == 2


def test_reception_books_weekly_sessions_across_a_holiday(page, live_server, console_errors):
    from django.apps import apps
    from django.contrib.auth.models import Group

    importlib.import_module("bookings.migrations.0002_staff_groups").create_groups(apps, None)
    user = UserFactory(username="reception", password=PASSWORD)
    user.groups.add(Group.objects.get(name="Reception"))
    specialist = specialist_working_every_day(name="Dr Asha Rao")
    consultation = ConsultationRequestFactory(name="Priya", mode="video")
    first = timezone.localtime(clinic_time(3, hour=11))
    Holiday.objects.create(date=(first + timedelta(weeks=2)).date(), name="Diwali")
    page.goto("/admin/login/")
    page.get_by_label("Username").fill("reception")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/admin/")
    page.goto(
        reverse("admin:bookings_appointment_series", args=[consultation.pk])
        + f"?start={first.replace(tzinfo=None).isoformat()}&specialist={specialist.pk}"
    )
    page.get_by_role("button", name="Check the dates").click()
    expect(page.locator(".series-plan__row")).to_have_count(8)
    expect(page.locator(".series-plan__row--clash")).to_contain_text("Diwali")
    screenshot(page, "care-series-checked-desktop")
    axe_admin(page, console_errors, "the weekly sessions page")
    page.get_by_role("button", name="Book these sessions").click()
    expect(page.locator(".messagelist")).to_contain_text("8 sessions booked")
    assert consultation.appointments.confirmed().count() == 8
