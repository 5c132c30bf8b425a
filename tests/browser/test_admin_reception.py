"""Issue 15 in a real browser: reception works from the urgent request to a
booked appointment through the schedule page; a clinician sees only their own."""

import importlib
import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from bookings.models import Appointment
from messaging.models import OutgoingMessage
from tests.browser.conftest import ARTIFACTS, DESKTOP, PHONE, check_axe, screenshot
from tests.factories import (
    AppointmentFactory,
    ConsultationRequestFactory,
    UserFactory,
    clinic_time,
    specialist_working_every_day,
)

pytestmark = pytest.mark.django_db(transaction=True)
PASSWORD = "a-long-staff-password"


def axe_admin(page, console_errors, name):
    """axe on an admin page with a form makes Chromium report inline styles of
    its own (see test_admin_scheduling.py); only those are set aside."""
    assert list(console_errors) == []
    check_axe(page, name)
    assert all(e.startswith("Applying inline style violates") for e in console_errors), list(console_errors)
    console_errors.clear()


def groups():
    from django.apps import apps

    # Transactional tests empty the database, groups from migrations included.
    importlib.import_module("bookings.migrations.0002_staff_groups").create_groups(apps, None)
    reception_group = apps.get_model("auth", "Group").objects.get(name="Reception")
    reception_group.permissions.add(
        apps.get_model("auth", "Permission").objects.get(codename="view_outgoingmessage")
    )
    importlib.import_module("bookings.migrations.0011_clinicians_group").create_group(apps, None)
    importlib.import_module("bookings.migrations.0019_identity_check_permission").grant(apps, None)


def sign_in(page, username, group):
    from django.contrib.auth.models import Group

    groups()
    user = UserFactory(username=username, password=PASSWORD)
    user.groups.add(Group.objects.get(name=group))
    page.goto("/admin/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/admin/")
    return user


def test_reception_books_the_urgent_request_from_the_week_view(page, console_errors):
    specialist_working_every_day(name="Dr Kavya Rao")
    specialist_working_every_day(name="Dr Arjun Menon")
    ConsultationRequestFactory.create_batch(3)
    urgent = ConsultationRequestFactory(
        name="Priya Sharma",
        phone="+919876543210",
        safe_now="no",
        contact_by_whatsapp=True,
        contact_by_sms=True,
        discreet=True,
    )
    sign_in(page, "reception", "Reception")

    page.goto(reverse("admin:bookings_consultationrequest_changelist"))
    first_row = page.locator("#result_list tbody tr").first
    expect(first_row).to_contain_text(urgent.reference)
    expect(first_row.locator(".urgent-label")).to_have_text("Urgent")
    screenshot(page, "admin15-request-list-desktop")
    check_axe(page, "request list")
    # Fits 1280 px: no sideways scrolling.
    assert page.evaluate("document.documentElement.scrollWidth") <= DESKTOP["width"]
    assert page.evaluate(
        "(r => r.scrollWidth <= r.clientWidth)(document.querySelector('#changelist .results'))"
    )

    first_row.get_by_role("link", name=urgent.reference).click()
    expect(page.get_by_role("heading", name=re.compile("What Priya asked for"))).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("WhatsApp"))).to_have_attribute(
        "href", re.compile(r"^https://wa\.me/")
    )
    expect(page.get_by_role("link", name=re.compile("^Call "))).to_have_attribute("href", "tel:+919876543210")
    screenshot(page, "admin15-request-page-desktop")
    page.set_viewport_size(PHONE)
    screenshot(page, "admin15-request-page-phone")
    axe_admin(page, console_errors, "request page at 375 px")
    page.set_viewport_size(DESKTOP)

    # Three clicks: the week view for this request, a free time, Save.
    page.get_by_role("link", name="Choose a time on the week view").click()
    expect(page.get_by_role("status")).to_contain_text(urgent.reference)
    screenshot(page, "admin15-week-desktop")
    check_axe(page, "week view")
    page.locator(".schedule__free a").first.click()
    page.wait_for_url(re.compile(r"/admin/bookings/appointment/schedule/\d+/\?start="))
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("was added successfully")).to_be_visible()
    assert page.url.endswith(reverse("admin:bookings_consultationrequest_change", args=[urgent.pk]))

    appointment = Appointment.objects.get(consultation=urgent)
    assert appointment.is_confirmed
    assert OutgoingMessage.objects.filter(consultation=urgent, kind="confirmation").exists()

    page.goto(
        reverse("admin:bookings_appointment_week") + "?view=day&date=" + f"{appointment.start:%Y-%m-%d}"
    )
    expect(page.locator(".schedule__appointment").first).to_contain_text(urgent.reference)
    page.set_viewport_size(PHONE)
    screenshot(page, "admin15-day-phone")
    check_axe(page, "day view at 375 px")


