from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
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
        return " ".join(self.request.GET.get("q", "").split())[:100]

    def get_queryset(self):
        articles = Article.objects.published()
        if query := self.get_query():
            articles = articles.search(query)
        return articles.for_listing()

    def get_context_data(self, **kwargs):
        topics = Topic.objects.only("name", "slug")
        return super().get_context_data(query=self.get_query(), topics=topics, **kwargs)


class TopicView(OnePageAddressMixin, ListView):
    template_name = "articles/topic_detail.html"
    context_object_name = "articles"
    paginate_by = 10

    def get_queryset(self):
        self.topic = get_object_or_404(Topic, slug=self.kwargs["slug"])
        return Article.objects.published().filter(topics=self.topic).for_listing()

    def get_context_data(self, **kwargs):
        return super().get_context_data(topic=self.topic, **kwargs)


class ArticleDetailView(DetailView):
    template_name = "articles/article_detail.html"
    context_object_name = "article"
    preview = False

    def get_queryset(self):
        articles = Article.objects.all() if self.preview else Article.objects.published()
        return articles.select_related("author", "reviewer", "primary_topic").prefetch_related(
            "topics", "references"
        )

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
        response = self.render_to_response(self.get_context_data(object=self.object))
        if self.preview:
            response["X-Robots-Tag"] = "noindex, nofollow"
        return response

    def get_context_data(self, **kwargs):
        related = self.related_articles()
        return super().get_context_data(preview=self.preview, related_articles=related, **kwargs)

    def related_articles(self):
        """Published articles sharing the most topics with this one (one query)."""
        topic_ids = [topic.pk for topic in self.object.topics.all()]
        if not topic_ids:
            return []
        return list(
            Article.objects.published()
            .exclude(pk=self.object.pk)
            .filter(topics__in=topic_ids)
            .annotate(shared=Count("topics", filter=Q(topics__in=topic_ids)))
            .order_by("-shared", "-publish_at", "-pk")
            .only("title", "slug", "summary", "publish_at")[:RELATED_LIMIT]
        )


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
