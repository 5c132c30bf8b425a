import base64
import hashlib
import re

from django import forms
from django.contrib import admin, messages
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from simple_history.admin import SimpleHistoryAdmin

from clinic.formats import local_datetime

from .models import Article, Reference, SlugRedirect, Topic

_IMPORTMAP = re.compile(rb'<script type="importmap">(.*?)</script>', re.DOTALL)
# The fixed <style> Tiptap adds (django-prose-editor 0.28.0); the editor's browser
# test fails on a CSP error if an upgrade changes it.
EDITOR_STYLE_HASH = "'sha256-PlumsSlvJ7vvWzjqibGAYKq92O3y/4JTxWWsWJvyUYA='"


def allow_inline_importmap(response):
    """The CSP forbids inline code: the editor's pages allow exactly its import
    map and style, by their hashes."""
    if not hasattr(response, "render"):
        return response
    response.render()
    match = _IMPORTMAP.search(response.content)
    if match:
        digest = base64.b64encode(hashlib.sha256(match.group(1)).digest()).decode()
        response._csp_update = {"script-src": [f"'sha256-{digest}'"], "style-src": [EDITOR_STYLE_HASH]}
    return response


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "is_mental_health"]
    list_filter = ["is_mental_health"]
    search_fields = ["name", "description"]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["specialists"]