def test_a_clinician_sees_only_their_own_appointments(page):
    groups()
    from django.contrib.auth.models import Group

    user = UserFactory(username="dr-ira", password=PASSWORD)
    user.groups.add(Group.objects.get(name="Clinicians"))
    mine = specialist_working_every_day(name="Dr Ira Sen", user=user)
    other = specialist_working_every_day(name="Dr Other Person")
    own = AppointmentFactory(specialist=mine, start=clinic_time(hour=11), end=clinic_time(hour=11, minute=50))
    theirs = AppointmentFactory(
        specialist=other, start=clinic_time(hour=12), end=clinic_time(hour=12, minute=50)
    )
    mine.renew_calendar_token()

    page.goto("/admin/login/")
    page.get_by_label("Username").fill("dr-ira")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/admin/")
    expect(page.locator(".calendar-feed")).to_contain_text("/book/calendar/")
    screenshot(page, "admin15-clinician-index-desktop")
    check_axe(page, "clinician's admin index")

    page.goto(reverse("admin:bookings_appointment_changelist"))
    expect(page.locator("#result_list")).to_contain_text(own.consultation.reference)
    expect(page.locator("#result_list")).not_to_contain_text(theirs.consultation.reference)
    page.goto(reverse("admin:bookings_appointment_week") + f"?date={own.start:%Y-%m-%d}")
    expect(page.locator(".schedule__table thead")).not_to_contain_text("Dr Other Person")
    screenshot(page, "admin15-clinician-week-desktop")

    feed = page.request.get(reverse("bookings:specialist_calendar", args=[mine.calendar_token]))
    assert feed.status == 200 and feed.text().startswith("BEGIN:VCALENDAR")
    mine.revoke_calendar_token()
    assert page.request.get(reverse("bookings:specialist_calendar", args=["gone"])).status == 404


def test_the_owner_sees_the_setup_checklist(page):
    from django.contrib.auth import get_user_model

    get_user_model().objects.create_superuser("owner", "owner@example.com", PASSWORD)
    page.goto("/admin/login/")
    page.get_by_label("Username").fill("owner")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/admin/")
    expect(page.get_by_role("heading", name="Before visitors see the site")).to_be_visible()
    screenshot(page, "admin15-index-checklist-desktop")
    check_axe(page, "admin index with the checklist")


def test_the_article_editor_fits_1280_px_and_its_heading_control_says_what_it_is(page):
    from django.contrib.auth import get_user_model

    get_user_model().objects.create_superuser("owner", "owner@example.com", PASSWORD)
    page.goto("/admin/login/")
    page.get_by_label("Username").fill("owner")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/admin/")
    page.goto("/admin/articles/article/add/")
    control = page.locator(".prose-menubar__selected .prose-menubar__button")
    expect(control).to_be_visible()
    label = control.evaluate("e => getComputedStyle(e, '::before').content")
    assert label == '"Style: " attr(aria-label)' or "Style" in label
    assert control.get_attribute("aria-label") == "paragraph"
    assert page.evaluate("document.documentElement.scrollWidth") <= DESKTOP["width"]
    page.locator(".prose-menubar").first.screenshot(path=str(ARTIFACTS / "admin15-editor-menubar.png"))
    screenshot(page, "admin15-article-add-desktop")


