from functools import cached_property

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connections, models, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.text import Truncator
from django_prose_editor.fields import ProseEditorField
from simple_history.models import HistoricalRecords

from clinic.models import Specialist

from .links import booking_url
from .sanitize import clean_body, render_body

WORDS_PER_MINUTE = 200

# What staff can make in the editor; the server-side allowlist in sanitize.py
# is the authority on what is kept.
EDITOR_EXTENSIONS = {
    "Heading": {"levels": [2, 3, 4]},
    "Bold": True,
    "Italic": True,
    "BulletList": True,
    "ListItem": True,
    "OrderedList": True,
    "Blockquote": True,
    "HardBreak": True,
    "HorizontalRule": True,
    "Link": {"enableTarget": False, "protocols": ["http", "https", "mailto", "tel"]},
    "Image": True,
    "History": True,
}


class Topic(models.Model):
    name = models.CharField(max_length=80, unique=True)
    slug = models.SlugField(max_length=80, unique=True)
    description = models.TextField(blank=True, help_text="A sentence or two shown on the topic's page.")
    is_mental_health = models.BooleanField(
        "mental-health topic",
        default=True,
        help_text="Articles on mental-health topics show the crisis helplines.",
    )
    specialists = models.ManyToManyField(
        Specialist, blank=True, related_name="topics", help_text="Specialists who help with this topic."
    )

    class Meta:
        ordering = ["name"]
        verbose_name = "topic"

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("articles:topic", kwargs={"slug": self.slug})


class ArticleQuerySet(models.QuerySet):
    def published(self):
        """What the public may see: published, and its publish time has come."""
        return self.filter(status=Article.Status.PUBLISHED, publish_at__lte=timezone.now())

    def scheduled(self):
        return self.filter(status=Article.Status.PUBLISHED, publish_at__gt=timezone.now())

    def awaiting_review(self):
        return self.filter(models.Q(reviewer__isnull=True) | models.Q(last_reviewed__isnull=True))

    def review_overdue(self, today=None):
        today = today or timezone.localdate()
        return self.filter(next_review_due__lt=today)

    def in_language(self, language):
        return self.filter(language=language)

    def only_in_english(self):
        """English articles with no published Hindi version (listed as such under /hi/)."""
        hindi = Article.objects.published().filter(language="hi", translation_of__isnull=False)
        return self.filter(language="en").exclude(pk__in=hindi.values("translation_of"))

    def for_listing(self):
        """Everything a list of article cards shows, in a fixed number of queries."""
        return self.select_related("author", "primary_topic").prefetch_related("topics")

    def search(self, query, language="en"):
        """Ranked full-text search on PostgreSQL; substring matches on SQLite.
        Hindi has no stemming dictionary in PostgreSQL: its words are matched whole."""
        query = (query or "").strip()
        if not query:
            return self.none()
        if connections[self.db].vendor == "postgresql":
            from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector

            config = "english" if language == "en" else "simple"
            vector = (
                SearchVector("title", weight="A", config=config)
                + SearchVector("summary", weight="B", config=config)
                + SearchVector("body", weight="C", config=config)
            )
            search_query = SearchQuery(query, search_type="websearch", config=config)
            return (
                self.annotate(search=vector, rank=SearchRank(vector, search_query))
                .filter(search=search_query)
                .order_by("-rank", "-publish_at", "-pk")
            )
        words = query.split()[:8]
        condition = models.Q()
        for word in words:
            condition &= (
                models.Q(title__icontains=word)
                | models.Q(summary__icontains=word)
                | models.Q(body__icontains=word)
            )
        return self.filter(condition)

    @transaction.atomic
    def publish_now(self):
        """One by one, so the history records who published what."""
        articles = list(self.select_related(None).prefetch_related(None).select_for_update())
        for article in articles:
            article.publish_now()
        return len(articles)


def next_publication():
    """When the next scheduled article goes live (cached pages must not outlive it)."""
    return Article.objects.scheduled().order_by("publish_at").values_list("publish_at", flat=True).first()


