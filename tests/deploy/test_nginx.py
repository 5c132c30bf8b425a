"""deploy/nginx.conf as production runs it: TLS, forwarded headers, two app
instances, static files, the micro-cache and the access log (tests/deploy/conftest.py)."""

import gzip
import hashlib
import http.client
import json
import re
import time

import pytest
from axes.models import AccessAttempt
from django.conf import settings

from bench.nginx import Nginx, free_port
from bookings.tokens import status_path
from bookings.views import thanks_token
from tests.factories import ArticleFactory, ConsultationRequestFactory

pytestmark = pytest.mark.django_db(transaction=True)

LOG_LINE = re.compile(
    r'^(?P<client>\S+) \[[^\]]+\] "(?P<method>\S+) (?P<path>\S+) \S+" (?P<status>\d+) \d+ \S+ '
    r'"(?P<upstream>[^"]*)" (?P<cache>\S+)$'
)
MAX_REQUEST_BYTES = 2_621_440


def get(proxy, path, **kwargs):
    return proxy.request("GET", path, **kwargs)


def logged(proxy, path, count=1):
    """The access log's entries for `path`, once there are `count` of them
    (nginx writes a line just after the response)."""
    deadline = time.monotonic() + 5
    while True:
        lines = proxy.access_log.read_text().splitlines()
        entries = [m.groupdict() for m in map(LOG_LINE.match, lines) if m and m["path"] == path]
        if len(entries) >= count or time.monotonic() > deadline:
            return entries
        time.sleep(0.05)


def cache_file(proxy, path):
    # Where nginx keeps a page: the md5 of the cache key, in levels=1:2 folders.
    digest = hashlib.md5(f"httpsclinic_app{path}".encode(), usedforsecurity=False).hexdigest()
    return proxy.cache_dir / digest[-1] / digest[-3:-1] / digest


def max_age(cache_control):
    match = re.search(r"max-age=(\d+)", cache_control)
    return int(match.group(1)) if match else None


def test_static_files_are_served_by_nginx_precompressed_and_immutable(proxy):
    manifest = json.loads((proxy.static_root / "staticfiles.json").read_text())["paths"]
    hashed = "/static/" + manifest["css/clinic.css"]
    original = (proxy.static_root / manifest["css/clinic.css"]).read_bytes()

    status, headers, body = get(proxy, hashed, headers={"Accept-Encoding": "gzip"})
    assert status == 200
    assert headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(body) == original
    status, headers, body = get(proxy, hashed, headers={"Accept-Encoding": "br, gzip"})
    assert (status, headers["Content-Encoding"]) == (200, "br")
    assert len(body) < len(original)
    # A name without a hash may change with a release: cached for an hour only.
    status, headers, _ = get(proxy, "/static/img/favicon.svg")
    assert (status, headers["Cache-Control"]) == (200, "public, max-age=3600")
    status, _, _ = get(proxy, "/static/css/not-there.css")
    assert status == 404

    # None of them reached the app.
    for path, count in ((hashed, 2), ("/static/img/favicon.svg", 1), ("/static/css/not-there.css", 1)):
        entries = logged(proxy, path, count)
        assert len(entries) == count
        assert {entry["upstream"] for entry in entries} == {"-"}


def test_a_public_page_is_served_from_the_micro_cache_for_as_long_as_the_app_says(proxy, settings):
    settings.PAGE_CACHE_SECONDS = 2
    path = ArticleFactory().get_absolute_url()

    status, headers, body = get(proxy, path)
    stored = time.monotonic()
    assert (status, headers["X-Cache-Status"]) == (200, "MISS")
    cache_control = headers["Cache-Control"]
    assert "public" in cache_control
    assert max_age(cache_control) == 2
    assert "Cookie" in ", ".join(headers.get_all("Vary"))
    status, headers, cached = get(proxy, path)
    assert (status, headers["X-Cache-Status"], cached) == (200, "HIT", body)
    assert cache_file(proxy, path).exists()
    assert sorted(entry["cache"] for entry in logged(proxy, path, 2)) == ["HIT", "MISS"]

    # A signed-in person (staff) always gets the page from the app.
    _, headers, _ = get(proxy, path, headers={"Cookie": "sessionid=staff-session"})
    assert headers["X-Cache-Status"] == "BYPASS"

    # Once the app's max-age has passed, the page is fetched from the app again
    # (nginx counts whole seconds: up to a second later).
    time.sleep(stored + 2 + 1.2 - time.monotonic())
    _, headers, _ = get(proxy, path)
    assert headers["X-Cache-Status"] == "EXPIRED"


