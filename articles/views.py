from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import translation
from django.views.decorators.cache import never_cache
from django.views.generic import DetailView, ListView

from clinic.caching import public_page

from .models import Article, SlugRedirect, Topic

RELATED_LIMIT = 3


class OnePageAddressMixin:
    """?page=01, ?page=1 and ?page=x redirect to one spelling: one cached copy."""

    def get(self, request, *args, **kwargs):
        page = request.GET.get("page")
        if page is not None and not (page.isdecimal() and page == str(int(page)) and int(page) > 1):
            query = request.GET.copy()
            del query["page"]
            if page.isdecimal() and int(page) > 1:
                query["page"] = str(int(page))
            return redirect(f"{request.path}?{query.urlencode()}" if query else request.path, permanent=True)
        return super().get(request, *args, **kwargs)


class ArticleListView(OnePageAddressMixin, ListView):
    """All articles, newest first; with ?q= the search results instead."""

    template_name = "articles/article_list.html"
    context_object_name = "articles"
    paginate_by = 10

    def get_query(self):
        # PostgreSQL refuses a NUL in any string: it would answer 500.
        return " ".join(self.request.GET.get("q", "").replace("\x00", " ").split())[:100]

    def get_queryset(self):
        language = translation.get_language()
        articles = Article.objects.published().in_language(language)
        if query := self.get_query():
            articles = articles.search(query, language)
        return articles.for_listing()

    def get_context_data(self, **kwargs):
        topics = Topic.objects.only("name", "slug")
        context = super().get_context_data(query=self.get_query(), topics=topics, **kwargs)
        if translation.get_language() == "hi" and not context["query"]:
            context["only_in_english"] = english_only_articles(Article.objects.all())
        return context


class TopicView(OnePageAddressMixin, ListView):
    template_name = "articles/topic_detail.html"
    context_object_name = "articles"
    paginate_by = 10

    def get_queryset(self):
        self.topic = get_object_or_404(Topic, slug=self.kwargs["slug"])
        return (
            Article.objects.published()
            .in_language(translation.get_language())
            .filter(topics=self.topic)
            .for_listing()
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(topic=self.topic, **kwargs)
        if translation.get_language() == "hi":
            context["only_in_english"] = english_only_articles(Article.objects.filter(topics=self.topic))
        return context


class ArticleDetailView(DetailView):
    template_name = "articles/article_detail.html"
    context_object_name = "article"
    preview = False

    def get_queryset(self):
        articles = Article.objects.all() if self.preview else Article.objects.published()
        return articles.select_related(
            "author", "reviewer", "primary_topic", "translation_of"
        ).prefetch_related("topics", "references", "translations")

    def get(self, request, *args, **kwargs):
        try:
            self.object = self.get_object()
        except Http404:
            if self.preview:
                raise
            moved = (
                SlugRedirect.objects.filter(old_slug=kwargs["slug"], article__in=Article.objects.published())
                .select_related("article")
                .first()
            )
            if moved is None:
                raise
            return redirect(moved.article, permanent=True)
        language = translation.get_language()
        if not self.preview and self.object.language != language:
            # Each version has its own address; an English article asked for
            # under /hi/ goes to its Hindi version, or says it is only in English.
            other = self.other_version()
            if language == "en" or (other and other.language == language):
                return redirect(other if language == "hi" else self.object, permanent=language == "en")
        response = self.render_to_response(self.get_context_data(object=self.object))
        if self.preview:
            response["X-Robots-Tag"] = "noindex, nofollow"
        return response

    def other_version(self):
        """The published article in the other language, if there is one."""
        article = self.object
        if article.language == "hi":
            other = article.translation_of
            return other if other and other.is_public else None
        return next((version for version in article.translations.all() if version.is_public), None)

    def fallback_other_language_url(self):
        """A Hindi article with no English version: the English articles."""
        if self.object.language == "en":
            return ""
        with translation.override("en"):
            return reverse("articles:list")

    def get_context_data(self, **kwargs):
        related = self.related_articles()
        other = self.other_version()
        return super().get_context_data(
            preview=self.preview,
            related_articles=related,
            other_version=other,
            other_language_url=other.get_absolute_url() if other else self.fallback_other_language_url(),
            only_in_english=self.object.language != translation.get_language(),
            **kwargs,
        )

    def related_articles(self):
        """Published articles sharing the most topics with this one (one query)."""
        topic_ids = [topic.pk for topic in self.object.topics.all()]
        if not topic_ids:
            return []
        return list(
            Article.objects.published()
            .in_language(self.object.language)
            .exclude(pk=self.object.pk)
            .filter(topics__in=topic_ids)
            .annotate(shared=Count("topics", filter=Q(topics__in=topic_ids)))
            .order_by("-shared", "-publish_at", "-pk")
            .only("title", "slug", "summary", "publish_at", "language")[:RELATED_LIMIT]
        )


def english_only_articles(articles, limit=20):
    """Published English articles without a published Hindi version: named on
    the Hindi pages as English only, so nobody wonders where they went."""
    return list(articles.published().only_in_english().only("title", "slug", "language")[:limit])


article_list = public_page(ArticleListView.as_view())
topic_detail = public_page(TopicView.as_view())
article_detail = public_page(ArticleDetailView.as_view())
_preview_view = ArticleDetailView.as_view(preview=True)


@never_cache
def article_preview(request, pk):
    """Any article, as the public will see it, for staff who may view articles."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path(), reverse("admin:login"))
    if not (request.user.is_staff and request.user.has_perm("articles.view_article")):
        raise PermissionDenied
    return _preview_view(request, pk=pk)
