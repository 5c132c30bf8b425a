"""The front desk: today's sheet, arrivals, payments and receipts numbered
per financial year; UPI links and their QR codes."""

import io
import re
from datetime import datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import segno
import zxingcpp
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from bookings import frontdesk, services, tokens, upi
from bookings.models import Appointment, Mode, Payment
from bookings.models.payments import financial_year
from tests.factories import ConsultationRequestFactory, clinic_time, specialist_working_every_day

pytestmark = pytest.mark.django_db
SHEET = reverse("admin:bookings_appointment_today")


@pytest.fixture
def today(clinic_profile):
    """A confirmed in-clinic appointment that started ten minutes ago."""
    specialist = specialist_working_every_day(
        name="Dr Asha", fee_in_clinic=1500, registration_number="RCI A1"
    )
    consultation = ConsultationRequestFactory(name="Priya Sharma", mode=Mode.IN_CLINIC, page_language="en")
    appointment = services.schedule_appointment(
        consultation, specialist=specialist, start=clinic_time(hour=11)
    )
    start = timezone.now() - timedelta(minutes=10)
    Appointment.objects.filter(pk=appointment.pk).update(start=start, end=start + timedelta(minutes=50))
    appointment.refresh_from_db()
    return appointment


def desk(admin_client, appointment, **data):
    return admin_client.post(
        reverse("admin:bookings_appointment_desk", args=[appointment.pk]),
        {**data, "next": SHEET},
        follow=True,
    )


def test_the_fee_is_fixed_when_the_appointment_is_confirmed(today):
    assert today.fee == 1500
    today.specialist.fee_in_clinic = 2000
    today.specialist.save()
    today.refresh_from_db()
    assert today.fee == 1500


def test_reception_marks_arrived_and_done_and_records_upi_with_receipts_one_and_two(admin_client, today):
    html = admin_client.get(SHEET).content.decode()
    assert "Priya Sharma" in html and "First visit" in html and "₹1500" in html and "Not paid" not in html
    desk(admin_client, today, step="arrived")
    desk(admin_client, today, step="seen")
    html = desk(admin_client, today, step="done").content.decode()
    today.refresh_from_db()
    assert today.arrived_at and today.seen_at and today.status == "completed"
    assert "Not paid" in html  # done: the fee is due

    response = desk(admin_client, today, step="payment", amount="1500", method="upi", utr="")
    assert "Give the UPI reference (UTR)" in response.content.decode() and not Payment.objects.exists()
    desk(admin_client, today, step="payment", amount="1500", method="upi", utr="412345678901")
    first = Payment.objects.get()
    year = financial_year(timezone.now())
    assert (first.receipt, first.amount, first.utr, first.taken_by.username) == (
        f"{year}/1",
        1500,
        "412345678901",
        "admin",
    )
    # Corrected: the receipt keeps its number; the history keeps what was recorded.
    frontdesk.correct_payment(first, amount=1200, method="cash", reason="Concession agreed", user=None)
    assert [h.amount for h in first.history.order_by("history_date")] == [1500, 1200]
    second = frontdesk.record_payment(today, amount=300, method="cash", user=None)
    assert second.receipt == f"{year}/2"

    receipt = admin_client.get(reverse("admin:bookings_payment_receipt", args=[first.pk])).content.decode()
    assert f"Receipt {year}/1" in receipt and "Rupees one thousand, two hundred only" in receipt
    assert "RCI A1" in receipt and "exempt from GST" in receipt
    # The visitor's page lists both receipts, and prints its own.
    consultation = today.consultation
    status = admin_client.get(tokens.status_path(consultation)).content.decode()
    own = reverse("bookings:receipt", kwargs={"token": tokens.token_for(consultation), "payment": first.pk})
    assert own in status and f"Receipt {year}/2" in status
    assert f"Receipt {year}/1" in admin_client.get(own).content.decode()


def test_a_receipt_is_in_the_visitors_language(admin_client, today):
    today.consultation.page_language = "hi"
    today.consultation.save()
    payment = frontdesk.record_payment(today, amount=1500, method="cash", user=None)
    html = admin_client.get(reverse("admin:bookings_payment_receipt", args=[payment.pk])).content.decode()
    assert "रसीद" in html and 'lang="hi"' in html


def test_receipt_numbers_start_again_each_april():
    march = timezone.make_aware(datetime(2027, 3, 31, 23, 30))
    april = timezone.make_aware(datetime(2027, 4, 1, 0, 30))
    assert (financial_year(march), financial_year(april)) == ("2026-27", "2027-28")


def test_arrivals_wait_for_the_start_and_are_for_the_clinic(admin_client, clinic_profile):
    specialist = specialist_working_every_day(name="Dr Asha")
    later = services.schedule_appointment(
        ConsultationRequestFactory(mode=Mode.VIDEO), specialist=specialist, start=clinic_time(hour=11)
    )
    response = desk(admin_client, later, step="done")
    assert "has not started yet" in response.content.decode()
    response = desk(admin_client, later, step="arrived")
    assert "Arrivals are for confirmed appointments in the clinic." in response.content.decode()


