from django.db.models import Max, Prefetch, Q
from django.utils import timezone

from clinic.links import SiteURLSitemap

from .models import Article, Topic


class ArticleSitemap(SiteURLSitemap):
    """Each version of an article at its own address, naming the other version."""

    changefreq = "monthly"
    priority = 0.8
    i18n = False

    def items(self):
        listed = Article.objects.published().filter(noindex=False)
        return (
            listed.only("slug", "updated", "language", "translation_of")
            .select_related("translation_of")
            .prefetch_related(
                Prefetch("translations", queryset=listed.only("slug", "language", "translation_of"))
            )
            .order_by("pk")
        )

    def _urls(self, page, protocol, domain):
        urls = super()._urls(page, protocol, domain)
        for url in urls:
            article = url["item"]
            if article.language == "en":
                versions = [article, *article.translations.all()]
            else:
                original = article.translation_of
                listed = original is not None and original.is_public and not original.noindex
                versions = [original, article] if listed else [article]
            if len(versions) > 1:
                url["alternates"] = [
                    {
                        "location": f"{protocol}://{domain}{version.get_absolute_url()}",
                        "lang_code": version.language,
                    }
                    for version in versions
                ]
        return urls

    def lastmod(self, item):
        return item.updated


class TopicSitemap(SiteURLSitemap):
    changefreq = "weekly"
    priority = 0.6

    def items(self):
        published = Q(articles__status=Article.Status.PUBLISHED, articles__publish_at__lte=timezone.now())
        return (
            Topic.objects.annotate(latest=Max("articles__updated", filter=published))
            .filter(latest__isnull=False)
            .order_by("name")
        )

    def lastmod(self, item):
        return item.latest
