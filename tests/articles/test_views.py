import datetime
import json
import re
import xml.etree.ElementTree as ET

import pytest
from django.urls import reverse
from django.utils import timezone

from articles.models import Article
from tests.factories import ArticleFactory, ReferenceFactory, SpecialistFactory, TopicFactory, UserFactory

pytestmark = pytest.mark.django_db


def text(response):
    return response.content.decode()


def json_ld(response):
    blocks = re.findall(r'<script type="application/ld\+json">(.*?)</script>', text(response), re.DOTALL)
    assert len(blocks) == 1
    return json.loads(blocks[0])


def meta(response, attr, name):
    match = re.search(rf'<meta {attr}="{re.escape(name)}" content="([^"]*)"', text(response))
    return match.group(1) if match else None


def test_list_is_newest_first_and_paginated(client):
    now = timezone.now()
    for day in range(12):
        ArticleFactory(title=f"Article {day:02d}", publish_at=now - datetime.timedelta(days=day))
    ArticleFactory(title="A draft", status=Article.Status.DRAFT)
    response = client.get(reverse("articles:list"))
    assert response.status_code == 200
    titles = [a.title for a in response.context["articles"]]
    assert titles == [f"Article {day:02d}" for day in range(10)]
    page2 = client.get(reverse("articles:list"), {"page": 2})
    assert [a.title for a in page2.context["articles"]] == ["Article 10", "Article 11"]
    assert "<title>Health articles (page 2)" in text(page2)
    assert client.get(reverse("articles:list"), {"page": 3}).status_code == 404


def test_drafts_and_scheduled_articles_are_not_public(client):
    draft = ArticleFactory(status=Article.Status.DRAFT)
    review = ArticleFactory(status=Article.Status.IN_REVIEW)
    scheduled = ArticleFactory(publish_at=timezone.now() + datetime.timedelta(hours=1))
    for article in (draft, review, scheduled):
        assert client.get(article.get_absolute_url()).status_code == 404
    assert list(client.get(reverse("articles:list")).context["articles"]) == []


def test_topic_page_lists_its_published_articles(client, topic, article):
    other = ArticleFactory(topics=[TopicFactory()])
    response = client.get(topic.get_absolute_url())
    assert response.status_code == 200
    assert list(response.context["articles"]) == [article]
    assert other.title not in text(response)
    assert "<title>Anxiety: articles |" in text(response)
    assert client.get(reverse("articles:topic", kwargs={"slug": "nope"})).status_code == 404


@pytest.mark.parametrize("url_name", ["articles:list", "articles:search"])
def test_search(client, article, url_name):
    ArticleFactory(title="Sleep and mood", summary="Rest.", body="<p>Nights.</p>")
    response = client.get(reverse(url_name), {"q": "panic"})
    assert list(response.context["articles"]) == [article]
    assert "1 article found" in text(response)
    assert meta(response, "name", "robots") == "noindex, follow"
    empty = client.get(reverse(url_name), {"q": "zzzz"})
    assert list(empty.context["articles"]) == []
    assert "0 articles found" in text(empty)


def test_detail_shows_everything_a_reader_needs(client, topic, article):
    response = client.get(article.get_absolute_url())
    page = text(response)
    assert response.status_code == 200
    assert '<h1 id="article-title" class="article__title">Understanding panic attacks</h1>' in page
    assert article.summary in page
    assert "1 min read" in page
    assert article.author.name in page and article.author.credentials in page
    assert "Medically reviewed by" not in page
    assert '<h2 id="what-stress-is">What stress is</h2>' in page
    assert 'href="#what-stress-is"' in page
    assert "Panic disorder" in page  # the reference
    assert 'aria-label="Breadcrumb"' in page and f'href="{topic.get_absolute_url()}"' in page
    book = f"/book/?topic=anxiety&amp;article={article.slug}"
    assert f'href="{book}">Talk to our specialists</a>' in page
    assert f'href="{book}">Book a consultation</a>' in page
    assert "If you need help right now" in page  # anxiety is a mental-health topic
    assert '<meta name="robots"' not in page


