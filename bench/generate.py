"""Generated data for the benchmark: 200 articles, 10 topics, 5 specialists and
1,000 consultation requests, plus the static file the pages are measured
against. Run inside the benchmark's own database and settings (bench/run.py)."""

import json
import random
import sys
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.core.cache import caches  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from articles.models import Article  # noqa: E402
from tests import factories  # noqa: E402

PARAGRAPH = (
    "<p>Stress, sleep and the people around us shape how we feel from one day to the next. "
    "Small, regular habits help more than big resolutions, and asking for help early is a "
    "sign of strength, not weakness.</p>"
)


def article_body(number):
    sections = []
    for section in range(6):
        sections.append(f"<h2>Part {section + 1} of article {number}</h2>")
        sections.extend([PARAGRAPH] * 3)
        sections.append(
            "<ul><li>Sleep at regular times</li><li>Move every day</li><li>Talk to someone</li></ul>"
        )
    return "".join(sections)


def generate():
    rng = random.Random(42)
    specialists = [factories.SpecialistFactory() for _ in range(5)]
    topics = [factories.TopicFactory(name=f"Topic {n}", slug=f"topic-{n}") for n in range(10)]
    for number in range(200):
        article = factories.ArticleFactory(
            body=article_body(number),
            author=rng.choice(specialists),
            reviewer=rng.choice(specialists),
            topics=rng.sample(topics, 2),
        )
        for ref in range(3):
            factories.ReferenceFactory(article=article, title=f"Reference {ref} for article {number}")
    # Requests name one of the 10 topics (the factory's default would add a
    # new topic for each, and the pages would list 1,010).
    for _ in range(1000):
        factories.ConsultationRequestFactory(concern=rng.choice([*topics, None]))


def measure_pages(paths):
    """SQL queries of each page on a cold cache, as the first visitor sees it."""
    caches["pages"].clear()
    client = Client(SERVER_NAME="127.0.0.1")
    queries = {}
    for name, path in paths.items():
        with CaptureQueriesContext(connection) as captured:
            response = client.get(path, secure=True)
        queries[name] = {"status": response.status_code, "queries": len(captured)}
    return queries


def valid_booking(number):
    """Form data a visitor would send: a future weekday at least two days ahead."""
    from clinic.models import ClinicProfile

    open_days = ClinicProfile.load().open_weekday_numbers
    day = timezone.localdate() + timedelta(days=2)
    while day.weekday() not in open_days:
        day += timedelta(days=1)
    return {
        "name": f"Visitor {number}",
        "email": f"visitor{number}@example.com",
        "phone": "+91 98765 43210",
        "contact_channels": "email",
        "who_for": "adult",
        "mode": "video",
        "spoken_language": "en",
        "window1_date": day.isoformat(),
        "window1_part": "morning",
        "no_time_suits": "on",
        "safe_now": "yes",
        "consent": "on",
        "remote_consent": "on",
    }


def prepare_posts(path, count, first=0):
    """One line per visitor: its own CSRF cookie, and the form it would send
    (with the CSRF token and one-time submission key the form page gives).
    Visitors are numbered from `first`; each number has its own address."""
    from django.middleware.csrf import _get_new_csrf_string, _mask_cipher_secret

    from bookings.forms import new_submission_key

    with open(path, "w") as out:
        for number in range(first, first + count):
            secret = _get_new_csrf_string()
            data = valid_booking(number)
            data["csrfmiddlewaretoken"] = _mask_cipher_secret(secret)
            data["submission_key"] = new_submission_key()
            # Each visitor comes from its own address, as the proxy reports it.
            xff = f"10.{number // 65536 % 256}.{number // 256 % 256}.{number % 256}"
            out.write(f"{settings.CSRF_COOKIE_NAME}={secret}\t{xff}\t{urlencode(data)}\n")


def check_one_post(path):
    """The prepared POSTs are accepted: the first one, sent in-process, redirects."""
    cookie, _xff, body = Path(path).read_text().splitlines()[0].split("\t")
    client = Client(enforce_csrf_checks=True, SERVER_NAME="127.0.0.1")
    client.cookies[settings.CSRF_COOKIE_NAME] = cookie.split("=", 1)[1]
    response = client.post(
        "/book/",
        data=body,
        content_type="application/x-www-form-urlencoded",
        secure=True,
        HTTP_REFERER="https://127.0.0.1/book/",
    )
    if response.status_code != 302:
        errors = getattr(response, "context", None) and response.context["form"].errors
        raise SystemExit(f"a prepared booking POST was refused ({response.status_code}): {errors}")


def main(out_path, posts_path, post_count):
    # A scratch Redis keeps what an earlier run cached, though the database was flushed.
    for cache in caches.all():
        cache.clear()
    generate()
    article = Article.objects.published().first()
    paths = {
        "article": article.get_absolute_url(),
        "article_list": "/articles/",
        "home": "/",
        "booking_form": "/book/",
    }
    # The static file the pages are measured against: the article page's own bytes.
    html = Client(SERVER_NAME="127.0.0.1").get(paths["article"], secure=True).content
    static_file = Path(settings.STATIC_ROOT) / "bench" / "article-copy.html"
    static_file.parent.mkdir(parents=True, exist_ok=True)
    static_file.write_bytes(html)
    info = {"paths": paths, "queries": measure_pages(paths), "article_bytes": len(html)}
    prepare_posts(posts_path, post_count + 1)
    check_one_post(posts_path)
    Path(posts_path).write_text("".join(Path(posts_path).read_text().splitlines(keepends=True)[1:]))
    Path(out_path).write_text(json.dumps(info, indent=2))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
