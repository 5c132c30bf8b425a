import contextlib
import importlib
import logging
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from axes.models import AccessAttempt
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.utils import timezone

from bookings.models import ConsultationRequest
from clinic.middleware import LOGIN_STARTED_KEY
from tests import observatory
from tests.factories import ArticleFactory, UserFactory

ROOT = Path(__file__).resolve().parents[2]
SECURITY_SETTINGS = [
    "SECURE_PROXY_SSL_HEADER",
    "SECURE_SSL_REDIRECT",
    "SECURE_REDIRECT_EXEMPT",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
]


@pytest.fixture
def production_security(monkeypatch):
    """The production module's security settings, applied to the test site."""
    monkeypatch.setenv("DJANGO_SECRET_KEY", "x" * 60)
    monkeypatch.setenv("DJANGO_ALLOWED_HOSTS", "clinic.example")
    monkeypatch.setenv("SITE_URL", "https://clinic.example")
    prod = importlib.import_module("clinic.settings.prod")
    with override_settings(**{name: getattr(prod, name) for name in SECURITY_SETTINGS}):
        yield prod


def https_get(client, path):
    # As the TLS proxy forwards it.
    return client.get(path, HTTP_X_FORWARDED_PROTO="https")


@pytest.mark.django_db
@pytest.mark.parametrize("page", ["home", "article", "booking form", "admin login"])
def test_observatory_grade_is_a_plus(client, production_security, page):
    article = ArticleFactory()
    path = {
        "home": "/",
        "article": article.get_absolute_url(),
        "booking form": "/book/",
        "admin login": "/admin/login/",
    }[page]
    response = https_get(client, path)
    assert response.status_code == 200
    total, results = observatory.score(response)
    assert total >= 100, results
    assert observatory.grade(total) == "A+"
    if page in ("booking form", "admin login"):
        # These set the CSRF cookie, so the cookie test counts too.
        assert results["cookies"][0] == "cookies-secure-with-httponly-sessions-and-samesite"


