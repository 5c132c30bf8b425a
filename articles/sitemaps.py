from django.db.models import Max, Q
from django.utils import timezone

from clinic.links import SiteURLSitemap

from .models import Article, Topic


class ArticleSitemap(SiteURLSitemap):
    changefreq = "monthly"
    priority = 0.8

    def items(self):
        return Article.objects.published().filter(noindex=False).only("slug", "updated")

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
