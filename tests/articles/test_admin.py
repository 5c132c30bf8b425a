import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from articles.models import Article, SlugRedirect
from tests.articles.conftest import make_articles
from tests.factories import ArticleFactory, SpecialistFactory, TopicFactory

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:articles_article_changelist")


def changelist_queries(admin_client, **params):
    admin_client.get(CHANGELIST, params)  # the session and profile are settled
    with CaptureQueriesContext(connection) as queries:
        response = admin_client.get(CHANGELIST, params)
    assert response.status_code == 200
    return len(queries)


def test_changelist_query_count_does_not_grow_with_rows(admin_client):
    make_articles(1)
    few = changelist_queries(admin_client)
    make_articles(30)
    assert changelist_queries(admin_client) == few


def test_changelist_shows_review_state_and_schedule(admin_client):
    ArticleFactory(title="Unreviewed piece")
    ArticleFactory(
        title="Overdue piece",
        reviewer=SpecialistFactory(),
        last_reviewed=datetime.date(2024, 1, 1),
        next_review_due=datetime.date(2025, 1, 1),
    )
    ArticleFactory(title="Later piece", publish_at=timezone.now() + datetime.timedelta(days=2))
    page = admin_client.get(CHANGELIST).content.decode()
    assert "Awaiting clinical review" in page
    assert "Review overdue" in page
    assert "Scheduled for" in page


@pytest.mark.parametrize(
    "params",
    [
        {"status__exact": "draft"},
        {"review": "awaiting"},
        {"review": "overdue"},
        {"review": "ok"},
        {"q": "stress"},
        {"publish_at__year": "2026"},
    ],
)
def test_changelist_filters_and_search(admin_client, params):
    make_articles(2)
    assert admin_client.get(CHANGELIST, params).status_code == 200


def test_filter_by_topic_and_reviewer(admin_client):
    topic, reviewer = TopicFactory(), SpecialistFactory()
    wanted = ArticleFactory(title="Wanted", topics=[topic], reviewer=reviewer)
    ArticleFactory(title="Other")
    for params in ({"topics__id__exact": topic.pk}, {"reviewer__id__exact": reviewer.pk}):
        response = admin_client.get(CHANGELIST, params)
        assert list(response.context["cl"].result_list) == [wanted]


def test_add_article_cleans_body_and_adds_main_topic(admin_client):
    topic = TopicFactory(name="Stress", slug="stress")
    now = timezone.localtime()
    response = admin_client.post(
        reverse("admin:articles_article_add"),
        {
            "title": "Stress at work",
            "slug": "stress-at-work",
            "summary": "What helps.",
            "language": "en",
            "body": '<h2 onclick="x()">Signs</h2><p>Text</p><script>alert(1)</script>'
            '<a href="javascript:alert(1)">bad</a>',
            "primary_topic": topic.pk,
            "status": "published",
            "publish_at_0": now.strftime("%Y-%m-%d"),
            "publish_at_1": now.strftime("%H:%M:%S"),
            "publish_without_review_reason": "Reviewer on leave; text from the WHO fact sheet.",
            "hero_image_alt": "",
            "seo_description": "",
            "references-TOTAL_FORMS": "1",
            "references-INITIAL_FORMS": "0",
            "references-0-order": "1",
            "references-0-title": "Stress in the workplace",
            "references-0-publisher": "WHO",
            "references-0-year": "2024",
            "references-0-url": "https://www.who.int/",
            "old_slugs-TOTAL_FORMS": "0",
            "old_slugs-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    article = Article.objects.get(slug="stress-at-work")
    assert article.body == "<h2>Signs</h2><p>Text</p><a>bad</a>"
    assert list(article.topics.all()) == [topic]
    assert article.references.get().title == "Stress in the workplace"
    assert article.history.first().history_user.is_superuser


def test_change_form_has_preview_and_the_editor_csp_hashes(admin_client):
    article = ArticleFactory()
    response = admin_client.get(reverse("admin:articles_article_change", args=[article.pk]))
    page = response.content.decode()
    assert f'href="{article.get_preview_url()}"' in page
    assert 'type="importmap"' in page
    policy = response["Content-Security-Policy"]
    assert "'sha256-" in policy and "unsafe-inline" not in policy


def test_view_on_site_is_the_preview_until_public(admin_client):
    draft = ArticleFactory(status=Article.Status.DRAFT)
    public = ArticleFactory()
    from django.contrib.admin import site

    from articles.admin import ArticleAdmin

    model_admin = ArticleAdmin(Article, site)
    assert model_admin.view_on_site(draft) == draft.get_preview_url()
    assert model_admin.view_on_site(public) == public.get_absolute_url()


def test_history_is_readable_by_staff(admin_client):
    article = ArticleFactory(title="First title")
    article.title = "Second title"
    article.save()
    response = admin_client.get(reverse("admin:articles_article_history", args=[article.pk]))
    assert response.status_code == 200
    assert "Second title" in response.content.decode() or "title" in response.content.decode()


def test_publish_now_action(admin_client):
    draft = ArticleFactory(
        status=Article.Status.DRAFT,
        publish_at=timezone.now() + datetime.timedelta(days=5),
        reviewer=SpecialistFactory(),
        last_reviewed=timezone.localdate(),
    )
    admin_client.post(CHANGELIST, {"action": "publish_now", "_selected_action": [draft.pk]})
    draft.refresh_from_db()
    assert draft.is_public


def test_send_for_review_action(admin_client):
    draft = ArticleFactory(status=Article.Status.DRAFT)
    admin_client.post(CHANGELIST, {"action": "send_for_review", "_selected_action": [draft.pk]})
    draft.refresh_from_db()
    assert draft.status == Article.Status.IN_REVIEW


def test_renaming_in_the_admin_keeps_the_old_address(admin_client, client):
    article = ArticleFactory(slug="old-name")
    article.slug = "new-name"
    article.save()
    assert SlugRedirect.objects.get().old_slug == "old-name"
    assert client.get("/articles/old-name/")["Location"] == "/articles/new-name/"


def test_topic_admin(admin_client):
    TopicFactory()
    assert admin_client.get(reverse("admin:articles_topic_changelist"), {"q": "topic"}).status_code == 200
    assert admin_client.get(reverse("admin:articles_topic_add")).status_code == 200
