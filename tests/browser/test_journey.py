"""Issue 14 end to end, in real browsers: a reader books a time from an article,
reception confirms it, the visitor moves it and then cancels it from the link
in their email, and the clinic hears of each change. With JavaScript and
without, every visitor page looked at and checked with axe at 375 and 1280 px."""

import importlib
import re

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from bookings import availability
from bookings.models import Appointment, ConsultationRequest
from clinic.models import ClinicProfile
from tests.browser.conftest import DESKTOP, PHONE, check_axe, screenshot
from tests.factories import ArticleFactory, TopicFactory, UserFactory, specialist_working_every_day

pytestmark = pytest.mark.django_db(transaction=True)
PASSWORD = "a-long-reception-password"


def look(page, name, axe_page=None):
    """axe and a screenshot at both widths; nothing scrolls sideways. axe
    needs scripts, so a page seen without them is checked in a twin that runs them."""
    for size, viewport in [("phone", PHONE), ("desktop", DESKTOP)]:
        page.set_viewport_size(viewport)
        if axe_page is None:
            check_axe(page, f"{name} at {size}")
        else:
            axe_page.set_viewport_size(viewport)
            axe_page.goto("/robots.txt")  # the same origin, so the stylesheet loads
            axe_page.set_content(re.sub(r"<script\b.*?</script>", "", page.content(), flags=re.S))
            check_axe(axe_page, f"{name} at {size}, without JavaScript")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= viewport["width"], f"{name} scrolls sideways at {viewport['width']}px"
        screenshot(page, f"journey-{name}-{size}")
    page.set_viewport_size(DESKTOP)


def run_worker():
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)


def ics_sequence(message):
    (ics,) = [content for name, content, _ in message.attachments if name.endswith(".ics")]
    ics = ics.decode() if isinstance(ics, bytes) else ics
    return int(re.search(r"^SEQUENCE:(\d+)", ics, re.M)[1])


def to_visitor(subject_end=""):
    return [m for m in mail.outbox if m.to == ["priya@example.com"] and m.subject.endswith(subject_end)]


def to_clinic():
    inbox = ClinicProfile.load().email
    return [m for m in mail.outbox if m.to == [inbox]]


def sign_in_reception(page):
    from django.apps import apps
    from django.contrib.auth.models import Group

    # Transactional tests empty the database, groups from migrations included.
    importlib.import_module("bookings.migrations.0002_staff_groups").create_groups(apps, None)
    reception_group = apps.get_model("auth", "Group").objects.get(name="Reception")
    reception_group.permissions.add(
        apps.get_model("auth", "Permission").objects.get(codename="view_outgoingmessage")
    )
    user = UserFactory(username="reception", password=PASSWORD)
    user.groups.add(Group.objects.get(name="Reception"))
    page.goto("/admin/login/")
    page.get_by_label("Username").fill("reception")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/admin/")


