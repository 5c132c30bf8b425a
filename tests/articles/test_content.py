import pytest
from django.core.management import call_command

from articles.content import convert_text, is_title_case
from articles.models import Article, Topic

SLUG = "kiss-and-sex-intimacy-and-mental-health"

SAMPLE = """A Title: With a Colon
The opening paragraph says what the article is about.
Section One Explained
A paragraph that ends without a period and a call to action. Talk to our specialists
Key Points:
- A plain point
- Start Small: a labelled point
Common myths that hurt:
- Not a heading, because it is a sentence
Are You Asking Why?
Ask a best rehabilitation center in gurgaon today.
"""


def test_is_title_case():
    assert is_title_case("The Science Behind Intimacy and Mental Health")
    assert is_title_case("When to Seek Professional Help")
    assert not is_title_case("Studies show that people who maintain healthy intimate relationships report:")


def test_converter_makes_headings_lists_and_links():
    converted = convert_text(
        SAMPLE,
        links={
            "Talk to our specialists": "/book/?topic=a&article=b",
            "best rehabilitation center in gurgaon": "/about/",
        },
    )
    assert converted.title == "A Title: With a Colon"
    assert converted.summary == "The opening paragraph says what the article is about."
    assert converted.body == (
        "<h2>Section One Explained</h2>\n"
        '<p>A paragraph that ends without a period and a call to action. <a href="/book/?topic=a&amp;article=b">'
        "Talk to our specialists</a></p>\n"
        "<h3>Key Points</h3>\n"
        "<ul><li>A plain point</li><li><strong>Start Small:</strong> a labelled point</li></ul>\n"
        "<p>Common myths that hurt:</p>\n"
        "<ul><li>Not a heading, because it is a sentence</li></ul>\n"
        "<h2>Are You Asking Why?</h2>\n"
        '<p>Ask a <a href="/about/">best rehabilitation center in gurgaon</a> today.</p>'
    )


def test_converter_escapes_the_text():
    converted = convert_text("Title\nSummary\n<script>alert(1)</script> & more.")
    assert "<script>" not in converted.body
    assert "&lt;script&gt;" in converted.body


@pytest.mark.django_db
def test_starting_content_is_loaded_once_and_structured():
    call_command("load_starting_content")
    call_command("load_starting_content")
    assert set(Topic.objects.values_list("slug", flat=True)) == {
        "intimacy",
        "relationships",
        "anxiety",
        "depression",
        "stress",
        "sexual-wellness",
    }
    assert all(topic.description for topic in Topic.objects.all())
    article = Article.objects.published().get()  # the Hindi version is a draft
    assert article.slug == SLUG
    assert article.title == "Kiss & Sex: How Intimacy and Mental Health Are Connected"
    assert article.summary.startswith("You know, most people don't realize")
    assert article.topics.count() == 6
    assert article.primary_topic.slug == "intimacy"
    # No clinician is invented: no author, no reviewer, so it awaits review.
    assert article.author is None and article.reviewer is None
    assert list(Article.objects.awaiting_review().in_language("en")) == [article]

    body = article.body
    assert "<h2>The Science Behind Intimacy and Mental Health</h2>" in body
    assert "<h2>How Does Intimacy Affect Mental Health?</h2>" in body
    assert "<h3>Immediate Effects</h3>" in body
    assert "<h2>When to Seek Professional Help</h2>" in body
    assert body.count("<h2>") == 15
    assert body.count("<h3>") == 3
    assert "<ul><li>Stress hormone (cortisol) levels drop within minutes</li>" in body
    assert "<li><strong>Validation and Support:</strong> Knowing someone understands you" in body
    assert body.count("<ul>") == 14
    book = f'href="/book/?topic=intimacy&amp;article={SLUG}"'
    assert f"<a {book}>Talk to our specialists</a>" in body
    assert f"<a {book}>Book a consultation</a>" in body
    assert '<a href="/about/">best rehabilitation center in gurgaon</a>' in body
    assert "You know, most people" not in body  # the summary is not repeated


@pytest.mark.django_db
def test_staff_edits_survive_loading_again():
    call_command("load_starting_content")
    article = Article.objects.in_language("en").get()
    article.title = "Edited by staff"
    article.slug = "intimacy-and-mental-health"
    article.save()
    Topic.objects.filter(slug="stress").update(description="Staff wording.")
    call_command("load_starting_content")
    assert Article.objects.in_language("en").count() == 1
    assert Article.objects.in_language("en").get().title == "Edited by staff"
    assert Topic.objects.get(slug="stress").description == "Staff wording."
