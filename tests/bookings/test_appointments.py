import threading
import time
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, OperationalError, connection, connections, transaction
from django.utils import timezone

from bookings import services
from bookings.models import Appointment, ConsultationRequest
from messaging.models import OutgoingMessage
from tests.factories import (
    AppointmentFactory,
    ConsultationRequestFactory,
    DayOffFactory,
    SpecialistFactory,
    UserFactory,
    clinic_time,
    specialist_working_every_day,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def specialist(clinic_profile):
    return specialist_working_every_day(name="Dr Kavya Rao")


def test_scheduling_books_fifty_minutes_and_moves_the_request(specialist):
    consultation = ConsultationRequestFactory()
    staff = UserFactory()
    start = clinic_time(hour=11)
    appointment = services.schedule_appointment(
        consultation, specialist=specialist, start=start, user=staff, video_link="https://meet.example/abc"
    )
    appointment.refresh_from_db()
    assert appointment.end - appointment.start == timedelta(minutes=50)
    assert appointment.mode == consultation.mode
    consultation.refresh_from_db()
    assert consultation.status == "scheduled" and consultation.scheduled_at is not None
    assert consultation.history.first().history_change_reason == "Marked scheduled"
    assert appointment.history.get().history_user == staff
    assert list(OutgoingMessage.objects.order_by("pk").values_list("kind", "appointment")) == [
        ("confirmation", appointment.pk),
        ("reminder", appointment.pk),
        ("reminder", appointment.pk),
    ]


def test_overlapping_appointments_are_refused_kindly(specialist):
    services.schedule_appointment(
        ConsultationRequestFactory(), specialist=specialist, start=clinic_time(hour=11)
    )
    with pytest.raises(ValidationError) as excinfo:
        services.schedule_appointment(
            ConsultationRequestFactory(), specialist=specialist, start=clinic_time(hour=11, minute=30)
        )
    assert "already has an appointment that overlaps" in excinfo.value.message_dict["start"][0]
    assert Appointment.objects.count() == 1


def test_back_to_back_and_other_specialists_and_cancelled_do_not_clash(specialist):
    first = services.schedule_appointment(
        ConsultationRequestFactory(), specialist=specialist, start=clinic_time(hour=11)
    )
    # The clinic's buffer (10 minutes) counts for staff as for the visitors' open times.
    with pytest.raises(ValidationError, match="keeps 10 minutes between appointments"):
        services.schedule_appointment(
            ConsultationRequestFactory(), specialist=specialist, start=clinic_time(hour=11, minute=50)
        )
    services.schedule_appointment(
        ConsultationRequestFactory(), specialist=specialist, start=clinic_time(hour=12)
    )
    services.schedule_appointment(
        ConsultationRequestFactory(), specialist=specialist_working_every_day(), start=clinic_time(hour=11)
    )
    services.cancel_appointment(first)
    services.schedule_appointment(
        ConsultationRequestFactory(),
        specialist=specialist,
        start=clinic_time(hour=11, minute=10),
        duration=timedelta(minutes=40),
    )
    assert Appointment.objects.occupying().count() == 3


def test_the_database_refuses_an_overlap_that_skips_the_service(specialist):
    AppointmentFactory(specialist=specialist, start=clinic_time(hour=11))
    with pytest.raises(IntegrityError), transaction.atomic():
        AppointmentFactory(specialist=specialist, start=clinic_time(hour=11, minute=49))
    later = AppointmentFactory(specialist=specialist, start=clinic_time(hour=12))
    later.start = clinic_time(hour=11, minute=20)
    with pytest.raises(IntegrityError), transaction.atomic():
        later.save()
    # A cancelled one may sit on top; reviving it is refused.
    ghost = AppointmentFactory(specialist=specialist, start=clinic_time(hour=11), status="cancelled")
    ghost.status = "confirmed"
    with pytest.raises(IntegrityError), transaction.atomic():
        ghost.save()


def test_outside_working_hours_needs_the_override(specialist):
    consultation = ConsultationRequestFactory()
    with pytest.raises(ValidationError) as excinfo:
        services.schedule_appointment(
            consultation, specialist=specialist, start=clinic_time(hour=17, minute=30)
        )
    assert "outside Dr Kavya Rao's working hours" in excinfo.value.message_dict["start"][0]
    appointment = services.schedule_appointment(
        consultation, specialist=specialist, start=clinic_time(hour=17, minute=30), override_hours=True
    )
    assert appointment.pk


def test_a_day_off_needs_the_override(specialist):
    day_off = DayOffFactory(specialist=specialist, date=clinic_time(days_ahead=3).date())
    with pytest.raises(ValidationError) as excinfo:
        services.schedule_appointment(
            ConsultationRequestFactory(), specialist=specialist, start=clinic_time(days_ahead=3)
        )
    assert "day off" in excinfo.value.message_dict["start"][0]
    assert day_off.reason not in excinfo.value.message_dict["start"][0]


def test_a_specialist_without_hours_needs_the_override(clinic_profile):
    with pytest.raises(ValidationError):
        services.schedule_appointment(
            ConsultationRequestFactory(), specialist=SpecialistFactory(), start=clinic_time()
        )


def test_the_past_and_closed_requests_cannot_be_scheduled(specialist):
    with pytest.raises(ValidationError):
        services.schedule_appointment(
            ConsultationRequestFactory(),
            specialist=specialist,
            start=clinic_time(days_ahead=-1),
            override_hours=True,
        )
    spam = ConsultationRequestFactory()
    spam.transition_to("spam")
    with pytest.raises(ValidationError, match="spam request cannot be scheduled"):
        services.schedule_appointment(spam, specialist=specialist, start=clinic_time())


def test_a_request_in_care_takes_further_sessions_but_never_two_at_once(specialist):
    consultation = ConsultationRequestFactory()
    services.schedule_appointment(consultation, specialist=specialist, start=clinic_time(hour=11))
    services.schedule_appointment(
        consultation, specialist=specialist, start=clinic_time(days_ahead=9, hour=11)
    )
    assert consultation.appointments.confirmed().count() == 2
    with pytest.raises(ValidationError, match="overlaps"):
        services.schedule_appointment(
            consultation, specialist=specialist, start=clinic_time(hour=11, minute=30)
        )


def test_reschedule_and_cancel_keep_the_history(specialist):
    consultation = ConsultationRequestFactory()
    appointment = services.schedule_appointment(
        consultation, specialist=specialist, start=clinic_time(hour=11)
    )
    services.reschedule_appointment(appointment, start=clinic_time(hour=15))
    services.cancel_appointment(appointment, reason="Clashes with work")
    appointment.refresh_from_db()
    assert appointment.status == "cancelled" and appointment.sequence == 2
    reasons = list(appointment.history.order_by("history_date").values_list("history_change_reason", "start"))
    assert [r for r, _ in reasons] == ["Scheduled", "Rescheduled", "Cancelled"]
    assert reasons[0][1] == clinic_time(hour=11) and reasons[1][1] == clinic_time(hour=15)
    assert list(
        OutgoingMessage.objects.exclude(kind="reminder").order_by("pk").values_list("kind", flat=True)
    ) == ["confirmation", "reschedule", "cancellation"]


def test_rescheduling_onto_another_appointment_is_refused(specialist):
    services.schedule_appointment(
        ConsultationRequestFactory(), specialist=specialist, start=clinic_time(hour=11)
    )
    other = services.schedule_appointment(
        ConsultationRequestFactory(), specialist=specialist, start=clinic_time(hour=14)
    )
    with pytest.raises(ValidationError, match="overlaps"):
        services.reschedule_appointment(other, start=clinic_time(hour=11, minute=25))
    other.refresh_from_db()
    assert other.start == clinic_time(hour=14) and other.sequence == 0


def test_closing_a_session_leaves_the_request_in_care(specialist):
    consultation = ConsultationRequestFactory()
    appointment = services.schedule_appointment(consultation, specialist=specialist, start=clinic_time())
    Appointment.objects.filter(pk=appointment.pk).update(
        start=clinic_time(-1), end=clinic_time(-1) + timedelta(minutes=50)
    )
    services.close_appointment(appointment, Appointment.Status.NO_SHOW)
    consultation.refresh_from_db()
    assert consultation.status == "scheduled" and consultation.can_be_scheduled


# ---- The admin ----


def schedule_url(consultation):
    return f"/admin/bookings/appointment/schedule/{consultation.pk}/"


def reschedule_url(appointment):
    return f"/admin/bookings/appointment/{appointment.pk}/reschedule/"


def admin_form(specialist, start, **extra):
    local = start.astimezone(start.tzinfo)
    data = {
        "specialist": specialist.pk,
        "start_0": f"{local:%Y-%m-%d}",
        "start_1": f"{local:%H:%M}",
        "duration": "50",
        "mode": "in_clinic",
        "location": "Room 2",
        "video_link": "",
    }
    data.update(extra)
    return data


def start_errors(response):
    return response.context["adminform"].form.errors.get("start", [])


def test_admin_schedules_and_shows_clashes_beside_the_field(admin_client, specialist):
    first = ConsultationRequestFactory()
    response = admin_client.get(schedule_url(first))
    assert response.status_code == 200 and "Length (minutes)" in response.content.decode()
    response = admin_client.post(schedule_url(first), admin_form(specialist, clinic_time(hour=11)))
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert ConsultationRequest.objects.get(pk=first.pk).status == "scheduled"
    assert admin_client.get(response["Location"]).context["messages"]
    assert OutgoingMessage.objects.exclude(kind="reminder").get().kind == "confirmation"

    second = ConsultationRequestFactory()
    url = schedule_url(second)
    response = admin_client.post(url, admin_form(specialist, clinic_time(hour=11, minute=20)))
    assert response.status_code == 200
    assert "already has an appointment that overlaps" in start_errors(response)[0]
    assert 'class="errorlist' in response.content.decode()

    response = admin_client.post(url, admin_form(specialist, clinic_time(hour=19)))
    assert response.status_code == 200
    assert "schedule outside working hours" in start_errors(response)[0]
    response = admin_client.post(
        url, admin_form(specialist, clinic_time(hour=19), override_working_hours="on")
    )
    assert response.status_code == 302
    assert Appointment.objects.count() == 2


def test_admin_shows_why_a_request_cannot_be_scheduled(admin_client, specialist):
    consultation = ConsultationRequestFactory()
    services.schedule_appointment(consultation, specialist=specialist, start=clinic_time(hour=11))
    consultation.erased_at = timezone.now()
    consultation.save(update_fields=["erased_at"])
    # The form is not even shown: back to the request, saying why.
    for method in (admin_client.get, admin_client.post):
        response = method(
            schedule_url(consultation), admin_form(specialist, clinic_time(hour=14)), follow=True
        )
        assert response.redirect_chain[-1][0] == consultation.get_absolute_url()
        assert "This request&#x27;s details were erased." in response.content.decode()
    assert Appointment.objects.count() == 1


def test_appointments_are_only_booked_through_the_schedule_page(admin_client, specialist):
    assert admin_client.get("/admin/bookings/appointment/add/").status_code == 403
    appointment = services.schedule_appointment(
        ConsultationRequestFactory(), specialist=specialist, start=clinic_time(hour=11)
    )
    page = admin_client.get(f"/admin/bookings/appointment/{appointment.pk}/change/")
    assert reschedule_url(appointment) in page.content.decode()
    assert page.context["adminform"].form.fields == {}  # a record, read-only


def test_admin_reschedules_and_cancels(admin_client, specialist):
    appointment = services.schedule_appointment(
        ConsultationRequestFactory(), specialist=specialist, start=clinic_time(hour=11)
    )
    url = reschedule_url(appointment)
    assert admin_client.get(url).status_code == 200
    response = admin_client.post(url, admin_form(specialist, clinic_time(hour=13)))
    assert response.status_code == 302
    appointment.refresh_from_db()
    assert appointment.start == clinic_time(hour=13) and appointment.sequence == 1
    response = admin_client.post(
        "/admin/bookings/appointment/",
        {"action": "cancel_appointments", "_selected_action": [appointment.pk]},
    )
    assert response.status_code == 302
    appointment.refresh_from_db()
    assert appointment.status == "cancelled"
    assert admin_client.get(f"/admin/bookings/appointment/{appointment.pk}/history/").status_code == 200
    assert admin_client.get(url).status_code == 403  # a cancelled one is a record


def test_admin_rescheduling_onto_a_clash_is_explained_beside_the_field(admin_client, specialist):
    services.schedule_appointment(
        ConsultationRequestFactory(), specialist=specialist, start=clinic_time(hour=11)
    )
    other = services.schedule_appointment(
        ConsultationRequestFactory(), specialist=specialist, start=clinic_time(hour=14)
    )
    response = admin_client.post(reschedule_url(other), admin_form(specialist, clinic_time(hour=11)))
    assert response.status_code == 200
    assert "already has an appointment that overlaps" in start_errors(response)[0]


def test_admin_specialist_page_has_working_hours_and_days_off(admin_client, specialist):
    response = admin_client.get(f"/admin/clinic/specialist/{specialist.pk}/change/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "working_hours-TOTAL_FORMS" in html and "days_off-TOTAL_FORMS" in html


def test_admin_appointment_list_queries_do_not_grow(admin_client, specialist, django_assert_max_num_queries):
    services.schedule_appointment(
        ConsultationRequestFactory(), specialist=specialist, start=clinic_time(hour=10)
    )
    with django_assert_max_num_queries(13):
        assert admin_client.get("/admin/bookings/appointment/").status_code == 200
    for hour in range(11, 17):
        services.schedule_appointment(
            ConsultationRequestFactory(), specialist=specialist, start=clinic_time(hour=hour)
        )
    with django_assert_max_num_queries(13):
        assert admin_client.get("/admin/bookings/appointment/").status_code == 200


# ---- Two receptionists at the same moment ----


def race_once(specialist, requests, start):
    """Two threads schedule overlapping appointments for one specialist at the
    same moment. Returns (successes, failures)."""
    barrier = threading.Barrier(len(requests))
    outcomes = []

    def book(consultation, offset):
        try:
            barrier.wait(timeout=10)
            for _ in range(200):
                try:
                    services.schedule_appointment(consultation, specialist=specialist, start=start + offset)
                except OperationalError as exc:
                    # SQLite: a writer normally waits for the other in the
                    # busy timeout; should it still be told the database is
                    # locked, it waits and tries again, as reception would.
                    if connection.vendor != "sqlite" or "locked" not in str(exc):
                        raise
                    time.sleep(0.005)
                    continue
                outcomes.append("booked")
                break
        except ValidationError:
            outcomes.append("refused")
        except Exception as exc:  # anything else is a bug the test must show
            outcomes.append(repr(exc))
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=book, args=(consultation, timedelta(minutes=10 * n)))
        for n, consultation in enumerate(requests)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return outcomes


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="the exclusion constraint is PostgreSQL's")
def test_fifty_races_on_postgresql_each_book_exactly_one(clinic_profile):
    specialist = specialist_working_every_day()
    results = []
    for attempt in range(50):
        requests = [ConsultationRequestFactory(), ConsultationRequestFactory()]
        start = clinic_time(days_ahead=2 + attempt // 8, hour=10 + attempt % 8)
        results.append(sorted(race_once(specialist, requests, start)))
    assert results == [["booked", "refused"]] * 50
    assert Appointment.objects.count() == 50


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "sqlite", reason="the SQLite trigger version of the race")
def test_races_on_sqlite_each_book_exactly_one(clinic_profile):
    specialist = specialist_working_every_day()
    results = []
    for attempt in range(10):
        requests = [ConsultationRequestFactory(), ConsultationRequestFactory()]
        start = clinic_time(days_ahead=2 + attempt // 8, hour=10 + attempt % 8)
        results.append(sorted(race_once(specialist, requests, start)))
    assert results == [["booked", "refused"]] * 10


def test_saving_an_unchanged_appointment_sends_nothing(admin_client, specialist):
    appointment = services.schedule_appointment(
        ConsultationRequestFactory(), specialist=specialist, start=clinic_time(hour=11)
    )
    unchanged = admin_form(specialist, clinic_time(hour=11), location="")
    response = admin_client.post(reschedule_url(appointment), unchanged)
    assert response.status_code == 302
    appointment.refresh_from_db()
    assert appointment.sequence == 0
    assert OutgoingMessage.objects.exclude(kind="reminder").count() == 1
    assert OutgoingMessage.objects.filter(kind="reminder").count() == 2


def test_reception_schedules_and_sees_outgoing_email(client, specialist):
    from django.contrib.auth.models import Group

    user = UserFactory(username="reception")
    user.groups.add(Group.objects.get(name="Reception"))
    client.force_login(user)
    consultation = ConsultationRequestFactory()
    response = client.post(schedule_url(consultation), admin_form(specialist, clinic_time(hour=11)))
    assert response.status_code == 302
    assert client.get("/admin/messaging/outgoingmessage/").status_code == 200
    assert client.get("/admin/bookings/appointment/").status_code == 200


def test_request_page_lists_appointments_and_the_action_opens_scheduling(admin_client, specialist):
    appointment = services.schedule_appointment(
        ConsultationRequestFactory(), specialist=specialist, start=clinic_time(hour=11)
    )
    page = admin_client.get(f"/admin/bookings/consultationrequest/{appointment.consultation.pk}/change/")
    assert f"/admin/bookings/appointment/{appointment.pk}/change/" in page.content.decode()
    # In care: the next session can be booked from here (issue 25).
    assert f'href="{schedule_url(appointment.consultation)}"' in page.content.decode()
    other = ConsultationRequestFactory()
    page = admin_client.get(f"/admin/bookings/consultationrequest/{other.pk}/change/")
    assert f'href="{schedule_url(other)}"' in page.content.decode()
    response = admin_client.post(
        "/admin/bookings/consultationrequest/",
        {"action": "schedule_appointment", "_selected_action": [other.pk]},
    )
    assert response["Location"] == schedule_url(other)
    assert admin_client.get(response["Location"]).context["consultation"] == other