class Article(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        IN_REVIEW = "in_review", "In review"
        PUBLISHED = "published", "Published"

    title = models.CharField(max_length=200)
    slug = models.SlugField(
        max_length=200,
        unique=True,
        help_text="The end of the web address, e.g. stress-at-work for /articles/stress-at-work/. "
        "Changing it later keeps the old address working.",
    )
    summary = models.TextField(
        max_length=400, help_text="One or two sentences shown in lists and under the title."
    )
    body = ProseEditorField(
        extensions=EDITOR_EXTENSIONS,
        sanitize=clean_body,
        help_text="The article. Use headings for sections: they make the table of contents. "
        "Anything unsafe is removed when it is saved.",
    )
    hero_image = models.ImageField(upload_to="articles/", blank=True)
    hero_image_alt = models.CharField(
        max_length=200,
        blank=True,
        help_text="Required with an image: describe it for people who cannot see it.",
    )
    author = models.ForeignKey(
        Specialist,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="articles_written",
        help_text="Shown with their credentials. Leave empty for the clinic's editorial team.",
    )
    reviewer = models.ForeignKey(
        Specialist,
        verbose_name="medical reviewer",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="articles_reviewed",
        help_text="The clinician who checked the article. With a review date it shows "
        "“Medically reviewed by …”.",
    )
    last_reviewed = models.DateField(
        null=True, blank=True, help_text="When the medical reviewer last checked it."
    )
    next_review_due = models.DateField(
        null=True, blank=True, help_text="When it should be checked again; overdue articles are flagged."
    )
    status = models.CharField(
        max_length=12,
        choices=Status,
        default=Status.DRAFT,
        help_text="Only published articles are public, and only from their publish time.",
    )
    publish_at = models.DateTimeField(
        default=timezone.now,
        help_text="A published article stays hidden until this time: set a future time to schedule it.",
    )
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)
    primary_topic = models.ForeignKey(
        Topic,
        verbose_name="main topic",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Used for the breadcrumb and to prefill the booking form. "
        "It is added to the topics when saved.",
    )
    topics = models.ManyToManyField(Topic, blank=True, related_name="articles")
    seo_description = models.CharField(
        "SEO description",
        max_length=160,
        blank=True,
        help_text="For search results; the summary is used when empty.",
    )
    noindex = models.BooleanField(default=False, help_text="Ask search engines not to list this article.")

    # A Hindi version is an article of its own (title, slug, body, reviewer and
    # review dates), linked to the English one it translates.
    language = models.CharField(max_length=5, choices=settings.LANGUAGES, default="en")
    translation_of = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="translations",
        limit_choices_to={"language": "en"},
        help_text="For a Hindi version: the English article it translates.",
    )

    objects = ArticleQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=["updated"], m2m_fields=[topics])

    class Meta:
        ordering = ["-publish_at", "-pk"]
        verbose_name = "article"
        indexes = [models.Index(fields=["status", "-publish_at"], name="article_status_publish_idx")]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        self.body = clean_body(self.body)
        with transaction.atomic():
            self._remember_old_slug()
            super().save(*args, **kwargs)

    def get_absolute_url(self):
        with translation.override(self.language):
            return reverse("articles:detail", kwargs={"slug": self.slug})

    def get_preview_url(self):
        return reverse("articles:preview", kwargs={"pk": self.pk})

    def clean(self):
        if self.hero_image and not self.hero_image_alt.strip():
            raise ValidationError({"hero_image_alt": "Describe the image for people who cannot see it."})
        if self.translation_of_id and (self.language == "en" or self.translation_of.language != "en"):
            raise ValidationError({"translation_of": "A Hindi version translates an English article."})
        if self.last_reviewed and not self.reviewer_id:
            raise ValidationError({"reviewer": "Say who reviewed the article on that date."})
        if self.last_reviewed and self.next_review_due and self.next_review_due < self.last_reviewed:
            raise ValidationError({"next_review_due": "The next review must come after the last one."})

    def _remember_old_slug(self):
        """A published article's old address keeps answering, with a 301."""
        if self.pk is None:
            return
        old = Article.objects.filter(pk=self.pk).values("slug", "status").first()
        if old is None:
            return
        # The new slug may be one this article (or another) used before.
        SlugRedirect.objects.filter(old_slug=self.slug).delete()
        if old["slug"] != self.slug and old["status"] == self.Status.PUBLISHED:
            SlugRedirect.objects.update_or_create(old_slug=old["slug"], defaults={"article": self})

    def publish_now(self):
        self.status = self.Status.PUBLISHED
        if self.publish_at is None or self.publish_at > timezone.now():
            self.publish_at = timezone.now()
        self.save(update_fields=["status", "publish_at", "updated"])

    @property
    def is_public(self):
        return self.status == self.Status.PUBLISHED and self.publish_at <= timezone.now()

    @property
    def is_scheduled(self):
        return self.status == self.Status.PUBLISHED and self.publish_at > timezone.now()

    @property
    def is_reviewed(self):
        return bool(self.reviewer_id and self.last_reviewed)

    @property
    def review_overdue(self):
        return bool(self.next_review_due and self.next_review_due < timezone.localdate())

    @property
    def meta_description(self):
        return self.seo_description or Truncator(" ".join(self.summary.split())).chars(160)

    @cached_property
    def rendered_body(self):
        return render_body(self.body)

    @property
    def table_of_contents(self):
        """Sections (h2) with their subsections (h3), for the "On this page" list."""
        sections = []
        for heading in self.rendered_body.headings:
            if heading.level == 2 or not sections:
                sections.append({"heading": heading, "children": []})
            elif heading.level == 3:
                sections[-1]["children"].append(heading)
        return sections

    @property
    def reading_minutes(self):
        return max(1, round(self.rendered_body.word_count / WORDS_PER_MINUTE))

    @property
    def main_topic(self):
        """The one chosen, else the first of the (prefetched) topics."""
        if self.primary_topic_id:
            return self.primary_topic
        topics = list(self.topics.all())
        return topics[0] if topics else None

    @property
    def shows_helplines(self):
        return any(topic.is_mental_health for topic in self.topics.all())

    @property
    def booking_url(self):
        topic = self.main_topic
        with translation.override(self.language):
            return booking_url(topic.slug if topic else "", self.slug)

    @property
    def html_lang(self):
        return "hi" if self.language == "hi" else "en-IN"


class Reference(models.Model):
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="references")
    title = models.CharField(max_length=300)
    publisher = models.CharField(max_length=200, blank=True, help_text="Journal, organisation or publisher.")
    year = models.PositiveSmallIntegerField(null=True, blank=True)
    url = models.URLField("URL", blank=True, max_length=500)
    order = models.PositiveSmallIntegerField(default=0, help_text="Lower numbers are listed first.")

    class Meta:
        ordering = ["order", "pk"]
        verbose_name = "reference"

    def __str__(self):
        return self.title


class SlugRedirect(models.Model):
    """An article's former slug, so old links answer with a permanent redirect."""

    old_slug = models.SlugField(max_length=200, unique=True)
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="old_slugs")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["old_slug"]
        verbose_name = "old address"
        verbose_name_plural = "old addresses"

    def __str__(self):
        return self.old_slug
