import importlib
import re

import pytest
from django.core import mail
from django.core.management import call_command
from playwright.sync_api import expect

from bookings import availability
from bookings.models import ConsultationRequest
from tests.browser.conftest import ARTIFACTS, DESKTOP, PHONE, check_axe, screenshot
from tests.factories import (
    ArticleFactory,
    ConsultationRequestFactory,
    TopicFactory,
    UserFactory,
    specialist_working_every_day,
)

pytestmark = pytest.mark.django_db(transaction=True)
VIEWPORTS = [("phone", PHONE), ("desktop", DESKTOP)]


def fits(page, viewport):
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= viewport["width"], f"{page.url} scrolls sideways at {viewport['width']}px"


@pytest.mark.parametrize("viewport_name,viewport", VIEWPORTS)
def test_visitor_books_from_an_article(page, viewport_name, viewport):
    topic = TopicFactory(name="Anxiety", slug="anxiety")
    article = ArticleFactory(title="Calming a racing mind", slug="calming-a-racing-mind", topics=[topic])
    meera = specialist_working_every_day(name="Dr Meera Kapoor", fee_video=1500)
    page.set_viewport_size(viewport)
    page.goto(article.get_absolute_url())
    page.locator("main").get_by_role("link", name="Book a consultation").first.click()
    page.wait_for_url(re.compile(r"/book/\?"))
    assert page.get_by_label("What would you like help with?").input_value() == topic.slug
    # The script updates the times itself, so the no-JavaScript step is gone.
    expect(page.get_by_role("button", name="Show open times")).to_have_count(0)
    check_axe(page, f"booking form at {viewport_name}")
    fits(page, viewport)
    screenshot(page, f"booking-form-{viewport_name}")

    # Sending with nothing filled in: messages beside the fields, nothing lost.
    page.get_by_label("Your name").fill("Priya 🙂")
    page.get_by_role("button", name="Send my request").click()
    expect(page.get_by_role("heading", name="Please check a few things")).to_be_visible()
    assert page.get_by_label("Your name").input_value() == "Priya 🙂"
    expect(page.locator("#div_id_email").get_by_text("Please give an email address")).to_be_visible()
    # The summary lists each message and leads to its field.
    page.locator("#form-errors").get_by_role("link", name=re.compile("Please give an email address")).click()
    assert page.evaluate("location.hash") == "#div_id_email"
    check_axe(page, f"booking form with errors at {viewport_name}")
    screenshot(page, f"booking-form-errors-{viewport_name}")

    page.get_by_label("No", exact=True).check()
    help_box = page.locator("[data-safety-help]")
    assert "is-prominent" in (help_box.get_attribute("class") or "")
    expect(help_box.get_by_text("14416")).to_be_visible()
    screenshot(page, f"booking-form-not-safe-{viewport_name}")
    page.get_by_label("Yes", exact=True).check()
    page.get_by_label("My partner and me, as a couple").check()

    # Mode and specialist: the times follow without a reload.
    times = page.locator("[data-open-times]")
    page.get_by_label("Video call").check()
    expect(times.get_by_text("(video call)")).to_be_visible()
    page.get_by_label("Whom would you like to see?").select_option(meera.slug)
    expect(times.get_by_text("Fee: ₹1,500 per consultation.")).to_be_visible()
    slot = availability.open_times("video", meera)[0][1][0]
    times.locator(f"label[for='slot-{slot.key}']").click()
    check_axe(page, f"booking form with open times at {viewport_name}")
    screenshot(page, f"booking-form-times-{viewport_name}")

    page.get_by_label("Email address").fill("priya@example.com")
    page.get_by_label("Phone number").fill("98765 43210")
    agree(page)
    page.get_by_role("button", name="Send my request").click()

    page.wait_for_url("**/book/thanks/**")
    consultation = ConsultationRequest.objects.get()
    expect(page.get_by_role("heading", name="Thank you, we have your request")).to_be_visible()
    assert page.locator("[data-reference]").inner_text() == consultation.reference
    assert consultation.source_article == article and consultation.concern == topic
    assert consultation.name == "Priya 🙂" and consultation.who_for == "couple"
    appointment = consultation.appointments.get()
    assert (appointment.start, appointment.specialist, appointment.status) == (slot.start, meera, "held")
    expect(page.locator("[data-held-time]").get_by_text("Awaiting confirmation", exact=True)).to_be_visible()
    check_axe(page, f"thank-you page at {viewport_name}")
    fits(page, viewport)
    screenshot(page, f"booking-thanks-{viewport_name}")

    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)
    acknowledgement = next(m for m in mail.outbox if m.to == ["priya@example.com"])
    assert consultation.reference in acknowledgement.body