@pytest.fixture(params=[True, False], ids=["with-js", "without-js"])
def visitor(request, browser, live_server):
    """The visitor's browser; nothing may reach its console."""
    context = browser.new_context(
        viewport=DESKTOP, base_url=live_server.url, java_script_enabled=request.param
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    errors = []
    page.on("console", lambda msg: msg.type == "error" and errors.append(msg.text))
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.js = request.param
    page.axe_twin = None if request.param else browser.new_context(base_url=live_server.url).new_page()
    yield page
    if page.axe_twin is not None:
        page.axe_twin.context.close()
    context.close()
    assert errors == [], f"Browser console errors: {errors}"


@pytest.fixture
def reception(browser, live_server):
    context = browser.new_context(viewport=DESKTOP, base_url=live_server.url)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def test_book_confirm_move_and_cancel(visitor, reception, live_server, settings):
    settings.SITE_URL = live_server.url  # where the emails' links point
    page, js = visitor, visitor.js
    tag = "" if js else "-nojs"

    def look_here(name):
        look(page, name + tag, page.axe_twin)

    topic = TopicFactory(name="Anxiety", slug="anxiety")
    article = ArticleFactory(title="Calming a racing mind", slug="calming-a-racing-mind", topics=[topic])
    meera = specialist_working_every_day(name="Dr Meera Kapoor", fee_video=1500)

    # The article's call to action opens the form.
    page.goto(article.get_absolute_url())
    page.locator("main").get_by_role("link", name="Book a consultation").first.click()
    page.wait_for_url(re.compile(r"/book/\?"))
    page.get_by_label("Yes", exact=True).check()
    page.get_by_label("Myself (I am 18 or older)").check()
    page.get_by_label("Video call").check()
    page.get_by_label("Whom would you like to see?").select_option(meera.slug)
    if not js:
        page.get_by_role("button", name="Show open times").click()
    times = page.locator("[data-open-times]")
    expect(times.get_by_text("Fee: ₹1,500 per consultation.")).to_be_visible()
    chosen = availability.open_times("video", meera)[0][1][0]
    times.locator(f"label[for='slot-{chosen.key}']").click()
    page.get_by_label("Your name").fill("Priya")
    page.get_by_label("Email address").fill("priya@example.com")
    page.get_by_label("Phone number").fill("98765 43210")
    page.get_by_role("checkbox", name=re.compile("I agree")).check()
    page.get_by_role("checkbox", name=re.compile("I consent to consult")).check()
    look_here("form")
    page.get_by_role("button", name="Send my request").click()

    # Thank-you page: the time is held, awaiting confirmation.
    page.wait_for_url("**/book/thanks/**")
    expect(page.get_by_role("heading", name="Thank you, we have your request")).to_be_visible()
    expect(page.locator("[data-held-time]").get_by_text("Awaiting confirmation", exact=True)).to_be_visible()
    consultation = ConsultationRequest.objects.get()
    assert consultation.source_article == article
    appointment = consultation.appointments.get()
    assert (appointment.start, appointment.status) == (chosen.start, "held")
    look_here("thanks")

    # Reception confirms the held time in one click.
    sign_in_reception(reception)
    reception.goto(reverse("admin:bookings_consultationrequest_change", args=[consultation.pk]))
    reception.get_by_role("button", name="Confirm", exact=True).click()
    reception.wait_for_url(
        f"**{reverse('admin:bookings_consultationrequest_change', args=[consultation.pk])}"
    )
    appointment.refresh_from_db()
    assert appointment.status == "confirmed"
    run_worker()
    (confirmation,) = to_visitor("is confirmed")
    assert ics_sequence(confirmation) == appointment.sequence
    # A video appointment: its own room, made on confirmation, in the email and its calendar event.
    room = appointment.video_link
    assert re.fullmatch(r"https://meet\.jit\.si/[0-9a-f]{32}", room)
    assert room in confirmation.body and room not in confirmation.subject
    link = re.search(r"http://[^/\s]+(/book/request/\S+/)", confirmation.body)[1]

    # The visitor moves the time from the link in the email.
    page.goto(link)
    expect(page.locator("[data-status]")).to_have_text("Confirmed")
    expect(page.locator("[data-fee]")).to_have_text("₹1,500")
    # Days before, the Join button says when it opens.
    expect(page.get_by_role("button", name="Join the video call")).to_be_disabled()
    expect(page.locator("[data-join-when]")).to_contain_text("The button works from")
    look_here("status")
    page.get_by_role("link", name="Move to another time").click()
    day = page.locator("details").nth(2)
    day.locator("summary").click()
    day.locator("label").last.click()
    look_here("move")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Move your appointment?")).to_be_visible()
    look_here("move-confirm")
    page.get_by_role("button", name="Yes, move my appointment").click()
    expect(page.get_by_text("Your appointment is now on")).to_be_visible()
    look_here("moved")
    appointment.refresh_from_db()
    assert appointment.start != chosen.start and appointment.status == "confirmed"
    assert appointment.video_link == room  # moving keeps the room
    new_time = timezone.localtime(appointment.start)
    expect(page.locator("[data-appointment-time]")).to_contain_text(f"{new_time:%-I:%M %p}")

    mail.outbox.clear()
    run_worker()
    (moved,) = to_visitor()
    assert ics_sequence(moved) > ics_sequence(confirmation)
    (told,) = to_clinic()
    assert told.subject == f"Changed by the visitor: request {consultation.reference}"

    # Reception sees the change: the dashboard's count leads to the request.
    reception.goto(reverse("admin:index"))
    tile = reception.locator("[data-changed-by-visitors]")
    expect(tile).to_contain_text("1 changed by visitors")
    screenshot(reception, f"journey-reception-dashboard{tag}")
    tile.get_by_role("link").click()
    reception.get_by_role("link", name=consultation.reference).click()
    expect(reception.locator(".request-summary")).to_contain_text(f"{new_time:%H:%M}")
    check_axe(reception, "request page after the visitor's move")
    screenshot(reception, f"journey-reception-sees-the-move{tag}")

    # The visitor cancels, after saying yes once more; the clinic is told.
    page.goto(link)
    page.get_by_role("link", name="Cancel my appointment").click()
    expect(page.get_by_role("heading", name="Cancel your appointment?")).to_be_visible()
    look_here("cancel-confirm")
    page.get_by_role("button", name="Yes, cancel my appointment").click()
    expect(page.get_by_text("Your appointment is cancelled.")).to_be_visible()
    expect(page.locator("[data-status]")).to_have_text("Cancelled")
    look_here("cancelled")
    assert Appointment.objects.get().status == "cancelled"
    expect(page.locator("[data-join]")).to_have_count(0)
    assert room not in page.content()
    assert ConsultationRequest.objects.get().status == "cancelled"

    mail.outbox.clear()
    run_worker()
    (told,) = to_clinic()
    assert told.subject == f"Changed by the visitor: request {consultation.reference}"
    assert "Priya" not in told.subject
    (cancelled,) = to_visitor("is cancelled")
    assert ics_sequence(cancelled) > ics_sequence(moved)
