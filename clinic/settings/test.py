"""Fast, isolated tests: quick hashing, in-memory email and cache, plain static
files (no collectstatic needed)."""

from .base import *  # noqa: F403
from .env import env_str

SECRET_KEY = "tests-only-not-secret"  # noqa: S105 - used by the test suite alone
DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "default"},
    "pages": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "pages"},
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # A database file rather than memory. With an in-memory database the live
    # server's request threads share the test's own connection, so a request
    # still running while the test writes can catch that connection half-way
    # into a transaction. With a file every thread has its own connection and
    # SQLite's locking keeps them apart, as in production.
    _test_folder = VAR_DIR / "test"  # noqa: F405
    _test_folder.mkdir(parents=True, exist_ok=True)
    DATABASES["default"]["TEST"] = {"NAME": str(_test_folder / "db.sqlite3")}  # noqa: F405
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Tasks go through the real database queue, as in production; tests run the
# worker with `call_command("db_worker", "--batch", "--no-startup-delay")`.
TASKS = {
    "default": {
        "BACKEND": env_str("TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
SITE_URL = "http://testserver"
# Serve static files straight from the source folders; no collectstatic.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
# Login lockout is switched on by the tests that exercise it; elsewhere the test
# client's login() (which passes no request) must keep working.
AXES_ENABLED = False
# The tests of the bot checks set these themselves; elsewhere a test client
# posts at once and from one address.
BOOKING_MIN_FILL_SECONDS = 0
BOOKING_RATE_LIMIT = "100000/h"
