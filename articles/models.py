from django.db import models
from django.urls import reverse
from django.utils import timezone
from simple_history.models import HistoricalRecords

from clinic.models import Specialist


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

    def awaiting_review(self):
        return self.filter(models.Q(reviewer__isnull=True) | models.Q(last_reviewed__isnull=True))

    def review_overdue(self, today=None):
        today = today or timezone.localdate()
        return self.filter(next_review_due__lt=today)


class Article(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        IN_REVIEW = "in_review", "In review"
        PUBLISHED = "published", "Published"

    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=200, unique=True, help_text="The web address: /articles/<slug>/.")
    summary = models.TextField(
        max_length=400, help_text="One or two sentences shown in lists and under the title."
    )
    body = models.TextField(help_text="The article. It is cleaned of anything unsafe when saved.")
    hero_image = models.ImageField(upload_to="articles/", blank=True)
    hero_image_alt = models.CharField(
        max_length=200,
        blank=True,
        help_text="Required with an image: describe it for people who cannot see it.",
    )
    author = models.ForeignKey(
        Specialist, null=True, blank=True, on_delete=models.SET_NULL, related_name="articles_written"
    )
    reviewer = models.ForeignKey(
        Specialist,
        verbose_name="medical reviewer",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="articles_reviewed",
    )
    last_reviewed = models.DateField(
        null=True, blank=True, help_text="When the medical reviewer last checked it."
    )
    next_review_due = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=12, choices=Status, default=Status.DRAFT)
    publish_at = models.DateTimeField(
        default=timezone.now, help_text="A published article stays hidden until this time."
    )
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)
    topics = models.ManyToManyField(Topic, blank=True, related_name="articles")
    seo_description = models.CharField(
        "SEO description",
        max_length=160,
        blank=True,
        help_text="For search results; the summary is used when empty.",
    )
    noindex = models.BooleanField(default=False, help_text="Ask search engines not to list this article.")

    objects = ArticleQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=["updated"], m2m_fields=[topics])

    class Meta:
        ordering = ["-publish_at", "-pk"]
        verbose_name = "article"
        indexes = [models.Index(fields=["status", "-publish_at"], name="article_status_publish_idx")]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("articles:detail", kwargs={"slug": self.slug})


class Reference(models.Model):
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="references")
    title = models.CharField(max_length=300)
    publisher = models.CharField(max_length=200, blank=True)
    year = models.PositiveSmallIntegerField(null=True, blank=True)
    url = models.URLField("URL", blank=True, max_length=500)
    order = models.PositiveSmallIntegerField(default=0)

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
