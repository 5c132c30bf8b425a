"""Articles in Hindi: each version is an article of its own, reviewed on its
own, linked to the English one; the pages, sitemap and structured data name
both; /hi/ says plainly what is only in English; search works in Hindi."""

import json
import re

import pytest
from django.core.management import call_command
from django.utils import timezone

from articles.models import Article

pytestmark = pytest.mark.django_db

ENGLISH_SLUG = "kiss-and-sex-intimacy-and-mental-health"
HINDI_SLUG = "kiss-aur-sex-antarangta-aur-mansik-swasthya"


@pytest.fixture
def starting_content(clinic_profile):
    call_command("load_starting_content", verbosity=0)
    return Article.objects.get(slug=ENGLISH_SLUG), Article.objects.get(slug=HINDI_SLUG)


@pytest.fixture
def published_hindi(starting_content):
    english, hindi = starting_content
    hindi.publish_now()
    return english, hindi


def json_ld(html):
    return json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)[1])


def test_the_hindi_version_is_loaded_as_a_draft_awaiting_clinical_review(client, starting_content):
    english, hindi = starting_content
    assert hindi.language == "hi" and hindi.translation_of == english
    assert hindi.status == Article.Status.DRAFT and not hindi.is_public
    assert Article.objects.awaiting_review().filter(pk=hindi.pk).exists()
    assert set(hindi.topics.all()) == set(english.topics.all())
    assert "/hi/book/?topic=intimacy&amp;article=" + HINDI_SLUG in hindi.body
    assert client.get(f"/hi/articles/{HINDI_SLUG}/").status_code == 404
    call_command("load_starting_content", verbosity=0)
    assert Article.objects.filter(language="hi").count() == 1


def test_hindi_list_says_plainly_what_is_only_in_english(client, starting_content):
    html = client.get("/hi/articles/").content.decode()
    assert "सिर्फ़ अंग्रेज़ी में" in html
    assert f'<a href="/articles/{ENGLISH_SLUG}/" lang="en" hreflang="en">' in html
    english_list = client.get("/articles/").content.decode()
    assert "सिर्फ़ अंग्रेज़ी" not in english_list


def test_an_english_only_article_under_hi_says_so(client, starting_content):
    response = client.get(f"/hi/articles/{ENGLISH_SLUG}/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "यह लेख अभी सिर्फ़ अंग्रेज़ी में उपलब्ध है।" in html
    assert '<article class="article" aria-labelledby="article-title" lang="en-IN">' in html
    assert f'<link rel="canonical" href="http://testserver/articles/{ENGLISH_SLUG}/">' in html


def test_published_versions_link_each_other(client, published_hindi):
    hindi_html = client.get(f"/hi/articles/{HINDI_SLUG}/").content.decode()
    english_html = client.get(f"/articles/{ENGLISH_SLUG}/").content.decode()
    for html in (hindi_html, english_html):
        assert f'hreflang="en" href="http://testserver/articles/{ENGLISH_SLUG}/"' in html
        assert f'hreflang="hi" href="http://testserver/hi/articles/{HINDI_SLUG}/"' in html
    assert '<html lang="hi">' in hindi_html
    assert f'href="/articles/{ENGLISH_SLUG}/" hreflang="en" lang="en">English</a>' in hindi_html
    assert f'href="/hi/articles/{HINDI_SLUG}/" hreflang="hi" lang="hi">हिन्दी</a>' in english_html
    data = json_ld(hindi_html)
    assert data["inLanguage"] == "hi-IN"
    assert data["translationOfWork"]["url"] == f"http://testserver/articles/{ENGLISH_SLUG}/"
    assert json_ld(english_html)["workTranslation"][0]["inLanguage"] == "hi-IN"
    assert HINDI_SLUG in client.get("/hi/articles/").content.decode()


def test_each_address_leads_to_the_version_in_its_language(client, published_hindi):
    response = client.get(f"/hi/articles/{ENGLISH_SLUG}/")
    assert response.status_code == 302 and response["Location"] == f"/hi/articles/{HINDI_SLUG}/"
    response = client.get(f"/articles/{HINDI_SLUG}/")
    assert response.status_code == 301 and response["Location"] == f"/hi/articles/{HINDI_SLUG}/"


def test_the_sitemap_lists_both_versions_with_alternates(client, published_hindi):
    xml = client.get("/sitemap.xml").content.decode()
    assert f"<loc>http://testserver/hi/articles/{HINDI_SLUG}/</loc>" in xml
    assert xml.count(f'hreflang="hi" href="http://testserver/hi/articles/{HINDI_SLUG}/"') == 2
    assert '<xhtml:link rel="alternate" hreflang="hi" href="http://testserver/hi/about/"/>' in xml


def test_search_works_in_hindi(client, published_hindi):
    html = client.get("/hi/articles/search/", {"q": "अंतरंगता"}).content.decode()
    assert f"/hi/articles/{HINDI_SLUG}/" in html
    assert "1 लेख मिला" in html
    english = client.get("/articles/search/", {"q": "अंतरंगता"}).content.decode()
    assert HINDI_SLUG not in english


def test_a_hindi_version_must_translate_an_english_article(published_hindi):
    from django.core.exceptions import ValidationError

    english, hindi = published_hindi
    other = Article(title="x", slug="x", summary="x", body="<p>x</p>", language="hi", translation_of=hindi)
    with pytest.raises(ValidationError):
        other.clean()
    assert english.publish_at <= timezone.now()
