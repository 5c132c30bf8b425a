"""Article images are public once a published article shows them; until then
only staff who may preview articles see them, so a draft's pictures do not leak."""

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
