"""One machine, nothing to set up: SQLite, file cache, emails as files."""

import secrets

from .base import *  # noqa: F403
from .base import VAR_DIR
from .env import env_str

# var/ holds health data (database, emails): its owner's alone, whatever the umask.
VAR_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)
VAR_DIR.chmod(0o700)


def _local_secret_key():
    # Kept in var/, so sessions survive restarts and no secret is committed.
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = env_str("DJANGO_SECRET_KEY") or _local_secret_key()
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "clinic.mail.EmlFileBackend")
# SMS and WhatsApp as files in var/messages/, beside the emails in var/mail/.
MESSAGE_CHANNELS = {
    "email": "messaging.channels.EmailChannel",
    "sms": env_str("SMS_BACKEND", "") or "messaging.channels.FileChannel",
    "whatsapp": env_str("WHATSAPP_BACKEND", "") or "messaging.channels.FileChannel",
}
