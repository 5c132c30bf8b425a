import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from bookings import availability, services, tokens
from bookings.models import Appointment, ConsultationRequest, InternalNote
from messaging.models import OutgoingMessage
from tests.bookings.conftest import BOOK_URL, form_data, run_worker, thanks_url_of
from tests.factories import (
    ConsultationRequestFactory,
    TopicFactory,
    clinic_time,
    specialist_working_every_day,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def consultation(clinic_profile):
    return ConsultationRequestFactory(
        name="Rohan Verma",
        email="rohan@example.com",
        phone="+919812345678",
        message="Panic attacks at work",
        utm_source="newsletter",
        concern=TopicFactory(name="Anxiety", slug="anxiety"),
    )


@pytest.fixture
def appointment(consultation):
    return services.schedule_appointment(
        consultation,
        specialist=specialist_working_every_day(name="Dr Kavya Rao", fee_in_clinic=1500),
        start=clinic_time(hour=11),
    )


# The request, its appointments, the clinic and its opening hours; moving adds
# availability's six for the open times.
STATUS_QUERIES = 5  # the request, its appointments, the profile, the receipts, the hours
MOVE_QUERIES = 10
CONFIRM_QUERIES = 10


@pytest.fixture
def held(clinic_profile):
    specialist = specialist_working_every_day(name="Dr Kavya Rao")
    (_, slots), *_ = availability.open_times("video", specialist)
    consultation = ConsultationRequestFactory.build(
        email="rohan@example.com", mode="video", concern=TopicFactory(), window1_date=None, window1_part=""
    )
    consultation, _ = services.submit_request(consultation, slot=slots[0])
    return consultation.appointments.get()


def status_url(consultation):
    return tokens.status_path(consultation)


def test_every_visitor_email_links_to_a_working_status_page(client, clinic_profile, mailoutbox):
    thanks_url_of(client.post(BOOK_URL, form_data(email="asha@example.com")))
    run_worker()
    ack = next(m for m in mailoutbox if m.to == ["asha@example.com"])
    url = re.search(r"http://testserver(/book/request/\S+/)", ack.body).group(1)
    assert "asha" not in url.lower()
    assert url in ack.alternatives[0][0]
    response = client.get(url)
    assert response.status_code == 200
    assert ConsultationRequest.objects.get().reference in response.content.decode()


def test_status_page_is_private_and_shows_the_appointment(client, appointment):
    response = client.get(status_url(appointment.consultation))
    html = response.content.decode()
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert '<meta name="robots" content="noindex, nofollow">' in html
    assert appointment.consultation.reference in html and "Dr Kavya Rao" in html
    assert "Confirmed" in html and "<script>" not in html
    assert "₹1,500" in html  # the fee for this mode
    assert 'rel="canonical" href="http://testserver/book/"' in html


@pytest.mark.parametrize("token", ["nonsense", "a" * 40, "W1siQUJDIl0:1vO:sig"])
def test_a_bad_link_shows_a_kind_404(client, clinic_profile, token):
    response = client.get(f"/book/request/{token}/")
    assert response.status_code == 404
    assert "This link does not work any more" in response.content.decode()
    assert "no-store" in response["Cache-Control"]


def test_links_expire(client, consultation, settings):
    url = status_url(consultation)
    settings.BOOKING_LINK_MAX_AGE_DAYS = -1
    assert client.get(url).status_code == 404


def test_cancel_asks_first_then_cancels_the_request_and_its_appointment(client, appointment, mailoutbox):
    url = status_url(appointment.consultation)
    assert f'href="{url}cancel/"' in client.get(url).content.decode()
    confirm = client.get(url + "cancel/")
    assert confirm.status_code == 200 and "no-store" in confirm["Cache-Control"]
    assert "Cancel your appointment?" in confirm.content.decode()
    assert Appointment.objects.get().status == "confirmed"  # nothing changes on a GET

    response = client.post(url + "cancel/", {"reason": "Found help closer to home"})
    assert response.status_code == 302 and response["Location"] == url
    consultation = ConsultationRequest.objects.get()
    appointment.refresh_from_db()
    assert consultation.status == "cancelled" and appointment.status == "cancelled"
    assert appointment.cancellation_reason == "Found help closer to home"
    assert appointment.history.first().history_change_reason == "Cancelled by the visitor"
    assert (
        InternalNote.objects.get().text == "Cancelled by the visitor. Their reason: Found help closer to home"
    )
    page = client.get(url).content.decode()
    assert "Your appointment is cancelled" in page and "Cancel my" not in page
    run_worker()
    subjects = sorted(m.subject for m in mailoutbox)
    assert subjects[0] == f"Changed by the visitor: request {consultation.reference}"
    assert subjects[1].endswith("is cancelled")


def test_cancel_needs_a_short_reason(client, consultation):
    url = status_url(consultation) + "cancel/"
    assert "Cancel your request?" in client.get(url).content.decode()
    response = client.post(url, {"reason": "x" * 501})
    assert response.status_code == 400
    assert "at most 500 characters" in response.content.decode()
    assert ConsultationRequest.objects.get().status == "new"


def test_a_closed_request_cannot_be_cancelled_again(client, consultation):
    consultation.transition_to("cancelled")
    for response in [
        client.get(status_url(consultation) + "cancel/", follow=True),
        client.post(status_url(consultation) + "cancel/", follow=True),
    ]:
        assert "already closed" in response.content.decode()


def test_withdrawing_consent_erases_the_request(client, appointment, admin_client, mailoutbox):
    consultation = appointment.consultation
    url = status_url(consultation)
    InternalNote.objects.create(consultation=consultation, text="Mentioned panic attacks on the phone")
    confirm = client.get(url + "erase/")
    assert confirm.status_code == 200 and "no-store" in confirm["Cache-Control"]
    assert "This cannot be undone" in confirm.content.decode()

    unconfirmed = client.post(url + "erase/", {})
    assert unconfirmed.status_code == 200 and "Please tick the box" in unconfirmed.content.decode()
    assert ConsultationRequest.objects.get().erased_at is None

    response = client.post(url + "erase/", {"confirm": "on"})
    assert response.status_code == 302 and response["Location"] == "/book/request/erased/"
    assert "Your data has been erased" in client.get(response["Location"]).content.decode()

    consultation = ConsultationRequest.objects.get()
    assert consultation.erased_at is not None and consultation.status == "cancelled"
    assert (consultation.name, consultation.email, str(consultation.phone), consultation.message) == (
        "",
        "",
        "",
        "",
    )
    assert consultation.utm_source == "" and consultation.access_key == ""
    assert consultation.concern.slug == "anxiety" and consultation.reference
    assert Appointment.objects.get().status == "cancelled"
    assert InternalNote.objects.get().text == "(erased)"
    for row in consultation.history.all():
        assert (row.name, row.email, row.message) == ("", "", "")
    assert consultation.history.first().history_change_reason.startswith("Personal details erased")

    assert client.get(url).status_code == 404  # the old link is dead
    run_worker()
    assert mailoutbox == []  # nothing more goes to an address we no longer have
    assert set(OutgoingMessage.objects.exclude(kind="reminder").values_list("status", flat=True)) == {
        "skipped"
    }
    # The reminders are skipped when they fall due: the appointment is cancelled, the request erased.

    history = admin_client.get(f"/admin/bookings/consultationrequest/{consultation.pk}/history/")
    assert "Personal details erased" in history.content.decode()
    assert "Rohan" not in history.content.decode()


def test_self_service_pages_work_without_javascript_markup(client, appointment):
    url = status_url(appointment.consultation)
    key = slot_keys(client.get(url + "move/").content.decode())[0]
    pages = {path: client.get(url + path).content.decode() for path in ["", "move/", "cancel/"]}
    pages["confirm"] = client.get(url + "move/confirm/", {"slot": key}).content.decode()
    # Plain links and forms: every step is a page of its own.
    assert f'href="{url}move/"' in pages[""] and f'href="{url}cancel/"' in pages[""]
    assert 'method="get"' in pages["move/"] and 'type="radio"' in pages["move/"]
    for html in [pages["cancel/"], pages["confirm"]]:
        assert 'method="post"' in html and 'name="csrfmiddlewaretoken"' in html
    for html in pages.values():
        assert "style=" not in html and "<script>" not in html


# ---- Moving and cancelling from the status link (issue 14) ----


def slot_keys(html):
    return re.findall(r'name="slot" value="([^"]+)"', html)


def ics_sequence(message):
    (ics,) = [content for name, content, _ in message.attachments if name.endswith(".ics")]
    ics = ics.decode() if isinstance(ics, bytes) else ics
    return int(re.search(r"^SEQUENCE:(\d+)", ics, re.M)[1])


def visitor_mail(mailoutbox):
    return [m for m in mailoutbox if m.to == ["rohan@example.com"]]


def clinic_mail(mailoutbox, clinic_profile):
    return [m for m in mailoutbox if m.to == [clinic_profile.email]]


def test_the_move_page_lists_the_open_times_of_the_same_specialist(client, appointment):
    url = status_url(appointment.consultation)
    assert f'href="{url}move/"' in client.get(url).content.decode()
    response = client.get(url + "move/")
    html = response.content.decode()
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    assert "Move your appointment" in html and 'method="get"' in html
    keys = slot_keys(html)
    expected = [
        slot.key
        for _, slots in availability.open_times(appointment.mode, appointment.specialist, ignore=appointment)
        for slot in slots
        if slot.start != appointment.start
    ]
    assert keys == expected and len(keys) > 20
    # Grouped by day, earliest first, like the booking form.
    assert html.count("<details") == len({k.split("-")[1][:8] for k in keys})
    # Times next to the appointment's own are open: it does not block itself.
    assert availability.find_slot(keys[0], appointment.mode, ignore=appointment) is not None


def test_moving_asks_first_then_moves_and_sends_a_newer_calendar_file(
    client, appointment, clinic_profile, mailoutbox
):
    run_worker()
    (confirmation,) = visitor_mail(mailoutbox)
    url = status_url(appointment.consultation)
    old_start = appointment.start
    key = slot_keys(client.get(url + "move/").content.decode())[-1]
    slot = availability.find_slot(key, appointment.mode, ignore=appointment)

    confirm = client.get(url + "move/confirm/", {"slot": key})
    html = confirm.content.decode()
    assert confirm.status_code == 200 and "Move your appointment?" in html
    assert date_format(timezone.localtime(old_start), "l j F Y, g:i A") in html
    assert date_format(timezone.localtime(slot.start), "l j F Y, g:i A") in html
    appointment.refresh_from_db()
    assert appointment.start == old_start  # nothing changes on a GET

    response = client.post(url + "move/confirm/", {"slot": key})
    assert response.status_code == 302 and response["Location"] == url
    appointment.refresh_from_db()
    assert (appointment.start, appointment.status) == (slot.start, "confirmed")
    page = client.get(url).content.decode()
    assert "Your appointment is now on" in page
    assert date_format(timezone.localtime(slot.start), "l j F Y, g:i A") in page

    mailoutbox.clear()
    run_worker()
    (moved,) = visitor_mail(mailoutbox)
    assert ics_sequence(moved) > ics_sequence(confirmation)
    assert len(clinic_mail(mailoutbox, clinic_profile)) == 1
    for message in mailoutbox:
        assert "Panic" not in message.subject and "Rohan" not in message.subject
    assert ConsultationRequest.objects.changed_by_visitor().count() == 1


def test_a_time_taken_meanwhile_shows_a_message_and_the_fresh_list(client, appointment):
    url = status_url(appointment.consultation)
    key = slot_keys(client.get(url + "move/").content.decode())[0]
    slot = availability.find_slot(key, appointment.mode, ignore=appointment)
    other = ConsultationRequestFactory(email="someone@example.com")
    services.schedule_appointment(other, specialist=appointment.specialist, start=slot.start)

    for response in [
        client.get(url + "move/confirm/", {"slot": key}),
        client.post(url + "move/confirm/", {"slot": key}),
    ]:
        assert response.status_code == 302 and response["Location"] == url + "move/"
    page = client.get(url + "move/").content.decode()
    assert "no longer available" in page
    assert key not in slot_keys(page)
    appointment.refresh_from_db()
    assert appointment.start != slot.start and appointment.sequence == 0


def test_a_made_up_or_missing_time_is_refused(client, appointment):
    url = status_url(appointment.consultation)
    other_specialist = specialist_working_every_day(name="Dr Other")
    (_, slots), *_ = availability.open_times(appointment.mode, other_specialist)
    for key in [slots[0].key, "nonsense", "1-209901011030"]:
        response = client.post(url + "move/confirm/", {"slot": key}, follow=True)
        assert "no longer available" in response.content.decode()
    response = client.get(url + "move/confirm/", follow=True)
    assert "Please choose one of the times." in response.content.decode()
    appointment.refresh_from_db()
    assert appointment.specialist.name == "Dr Kavya Rao" and appointment.sequence == 0


def test_when_no_other_time_is_open_the_move_page_says_to_call(client, appointment, settings):
    settings.BOOKING_MIN_NOTICE_HOURS = 24 * 30  # nothing open in the next two weeks
    html = client.get(status_url(appointment.consultation) + "move/").content.decode()
    assert "There are no other open times in the next two weeks." in html
    assert 'href="tel:' in html and slot_keys(html) == []


@pytest.fixture
def soon(consultation):
    """An appointment inside the cut-off: only the clinic may change it now."""
    return services.schedule_appointment(
        consultation,
        specialist=specialist_working_every_day(name="Dr Kavya Rao"),
        start=timezone.now() + timedelta(hours=5),
        override_hours=True,
    )


def test_after_the_cut_off_the_page_says_to_call(client, soon, clinic_profile):
    url = status_url(soon.consultation)
    html = client.get(url).content.decode()
    assert "can no longer be moved or cancelled here" in html
    assert f'href="tel:{clinic_profile.phone.replace(" ", "")}"' in html
    assert f"{url}move/" not in html and f"{url}cancel/" not in html
    for response in [
        client.get(url + "move/"),
        client.get(url + "cancel/"),
        client.post(url + "cancel/", {}),
        client.post(url + "move/confirm/", {"slot": "anything"}),
    ]:
        assert response.status_code == 302 and response["Location"] == url
    assert "can no longer be changed" in client.get(url).content.decode()
    soon.refresh_from_db()
    assert soon.status == "confirmed" and soon.consultation.status == "scheduled"


def test_a_held_time_shows_awaiting_confirmation_and_can_be_moved(client, held):
    url = status_url(held.consultation)
    html = client.get(url).content.decode()
    assert "awaiting confirmation" in html.lower() and "Move to another time" in html
    key = slot_keys(client.get(url + "move/").content.decode())[3]
    response = client.post(url + "move/confirm/", {"slot": key}, follow=True)
    held.refresh_from_db()
    assert held.status == "held" and held.start == availability.parse_slot_key(key)[1]
    assert "We will confirm it by email" in response.content.decode()


@pytest.mark.parametrize("path", ["", "move/", "move/confirm/?slot=x", "cancel/"])
def test_every_page_of_a_bad_link_is_a_kind_404(client, clinic_profile, path):
    response = client.get("/book/request/nonsense/" + path)
    assert response.status_code == 404 and "This link does not work any more" in response.content.decode()
    assert client.post("/book/request/nonsense/" + path.split("?")[0]).status_code in (404, 405)


@pytest.mark.parametrize("others", [0, 30])
def test_self_service_query_budgets(client, appointment, django_assert_num_queries, others):
    """The pages take the same number of queries however full the calendar is."""
    start = clinic_time(days_ahead=4, hour=10)
    for i in range(others):
        services.schedule_appointment(
            ConsultationRequestFactory(),
            specialist=appointment.specialist,
            start=start + timedelta(days=i // 4, hours=2 * (i % 4)),
            override_hours=True,
        )
    url = status_url(appointment.consultation)
    key = slot_keys(client.get(url + "move/").content.decode())[0]
    for path, budget in [
        ("", STATUS_QUERIES),
        ("move/", MOVE_QUERIES),
        (f"move/confirm/?slot={key}", CONFIRM_QUERIES),
    ]:
        with django_assert_num_queries(budget):
            assert client.get(url + path).status_code == 200


def test_the_dashboard_counts_requests_changed_by_visitors(client, appointment, reception_user):
    url = status_url(appointment.consultation)
    key = slot_keys(client.get(url + "move/").content.decode())[0]
    client.post(url + "move/confirm/", {"slot": key})
    client.force_login(reception_user)
    html = client.get(reverse("admin:index")).content.decode()
    assert response_tile(html) == "1 changed by visitors"
    changelist = client.get(reverse("admin:bookings_consultationrequest_changelist") + "?queue=changed")
    assert appointment.consultation.reference in changelist.content.decode()
    request_page = client.get(appointment.consultation.get_absolute_url()).content.decode()
    assert "<dt>Changed by the visitor</dt>" in request_page


def response_tile(html):
    tile = html.split("data-changed-by-visitors")[1].split("</li>")[0]
    return " ".join(re.sub(r"<[^>]+>", " ", tile.split(">", 1)[1]).split())


def test_reception_marks_a_visitors_change_as_seen(client, appointment, reception_user):
    url = status_url(appointment.consultation)
    client.post(url + "cancel/", {"reason": ""})
    assert ConsultationRequest.objects.changed_by_visitor().count() == 1
    client.force_login(reception_user)
    changelist = reverse("admin:bookings_consultationrequest_changelist")
    response = client.post(
        changelist + "?queue=changed",
        {"action": "mark_visitor_change_seen", "_selected_action": [appointment.consultation_id]},
        follow=True,
    )
    assert "1 visitor change(s) marked as seen." in response.content.decode()
    assert ConsultationRequest.objects.changed_by_visitor().count() == 0
    assert response_tile(client.get(reverse("admin:index")).content.decode()) == "0 changed by visitors"
    request_page = client.get(appointment.consultation.get_absolute_url()).content.decode()
    assert "<dt>Changed by the visitor</dt>" not in request_page
