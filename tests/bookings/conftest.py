from unittest import mock

import pytest
from django.core.management import call_command
from django.urls import reverse

from bookings.forms import new_submission_key
from tests.factories import next_open_day

BOOK_URL = "/book/"


def run_worker():
    # The worker closes connections it thinks are stale, and a connection
    # inside a test's transaction looks stale to it: keep it open here.
    with mock.patch("django_tasks_db.management.commands.db_worker.close_old_connections"):
        call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)


def form_data(**overrides):
    data = {
        "name": "Priya",
        "email": "priya@example.com",
        "phone": "98765 43210",
        "contact_channels": ["email", "phone"],
        "discreet": "on",
        "concern": "",
        "message": "",
        "mode": "video",
        "preferred_specialist": "",
        "window1_date": next_open_day().isoformat(),
        "window1_part": "morning",
        "window2_date": "",
        "window2_part": "",
        "window3_date": "",
        "window3_part": "",
        "spoken_language": "en",
        "who_for": "adult",
        "safe_now": "yes",
        "consent": "on",
        "remote_consent": "on",
        "submission_key": new_submission_key(),
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


@pytest.fixture
def valid_data(clinic_profile):
    return form_data()


@pytest.fixture
def reception_user(db):
    from django.contrib.auth.models import Group

    from tests.factories import UserFactory

    user = UserFactory(username="reception")
    user.groups.add(Group.objects.get(name="Reception"))
    return user


@pytest.fixture
def editor_user(db):
    from django.contrib.auth.models import Group

    from tests.factories import UserFactory

    user = UserFactory(username="editor")
    user.groups.add(Group.objects.get(name="Editors"))
    return user


def thanks_url_of(response):
    assert response.status_code == 302, getattr(response, "context", None) and response.context["form"].errors
    assert response["Location"].startswith(reverse("bookings:book") + "thanks/")
    return response["Location"]
