"""Each public page costs a fixed number of queries, measured with one
article and with fifty (each with topics, references, its own author and
reviewer), on a cache miss (the clinic profile and its opening hours are read on every page made; the list
pages also look for the next scheduled article, which bounds how long a page
may be kept). An article page also looks for its version in the other language;
the Hindi list also names the articles that are only in English."""

import pytest
from django.urls import reverse
from django.utils import translation

from tests.articles.conftest import make_articles

pytestmark = pytest.mark.django_db

BUDGETS = {"list": 7, "topic": 7, "search": 6, "detail": 8, "home": 4, "list_hi": 6, "topic_hi": 6}


def page_urls(articles):
    article = articles[0]
    with translation.override("en"):
        return english_and_hindi_urls(article)


def english_and_hindi_urls(article):
    return {
        "list": reverse("articles:list"),
        "topic": article.topics.first().get_absolute_url(),
        "search": reverse("articles:search") + "?q=stress",
        "detail": article.get_absolute_url(),
        "home": "/",
        "list_hi": "/hi" + reverse("articles:list"),
        "topic_hi": "/hi" + article.topics.first().get_absolute_url(),
    }


@pytest.mark.parametrize("count", [1, 50])
@pytest.mark.parametrize("page", list(BUDGETS))
def test_query_budget(client, clinic_profile, django_assert_num_queries, count, page):
    articles = make_articles(count)
    url = page_urls(articles)[page]
    with django_assert_num_queries(BUDGETS[page]):
        response = client.get(url)
    assert response.status_code == 200


@pytest.mark.parametrize("page", ["list", "topic", "detail", "home"])
def test_a_cache_hit_runs_no_sql(client, clinic_profile, django_assert_num_queries, page):
    url = page_urls(make_articles(3))[page]
    client.get(url)
    with django_assert_num_queries(0):
        response = client.get(url)
    assert response.status_code == 200
