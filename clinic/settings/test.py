"""Fast, isolated tests: quick hashing, in-memory email and cache, plain static files."""

from .base import *  # noqa: F403

SECRET_KEY = "tests-only-not-secret"  # noqa: S105 - used by the test suite alone
DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Texts as files (each test has a folder of its own: tests/conftest.py).
MESSAGE_CHANNELS = {
    "email": "messaging.channels.EmailChannel",
    "sms": "messaging.channels.FileChannel",
    "whatsapp": "messaging.channels.FileChannel",
}
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "default"},
    "pages": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "pages"},
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # A file, not memory: the live server's threads then get connections of
    # their own instead of sharing the test's, half-way into a transaction.
    _test_folder = VAR_DIR / "test"  # noqa: F405
    _test_folder.mkdir(parents=True, exist_ok=True)
    DATABASES["default"]["TEST"] = {"NAME": str(_test_folder / "db.sqlite3")}  # noqa: F405
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
SITE_URL = "http://testserver"
# Serve static files straight from the source folders; no collectstatic.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
# On in the tests of lockout; the test client's login() passes no request.
AXES_ENABLED = False
# A test client posts at once and from one address; the bot tests set these.
BOOKING_MIN_FILL_SECONDS = 0
BOOKING_RATE_LIMIT = "100000/h"
BOOKING_HOLD_RATE_LIMIT = "100000/h"
BOOKING_TIMES_RATE_LIMIT = "100000/m"
