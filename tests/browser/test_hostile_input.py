"""Content Security Policy and cross-site scripting, seen from a real browser."""

import pytest
from django.contrib import admin
from django.urls import reverse

from articles.models import Article
from tests.browser.conftest import DESKTOP
from tests.factories import ArticleFactory, ReferenceFactory, SpecialistFactory, TopicFactory, UserFactory
from tests.xss_payloads import PAYLOADS

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "a-long-owner-password"


def log_in(page, username):
    page.goto("/admin/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/admin/")


def admin_urls():
    """Every changelist, add form and (when a row exists) change form and history."""
    urls = ["/admin/"]
    for model, model_admin in admin.site._registry.items():
        info = model._meta.app_label, model._meta.model_name
        urls.append(reverse("admin:{}_{}_changelist".format(*info)))
        if model_admin.has_add_permission(_superuser_request()):
            urls.append(reverse("admin:{}_{}_add".format(*info)))
        first = model._default_manager.order_by("pk").first()
        if first is not None:
            urls.append(reverse("admin:{}_{}_change".format(*info), args=[first.pk]))
            urls.append(reverse("admin:{}_{}_history".format(*info), args=[first.pk]))
    return urls


def _superuser_request():
    from django.test import RequestFactory

    request = RequestFactory().get("/admin/")
    request.user = type("Owner", (), {"is_active": True, "is_staff": True, "is_superuser": True})()
    request.user.has_perm = lambda *args, **kwargs: True
    return request


def test_no_csp_violation_or_console_error_on_any_page_or_admin_screen(page, console_errors):
    """The page fixture fails the test on any console error, and Chromium
    reports every Content-Security-Policy violation as one."""
    UserFactory(username="owner", is_superuser=True, password=PASSWORD)
    topic = TopicFactory(name="Stress", slug="stress")
    specialist = SpecialistFactory()
    article = ArticleFactory(topics=[topic], author=specialist, reviewer=specialist)
    ReferenceFactory(article=article)
    public = [
        "/",
        "/about/",
        "/contact/",
        "/privacy/",
        "/specialists/",
        specialist.get_absolute_url(),
        "/articles/",
        "/articles/?q=stress",
        topic.get_absolute_url(),
        article.get_absolute_url(),
        "/book/",
    ]
    seen = {}
    for path in public:
        response = page.goto(path)
        assert response.status == 200, path
        seen[path] = console_errors[:]
        console_errors.clear()
    log_in(page, "owner")
    for path in admin_urls():
        response = page.goto(path)
        assert response.status == 200, path
        seen[path] = console_errors[:]
        console_errors.clear()
    assert {path: errors for path, errors in seen.items() if errors} == {}


def open_hostile_page(browser, live_server):
    """A page with the CSP switched off, so the test shows that sanitising and
    escaping hold on their own, not only thanks to the policy."""
    context = browser.new_context(viewport=DESKTOP, base_url=live_server.url, bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    events = []
    page.on("dialog", lambda dialog: (events.append(f"dialog: {dialog.message}"), dialog.dismiss()))
    page.on("pageerror", lambda exc: events.append(f"page error: {exc}"))
    # Broken images (src=x) are expected; anything else on the console is not.
    page.on(
        "console",
        lambda msg: (
            msg.type == "error"
            and "Failed to load resource" not in msg.text
            and events.append(f"console: {msg.text}")
        ),
    )
    return context, page, events


def assert_nothing_ran(page, events, where):
    assert page.evaluate("window.__xss") is None, f"an injected script ran on {where}"
    assert events == [], f"{where}: {events}"


def test_script_payloads_in_articles_never_run(browser, live_server):
    UserFactory(username="owner", is_superuser=True, password=PASSWORD)
    topic = TopicFactory(name="Stress", slug="stress")
    articles = []
    for number, start in enumerate(range(0, len(PAYLOADS), 10)):
        chunk = PAYLOADS[start : start + 10]
        article = ArticleFactory(
            title=chunk[0][:200],
            summary=chunk[1][:400],
            body="".join(f"<h2>Part {i}</h2><p>{payload}</p>{payload}" for i, payload in enumerate(chunk)),
            slug=f"hostile-{number}",
            topics=[topic],
        )
        articles.append(article)
    # Also bodies stored raw, as if saved before the sanitiser existed: display
    # must clean them again.
    raw = ArticleFactory(slug="hostile-raw", title=PAYLOADS[5], topics=[topic])
    # PostgreSQL cannot store a NUL byte at all, so the raw copy goes without it.
    Article.objects.filter(pk=raw.pk).update(body="".join(PAYLOADS).replace("\x00", ""))
    articles.append(raw)

    context, page, events = open_hostile_page(browser, live_server)
    try:
        pages = ["/", "/articles/", topic.get_absolute_url(), "/articles/?q=script", "/articles/feed/"]
        pages += [article.get_absolute_url() for article in articles]
        for path in pages:
            page.goto(path)
            page.mouse.move(200, 300)
            assert_nothing_ran(page, events, path)
        log_in(page, "owner")
        admin_pages = ["/admin/articles/article/", "/admin/articles/article/?q=script"]
        for article in articles:
            admin_pages += [
                reverse("admin:articles_article_change", args=[article.pk]),
                reverse("admin:articles_article_history", args=[article.pk]),
                reverse("articles:preview", args=[article.pk]),
            ]
        for path in admin_pages:
            # goto() waits for the load event: the admin's and the editor's
            # scripts (deferred modules included) have run by then.
            page.goto(path)
            assert_nothing_ran(page, events, path)
    finally:
        context.close()


def test_script_payloads_in_every_booking_field_never_run(browser, live_server):
    """Each payload goes into every free-text field of a request, as if a
    visitor had typed it; staff then read them in the admin, and the visitor
    on the thank-you page."""
    from bookings.models import ConsultationRequest
    from bookings.views import thanks_token
    from tests.factories import ConsultationRequestFactory

    UserFactory(username="owner", is_superuser=True, password=PASSWORD)
    text_fields = ["name", "message", "utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content"]
    requests = []
    for number, payload in enumerate(PAYLOADS):
        stored = payload.replace("\x00", "")  # PostgreSQL cannot store NUL; the form refuses it anyway
        requests.append(
            ConsultationRequestFactory(
                email=f"visitor{number}@example.com",
                **{name: stored[:100] if name.startswith("utm") else stored[:120] for name in text_fields},
            )
        )
    ConsultationRequest.objects.filter(pk=requests[0].pk).update(
        message="".join(PAYLOADS).replace("\x00", "")[:1000]
    )
    context, page, events = open_hostile_page(browser, live_server)
    try:
        for consultation in requests[:20]:
            page.goto(reverse("bookings:thanks", args=[thanks_token(consultation)]))
            assert_nothing_ran(page, events, "thank-you page")
        log_in(page, "owner")
        pages = [
            "/admin/",
            "/admin/bookings/consultationrequest/",
            "/admin/bookings/consultationrequest/?q=script",
        ]
        pages += ["/admin/bookings/consultationrequest/?p=1", "/admin/bookings/consultationrequest/?p=2"]
        for consultation in requests:
            pages.append(reverse("admin:bookings_consultationrequest_change", args=[consultation.pk]))
        for consultation in requests[:10]:
            pages.append(reverse("admin:bookings_consultationrequest_history", args=[consultation.pk]))
        for path in pages:
            page.goto(path)
            assert_nothing_ran(page, events, path)
    finally:
        context.close()
