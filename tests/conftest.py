import pytest
from django.core.cache import caches
from django.utils import translation


@pytest.fixture(autouse=True)
def _clear_caches():
    # Each test starts with no cached pages and no rate-limit counts.
    for cache in caches.all():
        cache.clear()
    yield
    for cache in caches.all():
        cache.clear()


@pytest.fixture(autouse=True)
def _english_between_tests():
    # A request leaves its language active in the thread (LocaleMiddleware);
    # a test's own reverse() calls start from English.
    translation.activate("en")
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def text_folder(settings, tmp_path):
    """Where this test's SMS and WhatsApp messages are written (messaging.channels.FileChannel)."""
    settings.MESSAGE_FILE_PATH = tmp_path / "messages"
    return settings.MESSAGE_FILE_PATH


@pytest.fixture
def sent_texts(text_folder):
    """The texts sent so far, each as {"channel", "to", "template", ..., "body"}, oldest first."""

    def read():
        texts = []
        for path in sorted(text_folder.glob("*.txt"), key=lambda path: path.stat().st_mtime_ns):
            head, body = path.read_text(encoding="utf-8").split("\n\n", 1)
            fields = dict(line.split(": ", 1) for line in head.splitlines())
            texts.append({**{name.lower(): value for name, value in fields.items()}, "body": body.strip()})
        return texts

    return read


@pytest.fixture
def clinic_profile(db):
    from clinic.models import ClinicProfile

    return ClinicProfile.load()