def check_axe_without_javascript(browser, live_server, page, context_name):
    """axe needs JavaScript: run it on the very HTML a visitor without JavaScript
    got, in a second page whose own scripts are blocked."""
    html = page.content()
    viewport = page.viewport_size
    context = browser.new_context(viewport=viewport, base_url=live_server.url)
    try:
        context.route("**/*.js", lambda route: route.abort())
        copy = context.new_page()
        copy.goto("/robots.txt")
        copy.set_content(html)
        check_axe(copy, context_name)
    finally:
        context.close()


def agree(page):
    """The privacy consent, and for a video or phone consultation the consent to consult so."""
    page.get_by_role("checkbox", name=re.compile("I agree")).check()
    remote = page.get_by_role("checkbox", name=re.compile("I consent to consult"))
    if remote.is_visible():
        remote.check()


def fill_about_you(page):
    page.get_by_label("Your name").fill("Priya")
    page.get_by_label("Email address").fill("priya@example.com")
    page.get_by_label("Phone number").fill("98765 43210")
    agree(page)


@pytest.mark.parametrize("viewport_name,viewport", VIEWPORTS)
def test_visitor_books_a_time_without_javascript(browser, live_server, viewport_name, viewport):
    meera = specialist_working_every_day(name="Dr Meera Kapoor", fee_phone=1200)
    specialist_working_every_day(name="Dr Ravi Singh")
    context = browser.new_context(viewport=viewport, base_url=live_server.url, java_script_enabled=False)
    try:
        page = context.new_page()
        page.set_default_timeout(10_000)
        page.goto("/book/")
        page.get_by_label("Yes", exact=True).check()
        page.get_by_label("Myself (I am 18 or older)").check()
        fill_about_you(page)
        # The preferred days stay out of the way until "None of these suit me".
        expect(page.locator("input[name='window1_date']")).to_be_hidden()
        page.get_by_label(re.compile("None of these suit me")).check()
        expect(page.locator("input[name='window1_date']")).to_be_visible()
        page.get_by_label(re.compile("None of these suit me")).uncheck()

        # The plain step: choose how and whom, then show the times for them.
        page.get_by_role("radio", name="Phone call").check()
        page.get_by_label("Whom would you like to see?").select_option(meera.slug)
        page.get_by_role("button", name="Show open times").click()
        times = page.locator("[data-open-times]")
        expect(times.get_by_text("Fee: ₹1,200 per consultation.")).to_be_visible()
        assert page.get_by_label("Your name").input_value() == "Priya"
        assert page.get_by_role("checkbox", name=re.compile("I agree")).is_checked()
        check_axe_without_javascript(
            browser, live_server, page, f"booking form without JavaScript at {viewport_name}"
        )
        fits(page, viewport)
        screenshot(page, f"booking-form-nojs-times-{viewport_name}")

        slot = availability.open_times("phone", meera)[0][1][0]
        times.locator(f"label[for='slot-{slot.key}']").click()
        page.get_by_role("button", name="Send my request").click()
        page.wait_for_url("**/book/thanks/**")
        appointment = ConsultationRequest.objects.get().appointments.get()
        assert (appointment.start, appointment.specialist, appointment.mode) == (slot.start, meera, "phone")
        expect(
            page.locator("[data-held-time]").get_by_text("Awaiting confirmation", exact=True)
        ).to_be_visible()
        check_axe_without_javascript(
            browser, live_server, page, f"thank-you page without JavaScript at {viewport_name}"
        )
        screenshot(page, f"booking-thanks-nojs-{viewport_name}")
    finally:
        context.close()


