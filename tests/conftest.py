import pytest
from django.core.cache import caches


@pytest.fixture(autouse=True)
def _clear_caches():
    # Each test starts with no cached pages and no rate-limit counts.
    for cache in caches.all():
        cache.clear()
    yield
    for cache in caches.all():
        cache.clear()


@pytest.fixture
def clinic_profile(db):
    from clinic.models import ClinicProfile

    return ClinicProfile.load()
