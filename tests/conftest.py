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


@pytest.fixture
def clinic_profile(db):
    from clinic.models import ClinicProfile

    return ClinicProfile.load()
