"""The empty booking form is made once per link and content version; every
visitor gets their own CSRF token and submission key put into it."""

import re

import pytest
from django.test import Client

from bookings.models import ConsultationRequest
from tests.bookings.conftest import BOOK_URL, form_data, thanks_url_of
from tests.factories import SpecialistFactory, TopicFactory

pytestmark = pytest.mark.django_db


def hidden_value(html, name):
    return re.search(rf'name="{name}" value="([^"]*)"', html)[1]


@pytest.fixture
def choices(clinic_profile):
    for number in range(5):
        TopicFactory(name=f"Topic {number}", slug=f"topic-{number}")
    SpecialistFactory.create_batch(3)


def test_the_page_is_made_once_then_served_without_queries(choices, django_assert_num_queries):
    # Made: the slugs a link may preselect (topics, specialists), and the
    # form's choices (topics, specialists).
    with django_assert_num_queries(4):
        assert Client().get(BOOK_URL).status_code == 200
    with django_assert_num_queries(0):
        assert Client().get(BOOK_URL).status_code == 200
    prefilled = f"{BOOK_URL}?topic=topic-1&article=some-article&utm_source=x"
    with django_assert_num_queries(2):  # this link's own page: the form's choices
        assert Client().get(prefilled).status_code == 200
    with django_assert_num_queries(0):
        assert Client().get(prefilled).status_code == 200


def test_each_visitor_gets_their_own_token_and_key_and_can_send(choices):
    visitors = [Client(enforce_csrf_checks=True) for _ in range(2)]
    pages = [visitor.get(BOOK_URL).content.decode() for visitor in visitors]
    tokens = [hidden_value(page, "csrfmiddlewaretoken") for page in pages]
    keys = [hidden_value(page, "submission_key") for page in pages]
    assert tokens[0] != tokens[1] and keys[0] != keys[1]
    assert "hole" not in pages[1]
    for visitor, token, key in zip(visitors, tokens, keys, strict=True):
        data = {**form_data(), "csrfmiddlewaretoken": token, "submission_key": key}
        thanks_url_of(visitor.post(BOOK_URL, data))
    assert ConsultationRequest.objects.count() == 2


def test_link_values_are_escaped_and_preselect_only_what_exists(choices):
    html = (
        Client()
        .get(BOOK_URL + '?topic=topic-2&specialist=nobody&utm_source="><script>x</script>')
        .content.decode()
    )
    assert 'name="utm_source" value="&quot;&gt;&lt;script&gt;x&lt;/script&gt;"' in html
    assert "<script>x" not in html
    assert '<option value="topic-2" selected>' in html
    assert re.search(r'<option value="" selected>\s*No preference', html)


def test_a_new_topic_or_specialist_shows_at_once(choices):
    Client().get(BOOK_URL)
    TopicFactory(name="Sleep and rest", slug="sleep")
    SpecialistFactory(name="Dr Kavya Rao")
    html = Client().get(BOOK_URL).content.decode()
    assert "Sleep and rest" in html and "Dr Kavya Rao" in html
    assert '<option value="sleep" selected>' in Client().get(BOOK_URL + "?topic=sleep").content.decode()


def test_staff_are_served_a_page_made_for_them(choices, admin_client):
    Client().get(BOOK_URL)
    response = admin_client.get(BOOK_URL)
    assert response.status_code == 200
    assert response.context is not None  # rendered, not copied


def test_a_page_made_by_another_worker_is_filled_in_too(choices):
    import importlib

    from bookings import form_page

    Client().get(BOOK_URL)  # this worker makes and stores the page
    importlib.reload(form_page)  # another worker: its own memory, the shared cache
    visitor = Client(enforce_csrf_checks=True)
    page = visitor.get(BOOK_URL).content.decode()
    assert "booking-form-hole" not in page
    data = {
        **form_data(),
        "csrfmiddlewaretoken": hidden_value(page, "csrfmiddlewaretoken"),
        "submission_key": hidden_value(page, "submission_key"),
    }
    thanks_url_of(visitor.post(BOOK_URL, data))
