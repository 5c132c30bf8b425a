from django import template
from django.utils import translation

from clinic.structured_data import json_ld_script

from ..links import booking_url as _booking_url
from ..models import Article
from ..structured_data import medical_web_page

register = template.Library()


@register.inclusion_tag("articles/includes/latest_articles.html")
def latest_articles(count=3):
    language = translation.get_language()
    articles = Article.objects.published().in_language(language).select_related("author")[:count]
    return {"articles": list(articles)}


@register.simple_tag
def booking_url(topic=None, article=None):
    """The booking form's address with the topic and article filled in."""
    return _booking_url(getattr(topic, "slug", topic or ""), getattr(article, "slug", article or ""))


@register.simple_tag(takes_context=True)
def article_json_ld(context, article):
    return json_ld_script(medical_web_page(article, context["clinic"], context["opening_week"]))