@pytest.mark.django_db
def test_content_security_policy_forbids_inline_code_and_framing(client):
    policy = observatory.parse_csp(client.get("/").headers["Content-Security-Policy"])
    everything = " ".join(" ".join(values) for values in policy.values())
    assert "unsafe-inline" not in everything and "unsafe-eval" not in everything
    assert policy["default-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["form-action"] == ["'self'"]
    assert policy["base-uri"] == ["'none'"]
    assert policy["object-src"] == ["'none'"]


@pytest.mark.django_db
def test_other_security_headers(client, production_security):
    response = https_get(client, "/")
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"
    permissions = response.headers["Permissions-Policy"]
    for feature in ["camera=()", "microphone=()", "geolocation=()", "payment=()", "usb=()"]:
        assert feature in permissions


@pytest.mark.django_db
def test_plain_http_is_redirected_to_https_except_the_health_check(client, production_security):
    response = client.get("/about/")
    assert response.status_code == 301
    assert response["Location"] == "https://testserver/about/"
    assert client.get("/healthz").status_code == 200


@pytest.mark.django_db
def test_cookies_are_secure_httponly_and_samesite(client, production_security):
    UserFactory(username="reception", password="a-long-test-password")
    https_get(client, "/admin/login/")
    response = client.post(
        "/admin/login/",
        {"username": "reception", "password": "a-long-test-password", "next": "/admin/"},
        HTTP_X_FORWARDED_PROTO="https",
    )
    assert response.status_code == 302
    session = response.cookies["sessionid"]
    assert session["secure"] and session["httponly"] and session["samesite"] == "Lax"
    csrf = client.cookies["csrftoken"]
    assert csrf["secure"] and csrf["samesite"] == "Lax"


# Login lockout -------------------------------------------------------------


@pytest.fixture
def axes_on(settings):
    settings.AXES_ENABLED = True
    return settings


def attempt_login(client, username, password, ip="203.0.113.10"):
    return client.post(
        "/admin/login/?next=/admin/",
        {"username": username, "password": password},
        REMOTE_ADDR=ip,
    )


@pytest.mark.django_db
def test_five_failures_lock_the_username_and_ip_pair_for_fifteen_minutes(client, axes_on):
    UserFactory(username="reception", password="right-password-123")
    for _ in range(4):
        assert attempt_login(client, "reception", "wrong").status_code == 200
    locked = attempt_login(client, "reception", "wrong")
    assert locked.status_code == 429
    assert "Too many failed logins" in locked.content.decode()
    # Even the right password is refused from that address now...
    assert attempt_login(client, "reception", "right-password-123").status_code == 429
    # ...but the same user from another address, and another user from this one, may log in.
    assert attempt_login(client, "reception", "right-password-123", ip="198.51.100.7").status_code == 302
    client.logout()
    UserFactory(username="editor", password="editor-password-123")
    assert attempt_login(client, "editor", "editor-password-123").status_code == 302
    client.logout()
    # After 15 minutes the pair may try again.
    AccessAttempt.objects.update(attempt_time=timezone.now() - timezone.timedelta(minutes=16))
    assert attempt_login(client, "reception", "right-password-123").status_code == 302


@pytest.mark.django_db
def test_forged_forwarded_entries_do_not_escape_the_lockout(client, axes_on):
    """Behind our proxy, whose own entry for the visitor is a private address,
    a new forged left-hand X-Forwarded-For entry on every try does not make a
    new visitor: the fifth wrong password locks the account from there."""
    axes_on.TRUSTED_PROXY_IPS = ["10.0.0.2"]
    UserFactory(username="reception", password="right-password-123")
    answers = [
        client.post(
            "/admin/login/?next=/admin/",
            {"username": "reception", "password": "wrong"},
            REMOTE_ADDR="10.0.0.2",
            HTTP_X_FORWARDED_FOR=f"81.2.69.{attempt}, 10.1.2.3",
        ).status_code
        for attempt in range(1, 8)
    ]
    assert answers == [200, 200, 200, 200, 429, 429, 429]
    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == ["10.1.2.3"]


@pytest.mark.django_db
def test_a_successful_login_resets_the_failure_count(client, axes_on):
    UserFactory(username="reception", password="right-password-123")
    for _ in range(4):
        attempt_login(client, "reception", "wrong")
    assert attempt_login(client, "reception", "right-password-123").status_code == 302
    client.logout()
    for _ in range(4):
        assert attempt_login(client, "reception", "wrong").status_code == 200
    assert attempt_login(client, "reception", "right-password-123").status_code == 302


@pytest.mark.django_db
def test_logins_are_logged_without_the_password(client, axes_on, caplog):
    UserFactory(username="reception", password="right-password-123")
    with caplog.at_level(logging.INFO):
        attempt_login(client, "reception", "wrong-Secret-42")
        attempt_login(client, "reception", "right-password-123")
    text = caplog.text
    assert "failure" in text.lower() and "success" in text.lower()
    assert "reception" in text
    assert "wrong-Secret-42" not in text and "right-password-123" not in text


# Staff sessions ---------------------------------------------------------------


@pytest.mark.django_db
def test_staff_session_ends_after_thirty_minutes_idle(admin_client, settings):
    response = admin_client.get("/admin/")
    assert response.status_code == 200
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    assert response.cookies["sessionid"]["max-age"] == 30 * 60


@pytest.mark.django_db
def test_staff_session_ends_twelve_hours_after_login(admin_client):
    assert admin_client.get("/admin/").status_code == 200
    session = admin_client.session
    session[LOGIN_STARTED_KEY] = int(time.time()) - 12 * 3600 - 60
    session.save()
    response = admin_client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
    assert admin_client.get("/admin/").status_code == 302


# Requests and outages ----------------------------------------------------------


@pytest.mark.django_db
def test_request_bodies_over_the_limit_are_refused_cleanly(client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    response = client.post("/admin/login/", {"username": "x" * 20_000, "password": "y"})
    assert response.status_code == 400
    assert "Something in that request was not right" in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/admin/login/", "/book/"])
def test_request_bodies_over_the_limit_are_refused_before_parsing_uploads_included(client, settings, path):
    # Django's own limit counts form fields, never uploaded files.
    settings.MAX_REQUEST_BYTES = settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    upload = SimpleUploadedFile("big.bin", b"x" * 20_000)
    response = client.post(path, {"username": "x", "password": "y", "attachment": upload})
    assert response.status_code == 413
    assert "That was too much to send at once" in response.content.decode()
    assert not ConsultationRequest.objects.exists()
    # Under the limit the page answers as before.
    small = SimpleUploadedFile("small.bin", b"x" * 100)
    assert client.post(path, {"username": "x", "password": "y", "attachment": small}).status_code == 200


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def gunicorn(tmp_path, **env_overrides):
    """A real gunicorn with the project's gunicorn.conf.py, on a free port;
    yields a function that fetches a path: (status, body)."""
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_", "REDIS_"))},
        "DJANGO_SETTINGS_MODULE": "clinic.settings.dev",
        "DJANGO_VAR_DIR": str(tmp_path),
        "DJANGO_STATIC_ROOT": str(tmp_path / "static"),
        "DJANGO_DEBUG": "0",
        "PORT": str(port),
        "WEB_CONCURRENCY": "1",
        **env_overrides,
    }
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, check=True
    )
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "clinic.wsgi:application", "-c", "gunicorn.conf.py"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )

    def fetch(path):
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as answer:
                    return answer.status, answer.read().decode()
            except urllib.error.HTTPError as error:
                return error.code, error.read().decode()
            except (ConnectionError, urllib.error.URLError):
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    try:
        yield fetch
    finally:
        server.terminate()
        server.wait(timeout=20)


