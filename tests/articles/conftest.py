import pytest

from clinic.page_cache import current_version
from tests.factories import ArticleFactory, ReferenceFactory, SpecialistFactory, TopicFactory


@pytest.fixture
def topic(db):
    return TopicFactory(name="Anxiety", slug="anxiety", is_mental_health=True)


@pytest.fixture
def article(db, topic):
    article = ArticleFactory(
        title="Understanding panic attacks",
        slug="understanding-panic-attacks",
        summary="What a panic attack is and what helps.",
        topics=[topic],
        primary_topic=topic,
    )
    ReferenceFactory(article=article, title="Panic disorder", order=1)
    return article


@pytest.fixture
def warm_cache(clinic_profile):
    """The clinic profile and the content version are in the cache, as on a
    running site, so query counts measure the page itself."""

    def warm():
        from clinic.models import ClinicProfile

        ClinicProfile.load()
        current_version()

    warm()
    return warm


def make_articles(count, topics=None):
    """Articles with topics, references and their own authors, as the
    query budgets are measured against."""
    topics = topics or [TopicFactory(), TopicFactory()]
    articles = []
    for _ in range(count):
        article = ArticleFactory(author=SpecialistFactory(), reviewer=SpecialistFactory(), topics=topics)
        ReferenceFactory(article=article)
        ReferenceFactory(article=article)
        articles.append(article)
    return articles