def test_review_badge_only_with_reviewer_and_date(client, article):
    reviewer = SpecialistFactory(name="Dr Meera Iyer", credentials="MD Psychiatry")
    article.reviewer = reviewer
    article.save()
    assert "Medically reviewed by" not in text(client.get(article.get_absolute_url()))
    article.last_reviewed = datetime.date(2026, 10, 5)
    article.save()
    page = text(client.get(article.get_absolute_url()))
    assert "Medically reviewed by" in page
    assert 'Dr Meera Iyer</a>, MD Psychiatry on <time datetime="2026-10-05">5 October 2026</time>' in page


def test_no_helplines_on_articles_without_a_mental_health_topic(client):
    article = ArticleFactory(topics=[TopicFactory(is_mental_health=False)])
    assert "If you need help right now" not in text(client.get(article.get_absolute_url()))


def test_related_articles_share_topics(client, topic, article):
    related = ArticleFactory(title="Breathing through panic", topics=[topic])
    unrelated = ArticleFactory(title="Unrelated piece", topics=[TopicFactory()])
    ArticleFactory(title="Hidden draft", topics=[topic], status=Article.Status.DRAFT)
    response = client.get(article.get_absolute_url())
    assert response.context["related_articles"] == [related]
    assert unrelated.title not in text(response)


def test_old_slug_answers_with_a_permanent_redirect(client, article):
    old_url = article.get_absolute_url()
    article.slug = "panic-attacks-explained"
    article.save()
    response = client.get(old_url)
    assert response.status_code == 301
    assert response["Location"] == "/articles/panic-attacks-explained/"
    assert client.get(response["Location"]).status_code == 200


def test_preview_is_for_staff_only(client, article):
    article.status = Article.Status.DRAFT
    article.save()
    url = article.get_preview_url()
    anonymous = client.get(url)
    assert anonymous.status_code == 302 and "/login/" in anonymous["Location"]
    client.force_login(UserFactory(username="visitor", is_staff=False))
    assert client.get(url).status_code == 403
    client.force_login(UserFactory(username="reception"))  # staff without article permissions
    assert client.get(url).status_code == 403


def test_preview_shows_a_draft_as_the_public_page_with_noindex(admin_client, article):
    article.status = Article.Status.DRAFT
    article.save()
    response = admin_client.get(article.get_preview_url())
    page = text(response)
    assert response.status_code == 200
    assert "<strong>Preview</strong>" in page
    assert '<meta name="robots" content="noindex, nofollow">' in page
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    assert article.summary in page


def test_noindex_article_has_robots_meta_and_is_left_out_of_the_sitemap(client, article):
    article.noindex = True
    article.save()
    assert meta(client.get(article.get_absolute_url()), "name", "robots") == "noindex"
    assert article.slug not in text(client.get("/sitemap.xml"))


def test_json_ld_describes_a_reviewed_medical_page(client, topic, article):
    article.reviewer = SpecialistFactory(name="Dr Meera Iyer")
    article.last_reviewed = datetime.date(2026, 10, 5)
    article.save()
    data = json_ld(client.get(article.get_absolute_url()))
    assert data["@context"] == "https://schema.org"
    assert data["@type"] == "MedicalWebPage"
    assert data["about"] == [{"@type": "MedicalCondition", "name": "Anxiety"}]
    assert data["author"]["name"] == article.author.name
    assert data["reviewedBy"]["name"] == "Dr Meera Iyer"
    assert data["lastReviewed"] == "2026-10-05"
    assert data["citation"][0]["name"] == "Panic disorder"
    assert data["publisher"]["@type"] == "MedicalClinic"
    assert data["publisher"]["name"] == "Gurgaon Mind & Wellness Clinic"


def test_json_ld_cannot_break_out_of_its_script(client):
    article = ArticleFactory(title="</script><script>alert(1)</script>")
    response = client.get(article.get_absolute_url())
    assert "<script>alert(1)" not in text(response)
    assert json_ld(response)["headline"] == "</script><script>alert(1)</script>"


