"""The client's plain-text articles (Title Case headings, "Label:" lines before
lists, "- " bullets) as the body HTML the site stores."""

import re
from dataclasses import dataclass

from django.utils.html import escape

from .sanitize import clean_body

# Words a Title Case heading leaves in lower case.
SMALL_WORDS = {
    "a", "an", "and", "are", "as", "at", "between", "by", "for", "from", "in", "into",
    "is", "of", "on", "or", "the", "to", "vs", "with", "your",
}  # fmt: skip
MAX_HEADING_LENGTH = 90
MAX_LABEL_WORDS = 5


@dataclass(frozen=True)
class ConvertedArticle:
    title: str
    summary: str
    body: str


def is_title_case(line):
    words = [word for word in re.split(r"\s+", line.strip()) if word and word[0].isalpha()]
    if not words or not words[0][0].isupper():
        return False
    return all(word[0].isupper() or word.lower() in SMALL_WORDS for word in words)


def _heading_level(line):
    """2 or 3 for a section title, None for ordinary text."""
    if len(line) > MAX_HEADING_LENGTH or line.endswith((".", "!")) or not is_title_case(line):
        return None
    # "Immediate Effects:" introduces a list inside a section.
    return 3 if line.endswith(":") else 2


def _bullet(text):
    """A list item; "Label: explanation" puts the label in bold."""
    label, sep, rest = text.partition(": ")
    if sep and len(label.split()) <= MAX_LABEL_WORDS and is_title_case(label):
        return f"<li><strong>{escape(label)}:</strong> {escape(rest)}</li>"
    return f"<li>{escape(text)}</li>"


def _link_phrases(html, links):
    """Link the first appearance of each phrase (case-insensitive)."""
    for phrase, url in links.items():
        pattern = re.compile(re.escape(escape(phrase)), re.IGNORECASE)
        html = pattern.sub(lambda m, url=url: f'<a href="{escape(url)}">{m.group(0)}</a>', html, count=1)
    return html


def convert_text(text, links=None):
    """Title, summary (the opening paragraph, not repeated in the body) and body."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    if not lines:
        raise ValueError("The article text is empty.")
    title, rest = lines[0], lines[1:]
    summary = rest.pop(0) if rest and _heading_level(rest[0]) is None and not rest[0].startswith("- ") else ""

    blocks, items = [], []

    def close_list():
        if items:
            blocks.append("<ul>" + "".join(items) + "</ul>")
            items.clear()

    for line in rest:
        if line.startswith("- "):
            items.append(_bullet(line[2:].strip()))
            continue
        close_list()
        level = _heading_level(line)
        if level:
            blocks.append(f"<h{level}>{escape(line.rstrip(':'))}</h{level}>")
        else:
            blocks.append(f"<p>{escape(line)}</p>")
    close_list()

    body = "\n".join(blocks)
    if links:
        body = _link_phrases(body, links)
    return ConvertedArticle(title=title, summary=summary, body=clean_body(body))
