"""Public pages come from Django's cache framework ("pages" cache): a hit runs
no SQL, a saved change empties the cache, and no page outlives the next
scheduled publication."""

import datetime
import time

import pytest
from django.db import connection
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.test.utils import CaptureQueriesContext
from django.urls import path, reverse
from django.utils import timezone

from articles.models import Article
from clinic.caching import public_page
from clinic.models import ClinicProfile
from tests.factories import ArticleFactory, ReferenceFactory, SpecialistFactory, TopicFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _profile_exists(clinic_profile):
    return clinic_profile


def queries_for(client, url, **kwargs):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, **kwargs)
    assert response.status_code in (200, 304)
    return len(queries)


def test_anonymous_pages_are_cached_with_an_etag_and_answer_304(client, article):
    first = client.get(article.get_absolute_url())
    assert first["Cache-Control"] == "public, max-age=30"
    assert "Cookie" in first["Vary"]
    etag = first["ETag"]
    assert queries_for(client, article.get_absolute_url()) == 0
    second = client.get(article.get_absolute_url())
    assert second.content == first.content and second["ETag"] == etag
    not_modified = client.get(article.get_absolute_url(), headers={"if-none-match": etag})
    assert not_modified.status_code == 304
    assert not_modified.content == b""


def test_a_saved_edit_shows_on_the_next_request(client, article):
    client.get(article.get_absolute_url())
    client.get(reverse("articles:list"))
    article.title = "Panic attacks: what helps"
    article.save()
    assert "Panic attacks: what helps" in client.get(article.get_absolute_url()).content.decode()
    assert "Panic attacks: what helps" in client.get(reverse("articles:list")).content.decode()


def test_a_change_made_behind_the_cache_is_not_seen_until_the_cache_is_emptied(client, article):
    # Shows that the page above really came from the cache.
    client.get(article.get_absolute_url())
    Article.objects.filter(pk=article.pk).update(title="Changed without saving")
    assert "Changed without saving" not in client.get(article.get_absolute_url()).content.decode()


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
def test_content_changes_empty_the_cache(client, article, change):
    client.get(article.get_absolute_url())
    assert queries_for(client, article.get_absolute_url()) == 0
    change(article)
    assert queries_for(client, article.get_absolute_url()) > 0


def test_no_page_is_kept_past_the_next_scheduled_publication(client, article):
    publish_at = timezone.now() + datetime.timedelta(seconds=1.5)
    ArticleFactory(title="Coming soon", publish_at=publish_at)
    listing = client.get(reverse("articles:list"))
    assert "Coming soon" not in listing.content.decode()
    assert listing["Cache-Control"] == "public, max-age=2"
    time.sleep(max(0, (publish_at - timezone.now()).total_seconds()) + 0.6)
    assert "Coming soon" in client.get(reverse("articles:list")).content.decode()


def test_signed_in_staff_get_fresh_pages_that_nobody_keeps(client, admin_client, article):
    client.get(article.get_absolute_url())
    Article.objects.filter(pk=article.pk).update(title="Changed without saving")
    staff_page = admin_client.get(article.get_absolute_url())
    assert "Changed without saving" in staff_page.content.decode()
    assert "no-store" in staff_page["Cache-Control"] and "private" in staff_page["Cache-Control"]
    Article.objects.filter(pk=article.pk).update(title="Changed again")
    assert "Changed again" in admin_client.get(article.get_absolute_url()).content.decode()


def test_errors_and_redirects_are_not_cached(client, article):
    assert client.get("/articles/no-such-article/").status_code == 404
    ArticleFactory(slug="no-such-article")
    assert client.get("/articles/no-such-article/").status_code == 200


def test_home_is_cached_and_emptied_by_a_new_article(client, article):
    client.get("/")
    assert queries_for(client, "/") == 0
    ArticleFactory(title="A brand new article")
    assert "A brand new article" in client.get("/").content.decode()


def test_a_cached_page_keeps_its_security_headers(client, article):
    miss = client.get(article.get_absolute_url())
    hit = client.get(article.get_absolute_url())
    for header in (
        "Content-Security-Policy",
        "Permissions-Policy",
        "X-Frame-Options",
        "Referrer-Policy",
        "X-Content-Type-Options",
        "Cross-Origin-Opener-Policy",
        "Content-Type",
        "Vary",
        "ETag",
    ):
        assert hit[header] == miss[header], header
    assert "default-src 'none'" in hit["Content-Security-Policy"]
    assert not hit.cookies


@public_page
def page_with_form(request):
    return HttpResponse(
        f'<form method="post"><input name="csrfmiddlewaretoken" value="{get_token(request)}"></form>'
    )


urlpatterns = [path("with-form/", page_with_form)]


@pytest.mark.urls(__name__)
def test_a_page_that_sets_a_cookie_is_never_stored(client):
    first = client.get("/with-form/")
    client.cookies.clear()
    second = client.get("/with-form/")
    assert "csrftoken" in first.cookies and "csrftoken" in second.cookies
    assert first.content != second.content


@pytest.mark.parametrize("path", ["/book/", "/admin/login/"])
def test_private_pages_are_never_stored(client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert {"private", "no-store", "max-age=0"} <= {
        part.strip() for part in response["Cache-Control"].split(",")
    }


def test_links_in_pages_come_from_site_url_whatever_the_host(client, article, settings):
    settings.ALLOWED_HOSTS = ["testserver", "evil.example"]
    page = client.get(article.get_absolute_url(), HTTP_HOST="evil.example:8443", secure=True).content.decode()
    assert f'<link rel="canonical" href="http://testserver{article.get_absolute_url()}">' in page
    assert "evil.example" not in page


def test_other_host_spellings_are_sent_to_site_url_and_never_cached(client, article, settings):
    settings.REDIRECT_TO_SITE_URL = True
    for host in ("testserver:8080", "testserver:1", "TESTSERVER"):
        response = client.get(article.get_absolute_url(), HTTP_HOST=host)
        assert response.status_code == 301
        assert response["Location"] == f"http://testserver{article.get_absolute_url()}"
    assert client.get("/healthz", HTTP_HOST="localhost:9000").status_code == 200


@pytest.mark.parametrize(
    ("asked", "canonical"),
    [("?page=01", "?page=1"), ("?page=001", "?page=1"), ("?page=02", "?page=2"), ("?page=x", "")],
)
def test_each_page_of_a_list_has_one_address(client, asked, canonical):
    for _ in range(11):
        ArticleFactory()
    response = client.get(reverse("articles:list") + asked)
    assert response.status_code == 301
    expected = reverse("articles:list") + ("" if canonical == "?page=1" else canonical)
    assert response["Location"] == expected
    assert client.get(reverse("articles:list") + "?page=2").status_code == 200


def test_page_cache_seconds_zero_turns_caching_off(client, article, settings):
    settings.PAGE_CACHE_SECONDS = 0
    first = client.get(article.get_absolute_url())
    assert "max-age=0" in first["Cache-Control"]
    assert queries_for(client, article.get_absolute_url()) > 0