def test_unreviewed_article_json_ld_makes_no_review_claim(client):
    data = json_ld(client.get(ArticleFactory(author=None).get_absolute_url()))
    assert "reviewedBy" not in data and "lastReviewed" not in data
    assert data["author"]["@type"] == "MedicalClinic"


def test_open_graph_and_twitter_tags(client, article):
    response = client.get(article.get_absolute_url())
    assert meta(response, "property", "og:type") == "article"
    assert meta(response, "property", "og:title") == article.title
    assert meta(response, "property", "og:description") == article.summary
    assert meta(response, "property", "og:url") == f"http://testserver{article.get_absolute_url()}"
    assert meta(response, "name", "twitter:card") == "summary"
    assert meta(response, "name", "twitter:title") == article.title
    assert f'<link rel="canonical" href="http://testserver{article.get_absolute_url()}">' in text(response)
    listing = client.get(reverse("articles:list"))
    assert meta(listing, "property", "og:title") == "Health articles"


def test_every_public_page_has_its_own_title_and_description(client, topic, article):
    urls = [reverse("articles:list"), topic.get_absolute_url(), article.get_absolute_url(), "/"]
    titles, descriptions = set(), set()
    for url in urls:
        page = text(client.get(url))
        titles.add(re.search(r"<title>(.*?)</title>", page).group(1))
        descriptions.add(re.search(r'<meta name="description" content="([^"]*)"', page).group(1))
    assert len(titles) == len(urls) and len(descriptions) == len(urls)


def test_feed_lists_published_articles(client, article):
    ArticleFactory(title="Secret draft", status=Article.Status.DRAFT)
    response = client.get(reverse("articles:feed"))
    assert response.status_code == 200
    root = ET.fromstring(response.content)  # noqa: S314 - our own feed
    items = root.findall("./channel/item")
    assert [item.findtext("title") for item in items] == [article.title]
    assert items[0].findtext("link") == f"http://testserver{article.get_absolute_url()}"
    assert items[0].findtext("description") == article.summary


def test_sitemap_lists_articles_topics_pages_and_specialists(client, topic, article):
    empty_topic = TopicFactory(slug="no-articles-yet")
    specialist = SpecialistFactory()
    ArticleFactory(slug="a-draft", status=Article.Status.DRAFT, topics=[empty_topic])
    response = client.get("/sitemap.xml")
    assert response.status_code == 200
    namespace = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    locations = {loc.text for loc in ET.fromstring(response.content).findall("./s:url/s:loc", namespace)}  # noqa: S314
    base = "http://testserver"
    assert base + article.get_absolute_url() in locations
    assert base + topic.get_absolute_url() in locations
    assert base + empty_topic.get_absolute_url() not in locations
    assert base + "/articles/a-draft/" not in locations
    assert base + specialist.get_absolute_url() in locations
    assert base + "/about/" in locations
    assert "Sitemap: http://testserver/sitemap.xml" in text(client.get("/robots.txt"))


def test_home_shows_the_latest_articles(client, article):
    ArticleFactory(title="Not yet", publish_at=timezone.now() + datetime.timedelta(days=1))
    page = text(client.get("/"))
    assert "From our articles" in page and article.title in page
    assert "Not yet" not in page


def test_references_are_listed_in_order(client, article):
    ReferenceFactory(article=article, title="First source", order=0)
    page = text(client.get(article.get_absolute_url()))
    assert page.index("First source") < page.index("Panic disorder")


@pytest.mark.parametrize(
    "path",
    ["/articles/search/?q=%00", "/articles/?q=a%00b", "/hi/articles/search/?q=%00", "/hi/articles/?q=a%00b"],
)
def test_a_nul_byte_in_a_search_is_never_a_500(client, clinic_profile, path):
    # PostgreSQL refuses NUL in any string (CI runs this there too).
    ArticleFactory(title="Anxiety at work")
    assert client.get(path).status_code == 200
