import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _clear_cache():
    # The profile and pages are cached; each test starts from nothing.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def clinic_profile(db):
    from clinic.models import ClinicProfile

    return ClinicProfile.load()
