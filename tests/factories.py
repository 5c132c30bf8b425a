"""factory_boy factories shared by the whole suite."""

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from articles.models import Article, Reference, Topic
from clinic.models import Specialist


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]

    username = factory.Sequence(lambda n: f"staff{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@clinic.example")
    password = factory.django.Password("a-long-test-password")
    is_staff = True


class SpecialistFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Specialist

    name = factory.Sequence(lambda n: f"Dr Asha Mehra {n}")
    title = "Clinical Psychologist"
    credentials = "M.Phil Clinical Psychology"
    registration_number = factory.Sequence(lambda n: f"RCI A{n:05d}")
    bio = "Works with adults and couples on anxiety, mood and relationships."
    languages = "English, Hindi"


class TopicFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Topic
        django_get_or_create = ["slug"]

    name = factory.Sequence(lambda n: f"Topic {n}")
    slug = factory.Sequence(lambda n: f"topic-{n}")
    description = "Articles on this topic."


class ArticleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Article
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Understanding stress, part {n}")
    slug = factory.Sequence(lambda n: f"understanding-stress-{n}")
    summary = "What stress does to body and mind, and what helps."
    body = "<h2>What stress is</h2><p>Stress is the body's response to pressure.</p><ul><li>Sleep</li></ul>"
    status = Article.Status.PUBLISHED
    publish_at = factory.LazyFunction(lambda: timezone.now() - timezone.timedelta(days=1))
    author = factory.SubFactory(SpecialistFactory)

    @factory.post_generation
    def topics(self, create, extracted, **kwargs):
        if create and extracted:
            self.topics.set(extracted)


class ReferenceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Reference

    article = factory.SubFactory(ArticleFactory)
    title = "Stress and health"
    publisher = "World Health Organization"
    year = 2023
    url = "https://www.who.int/news-room/questions-and-answers/item/stress"
