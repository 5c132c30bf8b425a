import pytest

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
