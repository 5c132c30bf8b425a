from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape

from articles.content import convert_text
from articles.links import booking_url
from articles.models import Article, SlugRedirect, Topic

CONTENT_DIR = Path(settings.BASE_DIR) / "content" / "articles"

TOPICS = [
    (
        "intimacy",
        "Intimacy",
        "How closeness, touch and affection shape mood, stress and self-esteem, and what to do when "
        "intimacy feels difficult.",
    ),
    (
        "relationships",
        "Relationships",
        "Communication, trust and conflict in couples and families, and how relationships and mental "
        "health affect each other.",
    ),
    (
        "anxiety",
        "Anxiety",
        "Worry, panic and nervousness: what anxiety is, how it shows up in daily life, and the "
        "treatments that help.",
    ),
    (
        "depression",
        "Depression",
        "Low mood, loss of interest and exhaustion: recognising depression and finding the right "
        "support and treatment.",
    ),
    (
        "stress",
        "Stress",
        "Pressure at work and at home, what it does to body and mind, and practical ways to manage it.",
    ),
    (
        "sexual-wellness",
        "Sexual wellness",
        "Sexual health and wellbeing, discussed openly and without judgement, and where to find "
        "confidential help.",
    ),
]

# The client's article, its topics (the main one first) and the phrases in it
# that become links into the site.
STARTING_ARTICLES = [
    {
        "file": "kiss-and-sex-intimacy-and-mental-health.txt",
        "slug": "kiss-and-sex-intimacy-and-mental-health",
        "topics": ["intimacy", "relationships", "sexual-wellness", "anxiety", "depression", "stress"],
    },
]

# Hindi versions: the title, the summary, then the body as HTML ({book_url} and
# {about_url} are filled in). Loaded as drafts: a clinician reviews each
# version before it is published, as for the English one.
HINDI_ARTICLES = [
    {
        "file": "hi/kiss-and-sex-intimacy-and-mental-health.html",
        "slug": "kiss-aur-sex-antarangta-aur-mansik-swasthya",
        "translation_of": "kiss-and-sex-intimacy-and-mental-health",
    },
]


class Command(BaseCommand):
    help = (
        "Create the starting topics and the client's first article, published. Safe to run again: "
        "nothing is duplicated and nothing staff have edited is overwritten."
    )

    @transaction.atomic
    def handle(self, *args, **options):
        topics = {}
        for slug, name, description in TOPICS:
            topic, created = Topic.objects.get_or_create(
                slug=slug, defaults={"name": name, "description": description}
            )
            topics[slug] = topic
            if created:
                self.stdout.write(f"Topic created: {name}")

        for spec in STARTING_ARTICLES:
            slug = spec["slug"]
            # An article renamed by staff keeps its old slug as a redirect.
            if (
                Article.objects.filter(slug=slug).exists()
                or SlugRedirect.objects.filter(old_slug=slug).exists()
            ):
                self.stdout.write(f"Article already there, left as it is: {slug}")
                continue
            main_topic = topics[spec["topics"][0]]
            book = booking_url(main_topic.slug, slug)
            converted = convert_text(
                (CONTENT_DIR / spec["file"]).read_text(encoding="utf-8"),
                links={
                    "Talk to our specialists": book,
                    "Book a consultation": book,
                    "best rehabilitation center in gurgaon": reverse("clinic:about"),
                },
            )
            article = Article(
                title=converted.title,
                slug=slug,
                summary=converted.summary,
                body=converted.body,
                status=Article.Status.PUBLISHED,
                publish_at=timezone.now(),
                primary_topic=main_topic,
            )
            article._change_reason = "Starting content"
            article.save()
            article.topics.set([topics[topic_slug] for topic_slug in spec["topics"]])
            self.stdout.write(self.style.SUCCESS(f"Article published: {article.title}"))

        for spec in HINDI_ARTICLES:
            self.load_hindi_draft(spec)

    def load_hindi_draft(self, spec):
        slug = spec["slug"]
        if Article.objects.filter(slug=slug).exists() or SlugRedirect.objects.filter(old_slug=slug).exists():
            self.stdout.write(f"Article already there, left as it is: {slug}")
            return
        original = Article.objects.filter(slug=spec["translation_of"]).first()
        if original is None:
            self.stdout.write(f"No English article {spec['translation_of']}: its Hindi version waits")
            return
        title, summary, body = (CONTENT_DIR / spec["file"]).read_text(encoding="utf-8").split("\n", 2)
        main_topic = original.main_topic
        with translation.override("hi"):
            links = {
                "book_url": escape(booking_url(main_topic.slug if main_topic else "", slug)),
                "about_url": reverse("clinic:about"),
            }
        article = Article(
            title=title.strip(),
            slug=slug,
            summary=summary.strip(),
            body=body.format(**links),
            language="hi",
            translation_of=original,
            status=Article.Status.DRAFT,
            primary_topic=main_topic,
        )
        article._change_reason = "Starting content: Hindi version, awaiting clinical review"
        article.save()
        article.topics.set(original.topics.all())
        self.stdout.write(self.style.SUCCESS(f"Hindi draft loaded, awaiting clinical review: {slug}"))
