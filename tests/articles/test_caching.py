import datetime

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from clinic.models import ClinicProfile
from clinic.page_cache import VERSION_KEY
from tests.factories import ArticleFactory, ReferenceFactory, SpecialistFactory, TopicFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _profile_exists(clinic_profile):
    # On a fresh database the first page creates the profile, which (rightly)
    # starts a new content version; a running site has it already.
    return clinic_profile


def test_anonymous_pages_are_cached_with_an_etag_and_answer_304(client, article):
    first = client.get(article.get_absolute_url())
    assert first["X-Page-Cache"] == "miss"
    etag = first["ETag"]
    assert etag
    assert "must-revalidate" in first["Cache-Control"]
    second = client.get(article.get_absolute_url())
    assert second["X-Page-Cache"] == "hit"
    assert second.content == first.content
    assert second["ETag"] == etag
    not_modified = client.get(article.get_absolute_url(), headers={"if-none-match": etag})
    assert not_modified.status_code == 304
    assert not_modified.content == b""


def test_a_conditional_request_on_a_miss_also_gets_304(client, article):
    etag = client.get(article.get_absolute_url())["ETag"]
    cache.clear()
    assert client.get(article.get_absolute_url(), headers={"if-none-match": etag}).status_code == 304


def test_a_published_edit_shows_at_once(client, article):
    client.get(article.get_absolute_url())
    client.get(reverse("articles:list"))
    article.title = "Panic attacks: what helps"
    article.save()
    detail = client.get(article.get_absolute_url())
    assert detail["X-Page-Cache"] == "miss"
    assert "Panic attacks: what helps" in detail.content.decode()
    assert "Panic attacks: what helps" in client.get(reverse("articles:list")).content.decode()


@pytest.mark.parametrize(
    "change",
    [
        lambda article: article.topics.add(TopicFactory()),
        lambda article: TopicFactory(),
        lambda article: ReferenceFactory(article=article),
        lambda article: article.references.all().delete(),
        lambda article: SpecialistFactory(),
        lambda article: ClinicProfile.load().save(),
        lambda article: ArticleFactory(),
    ],
    ids=["topics", "topic", "reference", "reference-deleted", "specialist", "clinic-profile", "new-article"],
)
def test_content_changes_invalidate_the_cache(client, article, change):
    client.get(article.get_absolute_url())
    assert client.get(article.get_absolute_url())["X-Page-Cache"] == "hit"
    change(article)
    assert client.get(article.get_absolute_url())["X-Page-Cache"] == "miss"


def test_a_scheduled_article_appears_on_time_despite_the_cache(client, article):
    scheduled = ArticleFactory(title="Coming soon", publish_at=timezone.now() + datetime.timedelta(hours=1))
    assert "Coming soon" not in client.get(reverse("articles:list")).content.decode()
    assert client.get(reverse("articles:list"))["X-Page-Cache"] == "hit"
    # Time passes (moved here by editing the row behind the cache's back).
    type(scheduled).objects.filter(pk=scheduled.pk).update(
        publish_at=timezone.now() - datetime.timedelta(seconds=1)
    )
    version = cache.get(VERSION_KEY)
    cache.set(VERSION_KEY, {**version, "next_change": timezone.now().timestamp() - 1}, None)
    assert "Coming soon" in client.get(reverse("articles:list")).content.decode()


def test_staff_neither_read_nor_fill_the_shared_cache(client, admin_client, article):
    admin_client.get(article.get_absolute_url())
    assert client.get(article.get_absolute_url())["X-Page-Cache"] == "miss"
    assert "X-Page-Cache" not in admin_client.get(article.get_absolute_url())


def test_requests_with_a_pending_message_or_unknown_parameters_bypass_the_cache(client, article):
    client.cookies["messages"] = "something"
    assert "X-Page-Cache" not in client.get(article.get_absolute_url())
    del client.cookies["messages"]
    assert "X-Page-Cache" not in client.get(article.get_absolute_url() + "?utm_source=x")
    assert "X-Page-Cache" not in client.get(reverse("articles:list") + "?q=panic")


def test_errors_and_redirects_are_not_cached(client, article):
    assert client.get("/articles/no-such-article/").status_code == 404
    ArticleFactory(slug="no-such-article")
    assert client.get("/articles/no-such-article/").status_code == 200


def test_home_is_cached_and_invalidated(client, article):
    client.get("/")
    assert client.get("/")["X-Page-Cache"] == "hit"
    ArticleFactory(title="A brand new article")
    home = client.get("/")
    assert home["X-Page-Cache"] == "miss" and "A brand new article" in home.content.decode()


def test_a_new_release_starts_new_cache_keys(client, article, settings):
    from clinic.page_cache import build_token

    client.get(article.get_absolute_url())
    assert client.get(article.get_absolute_url())["X-Page-Cache"] == "hit"
    settings.PAGE_CACHE_BUILD = "next-release"
    build_token.cache_clear()
    try:
        assert client.get(article.get_absolute_url())["X-Page-Cache"] == "miss"
    finally:
        build_token.cache_clear()


def test_topic_page_offers_booking_for_that_topic(client, topic, article):
    assert 'href="/book/?topic=anxiety"' in client.get(topic.get_absolute_url()).content.decode()


def test_a_hit_carries_the_headers_the_page_was_made_with(client, article):
    # A hit is answered before CSP, Permissions-Policy and the rest run; the
    # stored page keeps what they added, and nothing personal.
    miss = client.get(article.get_absolute_url())
    hit = client.get(article.get_absolute_url())
    assert hit["X-Page-Cache"] == "hit"
    for header in (
        "Content-Security-Policy",
        "Permissions-Policy",
        "X-Frame-Options",
        "Referrer-Policy",
        "X-Content-Type-Options",
        "Cross-Origin-Opener-Policy",
        "Content-Type",
        "Cache-Control",
        "Vary",
        "ETag",
    ):
        assert hit[header] == miss[header], header
    assert "default-src 'none'" in hit["Content-Security-Policy"]
    assert not hit.cookies


@pytest.mark.urls("tests.articles.page_cache_urls")
def test_a_page_that_sets_a_cookie_is_never_stored(client):
    # A public page holding a form gets a CSRF cookie from the middleware
    # inside the page cache: it must reach each visitor fresh.
    first = client.get("/with-form/")
    second = client.get("/with-form/")
    assert "csrftoken" in first.cookies and "csrftoken" in second.cookies
    assert second.get("X-Page-Cache") is None


def test_a_release_with_changed_templates_starts_new_cache_keys(settings, tmp_path):
    from clinic.page_cache import build_token

    (tmp_path / "templates").mkdir()
    page = tmp_path / "templates" / "page.html"
    page.write_text("<p>Version one</p>")
    settings.BASE_DIR = tmp_path
    build_token.cache_clear()
    try:
        first = build_token()
        page.write_text("<p>Version two</p>")
        build_token.cache_clear()
        assert build_token() != first
    finally:
        build_token.cache_clear()


def test_http_and_https_pages_are_kept_apart(client, article):
    client.get(article.get_absolute_url())
    secure = client.get(article.get_absolute_url(), secure=True)
    assert secure["X-Page-Cache"] == "miss"
    assert (
        f'<link rel="canonical" href="https://testserver{article.get_absolute_url()}">'
        in secure.content.decode()
    )