def test_reception_confirms_a_visitors_chosen_time_from_the_schedule(page, console_errors):
    from datetime import timedelta

    from django.utils import timezone

    from bookings import services
    from bookings.availability import open_times
    from clinic.models import ClinicProfile, Mode

    ClinicProfile.load()
    specialist = specialist_working_every_day(name="Dr Kavya Rao")
    day = timezone.localdate() + timedelta(days=3)
    slot = dict(open_times(Mode.VIDEO, specialist))[day][0]
    consultation, _ = services.submit_request(
        ConsultationRequestFactory.build(
            name="Asha Verma", mode=Mode.VIDEO, window1_date=None, window1_part="", concern=None
        ),
        slot=slot,
    )
    sign_in(page, "reception", "Reception")
    page.goto(reverse("admin:bookings_appointment_week") + f"?date={day.isoformat()}")
    held = page.locator(".schedule__appointment--held")
    expect(held).to_contain_text(consultation.reference)
    expect(held).to_contain_text("Video call · Asha")
    screenshot(page, "admin15-week-with-hold-desktop")
    axe_admin(page, console_errors, "week view with a hold")
    # Offer another time: its form is axe clean, then back to confirm as chosen.
    held.get_by_role("link", name=re.compile("Offer another time")).click()
    expect(page.get_by_role("heading", name=re.compile("Offer another time"))).to_be_visible()
    screenshot(page, "admin15-offer-desktop")
    axe_admin(page, console_errors, "offer another time")
    page.go_back()
    held.get_by_role("button", name="Confirm").click()
    expect(page.get_by_text(f"Confirmed {consultation.reference}")).to_be_visible()
    expect(page.locator(".schedule__appointment--confirmed")).to_contain_text(consultation.reference)
    assert OutgoingMessage.objects.filter(consultation=consultation, kind="confirmation").exists()
    page.set_viewport_size(PHONE)
    screenshot(page, "admin15-week-phone")


def test_a_clinician_opens_the_video_room_and_records_the_identity_check(page, console_errors):
    user = sign_in(page, "dr-ira", "Clinicians")
    specialist = specialist_working_every_day(name="Dr Ira Sen", user=user)
    consultation = ConsultationRequestFactory(
        name="Priya Sharma", phone="+919811012345", mode="video", who_for="guardian"
    )
    appointment = AppointmentFactory(
        consultation=consultation,
        specialist=specialist,
        mode="video",
        status="confirmed",
        start=clinic_time(hour=11),
        end=clinic_time(hour=11, minute=50),
        video_link="https://meet.jit.si/0123456789abcdef0123456789abcdef",
    )
    page.goto(reverse("admin:bookings_appointment_week") + f"?date={appointment.start:%Y-%m-%d}&view=day")
    join = page.get_by_role("link", name=re.compile("Open the video room"))
    expect(join).to_have_attribute("href", reverse("admin:bookings_appointment_join", args=[appointment.pk]))
    screenshot(page, "video-clinician-day-desktop")

    page.goto(reverse("admin:bookings_appointment_change", args=[appointment.pk]))
    expect(page.locator(".field-visitor")).to_contain_text("Priya Sharma")
    expect(page.locator(".field-visitor")).to_contain_text("Someone else, as their parent or guardian")
    page.get_by_label("Identity checked").check()
    screenshot(page, "video-clinician-appointment-desktop")
    axe_admin(page, console_errors, "a video appointment's page, for its clinician")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")
    appointment.refresh_from_db()
    assert appointment.identity_checked and appointment.status == "confirmed"
    assert appointment.history.first().history_user == user
