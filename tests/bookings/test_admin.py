import csv
import io
from datetime import datetime, time, timedelta

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone

from bookings.models import ConsultationRequest, InternalNote
from tests.factories import (
    AppointmentFactory,
    ArticleFactory,
    ConsultationRequestFactory,
    SpecialistFactory,
    TopicFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db
Status = ConsultationRequest.Status
CHANGELIST = reverse("admin:bookings_consultationrequest_changelist")


def change_url(obj):
    return reverse("admin:bookings_consultationrequest_change", args=[obj.pk])


def test_groups_have_exactly_the_intended_permissions():
    reception = set(Group.objects.get(name="Reception").permissions.values_list("codename", flat=True))
    assert {"view_consultationrequest", "change_consultationrequest", "add_internalnote"} <= reception
    assert "delete_consultationrequest" not in reception
    assert "export_consultationrequest" not in reception
    assert "add_consultationrequest" not in reception
    editors = Group.objects.get(name="Editors").permissions.all()
    assert editors.exists()
    assert set(editors.values_list("content_type__app_label", flat=True)) == {"articles"}


def test_changelist_shows_the_columns_staff_need(admin_client):
    topic = TopicFactory(name="Anxiety")
    ConsultationRequestFactory(name="Priya", concern=topic, mode="video", safe_now="no")
    html = admin_client.get(CHANGELIST).content.decode()
    for header in [
        "Reference",
        "Name",
        "Status",
        "Urgent",
        "Help with",
        "Mode",
        "Time waiting",
        "Assigned to",
        "Created",
    ]:
        assert header in html, header
    assert "Priya" in html and "Anxiety" in html and "Video call" in html


@pytest.mark.parametrize(
    "query",
    [
        "status__exact=new",
        "urgent__exact=1",
        "mode__exact=video",
        "assigned=me",
        "assigned=nobody",
        "queue=awaiting",
        "queue=urgent",
        "queue=overdue",
        "queue=open",
        "created__gte=2020-01-01+00%3A00%3A00%2B05%3A30",
        "created__year=2026",
    ],
)
def test_changelist_filters_work(admin_client, query):
    ConsultationRequestFactory()
    assert admin_client.get(f"{CHANGELIST}?{query}").status_code == 200


def test_filters_by_concern_and_specialist(admin_client):
    specialist = SpecialistFactory()
    wanted = ConsultationRequestFactory(preferred_specialist=specialist)
    other = ConsultationRequestFactory()
    response = admin_client.get(f"{CHANGELIST}?preferred_specialist__id__exact={specialist.pk}")
    assert list(response.context["cl"].result_list) == [wanted]
    response = admin_client.get(f"{CHANGELIST}?concern__id__exact={other.concern_id}")
    assert list(response.context["cl"].result_list) == [other]


def test_assigned_to_me_filter(client):
    me = UserFactory(is_superuser=True)
    mine = ConsultationRequestFactory(assigned_to=me)
    ConsultationRequestFactory(assigned_to=UserFactory())
    client.force_login(me)
    response = client.get(f"{CHANGELIST}?assigned=me")
    assert list(response.context["cl"].result_list) == [mine]


@pytest.mark.parametrize("term", ["reference", "Sharma", "priya.s@example", "98765 43210", "+919876543210"])
def test_search_by_reference_name_email_and_phone(admin_client, term):
    wanted = ConsultationRequestFactory(
        name="Priya Sharma", email="priya.s@example.com", phone="+919876543210"
    )
    ConsultationRequestFactory(name="Someone Else", phone="+919812345678")
    term = wanted.reference if term == "reference" else term
    response = admin_client.get(CHANGELIST, {"q": term})
    assert list(response.context["cl"].result_list) == [wanted]


def test_what_the_visitor_sent_is_read_only(admin_client):
    consultation = ConsultationRequestFactory(name="Priya", message="original")
    response = admin_client.get(change_url(consultation))
    form = response.context["adminform"].form
    assert set(form.fields) == {"assigned_to", "change_status_to"}
    admin_client.post(
        change_url(consultation),
        {
            "name": "Changed",
            "message": "changed",
            "assigned_to": "",
            "change_status_to": "",
            "notes-TOTAL_FORMS": "0",
            "notes-INITIAL_FORMS": "0",
        },
    )
    consultation.refresh_from_db()
    assert (consultation.name, consultation.message) == ("Priya", "original")


def test_change_form_offers_only_allowed_next_steps(admin_client):
    from tests.factories import AppointmentFactory

    consultation = ConsultationRequestFactory(status=Status.CONTACTED, contacted_at=timezone.now())
    form = admin_client.get(change_url(consultation)).context["adminform"].form
    choices = [value for value, _ in form.fields["change_status_to"].choices]
    assert choices == ["", "cancelled", "spam"]
    # With an appointment, the request follows it: nothing to choose by hand.
    AppointmentFactory(consultation=consultation)
    form = admin_client.get(change_url(consultation)).context["adminform"].form
    assert [value for value, _ in form.fields["change_status_to"].choices] == [""]


def post_change(client, consultation, **data):
    payload = {
        "assigned_to": "",
        "change_status_to": "",
        "notes-TOTAL_FORMS": "1",
        "notes-INITIAL_FORMS": "0",
        "notes-0-text": "",
        **data,
    }
    return client.post(change_url(consultation), payload)


def test_reception_assigns_moves_status_and_adds_a_note_with_history(client, reception_user):
    consultation = ConsultationRequestFactory()
    client.force_login(reception_user)
    response = post_change(
        client,
        consultation,
        assigned_to=str(reception_user.pk),
        change_status_to="contacted",
        **{"notes-0-text": "Called; prefers evenings."},
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    consultation.refresh_from_db()
    assert consultation.assigned_to == reception_user
    assert consultation.status == Status.CONTACTED and consultation.contacted_at
    note = InternalNote.objects.get()
    assert note.author == reception_user and note.text == "Called; prefers evenings."
    reasons = list(consultation.history.values_list("history_change_reason", flat=True))
    assert "Marked contacted" in reasons and "Internal note added" in reasons
    assert "Assigned to reception" in reasons
    history = client.get(reverse("admin:bookings_consultationrequest_history", args=[consultation.pk]))
    html = history.content.decode()
    assert history.status_code == 200
    assert "Marked contacted" in html and "Internal note added" in html and "reception" in html
    assert "style=" not in html.split('id="change-history"')[1]


def test_forbidden_status_change_from_form_is_refused(admin_client):
    consultation = ConsultationRequestFactory(status=Status.COMPLETED, completed_at=timezone.now())
    response = post_change(admin_client, consultation, change_status_to="contacted")
    assert response.status_code == 200
    assert "change_status_to" in response.context["adminform"].form.errors


def test_actions_assign_mark_contacted_and_spam(client, reception_user):
    first, second = ConsultationRequestFactory.create_batch(2)
    closed = ConsultationRequestFactory(status=Status.COMPLETED, completed_at=timezone.now())
    client.force_login(reception_user)
    ids = [str(first.pk), str(second.pk), str(closed.pk)]
    client.post(CHANGELIST, {"action": "assign_to_me", "_selected_action": ids})
    assert ConsultationRequest.objects.filter(assigned_to=reception_user).count() == 3
    response = client.post(CHANGELIST, {"action": "mark_contacted", "_selected_action": ids}, follow=True)
    html = response.content.decode()
    assert "2 request(s) marked contacted" in html and "1 request(s) left as they were" in html
    client.post(CHANGELIST, {"action": "mark_spam", "_selected_action": [str(first.pk)]})
    first.refresh_from_db()
    assert first.status == Status.SPAM and first.spam_at
    assert first.history.first().history_user == reception_user


def test_nobody_deletes_or_adds_requests_from_reception(client, reception_user):
    consultation = ConsultationRequestFactory()
    client.force_login(reception_user)
    assert (
        client.get(reverse("admin:bookings_consultationrequest_delete", args=[consultation.pk])).status_code
        == 403
    )
    assert client.get(reverse("admin:bookings_consultationrequest_add")).status_code == 403
    actions = client.get(CHANGELIST).context["action_form"].fields["action"].choices
    names = [name for name, _ in actions]
    assert "export_csv" not in names and "delete_selected" not in names


def test_csv_export_needs_its_own_permission(client, reception_user):
    from django.contrib.auth.models import Permission

    consultation = ConsultationRequestFactory(
        name="=HYPERLINK(evil)", message="Sleep trouble", phone="+919876543210"
    )
    client.force_login(reception_user)
    response = client.post(CHANGELIST, {"action": "export_csv", "_selected_action": [str(consultation.pk)]})
    assert response.get("Content-Type", "").startswith("text/html")
    reception_user.user_permissions.add(Permission.objects.get(codename="export_consultationrequest"))
    response = client.post(CHANGELIST, {"action": "export_csv", "_selected_action": [str(consultation.pk)]})
    assert response["Content-Type"].startswith("text/csv")
    assert "no-store" in response["Cache-Control"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][0] == "reference" and rows[1][0] == consultation.reference
    assert rows[1][4] == "'=HYPERLINK(evil)"
    assert "+919876543210" in rows[1]


def test_editor_sees_nothing_of_any_request(client, editor_user):
    consultation = ConsultationRequestFactory(name="Priya Secret")
    AppointmentFactory(consultation=consultation)
    client.force_login(editor_user)
    index = client.get(reverse("admin:index")).content.decode()
    assert "Consultation requests" not in index and "Priya" not in index
    assert "Articles" in index
    for url in [
        CHANGELIST,
        f"{CHANGELIST}?q=Priya",
        change_url(consultation),
        reverse("admin:bookings_consultationrequest_history", args=[consultation.pk]),
        reverse("admin:bookings_appointment_changelist"),
        reverse("admin:bookings_appointment_schedule", args=[consultation.pk]),
        reverse("admin:bookings_appointment_reschedule", args=[consultation.appointments.get().pk]),
    ]:
        assert client.get(url).status_code == 403, url
    autocomplete = client.get(
        reverse("admin:autocomplete"),
        {"app_label": "bookings", "model_name": "appointment", "field_name": "consultation", "term": "Priya"},
    )
    assert autocomplete.status_code == 403
    assert client.get(reverse("admin:app_list", args=["bookings"])).status_code in (403, 404)


def test_dashboard_shows_the_queue_to_reception(client, reception_user):
    now = timezone.now()
    ConsultationRequestFactory(created=now - timedelta(hours=30))
    ConsultationRequestFactory(safe_now="no")
    article = ArticleFactory(title="Coping with panic")
    ConsultationRequestFactory.create_batch(2, source_article=article, created=now - timedelta(weeks=3))
    AppointmentFactory(start=timezone.make_aware(datetime.combine(timezone.localdate(), time(12))))
    client.force_login(reception_user)
    response = client.get(reverse("admin:index"))
    html = response.content.decode()
    assert "Consultation requests" in html
    assert "new, awaiting contact" in html
    assert "waiting longer than 24 hours" in html
    assert "appointment today" in html
    assert "Coping with panic: 2" in html
    assert html.count("booking-chart__week") == 12
    assert "booking-chart__bar--10" in html
    assert "style=" not in html.split("booking-dashboard")[1].split("</section>")[0]
    queue = response.context["queue"]
    # The two from the article are three weeks old, so they are overdue too.
    assert (queue["new"], queue["urgent"], queue["overdue"], queue["today"]) == (5, 1, 3, 1)


def test_dashboard_lists_todays_visitors_to_call_instead_of_a_text(client, reception_user):
    noon = timezone.make_aware(datetime.combine(timezone.localdate(), time(12)))
    calls = AppointmentFactory(start=noon, consultation__name="Ravi", consultation__phone="+919811012345")
    texted = AppointmentFactory(start=noon + timedelta(hours=1), consultation__contact_by_whatsapp=True)
    client.force_login(reception_user)
    panel = client.get(reverse("admin:index")).content.decode().split("To call today")[1].split("</ul>")[0]
    assert (
        f'12:00, <a href="{calls.consultation.get_absolute_url()}">{calls.consultation.reference}</a> (Ravi'
        in panel
    )
    assert 'href="tel:+919811012345"' in panel
    assert texted.consultation.reference not in panel


def test_dashboard_counts(rf, reception_user):
    from bookings.templatetags.bookings_dashboard import booking_dashboard

    now = timezone.now()
    ConsultationRequestFactory(created=now - timedelta(hours=30))
    ConsultationRequestFactory(safe_now="no")
    ConsultationRequestFactory(status=Status.SPAM, spam_at=now)
    request = rf.get("/")
    request.user = reception_user
    queue = booking_dashboard({"request": request})
    assert (queue["new"], queue["urgent"], queue["overdue"], queue["today"]) == (2, 1, 1, 0)
    assert sum(week["count"] for week in queue["weeks"]) == queue["weeks_total"] == 2


def test_dashboard_says_so_when_there_are_no_requests_yet(client, reception_user):
    client.force_login(reception_user)
    html = client.get(reverse("admin:index")).content.decode()
    assert "No requests in the last 12 weeks." in html
    assert "booking-chart__week" not in html


@pytest.mark.parametrize("rows", [1, 100])
def test_changelist_query_count_does_not_grow_with_rows(admin_client, django_assert_max_num_queries, rows):
    specialist = SpecialistFactory()
    user = UserFactory()
    topic = TopicFactory()
    ConsultationRequestFactory.create_batch(
        rows, concern=topic, preferred_specialist=specialist, assigned_to=user
    )
    admin_client.get(CHANGELIST)
    with django_assert_max_num_queries(15) as captured:
        response = admin_client.get(CHANGELIST)
    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == min(rows, 50)
    CHANGELIST_QUERIES[rows] = len(captured)
    if len(CHANGELIST_QUERIES) == 2:
        assert CHANGELIST_QUERIES[1] == CHANGELIST_QUERIES[100]


CHANGELIST_QUERIES = {}


def test_a_topic_visitors_asked_about_cannot_be_deleted(admin_client):
    from django.db.models import ProtectedError

    consultation = ConsultationRequestFactory(concern=TopicFactory(name="Anxiety"))
    url = reverse("admin:articles_topic_delete", args=[consultation.concern_id])
    html = admin_client.get(url).content.decode()
    assert "would require deleting the following protected related objects" in html
    admin_client.post(url, {"post": "yes"})
    with pytest.raises(ProtectedError):
        consultation.concern.delete()
    consultation.refresh_from_db()
    assert consultation.concern.name == "Anxiety"


@pytest.mark.parametrize(
    "value",
    [
        "=HYPERLINK(evil)",
        'Priya;=HYPERLINK("http://evil.example","x")',
        "a,=1+1",
        "x\n=cmd|' /C calc'!A0",
        "ok|@SUM(1+1)",
        "fine\t-2+3",
        "y; +1+1",
        "\t=1",
    ],
)
def test_csv_export_neutralises_formulas_after_any_separator(admin_client, value):
    import re

    ConsultationRequestFactory(name=value, message=value, phone="+919876543210")
    response = admin_client.post(
        CHANGELIST, {"action": "export_csv", "_selected_action": [str(ConsultationRequest.objects.get().pk)]}
    )
    text = response.content.decode()
    assert text.startswith('"reference"')  # every cell quoted
    row = list(csv.reader(io.StringIO(text)))[1]
    for cell in (row[4], row[11]):
        # Split wherever a spreadsheet might; no part may start a formula.
        for part in re.split(r"[,;|\t\r\n]", cell):
            assert not re.match(r"\s*[=+\-@]", part), (cell, part)
        assert cell.replace("'", "") == value.replace("'", "")
    assert row[6] == "+919876543210"  # a phone number stays as it is
