import pytest
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType

from bookings.models import Appointment, ConsultationRequest
from messaging.models import OutgoingMessage
from tests.factories import (
    AppointmentFactory,
    ArticleFactory,
    ConsultationRequestFactory,
    OutgoingMessageFactory,
    UserFactory,
)

MISSING_ID = 987654


def staff_client(client, group):
    user = UserFactory(username=group.lower())
    user.groups.add(Group.objects.get(name=group))
    client.force_login(user)
    return client


def view_on_site(client, model, object_id):
    content_type = ContentType.objects.get_for_model(model)
    return client.get(f"/admin/r/{content_type.pk}/{object_id}/")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("model", "factory"),
    [
        (ConsultationRequest, ConsultationRequestFactory),
        (Appointment, AppointmentFactory),
        (OutgoingMessage, OutgoingMessageFactory),
    ],
)
def test_an_editor_cannot_learn_whether_a_booking_record_exists(client, model, factory):
    editor = staff_client(client, "Editors")
    existing = factory()
    there, not_there = view_on_site(editor, model, existing.pk), view_on_site(editor, model, MISSING_ID)
    assert there.status_code == not_there.status_code == 404
    # The same page, but for the address it was asked at.
    assert there.content.replace(there.request["PATH_INFO"].encode(), b"") == not_there.content.replace(
        not_there.request["PATH_INFO"].encode(), b""
    )
    assert view_on_site(editor, model, "not-a-number").status_code == 404


@pytest.mark.django_db
def test_staff_who_may_see_requests_are_still_taken_to_them(client):
    reception = staff_client(client, "Reception")
    request = ConsultationRequestFactory()
    answer = view_on_site(reception, ConsultationRequest, request.pk)
    assert answer.status_code == 302 and answer["Location"].endswith(request.get_absolute_url())
    assert view_on_site(reception, ConsultationRequest, MISSING_ID).status_code == 404


@pytest.mark.django_db
def test_an_editor_is_still_taken_to_an_article(client):
    editor = staff_client(client, "Editors")
    article = ArticleFactory()
    answer = view_on_site(editor, type(article), article.pk)
    assert answer.status_code == 302 and answer["Location"].endswith(article.get_absolute_url())
    assert view_on_site(editor, type(article), MISSING_ID).status_code == 404


@pytest.mark.django_db
def test_visitors_are_sent_to_sign_in(client):
    request = ConsultationRequestFactory()
    answer = view_on_site(client, ConsultationRequest, request.pk)
    assert answer.status_code == 302 and answer["Location"].startswith("/admin/login/")
