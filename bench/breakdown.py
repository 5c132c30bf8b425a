"""Where the time of the two slowest requests goes, measured in-process: no
network, no gunicorn, no wrk competing for the CPU. Run by bench/run.py in the
benchmark's own database and settings, with the page cache off, so that the
figures explain its article_uncached and booking_post rows.

Prints milliseconds per request, each the median of several rounds:
- the article page as a whole, and its parts: the article with its author,
  reviewer, topics and references (3 queries), the related articles (1 query),
  and the template;
- a valid booking POST as a whole, and how long its transaction holds the
  database (on SQLite, the one write lock every worker waits for);
- the open times of 20 specialists over 14 days ("no preference"), with a year
  of appointments on the books (added in a transaction that is rolled back),
  computed afresh (the schedule just changed) and read from the cache;
- the booking form GET as a whole, and the part its template takes.
"""

import io
import json
import logging
import statistics
import sys
import tempfile
import time
from pathlib import Path

import django

django.setup()

from django.contrib.auth.models import AnonymousUser  # noqa: E402
from django.core.handlers.wsgi import WSGIHandler  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import RequestFactory  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from articles.views import ArticleDetailView  # noqa: E402
from bench.generate import prepare_posts  # noqa: E402
from bookings import availability, services  # noqa: E402
from bookings.models import Appointment  # noqa: E402
from clinic.models import Mode, Specialist  # noqa: E402
from tests import factories  # noqa: E402

ROUNDS = 5
PER_ROUND = 100
# Visitors numbered past the benchmark's own, so each has an address of its own.
FIRST_VISITOR = 500_000


def median_ms(rounds):
    return statistics.median(rounds) * 1000


def call(app, environ):
    statuses = []
    response = app(environ, lambda status, headers, exc_info=None: statuses.append(status))
    b"".join(response)
    response.close()  # as a server does: request_finished, connections returned
    return int(statuses[0].split()[0])


def base_environ(method, path, body=b""):
    return {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "HTTP_HOST": "127.0.0.1",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "REMOTE_ADDR": "127.0.0.1",
        "CONTENT_LENGTH": str(len(body)),
    }


def timed_rounds(step):
    """Run step() PER_ROUND times per round; seconds per call of each round."""
    results = []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        for _ in range(PER_ROUND):
            step()
        results.append((time.perf_counter() - started) / PER_ROUND)
    return results


def article(app, path, slug):
    def whole():
        status = call(app, base_environ("GET", path))
        assert status == 200, status

    factory = RequestFactory(SERVER_NAME="127.0.0.1")
    parts = {"article, 3 queries": [], "related, 1 query": [], "template": []}

    def in_parts():
        request = factory.get(path)
        request.user = AnonymousUser()
        view = ArticleDetailView()
        view.setup(request, slug=slug)
        t0 = time.perf_counter()
        view.object = view.get_object()
        t1 = time.perf_counter()
        context = view.get_context_data(object=view.object)
        t2 = time.perf_counter()
        view.render_to_response(context).render()
        t3 = time.perf_counter()
        for name, seconds in zip(parts, (t1 - t0, t2 - t1, t3 - t2), strict=True):
            parts[name].append(seconds)

    for _ in range(20):  # warm: templates compiled, connection open
        whole()
        in_parts()
    whole_rounds = timed_rounds(whole)
    for _ in range(ROUNDS * PER_ROUND):
        in_parts()
    split = {
        name: median_ms(
            [sum(values[i : i + PER_ROUND]) / PER_ROUND for i in range(0, len(values), PER_ROUND)]
        )
        for name, values in parts.items()
    }
    return median_ms(whole_rounds), split


class TransactionClock:
    """Time from a transaction's first statement to the end of its commit."""

    def __init__(self):
        self.started = None
        self.held = []

    def __call__(self, execute, sql, params, many, context):
        if context["connection"].in_atomic_block and self.started is None:
            self.started = time.perf_counter()
            context["connection"].on_commit(self.committed)
        return execute(sql, params, many, context)

    def committed(self):
        self.held.append(time.perf_counter() - self.started)
        self.started = None


def booking_post(app, posts):
    lines = iter(posts)

    def post():
        cookie, forwarded_for, body = next(lines).split("\t")
        environ = base_environ("POST", "/book/", body.encode())
        environ.update(
            CONTENT_TYPE="application/x-www-form-urlencoded",
            HTTP_COOKIE=cookie,
            HTTP_X_FORWARDED_FOR=forwarded_for,
            HTTP_REFERER="http://127.0.0.1/book/",
        )
        status = call(app, environ)
        assert status == 302, status

    for _ in range(20):
        post()
    clock = TransactionClock()
    with connection.execute_wrapper(clock):
        whole_rounds = timed_rounds(post)
    return median_ms(whole_rounds), statistics.median(clock.held) * 1000


OPEN_TIMES_SPECIALISTS = 20
OPEN_TIMES_ROUNDS = 5
OPEN_TIMES_PER_ROUND = 10


