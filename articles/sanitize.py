"""The one place that decides which HTML an article body may contain. Bodies are
cleaned when saved and again when shown, so a row changed outside the admin is too."""

import functools
import re
from dataclasses import dataclass
from html import unescape

import nh3
from django.utils.html import strip_tags
from django.utils.text import slugify

ALLOWED_TAGS = {
    "h2", "h3", "h4", "p", "br", "hr", "ul", "ol", "li",
    "a", "strong", "em", "blockquote", "img",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "width", "height"},
    "ol": {"start"},
}
# For absolute URLs (relative ones pass): no javascript: or data:.
URL_SCHEMES = {"http", "https", "mailto", "tel"}

_cleaner = nh3.Cleaner(
    tags=ALLOWED_TAGS,
    attributes=ALLOWED_ATTRIBUTES,
    url_schemes=URL_SCHEMES,
    clean_content_tags={"script", "style"},
    strip_comments=True,
    link_rel=None,
)

# After nh3 a heading carries no attributes, so this pattern is exact.
_HEADING = re.compile(r"<h([234])>(.*?)</h\1>", re.DOTALL)
_EMPTY_PARAGRAPH = re.compile(r"^<p></p>$")


def clean_body(html):
    """The body reduced to the allowlist; an editor's empty document is ''."""
    cleaned = _cleaner.clean(html or "").strip()
    return "" if _EMPTY_PARAGRAPH.match(cleaned) else cleaned


@dataclass(frozen=True)
class Heading:
    level: int
    id: str
    text: str


@dataclass(frozen=True)
class RenderedBody:
    html: str
    headings: tuple
    word_count: int


# The costliest part of an article page; keyed by the text, so an edit is a new entry.
@functools.lru_cache(maxsize=256)
def render_body(html):
    """The clean body with an id on each heading, and the table of contents."""
    cleaned = clean_body(html)
    headings = []
    used = set()

    def add_id(match):
        level, inner = int(match.group(1)), match.group(2)
        text = unescape(strip_tags(inner)).strip()
        base = slugify(text)[:60] or "section"
        anchor, n = base, 2
        while anchor in used:
            anchor, n = f"{base}-{n}", n + 1
        used.add(anchor)
        headings.append(Heading(level, anchor, text))
        return f'<h{level} id="{anchor}">{inner}</h{level}>'

    html_with_ids = _HEADING.sub(add_id, cleaned)
    word_count = len(unescape(strip_tags(cleaned)).split())
    return RenderedBody(html_with_ids, tuple(headings), word_count)