def test_the_upi_qr_code_decodes_to_the_pay_link(clinic_profile):
    clinic_profile.upi_id = "gurgaonclinic@okhdfcbank"
    clinic_profile.save()
    link = upi.pay_link(clinic_profile, 1500, "AB12CD34")
    qr = segno.make(link, error="m")
    png = io.BytesIO()
    qr.save(png, kind="png", scale=6, border=4)
    png.seek(0)
    (decoded,) = zxingcpp.read_barcodes(Image.open(png))
    parts = urlsplit(decoded.text)
    query = {name: values[0] for name, values in parse_qs(parts.query).items()}
    assert (parts.scheme, parts.netloc) == ("upi", "pay")
    assert query == {
        "pa": "gurgaonclinic@okhdfcbank",
        "pn": "Gurgaon Mind & Wellness Clinic",
        "am": "1500.00",
        "cu": "INR",
        "tn": "AB12CD34",
    }
    # The visitor's page of a confirmed appointment shows the link and its code.
    consultation = ConsultationRequestFactory(reference="AB12CD34", mode=Mode.VIDEO)
    services.schedule_appointment(
        consultation, specialist=specialist_working_every_day(fee_video=1500), start=clinic_time(hour=11)
    )
    page = Client().get(tokens.status_path(consultation)).content.decode()
    assert link.replace("&", "&amp;") in page
    assert re.search(
        r'<svg role="img"[^>]*><title>UPI QR code: ₹1500 to Gurgaon Mind &amp; Wellness Clinic</title>', page
    )


def test_fees_follow_the_state_and_the_owner_sees_takings_and_what_is_unpaid(
    admin_client, today, clinic_profile
):
    clinic_profile.late_fee = 500
    clinic_profile.save()
    specialist = today.specialist
    # A no-show and a late cancellation owe the late fee; a cancellation in time owes nothing.
    no_show = services.schedule_appointment(
        ConsultationRequestFactory(mode=Mode.IN_CLINIC), specialist=specialist, start=clinic_time(hour=12)
    )
    Appointment.objects.filter(pk=no_show.pk).update(
        start=timezone.now() - timedelta(hours=3), end=timezone.now() - timedelta(hours=2, minutes=10)
    )
    services.close_appointment(no_show, Appointment.Status.NO_SHOW)
    late = services.schedule_appointment(
        ConsultationRequestFactory(mode=Mode.IN_CLINIC), specialist=specialist, start=clinic_time(hour=14)
    )
    in_time = services.schedule_appointment(
        ConsultationRequestFactory(mode=Mode.IN_CLINIC), specialist=specialist, start=clinic_time(hour=16)
    )
    services.cancel_appointment(in_time, user=None)
    soon = timezone.now() + timedelta(hours=5)
    Appointment.objects.filter(pk=late.pk).update(start=soon, end=soon + timedelta(minutes=50))
    services.cancel_appointment(late, user=None)
    for appointment in (no_show, late, in_time, today):
        appointment.refresh_from_db()
    assert [frontdesk.amount_due(a, 500) for a in (no_show, late, in_time, today)] == [500, 500, 0, 0]
    frontdesk.mark(today, "done", user=None)
    today.refresh_from_db()
    assert frontdesk.amount_due(today, 500) == 1500

    # Waiving needs a reason; the waiver settles the no-show.
    with pytest.raises(ValidationError):
        frontdesk.record_payment(no_show, amount=500, method="waived", user=None)
    frontdesk.record_payment(no_show, amount=500, method="waived", note="Family emergency", user=None)
    frontdesk.record_payment(today, amount=1500, method="upi", utr="412345678901", user=None)

    takings = admin_client.get(reverse("admin:bookings_appointment_takings")).content.decode()
    assert "Received: <strong>₹1500</strong>" in takings and "no-shows: 1" in takings
    assert takings.count("data-unpaid") == 1 and late.consultation.reference in takings
    rows = admin_client.get(reverse("admin:bookings_appointment_takings") + "?format=csv").content.decode()
    lines = rows.strip().splitlines()
    assert lines[0].startswith("Receipt,Date,Request,Specialist") and len(lines) == 3
    assert "Family emergency" in rows and "412345678901" in rows


def test_the_late_fee_is_shown_before_booking_and_in_the_confirmation(
    client, clinic_profile, mailoutbox, settings
):
    clinic_profile.late_fee = 500
    clinic_profile.save()
    settings.BOOKING_REMINDER_HOURS = []
    specialist_working_every_day(name="Dr Asha")
    assert "If you cancel later or do not come, the fee is ₹500." in client.get("/book/").content.decode()
    services.schedule_appointment(
        ConsultationRequestFactory(mode=Mode.IN_CLINIC),
        specialist=specialist_working_every_day(name="Dr B", fee_in_clinic=1500),
        start=clinic_time(hour=11),
    )
    from tests.bookings.conftest import run_worker

    run_worker()
    (confirmation,) = mailoutbox
    assert "If you cancel later or do not come, the fee is ₹500." in confirmation.body


def test_a_receipt_is_emailed_when_reception_or_the_visitor_asks(admin_client, client, today, mailoutbox):
    payment = frontdesk.record_payment(today, amount=1500, method="upi", utr="412345678901", user=None)
    admin_client.post(reverse("admin:bookings_payment_email", args=[payment.pk]))
    own = reverse(
        "bookings:receipt", kwargs={"token": tokens.token_for(today.consultation), "payment": payment.pk}
    )
    response = client.post(own, follow=True)
    assert "We are emailing you this receipt." in response.content.decode()
    from tests.bookings.conftest import run_worker

    run_worker()
    receipts = [m for m in mailoutbox if m.subject == "Your receipt from Gurgaon Mind & Wellness Clinic"]
    assert len(receipts) == 2 and receipts[0].to == [today.consultation.email]
    assert f"Here is your receipt {payment.receipt}." in receipts[0].body
    assert (
        "₹1,500 (Rupees one thousand, five hundred only)" in receipts[0].body
        and "412345678901" in receipts[0].body
    )
