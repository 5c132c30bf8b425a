"""Settings shared by every environment. Anything that differs comes from the
environment; dev.py, prod.py and test.py only say what is special about them."""

import json
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import dj_database_url
from csp.constants import NONE, SELF

from .env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent.parent
# Local state that is never committed (database, mail files, caches, media).
VAR_DIR = Path(env_str("DJANGO_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DJANGO_DEBUG", False)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "clinic",
    "articles",
    "bookings",
    "messaging",
    # django.contrib.admin, with the clinic's admin site (clinic/admin_site.py).
    "clinic.apps.ClinicAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "phonenumber_field",
    "simple_history",
    "django_prose_editor",
    "django_tasks",
    "django_tasks_db",
    "csp",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_ratelimit",
]

MIDDLEWARE = [
    # Django's site-wide cache, for the pages that say they may be kept
    # (clinic/caching.py): it stores them last, with every header the rest added.
    "django.middleware.cache.UpdateCacheMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "clinic.middleware.CanonicalHostMiddleware",
    "clinic.middleware.RequestSizeLimitMiddleware",
    # Static files are answered here, before the CSP and Permissions-Policy they do not need.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # ETags and 304s for every page, cached or not.
    "django.middleware.http.ConditionalGetMiddleware",
    # The language comes from the path alone (/hi/... or English): chosen before the
    # cache lookup, since Django's cache keys end with the active language.
    "clinic.middleware.PathLocaleMiddleware",
    # Looked up here rather than last, so a hit skips sessions, CSRF and the rest.
    # Nothing below changes the request headers a cache key is made of.
    "django.middleware.cache.FetchFromCacheMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "clinic.middleware.DatabaseUnavailableMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "clinic.middleware.StaffSessionLimitMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "clinic.urls"
WSGI_APPLICATION = "clinic.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "clinic.context_processors.clinic",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.config(
        env="DATABASE_URL",
        default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}",
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 600),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE: concurrent writers queue instead of failing with "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# "default" (rate limits) and "pages" (public pages, clinic/caching.py). In Redis
# the pages use the next database number, so emptying them keeps rate limits.


def redis_caches(url):
    parts = urlsplit(url)
    pages_url = urlunsplit(parts._replace(path=f"/{int(parts.path.strip('/') or 0) + 1}"))
    options = {
        # An outage is a cache miss, never an error page.
        "IGNORE_EXCEPTIONS": True,
        "SOCKET_CONNECT_TIMEOUT": 0.25,
        "SOCKET_TIMEOUT": 0.25,
    }
    return {
        "default": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": url, "OPTIONS": options},
        "pages": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": pages_url, "OPTIONS": options},
    }


REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = redis_caches(REDIS_URL)
else:
    CACHES = {
        "default": {"BACKEND": "clinic.cache.LocalDiskCache", "LOCATION": str(VAR_DIR / "diskcache")},
        "pages": {"BACKEND": "clinic.cache.LocalDiskCache", "LOCATION": str(VAR_DIR / "pagecache")},
    }
DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
# How long a public page may be kept (0 turns caching off): clinic/caching.py.
PAGE_CACHE_SECONDS = env_int("PAGE_CACHE_SECONDS", 30)
PAGE_CACHE_NEXT_CHANGE = "articles.models.next_publication"
CACHE_MIDDLEWARE_ALIAS = "pages"
# Pages that do not say how long they may be kept are not kept.
CACHE_MIDDLEWARE_SECONDS = 0

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# English at /, Hindi under /hi/ (clinic/urls.py); the admin stays in English.
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("hi", "हिन्दी")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Kolkata"
# One India-time format for every date and time in the admin (clinic/formats/).
FORMAT_MODULE_PATH = ["clinic.formats"]

STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("DJANGO_STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env_str("DJANGO_MEDIA_ROOT", str(VAR_DIR / "media")))
# On one machine Django serves uploads itself; behind a proxy the proxy does.
SERVE_MEDIA = env_bool("DJANGO_SERVE_MEDIA", True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
WHITENOISE_MAX_AGE = 31536000

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"
PHONENUMBER_DEFAULT_REGION = "IN"

EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
EMAIL_FILE_PATH = VAR_DIR / "mail"
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Clinic <no-reply@localhost>")
SERVER_EMAIL = env_str("SERVER_EMAIL", DEFAULT_FROM_EMAIL)
# Where new-request notifications go when the clinic profile has no inbox set.
CLINIC_INBOX_EMAIL = env_str("CLINIC_INBOX_EMAIL", "")
# Delivery per channel of outgoing messages (messaging.channels). SMS and
# WhatsApp only where a backend is named: FileChannel (var/messages/),
# ConsoleChannel or TwilioChannel.
SMS_BACKEND = env_str("SMS_BACKEND", "")
WHATSAPP_BACKEND = env_str("WHATSAPP_BACKEND", "")
MESSAGE_CHANNELS = {
    "email": "messaging.channels.EmailChannel",
    **({"sms": SMS_BACKEND} if SMS_BACKEND else {}),
    **({"whatsapp": WHATSAPP_BACKEND} if WHATSAPP_BACKEND else {}),
}
MESSAGE_FILE_PATH = VAR_DIR / "messages"
MESSAGE_TIMEOUT = env_int("MESSAGE_TIMEOUT", 10)
# The provider's ID of each registered text, "<channel>:<template>:<language>" -> ID,
# e.g. {"sms:confirmation:en": "1107…", "whatsapp:reminder:hi": "HX…"}; see
# `manage.py message_templates` for the texts to register.
MESSAGE_TEMPLATE_IDS = json.loads(env_str("MESSAGE_TEMPLATE_IDS", "") or "{}")
TWILIO_ACCOUNT_SID = env_str("TWILIO_ACCOUNT_SID", "")
TWILIO_AUTH_TOKEN = env_str("TWILIO_AUTH_TOKEN", "")
TWILIO_SMS_FROM = env_str("TWILIO_SMS_FROM", "")  # a number, a sender ID or a Messaging Service (MG…)
TWILIO_WHATSAPP_FROM = env_str("TWILIO_WHATSAPP_FROM", "")  # the clinic's WhatsApp number, +91…
TWILIO_API_URL = env_str("TWILIO_API_URL", "https://api.twilio.com")

# Video consultations (bookings.rooms): a Jitsi Meet room per appointment on
# this server. With an app ID and secret (a self-hosted server with token
# authentication, or JaaS), each participant's link carries a signed token.
VIDEO_SERVER = env_str("VIDEO_SERVER", "https://meet.jit.si")
VIDEO_JWT_APP_ID = env_str("VIDEO_JWT_APP_ID", "")
VIDEO_JWT_SECRET = env_str("VIDEO_JWT_SECRET", "")
# The visitor's Join button works from this many minutes before the start until the end.
VIDEO_JOIN_OPENS_MINUTES = env_int("VIDEO_JOIN_OPENS_MINUTES", 15)

# Emails are tasks in the database, sent by `manage.py db_worker`.
TASKS = {"default": {"BACKEND": env_str("TASKS_BACKEND", "django_tasks_db.DatabaseBackend")}}

BOOKING_MIN_NOTICE_HOURS = env_int("BOOKING_MIN_NOTICE_HOURS", 24)
# Reminders go this many hours before an appointment, each once, by the task worker.
BOOKING_REMINDER_HOURS = [int(hours) for hours in env_list("BOOKING_REMINDER_HOURS", ["24", "2"])]
BOOKING_MAX_DAYS_AHEAD = env_int("BOOKING_MAX_DAYS_AHEAD", 90)
# The waitlist: how long an entry waits, how many are offered a freed time at
# once (the first to claim it holds it), and how long an offer stands.
WAITLIST_DAYS = env_int("WAITLIST_DAYS", 30)
WAITLIST_OFFERS_PER_TIME = env_int("WAITLIST_OFFERS_PER_TIME", 3)
WAITLIST_OFFER_HOURS = env_int("WAITLIST_OFFER_HOURS", 12)
BOOKING_MIN_FILL_SECONDS = env_int("BOOKING_MIN_FILL_SECONDS", 3)
BOOKING_RATE_LIMIT = env_str("BOOKING_RATE_LIMIT", "10/h")
# Days of open times the form shows; no time beyond them can be held or moved to.
BOOKING_OPEN_DAYS = env_int("BOOKING_OPEN_DAYS", 14)
# Days with open times the form shows at first; the rest on request (a lighter page).
BOOKING_DAYS_SHOWN = env_int("BOOKING_DAYS_SHOWN", 3)
# Held times per visitor address, whatever the safety answer (one per email or phone besides).
BOOKING_HOLD_RATE_LIMIT = env_str("BOOKING_HOLD_RATE_LIMIT", "4/d")
# Open-times requests per visitor address: far more than a person clicks.
BOOKING_TIMES_RATE_LIMIT = env_str("BOOKING_TIMES_RATE_LIMIT", "60/m")
# Acknowledgements one email address is sent in an hour, however many requests name it.
BOOKING_ACKNOWLEDGEMENTS_PER_HOUR = env_int("BOOKING_ACKNOWLEDGEMENTS_PER_HOUR", 3)
# A form left open longer is sent back to be checked, with a fresh key.
BOOKING_FORM_MAX_AGE_HOURS = env_int("BOOKING_FORM_MAX_AGE_HOURS", 6)
BOOKING_LINK_MAX_AGE_DAYS = env_int("BOOKING_LINK_MAX_AGE_DAYS", 90)
BOOKING_RETENTION_DAYS = env_int("BOOKING_RETENTION_DAYS", 365)
# A chosen time staff have not confirmed is released after this many hours;
# empty means the clinic's response-time promise (its profile in the admin).
BOOKING_HOLD_HOURS = env_int("BOOKING_HOLD_HOURS", None)
# Visitors may move or cancel an appointment until this many hours before it.
BOOKING_CHANGE_CUTOFF_HOURS = env_int("BOOKING_CHANGE_CUTOFF_HOURS", 24)
# Every absolute link is built from it, never from the client's Host header.
SITE_URL = env_str("SITE_URL", "") or f"http://127.0.0.1:{env_str('PORT', '8000')}"
# Send requests for any other host or port to SITE_URL (on in production).
REDIRECT_TO_SITE_URL = env_bool("REDIRECT_TO_SITE_URL", False)
# While Redis is away, let requests through rather than turn every visitor away.
# django-ratelimit's checks do not know diskcache, whose counters are atomic too.
RATELIMIT_USE_CACHE = "default"
RATELIMIT_FAIL_OPEN = True
SILENCED_SYSTEM_CHECKS = ["django_ratelimit.E003", "django_ratelimit.W001"]

ADMIN_URL = env_str("DJANGO_ADMIN_URL", "admin/")
LOGIN_URL = "admin:login"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "errors/lockout.html"
AXES_CLIENT_IP_CALLABLE = "clinic.net.client_ip"
AXES_SENSITIVE_PARAMETERS = ["password"]
# Proxies whose X-Forwarded-For we believe (the load balancer's addresses).
TRUSTED_PROXY_IPS = env_list("TRUSTED_PROXY_IPS")

# A code from an authenticator app besides the password; production requires it.
ADMIN_REQUIRE_2FA = env_bool("DJANGO_ADMIN_REQUIRE_2FA", False)
OTP_TOTP_ISSUER = env_str("OTP_TOTP_ISSUER", "Clinic admin")

# Staff sessions end after 30 minutes idle, and 12 hours after login.
SESSION_COOKIE_AGE = env_int("SESSION_IDLE_MINUTES", 30) * 60
SESSION_SAVE_EVERY_REQUEST = True
STAFF_SESSION_MAX_HOURS = env_int("STAFF_SESSION_MAX_HOURS", 12)
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
CSRF_FAILURE_VIEW = "clinic.views.csrf_failure"

# Only our own files; Bootstrap's form controls draw icons with data: SVGs.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [NONE],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "manifest-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [NONE],
        "object-src": [NONE],
    }
}
# Browser features no page uses, switched off.
UNUSED_FEATURES = [
    "accelerometer", "autoplay", "camera", "display-capture", "encrypted-media", "fullscreen",
    "geolocation", "gyroscope", "magnetometer", "microphone", "midi", "payment",
    "publickey-credentials-get", "screen-wake-lock", "usb", "xr-spatial-tracking",
]  # fmt: skip
PERMISSIONS_POLICY = {feature: [] for feature in UNUSED_FEATURES}
MAX_REQUEST_BYTES = env_int("DJANGO_MAX_REQUEST_BYTES", 2_621_440)
DATA_UPLOAD_MAX_MEMORY_SIZE = MAX_REQUEST_BYTES

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("DJANGO_LOG_LEVEL", "INFO")},
    "loggers": {
        # Its 4xx warnings quote query strings.
        "django.request": {"level": "ERROR"},
    },
}