def a_year_of_appointments(specialists):
    """Every working day of the past year and the coming fortnight, four
    appointments a day per specialist (the past ones completed)."""
    consultation = factories.ConsultationRequestFactory(submission_key="open-times-benchmark")
    now = timezone.now()
    today = timezone.localdate()
    rows = []
    for specialist in specialists:
        for offset in range(-365, 15):
            day = today + timezone.timedelta(days=offset)
            if day.weekday() == 6:
                continue
            for hour in (10, 12, 14, 16):
                start = timezone.make_aware(timezone.datetime(day.year, day.month, day.day, hour))
                rows.append(
                    Appointment(
                        consultation=consultation,
                        specialist=specialist,
                        start=start,
                        end=start + timezone.timedelta(minutes=50),
                        status="completed" if start < now else "confirmed",
                    )
                )
    Appointment.objects.bulk_create(rows, batch_size=2000)
    return len(rows)


def open_times_with_a_year():
    """Milliseconds per open_times() call, the queries it ran, the appointments."""
    with transaction.atomic():
        specialists = list(Specialist.objects.bookable())
        specialists += [
            factories.SpecialistFactory(name=f"Open times specialist {n}", registration_number="")
            for n in range(OPEN_TIMES_SPECIALISTS - len(specialists))
        ]
        for specialist in specialists:
            services.give_clinic_hours(specialist)
        count = a_year_of_appointments(specialists)
        availability.schedule_changed()  # bulk_create sends no signal
        with CaptureQueriesContext(connection) as captured:
            availability.open_times(Mode.VIDEO)

        def afresh():
            availability.schedule_changed()
            availability.open_times(Mode.VIDEO)

        figures = []
        for step in (afresh, lambda: availability.open_times(Mode.VIDEO)):
            rounds = []
            for _ in range(OPEN_TIMES_ROUNDS):
                started = time.perf_counter()
                for _ in range(OPEN_TIMES_PER_ROUND):
                    step()
                rounds.append((time.perf_counter() - started) / OPEN_TIMES_PER_ROUND)
            figures.append(median_ms(rounds))
        transaction.set_rollback(True)
    return *figures, len(captured), count, len(specialists)


def booking_form(app, path):
    """The form GET, and how much of it is its template's rendering."""
    from django.template.response import SimpleTemplateResponse

    def get():
        status = call(app, base_environ("GET", path))
        assert status == 200, status

    rendering = []
    original = SimpleTemplateResponse.render

    def timed_render(response):
        started = time.perf_counter()
        result = original(response)
        rendering.append(time.perf_counter() - started)
        return result

    def get_afresh():
        availability.schedule_changed()  # as if the schedule had just changed
        get()

    for _ in range(20):
        get()
    afresh_rounds = timed_rounds(get_afresh)
    SimpleTemplateResponse.render = timed_render
    try:
        whole_rounds = timed_rounds(get)
    finally:
        SimpleTemplateResponse.render = original
    return median_ms(whole_rounds), statistics.median(rendering) * 1000, median_ms(afresh_rounds)


def main(info_path):
    logging.disable(logging.INFO)  # one line per booking would be timed too
    info = json.loads(Path(info_path).read_text())
    path = info["paths"]["article"]
    slug = path.rstrip("/").rsplit("/", 1)[-1]
    app = WSGIHandler()
    with tempfile.NamedTemporaryFile("r", suffix=".txt") as posts_file:
        prepare_posts(posts_file.name, ROUNDS * PER_ROUND + 20, first=FIRST_VISITOR)
        posts = posts_file.read().splitlines()
    article_ms, article_parts = article(app, path, slug)
    post_ms, transaction_ms = booking_post(app, posts)
    form_ms, form_template_ms, form_afresh_ms = booking_form(app, info["paths"]["booking_form"])
    open_ms, cached_ms, open_queries, appointments, specialists = open_times_with_a_year()
    print(f"In-process milliseconds per request (median of {ROUNDS} rounds of {PER_ROUND}), page cache off:")
    parts = ", ".join(f"{name} {ms:.2f}" for name, ms in article_parts.items())
    print(f"  article page     {article_ms:.2f}  ({parts}; the rest is middleware and WSGI)")
    print(f"  booking POST     {post_ms:.2f}  (its transaction holds the database for {transaction_ms:.2f})")
    print(
        f"  booking form     {form_ms:.2f}  (its template {form_template_ms:.2f}; open times from the cache); "
        f"{form_afresh_ms:.2f} with them computed afresh"
    )
    print(
        f"  open times       {open_ms:.2f}  ({specialists} specialists, 14 days, no preference, "
        f"{open_queries} queries; {appointments:,} appointments on the books over a year); "
        f"from the cache {cached_ms:.2f}, {open_ms / cached_ms:.0f} times faster"
    )


if __name__ == "__main__":
    main(sys.argv[1])
