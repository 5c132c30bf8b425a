"""A visitor books a consultation entirely in Hindi, on a phone and on a wide
screen: home, form, thank-you page, acknowledgement email, status page. No
English sentence appears on the way, apart from names and numbers."""

import re

import pytest
from django.core import mail
from django.core.management import call_command
from playwright.sync_api import expect

from bookings import availability
from bookings.models import ConsultationRequest
from clinic.models import ClinicProfile
from tests.browser.conftest import DESKTOP, PHONE, check_axe, screenshot
from tests.factories import TopicFactory, specialist_working_every_day

pytestmark = pytest.mark.django_db(transaction=True)
VIEWPORTS = [("phone", PHONE), ("desktop", DESKTOP)]
# Two or more Latin-letter words in a row: an English phrase.
ENGLISH_PHRASE = re.compile(r"[A-Za-z]{2,}(?:[ ,.'\u2019&-]+[A-Za-z]{2,})+")


def assert_no_english(text, names, where):
    for name in sorted(names, key=len, reverse=True):
        text = text.replace(name, " ")
    text = re.sub(r"\S+@\S+", " ", text)  # email addresses
    phrases = ENGLISH_PHRASE.findall(text)
    assert phrases == [], f"English on {where}: {phrases}"


def fits(page, viewport):
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"], page.url


@pytest.mark.parametrize("viewport_name,viewport", VIEWPORTS)
def test_a_visitor_books_entirely_in_hindi(page, viewport_name, viewport):
    clinic = ClinicProfile.load()
    TopicFactory(name="चिंता", slug="anxiety")
    meera = specialist_working_every_day(name="Dr Meera Kapoor", title="मनोवैज्ञानिक", fee_video=1500)
    names = [
        clinic.name,
        meera.name,
        clinic.helpline_name,
        clinic.street_address,
        clinic.locality,
        clinic.region,
    ]
    names += ["English", "Gurgaon, Haryana", "WhatsApp", "SMS", "Priya Sharma"]
    page.set_viewport_size(viewport)

    page.goto("/hi/")
    assert page.evaluate("document.documentElement.lang") == "hi"
    assert_no_english(page.inner_text("body"), names, "the Hindi home page")
    check_axe(page, f"Hindi home page at {viewport_name}")
    fits(page, viewport)
    screenshot(page, f"hindi-home-{viewport_name}")

    page.locator("main").get_by_role("link", name="हमारे विशेषज्ञों से बात करें").click()
    page.wait_for_url("**/hi/book/")
    page.get_by_label("हाँ", exact=True).check()
    page.get_by_label("मेरे लिए (मेरी उम्र 18 साल या उससे ज़्यादा है)").check()
    page.get_by_label("वीडियो कॉल").check()
    page.get_by_label("आप किससे मिलना चाहेंगे?").select_option(meera.slug)
    times = page.locator("[data-open-times]")
    expect(times.get_by_text("फ़ीस: ₹1,500 प्रति परामर्श।")).to_be_visible()
    slot = availability.open_times("video", meera)[0][1][0]
    times.locator(f"label[for='slot-{slot.key}']").click()
    page.get_by_label("आपका नाम").fill("Priya Sharma")
    page.get_by_label("ईमेल पता").fill("priya@example.com")
    page.get_by_label("फ़ोन नंबर").fill("98765 43210")
    page.get_by_role("checkbox", name=re.compile("मैं सहमत हूँ")).check()
    page.get_by_role("checkbox", name=re.compile("परामर्श के लिए सहमति देता")).check()
    assert_no_english(page.inner_text("body"), names, "the Hindi booking form")
    check_axe(page, f"Hindi booking form at {viewport_name}")
    fits(page, viewport)
    screenshot(page, f"hindi-form-{viewport_name}")
    page.get_by_role("button", name="मेरा अनुरोध भेजें").click()

    page.wait_for_url("**/hi/book/thanks/**")
    expect(page.get_by_role("heading", name="धन्यवाद, आपका अनुरोध हमें मिल गया है")).to_be_visible()
    consultation = ConsultationRequest.objects.get()
    assert consultation.page_language == "hi" and consultation.spoken_language == "hi"
    assert_no_english(page.inner_text("body"), [*names, consultation.reference], "the Hindi thank-you page")
    check_axe(page, f"Hindi thank-you page at {viewport_name}")
    fits(page, viewport)
    screenshot(page, f"hindi-thanks-{viewport_name}")

    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)
    email = next(m for m in mail.outbox if m.to == ["priya@example.com"])
    status_url = re.search(r"https?://\S+?(/hi/book/request/\S+)", email.body)[1]
    known = [*names, consultation.reference, status_url]
    assert_no_english(email.subject + "\n" + email.body, known, "the acknowledgement email")
    html = email.alternatives[0][0]
    assert '<html lang="hi">' in html and "max-width:600px" in html

    page.goto(status_url)
    expect(page.get_by_role("heading", name="आपका अनुरोध", exact=True)).to_be_visible()
    assert_no_english(page.inner_text("body"), [*names, consultation.reference], "the Hindi status page")
    check_axe(page, f"Hindi status page at {viewport_name}")
    fits(page, viewport)
    screenshot(page, f"hindi-status-{viewport_name}")


def test_the_acknowledgement_email_reads_at_375px(page, clinic_profile):
    """The HTML email, as a phone shows it: no sideways scrolling."""
    from django.test import Client

    from tests.bookings.conftest import form_data

    Client().post("/hi/book/", form_data(name="प्रिया", language="hi", no_time_suits="on"))
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)
    email = next(m for m in mail.outbox if m.to == ["priya@example.com"])
    page.set_viewport_size(PHONE)
    page.set_content(email.alternatives[0][0])
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(page, "hindi-email-phone")
