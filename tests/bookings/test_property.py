"""Thousands of generated forms: each one either becomes exactly one request
or comes back with errors and saves nothing. Never a 500.

Rendering the form again takes most of the time of a post, so hundreds go
through HTTP and a few thousand more straight through the form and service."""

from datetime import timedelta

import pytest
from django.http import QueryDict
from django.template import Template
from django.test import Client
from django.test.utils import _TestState
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bookings.forms import ConsultationRequestForm, new_submission_key
from bookings.models import ConsultationRequest
from bookings.services import submit_request
from tests.bookings.conftest import form_data

pytestmark = pytest.mark.django_db

text = st.text(st.characters(codec="utf-8"), max_size=60)
long_text = st.one_of(text, st.text(st.characters(codec="utf-8"), min_size=990, max_size=1100))
maybe = lambda strategy: st.one_of(st.none(), strategy)  # noqa: E731 - None leaves the field out


def dates():
    today = timezone.localdate()
    return st.one_of(
        st.integers(-5, 120).map(lambda d: (today + timedelta(days=d)).isoformat()),
        text,
    )


fields = st.fixed_dictionaries(
    {},
    optional={
        "name": st.one_of(text, st.just("Priya")),
        "email": st.one_of(text, st.emails().map(str)),
        "phone": st.one_of(text, st.sampled_from(["98765 43210", "+44 20 7946 0958", "12", "+91"])),
        "contact_channels": st.lists(st.sampled_from(["email", "phone", "sms", "whatsapp", "fax", "\x00"])),
        "message": long_text,
        "mode": st.sampled_from(["in_clinic", "video", "phone", "", "x"]),
        "window1_date": dates(),
        "window1_part": st.sampled_from(["morning", "afternoon", "evening", "", "night"]),
        "window2_date": dates(),
        "window2_part": st.sampled_from(["morning", "evening", ""]),
        "spoken_language": st.sampled_from(["en", "hi", "zz", ""]),
        "who_for": st.sampled_from(["adult", "guardian", "child"]),
        "safe_now": st.sampled_from(["yes", "no", "", "maybe"]),
        "consent": st.sampled_from(["on", ""]),
        "remote_consent": st.sampled_from(["on", ""]),
        "concern": st.one_of(text, st.sampled_from(["", "topic-1", "no-such-topic"])),
        "utm_source": text,
        "source_article": text,
        "submission_key": st.one_of(st.just("fresh"), text),
    },
)


@pytest.fixture
def plain_rendering(monkeypatch):
    # The test client records every template context it renders, which costs
    # more than the request itself; thousands of posts do not need that.
    monkeypatch.setattr(Template, "_render", _TestState.saved_data.template_render)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(overrides=fields)
def test_generated_forms_are_saved_once_or_refused_cleanly(clinic_profile, plain_rendering, overrides):
    client = Client(raise_request_exception=True)
    if overrides.get("submission_key") == "fresh":
        overrides["submission_key"] = new_submission_key()
    data = {key: value for key, value in form_data(**overrides).items() if value is not None}
    before = ConsultationRequest.objects.count()
    response = client.post("/book/", data)
    after = ConsultationRequest.objects.count()
    if response.status_code == 302:
        assert after == before + 1
        assert client.get(response["Location"]).status_code == 200
    else:
        assert response.status_code == 200
        assert 'id="form-errors"' in response.content.decode()
        assert after == before


@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(overrides=fields)
def test_generated_forms_through_form_and_service(clinic_profile, overrides):
    if overrides.get("submission_key") == "fresh":
        overrides["submission_key"] = new_submission_key()
    data = QueryDict(mutable=True)
    for key, value in form_data(**overrides).items():
        if isinstance(value, list):
            data.setlist(key, value)
        elif value is not None:
            data[key] = value
    form = ConsultationRequestForm(data, profile=clinic_profile)
    before = ConsultationRequest.objects.count()
    if form.is_valid():
        _, created = submit_request(form.save(commit=False))
        assert created and ConsultationRequest.objects.count() == before + 1
        again = ConsultationRequestForm(data, profile=clinic_profile)
        assert again.is_valid()
        _, created_again = submit_request(again.save(commit=False))
        assert not created_again and ConsultationRequest.objects.count() == before + 1
    else:
        assert form.errors
        assert ConsultationRequest.objects.count() == before
