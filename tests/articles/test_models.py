import datetime

import pytest
from django.db import connection
from django.utils import timezone

from articles.models import Article, SlugRedirect
from tests.factories import ArticleFactory, SpecialistFactory, TopicFactory

pytestmark = pytest.mark.django_db


def test_published_is_published_status_with_its_time_come():
    now = timezone.now()
    visible = ArticleFactory(publish_at=now - datetime.timedelta(minutes=1))
    ArticleFactory(status=Article.Status.DRAFT)
    ArticleFactory(status=Article.Status.IN_REVIEW)
    ArticleFactory(publish_at=now + datetime.timedelta(minutes=1))
    assert list(Article.objects.published()) == [visible]


def test_a_scheduled_article_appears_when_its_time_comes_without_a_job():
    article = ArticleFactory(publish_at=timezone.now() + datetime.timedelta(seconds=1))
    assert not Article.objects.published().exists()
    assert article.is_scheduled
    Article.objects.filter(pk=article.pk).update(publish_at=timezone.now() - datetime.timedelta(seconds=1))
    assert list(Article.objects.published()) == [article]


def test_awaiting_review_and_review_overdue():
    reviewer = SpecialistFactory()
    unreviewed = ArticleFactory()
    reviewed = ArticleFactory(
        reviewer=reviewer, last_reviewed=datetime.date(2026, 1, 1), next_review_due=datetime.date(2099, 1, 1)
    )
    overdue = ArticleFactory(
        reviewer=reviewer, last_reviewed=datetime.date(2024, 1, 1), next_review_due=datetime.date(2025, 1, 1)
    )
    assert set(Article.objects.awaiting_review()) == {unreviewed}
    assert set(Article.objects.review_overdue()) == {overdue}
    assert reviewed.is_reviewed and not reviewed.review_overdue
    assert overdue.review_overdue


def test_changing_a_published_slug_records_the_old_one():
    article = ArticleFactory(slug="first-name")
    article.slug = "second-name"
    article.save()
    article.slug = "third-name"
    article.save()
    assert set(SlugRedirect.objects.values_list("old_slug", flat=True)) == {"first-name", "second-name"}
    # Going back to an old name drops that redirect instead of looping.
    article.slug = "first-name"
    article.save()
    assert set(SlugRedirect.objects.values_list("old_slug", flat=True)) == {"second-name", "third-name"}


def test_a_draft_renamed_leaves_no_redirect():
    article = ArticleFactory(slug="draft-one", status=Article.Status.DRAFT)
    article.slug = "draft-two"
    article.save()
    assert not SlugRedirect.objects.exists()


def test_publish_now_records_history():
    article = ArticleFactory(
        status=Article.Status.DRAFT, publish_at=timezone.now() + datetime.timedelta(days=3)
    )
    Article.objects.filter(pk=article.pk).publish_now()
    article.refresh_from_db()
    assert article.is_public
    assert article.history.first().status == Article.Status.PUBLISHED


def test_history_keeps_every_change():
    article = ArticleFactory(title="Old title")
    article.title = "New title"
    article.save()
    latest, first = article.history.all()[:2]
    delta = latest.diff_against(first)
    assert [change.field for change in delta.changes] == ["title"]


def test_main_topic_falls_back_to_the_first_topic():
    anxiety, stress = TopicFactory(name="Anxiety", slug="anxiety"), TopicFactory(name="Stress", slug="stress")
    article = ArticleFactory(topics=[stress, anxiety])
    assert article.main_topic == anxiety
    article.primary_topic = stress
    assert article.main_topic == stress
    assert article.booking_url == f"/book/?topic=stress&article={article.slug}"


def test_meta_description_falls_back_to_the_summary():
    article = ArticleFactory(summary="word " * 60)
    assert len(article.meta_description) <= 160
    article.seo_description = "Short and clear."
    assert article.meta_description == "Short and clear."


def test_reading_time_counts_the_body():
    article = ArticleFactory(body="<p>" + "word " * 1000 + "</p>")
    assert article.reading_minutes == 5


def test_search_finds_words_in_title_summary_and_body():
    sleep = ArticleFactory(title="Sleep and mood", summary="Rest.", body="<p>Nights.</p>")
    panic = ArticleFactory(title="Panic", summary="Sudden fear.", body="<p>Breathing slowly helps.</p>")
    ArticleFactory(title="Other", summary="Other.", body="<p>Other.</p>")
    assert list(Article.objects.published().search("sleep")) == [sleep]
    assert list(Article.objects.published().search("breathing")) == [panic]
    assert list(Article.objects.published().search("")) == []


@pytest.mark.skipif(connection.vendor != "postgresql", reason="full-text search is PostgreSQL's")
def test_postgresql_search_ranks_title_matches_first_and_stems_words():
    in_body = ArticleFactory(title="Everyday wellbeing", summary="Habits.", body="<p>Worry about sleep.</p>")
    in_title = ArticleFactory(title="Worries at night", summary="When worry keeps you up.", body="<p>x</p>")
    results = list(Article.objects.published().search("worrying"))
    assert results == [in_title, in_body]


def test_an_image_needs_alt_text_and_a_review_date_needs_a_reviewer():
    from django.core.exceptions import ValidationError

    article = ArticleFactory.build(
        hero_image="articles/room.jpg", hero_image_alt=" ", last_reviewed=datetime.date.today()
    )
    with pytest.raises(ValidationError) as error:
        article.clean()
    assert "hero_image_alt" in error.value.message_dict
    article.hero_image_alt = "A quiet consulting room"
    with pytest.raises(ValidationError) as error:
        article.clean()
    assert "reviewer" in error.value.message_dict
