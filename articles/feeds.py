from django.contrib.syndication.views import Feed
from django.urls import reverse

from clinic.links import absolute_url
from clinic.models import ClinicProfile

from .models import Article


class LatestArticlesFeed(Feed):
    description_template = None

    # Absolute already, so Django does not build them from the request's Host.
    def link(self):
        return absolute_url(reverse("articles:list"))

    def feed_url(self):
        return absolute_url(reverse("articles:feed"))

    def item_link(self, item):
        return absolute_url(item.get_absolute_url())

    def title(self):
        return f"{ClinicProfile.load().name}: health articles"

    def description(self):
        return "New and updated articles on mental health, relationships and wellbeing."

    def items(self):
        return Article.objects.published().select_related("author")[:20]

    def item_title(self, item):
        return item.title

    def item_description(self, item):
        return item.summary

    def item_pubdate(self, item):
        return item.publish_at

    def item_updateddate(self, item):
        return item.updated

    def item_author_name(self, item):
        return item.author.display_name if item.author else ClinicProfile.load().name
