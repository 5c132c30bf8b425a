import importlib
import re

import pytest
from playwright.sync_api import expect

from bookings.models import Appointment, ConsultationRequest
from bookings.services import schedule_appointment
from tests.browser.conftest import DESKTOP, PHONE, check_axe, screenshot
from tests.factories import ConsultationRequestFactory, UserFactory, clinic_time, specialist_working_every_day

pytestmark = pytest.mark.django_db(transaction=True)


def log_in_as_reception(page):
    from django.apps import apps
    from django.contrib.auth.models import Group, Permission

    # Transactional tests empty the database, groups from migrations included:
    # the groups as the migrations leave them (0006's grant, moved by messaging 0001).
    importlib.import_module("bookings.migrations.0002_staff_groups").create_groups(apps, None)
    Group.objects.get(name="Reception").permissions.add(
        Permission.objects.get(codename="view_outgoingmessage")
    )
    user = UserFactory(username="reception", password="a-long-reception-password")
    user.groups.add(Group.objects.get(name="Reception"))
    page.goto("/admin/login/")
    page.get_by_label("Username").fill("reception")
    page.get_by_label("Password").fill("a-long-reception-password")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/admin/")


def check_axe_on_admin_form(page, console_errors, name):
    """axe, run on any Django admin change form (even the password form),
    makes Chromium report two blocked inline styles of its own; the page
    itself reports none (checked before). Only those are set aside."""
    assert list(console_errors) == []
    check_axe(page, name)
    axe_noise = [e for e in console_errors if e.startswith("Applying inline style violates")]
    assert len(axe_noise) <= 2 and len(axe_noise) == len(console_errors), list(console_errors)
    console_errors.clear()


def fill_time(page, start):
    page.locator("input[name='start_0']").fill(f"{start:%Y-%m-%d}")
    page.locator("input[name='start_1']").fill(f"{start:%H:%M}")


def test_reception_schedules_and_a_clash_is_explained_not_an_error_page(page, console_errors):
    specialist = specialist_working_every_day(name="Dr Kavya Rao")
    schedule_appointment(ConsultationRequestFactory(), specialist=specialist, start=clinic_time(hour=11))
    consultation = ConsultationRequestFactory(name="Priya Sharma")
    log_in_as_reception(page)

    page.goto(f"/admin/bookings/consultationrequest/{consultation.pk}/change/")
    page.get_by_role("link", name="Schedule an appointment").first.click()
    page.wait_for_url(re.compile(r"/admin/bookings/appointment/schedule/\d+/$"))
    page.locator("select[name='specialist']").select_option(label="Dr Kavya Rao")
    fill_time(page, clinic_time(hour=11, minute=30))
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("already has an appointment that overlaps this time")).to_be_visible()
    for name, viewport in [("phone", PHONE), ("desktop", DESKTOP)]:
        page.set_viewport_size(viewport)
        screenshot(page, f"admin-appointment-clash-{name}")
    check_axe_on_admin_form(page, console_errors, "appointment form with a clash")

    fill_time(page, clinic_time(hour=19))
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("Tick “schedule outside working hours” to book it anyway.")).to_be_visible()
    page.get_by_label("Schedule outside working hours").check()
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("was added successfully")).to_be_visible()
    screenshot(page, "admin-appointment-added-desktop")

    assert ConsultationRequest.objects.get(pk=consultation.pk).status == "scheduled"
    assert Appointment.objects.filter(consultation=consultation, start=clinic_time(hour=19)).exists()
    page.goto("/admin/messaging/outgoingmessage/")
    expect(page.get_by_text("Appointment confirmation").first).to_be_visible()
    check_axe(page, "outgoing emails")
    screenshot(page, "admin-outgoing-emails-desktop")