def test_not_safe_sends_without_a_time_without_javascript(browser, live_server):
    specialist_working_every_day(name="Dr Meera Kapoor")
    context = browser.new_context(viewport=PHONE, base_url=live_server.url, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto("/book/")
        page.get_by_label("No", exact=True).check()
        expect(page.locator("[data-safety-help]").get_by_text("14416")).to_be_visible()
        page.get_by_label("Someone else, as their parent or guardian").check()
        fill_about_you(page)
        page.get_by_role("button", name="Send my request").click()
        page.wait_for_url("**/book/thanks/**")
        consultation = ConsultationRequest.objects.get()
        assert consultation.urgent and not consultation.appointments.exists()
        expect(page.get_by_role("heading", name="If you need help right now")).to_be_visible()
    finally:
        context.close()


def log_in(page, username, password):
    page.goto("/admin/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/admin/")


def run_action(page, reference, action):
    page.get_by_role("row").filter(has_text=reference).get_by_role("checkbox").check()
    page.locator("select[name='action']").select_option(label=action)
    page.get_by_role("button", name="Go").click()


@pytest.mark.parametrize("viewport_name,viewport", VIEWPORTS)
def test_reception_works_a_request_from_the_dashboard(page, viewport_name, viewport):
    from django.apps import apps
    from django.contrib.auth.models import Group

    # Transactional tests empty the database, groups from migrations included.
    importlib.import_module("bookings.migrations.0002_staff_groups").create_groups(apps, None)
    user = UserFactory(username="reception", password="a-long-reception-password")
    user.groups.add(Group.objects.get(name="Reception"))
    consultation = ConsultationRequestFactory(name="Priya <b>Sharma</b>", concern=TopicFactory(name="Stress"))
    page.set_viewport_size(viewport)
    log_in(page, "reception", "a-long-reception-password")

    dashboard = page.locator(".booking-dashboard")
    expect(dashboard.get_by_text("new, awaiting contact")).to_be_visible()
    check_axe(page, f"admin dashboard at {viewport_name}")
    fits(page, viewport)
    screenshot(page, f"admin-dashboard-{viewport_name}")
    dashboard.get_by_role("link", name=re.compile("new, awaiting contact")).click()
    expect(page.get_by_role("link", name=consultation.reference)).to_be_visible()
    expect(page.get_by_text("Priya <b>Sharma</b>").first).to_be_visible()

    run_action(page, consultation.reference, "Assign to me")
    expect(page.get_by_text("1 request(s) assigned to you.")).to_be_visible()
    run_action(page, consultation.reference, "Mark contacted")
    expect(page.get_by_text("1 request(s) marked contacted.")).to_be_visible()
    check_axe(page, f"admin request list at {viewport_name}")
    screenshot(page, f"admin-requests-{viewport_name}")

    # Marked contacted, it has left the "awaiting" queue: find it among "mine".
    page.goto("/admin/bookings/consultationrequest/?assigned=me")
    page.get_by_role("link", name=consultation.reference).click()
    page.locator("textarea[name='notes-0-text']").fill("Called; prefers evenings, discreet.")
    screenshot(page, f"admin-request-{viewport_name}")
    page.get_by_role("button", name="Save and continue editing").click()
    expect(page.get_by_text("Called; prefers evenings, discreet.").first).to_be_visible()

    page.get_by_role("link", name="History").click()
    history = page.locator("#change-history")
    for text in ["Assigned to reception", "Marked contacted", "Internal note added"]:
        expect(history.get_by_text(text).first).to_be_visible()
    expect(history.get_by_text("reception").first).to_be_visible()
    check_axe(page, f"admin request history at {viewport_name}")
    screenshot(page, f"admin-history-{viewport_name}")

    consultation.refresh_from_db()
    assert consultation.status == ConsultationRequest.Status.CONTACTED
    assert consultation.assigned_to == user
    assert consultation.notes.get().author == user


def test_helplines_stand_out_without_javascript(browser, live_server):
    context = browser.new_context(viewport=PHONE, base_url=live_server.url, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto("/book/")
        help_box = page.locator("[data-safety-help]")
        expect(help_box.get_by_text("14416")).to_be_visible()
        quiet = help_box.evaluate("el => getComputedStyle(el).borderTopWidth")
        page.get_by_label("No", exact=True).check()
        loud = help_box.evaluate("el => getComputedStyle(el).borderTopWidth")
        assert quiet == "0px" and loud == "2px"
    finally:
        context.close()


def test_back_then_send_again_books_once_and_the_page_agrees_with_itself(page):
    meera = specialist_working_every_day(name="Dr Meera Kapoor")
    specialist_working_every_day(name="Dr Arjun Rao")
    page.goto("/book/")
    page.get_by_label("Yes", exact=True).check()
    page.get_by_label("Myself (I am 18 or older)").check()
    page.get_by_label("Video call").check()
    page.get_by_label("Whom would you like to see?").select_option(meera.slug)
    times = page.locator("[data-open-times]")
    slot = availability.open_times("video", meera)[0][1][0]
    times.locator(f"label[for='slot-{slot.key}']").click()
    page.get_by_label("Your name").fill("Priya")
    page.get_by_label("Email address").fill("priya@example.com")
    page.get_by_label("Phone number").fill("98765 43210")
    agree(page)
    page.get_by_role("button", name="Send my request").click()
    page.wait_for_url("**/book/thanks/**")

    page.go_back()
    page.wait_for_url("**/book/")
    expect(page.locator("[data-already-sent]")).to_be_visible()
    # Whatever the browser kept, the checked time (if any) is one of the times shown for
    # the way of meeting and the specialist shown.
    chosen = page.locator("input[name='slot']:checked")
    if chosen.count():
        shown = page.locator("[data-open-times] input[name='slot']").evaluate_all(
            "els => els.map(e => e.value)"
        )
        assert chosen.get_attribute("value") in shown
    check_axe(page, "booking form after Back")
    screenshot(page, "booking-form-after-back")
    page.get_by_label("Yes", exact=True).check()
    page.get_by_label("Myself (I am 18 or older)").check()
    page.get_by_label("Your name").fill("Priya")
    page.get_by_label("Email address").fill("priya@example.com")
    page.get_by_label("Phone number").fill("98765 43210")
    page.locator("[data-open-times] label.open-times__button").first.click()  # another time, with Dr Rao
    agree(page)
    page.get_by_role("button", name="Send my request").click()
    page.wait_for_url("**/book/thanks/**")
    expect(page.locator("[data-sent-again]")).to_be_visible()
    screenshot(page, "booking-thanks-sent-again")
    assert ConsultationRequest.objects.count() == 1
    assert ConsultationRequest.objects.get().appointments.get().specialist == meera


@pytest.mark.parametrize("javascript", [True, False])
def test_later_days_come_on_request_and_a_later_time_can_be_booked(browser, live_server, javascript):
    meera = specialist_working_every_day(name="Dr Meera Kapoor")
    days = availability.open_times("in_clinic", meera)
    later = days[5][1][0]
    name = "js" if javascript else "nojs"
    context = browser.new_context(viewport=PHONE, base_url=live_server.url, java_script_enabled=javascript)
    try:
        page = context.new_page()
        page.set_default_timeout(10_000)
        page.goto(f"/book/?specialist={meera.slug}")
        times = page.locator("[data-open-times]")
        expect(times.locator("details.open-times__day")).to_have_count(3)
        more = page.get_by_role("button", name=f"Show {len(days) - 3} more days")
        expect(more).to_be_visible()
        page.locator("#open-times").screenshot(
            path=str(ARTIFACTS / f"booking-form-first-days-{name}-phone.png")
        )
        page.get_by_label("Yes", exact=True).check()
        page.get_by_label("Myself (I am 18 or older)").check()
        fill_about_you(page)
        more.click()
        expect(times.locator("details.open-times__day")).to_have_count(len(days))
        expect(more).to_have_count(0)
        # The first of the later days is open, and (with the script) has the focus.
        later_days = page.locator("#later-times")
        expect(later_days).to_have_attribute("open", "")
        if javascript:
            expect(later_days.locator("summary")).to_be_focused()
            check_axe(page, "booking form with all days")
        else:
            assert page.get_by_label("Your name").input_value() == "Priya"
            check_axe_without_javascript(
                browser, live_server, page, "booking form with all days, no JavaScript"
            )
        screenshot(page, f"booking-form-all-days-{name}-phone")
        page.locator(f"details:has(label[for='slot-{later.key}'])").evaluate("d => d.open = true")
        times.locator(f"label[for='slot-{later.key}']").click()
        page.get_by_role("button", name="Send my request").click()
        page.wait_for_url("**/book/thanks/**")
        assert ConsultationRequest.objects.get().appointments.get().start == later.start
    finally:
        context.close()
