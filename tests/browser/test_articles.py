import datetime

import pytest
from django.core.management import call_command
from django.utils import timezone

from articles.models import Article
from clinic.caching import empty_page_cache
from tests.browser.conftest import DESKTOP, PHONE, check_axe, screenshot
from tests.factories import SpecialistFactory, TopicFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

SEED = "/articles/kiss-and-sex-intimacy-and-mental-health/"


def test_seed_article_reads_well_on_phone_and_desktop_and_its_cta_books(page):
    call_command("load_starting_content", stdout=open("/dev/null", "w"))  # noqa: SIM115
    for name, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
        page.set_viewport_size(viewport)
        page.goto(SEED)
        assert page.locator("h1").inner_text() == "Kiss & Sex: How Intimacy and Mental Health Are Connected"
        assert page.get_by_role("heading", name="When to Seek Professional Help").is_visible()
        assert page.get_by_text("Medically reviewed by").count() == 0
        assert page.get_by_role("heading", name="If you need help right now").is_visible()
        scroll_width = page.evaluate("document.documentElement.scrollWidth")
        assert scroll_width <= viewport["width"], f"the article scrolls sideways at {viewport['width']}px"
        check_axe(page, f"seed article at {name}")
        screenshot(page, f"article-seed-{name}")
    page.goto("/articles/")
    check_axe(page, "article list")
    screenshot(page, "article-list-desktop")

    page.goto(SEED)
    page.locator(".article-cta").get_by_role("link", name="Book a consultation").click()
    page.wait_for_url("**/book/**")
    assert page.url.endswith("/book/?topic=intimacy&article=kiss-and-sex-intimacy-and-mental-health")


def log_in(page, username, password):
    page.goto("/admin/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/admin/")


def test_editor_writes_previews_schedules_and_publishes_and_scripts_never_run(page, console_errors):
    UserFactory(username="editor", is_superuser=True, password="a-long-editor-password")
    topic = TopicFactory(name="Stress", slug="stress")
    SpecialistFactory(name="Dr Kavya Rao")
    log_in(page, "editor", "a-long-editor-password")

    page.goto("/admin/articles/article/add/")
    page.get_by_label("Title:").press_sequentially("Stress at work")
    assert page.get_by_label("Slug:").input_value() == "stress-at-work"
    page.get_by_label("Summary:").fill("How to notice work stress early, and what helps.")
    editor = page.locator(".prose-editor [contenteditable=true]")
    editor.click()
    page.keyboard.type("Pressure at work is common. Small changes help.")
    page.keyboard.press("Enter")
    page.keyboard.type("<script>window.pwned = 1; alert('pwned')</script><img src=x onerror=alert(2)>")
    page.get_by_label("Main topic:").select_option(label="Stress")
    page.get_by_label("Status:").select_option("draft")
    page.get_by_role("button", name="Save and continue editing").click()
    page.wait_for_url("**/change/")
    article = Article.objects.get(slug="stress-at-work")
    assert "Pressure at work is common" in article.body
    assert list(article.topics.all()) == [topic]
    screenshot(page, "admin-article-edit")

    # Preview: the public page for staff only, clearly marked.
    with page.expect_popup() as popup_info:
        page.get_by_role("link", name="Preview").click()
    preview = popup_info.value
    preview.wait_for_load_state()
    assert preview.get_by_text("only staff can see this page").is_visible()
    assert preview.locator("h1").inner_text() == "Stress at work"
    assert preview.evaluate("window.pwned") is None
    preview.close()
    assert page.context.request.get("/articles/stress-at-work/").status == 404

    # Schedule it for tomorrow: published but not yet public.
    tomorrow = timezone.localtime() + datetime.timedelta(days=1)
    page.get_by_label("Status:").select_option("published")
    page.locator("#id_publish_at_0").fill(tomorrow.strftime("%Y-%m-%d"))
    page.get_by_label("Reason for publishing without clinical review").fill("Reviewer on leave this week")
    page.get_by_role("button", name="Save and continue editing").click()
    page.wait_for_url("**/change/")
    assert Article.objects.get(slug="stress-at-work").is_scheduled
    assert page.context.request.get("/articles/stress-at-work/").status == 404

    # Publish now, from the changelist action.
    page.goto("/admin/articles/article/")
    assert page.get_by_role("cell", name="Scheduled for").is_visible()
    assert page.get_by_role("cell", name="Awaiting clinical review").is_visible()
    page.locator("input[name=_selected_action]").first.check()
    page.locator("select[name=action]").select_option("publish_now")
    page.get_by_role("button", name="Go").click()
    page.wait_for_url("**/admin/articles/article/")
    page.goto("/articles/stress-at-work/")
    assert page.locator("h1").inner_text() == "Stress at work"
    assert page.get_by_text("Pressure at work is common").is_visible()
    assert page.evaluate("window.pwned") is None
    page.goto("/articles/")
    assert page.get_by_role("link", name="Stress at work").is_visible()

    # Markup slipped into the stored body behind the editor's back (a raw
    # update, an old import) is cleaned again when shown.
    Article.objects.filter(slug="stress-at-work").update(
        body='<p>Safe text.</p><script>window.pwned = 1</script><p onmouseover="window.pwned = 2">Hover</p>'
        '<p><a href="javascript:window.pwned = 3">A link</a></p>'
    )
    empty_page_cache()
    page.goto("/articles/stress-at-work/")
    assert page.get_by_text("Safe text.").is_visible()
    page.get_by_text("Hover").hover()
    page.get_by_text("A link").click()
    assert page.evaluate("window.pwned") is None
    assert list(console_errors) == []
