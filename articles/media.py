"""Uploaded article images (MEDIA_ROOT/articles/), always served by Django,
also when the proxy serves the rest of /media/. An image is public once a
published article shows it, as its hero image or in its body; until then only
staff who may preview articles see it, so a draft's pictures do not leak
before its words."""

from django.conf import settings
from django.db.models import Q
from django.http import Http404
from django.views.static import serve

from .models import Article


def article_image(request, path):
    user = request.user
    may_preview = user.is_staff and user.has_perm("articles.view_article")
    if not may_preview:
        shown = Q(hero_image=path) | Q(body__contains=f"{settings.MEDIA_URL}{path}")
        if not Article.objects.published().filter(shown).exists():
            raise Http404
    return serve(request, path, document_root=settings.MEDIA_ROOT)