def test_private_pages_are_never_stored(proxy):
    consultation = ConsultationRequestFactory()
    paths = [
        "/book/",
        f"/book/thanks/{thanks_token(consultation)}/",
        status_path(consultation),
        "/hi/book/",
        f"/hi{status_path(consultation)}",
        f"/{settings.ADMIN_URL}login/",
    ]
    for path in paths:
        for _ in range(2):
            status, headers, _ = get(proxy, path)
            assert status == 200, path
            assert "X-Cache-Status" not in headers, path
            assert {"no-store", "private"} <= set(re.split(r",\s*", headers["Cache-Control"])), path
        assert not cache_file(proxy, path).exists(), path


def test_the_app_sees_https_and_the_visitors_own_address(proxy, settings):
    # Through nginx the app knows the visit is HTTPS and serves the page...
    status, _, _ = get(proxy, "/about/")
    assert status == 200
    # ...where it redirects a plain HTTP request that reaches it directly.
    direct = http.client.HTTPConnection(proxy.servers[0].thread.host, proxy.servers[0].thread.port)
    direct.request("GET", "/about/")
    response = direct.getresponse()
    assert response.status == 301
    assert response.headers["Location"].startswith("https://")
    direct.close()

    # A wrong password from 127.0.0.5 is counted against 127.0.0.5, the address
    # nginx appended to X-Forwarded-For, not the entry the client wrote itself.
    settings.AXES_ENABLED = True
    login = f"/{settings.ADMIN_URL}login/"
    _, headers, body = get(proxy, login, source="127.0.0.5")
    csrf_cookie = re.search(r"csrftoken=([^;]+)", headers["Set-Cookie"]).group(1)
    csrf_input = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body).group(1).decode()
    status, _, _ = proxy.request(
        "POST",
        login,
        body=f"csrfmiddlewaretoken={csrf_input}&username=reception&password=wrong",
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"csrftoken={csrf_cookie}",
            "Referer": proxy.url + login,
            "X-Forwarded-For": "203.0.113.7",
        },
        source="127.0.0.5",
    )
    assert status == 200  # the login form again, with its error
    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == ["127.0.0.5"]


def test_plain_http_is_redirected_to_https_and_requests_share_both_instances(proxy):
    connection = http.client.HTTPConnection("127.0.0.1", proxy.http_port)
    connection.request("GET", "/about/?page=2")
    response = connection.getresponse()
    assert (response.status, response.headers["Location"]) == (301, "https://localhost/about/?page=2")
    connection.close()

    for _ in range(4):
        assert get(proxy, "/healthz")[0] == 200
    instances = {server.url.removeprefix("http://") for server in proxy.servers}
    assert {entry["upstream"] for entry in logged(proxy, "/healthz", 4)} == instances


def test_an_instance_that_is_down_is_passed_over(proxy, tmp_path):
    down = f"127.0.0.1:{free_port()}"  # nothing listens there
    up = proxy.servers[0].url.removeprefix("http://")
    with Nginx(tmp_path, [down, up], proxy.static_root) as other:
        statuses = [other.request("GET", "/healthz")[0] for _ in range(8)]
        upstreams = [entry["upstream"] for entry in logged(other, "/healthz", 8)]
    assert statuses == [200] * 8
    # Tried, refused, passed on to the other; after 3 failures left out for 10 s.
    assert set(upstreams) == {f"{down}, {up}", up}
    assert upstreams.count(f"{down}, {up}") <= 3
    assert upstreams[-1] == up


def test_the_access_log_shows_no_booking_token_and_no_query_string(proxy):
    consultation = ConsultationRequestFactory()
    thanks = thanks_token(consultation)
    status = status_path(consultation)
    token = status.split("/")[3]
    get(proxy, f"/book/thanks/{thanks}/?utm_source=newsletter")
    get(proxy, f"{status}cancel/")
    get(proxy, f"/hi{status}")
    get(proxy, "/book/request/erased/")

    paths = [entry["path"] for entry in logged(proxy, "/book/request/erased/")]
    log = proxy.access_log.read_text()
    assert thanks not in log
    assert token not in log
    assert "utm_source" not in log
    assert "/book/thanks/<token>/" in log
    assert "/book/request/<token>/cancel/" in log
    assert "/hi/book/request/<token>/" in log
    assert paths == ["/book/request/erased/"]


def test_a_request_body_over_the_limit_is_refused_by_nginx(proxy):
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    before = len(logged(proxy, "/book/", count=0))
    status, _, _ = proxy.request("POST", "/book/", body=b"x" * (MAX_REQUEST_BYTES + 1), headers=form)
    assert status == 413
    # At the limit the request reaches the app (which refuses it: no CSRF token).
    status, _, _ = proxy.request("POST", "/book/", body=b"x" * MAX_REQUEST_BYTES, headers=form)
    assert status == 403
    # nginx answered the first itself; the second went to an app instance.
    answered = logged(proxy, "/book/", before + 2)[before:]
    assert [(entry["status"], entry["upstream"] != "-") for entry in answered] == [
        ("413", False),
        ("403", True),
    ]