def test_with_the_database_down_pages_are_the_sites_own_503(tmp_path):
    """A real gunicorn whose database is a port where nothing listens."""
    dead_port = free_port()
    with gunicorn(tmp_path, DATABASE_URL=f"postgres://nobody@127.0.0.1:{dead_port}/nothing") as fetch:
        answers = {path: fetch(path) for path in ["/", "/about/", "/healthz"]}
    assert answers["/"][0] == 503 and "briefly unavailable" in answers["/"][1]
    assert answers["/about/"][0] == 503 and "Traceback" not in answers["/about/"][1]
    assert answers["/healthz"][0] == 503 and '"database": "unreachable"' in answers["/healthz"][1]


def test_the_access_log_never_holds_the_tokens_of_visitors_links(tmp_path):
    log = tmp_path / "access.log"
    paths = [
        "/book/thanks/Thanks-Token-4f9a:1tW2xq/",
        "/book/request/Status-Token-77be:1tW2xq/",
        "/book/request/Cancel-Token-01cd:1tW2xq/cancel/",
        "/book/request/Erase-Token-9e3f:1tW2xq/erase/?lang=hi",
        "/book/request/erased/",
        "/hi/book/request/Hindi-Token-5a1b:1tW2xq/",
    ]
    with gunicorn(tmp_path, GUNICORN_ACCESS_LOG=str(log)) as fetch:
        for path in paths:
            fetch(path)
        deadline = time.monotonic() + 10
        while len(log.read_text().splitlines()) < len(paths) and time.monotonic() < deadline:
            time.sleep(0.1)
    lines = log.read_text().splitlines()
    assert len(lines) == len(paths)
    assert "Token" not in log.read_text()
    assert '"GET /book/thanks/[redacted]/"' in lines[0]
    assert '"GET /book/request/[redacted]/"' in lines[1]
    assert '"GET /book/request/[redacted]/cancel/"' in lines[2]
    assert '"GET /book/request/[redacted]/erase/"' in lines[3]
    assert '"GET /book/request/erased/"' in lines[4]
    assert '"GET /hi/book/request/[redacted]/"' in lines[5]
