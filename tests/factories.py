"""factory_boy factories shared by the whole suite."""

from datetime import time

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from articles.models import Article, Reference, Topic
from bookings.models import generate_reference
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


# ---- Bookings ----


def next_open_day(days_ahead=3):
    """A date the clinic is open, comfortably past the minimum notice."""
    from clinic.models import ClinicProfile

    open_days = ClinicProfile.load().open_weekday_numbers or set(range(7))
    day = timezone.localdate() + timezone.timedelta(days=days_ahead)
    while day.weekday() not in open_days:
        day += timezone.timedelta(days=1)
    return day


class ConsultationRequestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "bookings.ConsultationRequest"

    reference = factory.LazyFunction(generate_reference)
    submission_key = factory.Sequence(lambda n: f"factory-key-{n}")
    name = factory.Sequence(lambda n: f"Visitor {n}")
    email = factory.Sequence(lambda n: f"visitor{n}@example.com")
    # Each visitor their own number: one time is held per email or phone.
    phone = factory.Sequence(lambda n: f"+9198110{n % 100000:05d}")
    contact_by_email = True
    contact_by_phone = True
    concern = factory.SubFactory(TopicFactory)
    message = ""
    mode = "in_clinic"
    window1_date = factory.LazyFunction(next_open_day)
    window1_part = "morning"
    who_for = "adult"
    safe_now = "yes"
    urgent = factory.LazyAttribute(lambda o: o.safe_now == "no")
    consent_notice_version = "2026-11-01"
    consented_at = factory.LazyFunction(timezone.now)


class InternalNoteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "bookings.InternalNote"

    consultation = factory.SubFactory(ConsultationRequestFactory)
    author = factory.SubFactory(UserFactory)
    text = "Called, no answer; will try again after 4 pm."


class AppointmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "bookings.Appointment"

    consultation = factory.SubFactory(ConsultationRequestFactory)
    specialist = factory.SubFactory(SpecialistFactory)
    start = factory.LazyFunction(lambda: timezone.now() + timezone.timedelta(hours=1))
    end = factory.LazyAttribute(lambda o: o.start + timezone.timedelta(minutes=50))


# ---- Appointments, working time, outgoing email ----


class WorkingHoursFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "bookings.WorkingHours"

    specialist = factory.SubFactory(SpecialistFactory)
    weekday = 0
    start = time(10)
    end = time(18)


class DayOffFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "bookings.DayOff"

    specialist = factory.SubFactory(SpecialistFactory)
    date = factory.LazyFunction(lambda: timezone.localdate() + timezone.timedelta(days=7))
    reason = "Conference"


def specialist_working_every_day(**kwargs):
    """A specialist who works 10:00 to 18:00, clinic time, every day."""
    specialist = SpecialistFactory(**kwargs)
    for weekday in range(7):
        WorkingHoursFactory(specialist=specialist, weekday=weekday)
    return specialist


def clinic_time(days_ahead=2, hour=11, minute=0):
    """An aware datetime `days_ahead` days from today at hour:minute, clinic time."""
    day = timezone.localdate() + timezone.timedelta(days=days_ahead)
    return timezone.make_aware(timezone.datetime(day.year, day.month, day.day, hour, minute))


class OutgoingMessageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "messaging.OutgoingMessage"

    kind = "acknowledgement"
    consultation = factory.SubFactory(ConsultationRequestFactory)
