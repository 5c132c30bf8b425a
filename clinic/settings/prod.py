"""Production: behind a TLS proxy, secrets from the environment, no fallbacks."""

from .base import *  # noqa: F403
from .base import SILENCED_SYSTEM_CHECKS
from .env import env_bool, env_int, env_required

SECRET_KEY = env_required("DJANGO_SECRET_KEY")
ALLOWED_HOSTS = [h.strip() for h in env_required("DJANGO_ALLOWED_HOSTS").split(",") if h.strip()]
SITE_URL = env_required("SITE_URL")
REDIRECT_TO_SITE_URL = env_bool("REDIRECT_TO_SITE_URL", True)

DEBUG = False
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
# The health check is answered over plain HTTP for the load balancer.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", False)
# A guessed or leaked password alone opens nothing.
ADMIN_REQUIRE_2FA = env_bool("DJANGO_ADMIN_REQUIRE_2FA", True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
if not SECURE_HSTS_PRELOAD:
    # Preloading HSTS is slow to undo: the owner's explicit choice, not a default.
    SILENCED_SYSTEM_CHECKS = [*SILENCED_SYSTEM_CHECKS, "security.W021"]
