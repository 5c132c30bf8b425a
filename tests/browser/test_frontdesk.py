"""Issue 26 in a real browser: reception opens today's sheet from the admin
index, marks a visitor arrived and done, records a UPI payment with its UTR and
prints receipt 1; the visitor's page shows the receipt, and its UPI QR code,
read from the screen by a real decoder, is the clinic's upi://pay link."""

import importlib
import io
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import zxingcpp
from django.utils import timezone
from PIL import Image
from playwright.sync_api import expect

from bookings import services, tokens
from bookings.models import Appointment
from bookings.models.payments import financial_year
from clinic.models import ClinicProfile
from tests.browser.conftest import ARTIFACTS, PHONE, check_axe, screenshot
from tests.browser.test_admin_reception import axe_admin
from tests.factories import ConsultationRequestFactory, UserFactory, clinic_time, specialist_working_every_day

pytestmark = pytest.mark.django_db(transaction=True)
PASSWORD = "a-long-reception-password"


def test_a_day_at_the_front_desk(page, browser, live_server, console_errors):
    from django.apps import apps
    from django.contrib.auth.models import Group

    importlib.import_module("bookings.migrations.0002_staff_groups").create_groups(apps, None)
    profile = ClinicProfile.load()
    profile.upi_id = "gurgaonclinic@okhdfcbank"
    profile.save()
    user = UserFactory(username="reception", password=PASSWORD)
    user.groups.add(Group.objects.get(name="Reception"))
    specialist = specialist_working_every_day(name="Dr Asha Rao", fee_in_clinic=1500, fee_video=1200)
    visitor = ConsultationRequestFactory(name="Priya Sharma", mode="in_clinic")
    appointment = services.schedule_appointment(visitor, specialist=specialist, start=clinic_time(hour=11))
    start = timezone.now() - timedelta(minutes=5)
    Appointment.objects.filter(pk=appointment.pk).update(start=start, end=start + timedelta(minutes=50))

    page.goto("/admin/login/")
    page.get_by_label("Username").fill("reception")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/admin/")
    page.get_by_role("link", name="Today's sheet").click()
    row = page.locator(f"[data-appointment='{appointment.pk}']")
    expect(row).to_contain_text("Priya Sharma")
    expect(row).to_contain_text("First visit")
    axe_admin(page, console_errors, "today's sheet")
    screenshot(page, "frontdesk-sheet-desktop")
    row.get_by_role("button", name="Arrived").click()
    expect(row.locator("[data-status]")).to_contain_text("arrived")
    row.get_by_role("button", name="Done").click()
    expect(row.locator("[data-status]")).to_contain_text("Completed")
    row.locator("summary").click()
    row.get_by_label("Method").select_option("upi")
    row.get_by_label("UTR").fill("412345678901")
    row.get_by_role("button", name="Record").click()
    year = financial_year(timezone.now())
    expect(page.locator(".messagelist")).to_contain_text(f"receipt {year}/1")
    row.get_by_role("link", name=f"receipt {year}/1").click()
    expect(page.get_by_role("heading", name=f"Receipt {year}/1")).to_be_visible()
    expect(page.locator("[data-receipt-amount]")).to_contain_text("Rupees one thousand, five hundred only")
    page.emulate_media(media="print")
    screenshot(page, "frontdesk-receipt-print")
    page.emulate_media(media="screen")

    # The visitor's page lists the receipt; a video appointment of theirs shows the QR code.
    video = services.schedule_appointment(
        ConsultationRequestFactory(name="Rohan", mode="video"),
        specialist=specialist,
        start=clinic_time(3, hour=12),
    )
    visitor_page = browser.new_page(base_url=live_server.url, viewport=PHONE)
    visitor_page.goto(tokens.status_path(visitor))
    expect(visitor_page.get_by_role("link", name=f"Receipt {year}/1")).to_be_visible()
    visitor_page.goto(tokens.status_path(video.consultation))
    code = visitor_page.locator(".upi-pay svg")
    expect(code).to_be_visible()
    check_axe(visitor_page, "the visitor's page with its UPI code")
    screenshot(visitor_page, "frontdesk-visitor-upi-phone")
    shot = code.screenshot(path=str(ARTIFACTS / "frontdesk-upi-code.png"))
    (decoded,) = zxingcpp.read_barcodes(Image.open(io.BytesIO(shot)))
    link = urlsplit(decoded.text)
    query = {name: values[0] for name, values in parse_qs(link.query).items()}
    assert (link.scheme, query["pa"], query["am"], query["tn"]) == (
        "upi",
        "gurgaonclinic@okhdfcbank",
        "1200.00",
        video.consultation.reference,
    )
    visitor_page.close()