class ReferenceInline(admin.TabularInline):
    model = Reference
    extra = 1
    fields = ["order", "title", "publisher", "year", "url"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


class SlugRedirectInline(admin.TabularInline):
    model = SlugRedirect
    extra = 0
    fields = ["old_slug", "created"]
    readonly_fields = ["created"]
    verbose_name_plural = "old addresses (they redirect here)"


class ReviewStateFilter(admin.SimpleListFilter):
    title = "clinical review"
    parameter_name = "review"

    def lookups(self, request, model_admin):
        return [("awaiting", "Awaiting clinical review"), ("overdue", "Review overdue"), ("ok", "Up to date")]

    def queryset(self, request, queryset):
        if self.value() == "awaiting":
            return queryset.awaiting_review()
        if self.value() == "overdue":
            return queryset.review_overdue()
        if self.value() == "ok":
            overdue = Q(next_review_due__lt=timezone.localdate())
            return queryset.exclude(pk__in=queryset.awaiting_review().values("pk")).exclude(overdue)
        return queryset


class ArticleAdminForm(forms.ModelForm):
    """An article is published after clinical review. The owner (a superuser)
    may publish without one, giving a reason that is kept in the history."""

    publish_without_review_reason = forms.CharField(
        label="Reason for publishing without clinical review",
        required=False,
        max_length=200,
        help_text="Owner only. Kept in the article's history; the article shows no review claim "
        "and stays on the setup checklist until a clinician reviews it.",
    )
    may_skip_review = False  # set per request by ArticleAdmin.get_form

    def clean(self):
        data = super().clean()
        publishing = data.get("status") == Article.Status.PUBLISHED
        touched = {"status", "reviewer", "last_reviewed"} & set(self.changed_data)
        reviewed = data.get("reviewer") and data.get("last_reviewed")
        if not publishing or reviewed or not touched:
            return data
        if not self.may_skip_review:
            self.add_error(
                "status",
                "An article is published after clinical review: choose the medical reviewer and the "
                "review date, or send it for review.",
            )
        elif not data.get("publish_without_review_reason", "").strip():
            self.add_error(
                "publish_without_review_reason",
                "Say why this article is published without clinical review.",
            )
        return data


@admin.register(Article)
class ArticleAdmin(SimpleHistoryAdmin):
    form = ArticleAdminForm
    list_display = [
        "title",
        "language",
        "status_label",
        "topic_list",
        "author",
        "reviewer",
        "publish_at",
        "review_state",
    ]
    list_filter = ["status", ReviewStateFilter, "language", "topics", "reviewer"]
    list_select_related = ["author", "reviewer"]
    search_fields = ["title", "summary", "slug", "body"]
    date_hierarchy = "publish_at"
    prepopulated_fields = {"slug": ["title"]}
    autocomplete_fields = ["author", "reviewer"]
    raw_id_fields = ["translation_of"]
    filter_horizontal = ["topics"]
    inlines = [ReferenceInline, SlugRedirectInline]
    actions = ["publish_now", "send_for_review"]
    readonly_fields = ["created", "updated"]
    history_list_display = ["status", "publish_at"]

    class Media:
        css = {"all": ["articles/admin.css"]}

    fieldsets = [
        (None, {"fields": ["title", "slug", "summary", "body"]}),
        ("Language", {"fields": ["language", "translation_of"]}),
        ("Topics", {"fields": ["primary_topic", "topics"]}),
        ("Image", {"fields": ["hero_image", "hero_image_alt"], "classes": ["collapse"]}),
        (
            "Authors and clinical review",
            {"fields": ["author", "reviewer", "last_reviewed", "next_review_due"]},
        ),
        (
            "Publishing",
            {"fields": ["status", "publish_at", "seo_description", "noindex", "created", "updated"]},
        ),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("topics")

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if not request.user.is_superuser:
            return fieldsets
        *rest, (name, options) = fieldsets
        return [*rest, (name, {**options, "fields": [*options["fields"], "publish_without_review_reason"]})]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        form.may_skip_review = request.user.is_superuser
        return form

    def save_model(self, request, obj, form, change):
        reason = form.cleaned_data.get("publish_without_review_reason", "").strip()
        if reason and obj.status == Article.Status.PUBLISHED and not obj.is_reviewed:
            obj._change_reason = f"Published without clinical review: {reason}"
        super().save_model(request, obj, form, change)

    @admin.display(description="status", ordering="status")
    def status_label(self, obj):
        if obj.is_scheduled:
            return f"Scheduled for {local_datetime(obj.publish_at)}"
        return obj.get_status_display()

    @admin.display(description="topics")
    def topic_list(self, obj):
        return ", ".join(topic.name for topic in obj.topics.all())

    @admin.display(description="clinical review")
    def review_state(self, obj):
        if not obj.is_reviewed:
            return "Awaiting clinical review"
        if obj.review_overdue:
            return format_html("<strong>Review overdue</strong> (due {})", obj.next_review_due)
        return f"Reviewed {date_format(obj.last_reviewed)}"

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        return allow_inline_importmap(super().changeform_view(request, object_id, form_url, extra_context))

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        return allow_inline_importmap(
            super().history_form_view(request, object_id, version_id, extra_context)
        )

    def view_on_site(self, obj):
        # Until an article is public, "view on site" shows the staff preview.
        return obj.get_absolute_url() if obj.is_public else obj.get_preview_url()

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        article = form.instance
        if article.primary_topic_id and not article.topics.filter(pk=article.primary_topic_id).exists():
            article.topics.add(article.primary_topic)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and obj.pk:
            context["preview_url"] = obj.get_preview_url()
        return super().render_change_form(request, context, add, change, form_url, obj)

    @admin.action(description="Publish the selected articles now", permissions=["change"])
    def publish_now(self, request, queryset):
        # A scheduled article was already published (reviewed, or by the owner with a reason).
        blocked = queryset.awaiting_review().exclude(status=Article.Status.PUBLISHED)
        unreviewed = blocked.count()
        count = queryset.exclude(pk__in=blocked.values("pk")).publish_now()
        self.message_user(request, f"Published {count} article(s).", messages.SUCCESS)
        if unreviewed:
            self.message_user(
                request,
                f"{unreviewed} article(s) not published: they have no clinical review yet.",
                messages.WARNING,
            )

    @admin.action(description="Send the selected articles for clinical review", permissions=["change"])
    def send_for_review(self, request, queryset):
        count = 0
        for article in queryset.exclude(status=Article.Status.PUBLISHED):
            article.status = Article.Status.IN_REVIEW
            article.save(update_fields=["status", "updated"])
            count += 1
        self.message_user(request, f"Sent {count} article(s) for review.", messages.SUCCESS)
