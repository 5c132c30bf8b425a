"""Issue 22: each specialist offers the ways of meeting the owner ticks; the
form offers only those, "no preference" assigns someone who offers the way
chosen, and the server refuses any other combination beside the field."""

import re

import pytest

from bookings import availability, services
from bookings.models import Appointment
from clinic.models import Mode
from tests.bookings.conftest import BOOK_URL, form_data, thanks_url_of
from tests.factories import ConsultationRequestFactory, clinic_time, specialist_working_every_day

pytestmark = pytest.mark.django_db


@pytest.fixture
def in_person_only(clinic_profile):
    return specialist_working_every_day(name="Dr Sen", offers_video=False, offers_phone=False)


def offered_on_the_form(html):
    return re.findall(r'name="mode" value="([a-z_]+)"', html)


def test_the_form_offers_only_the_ways_someone_offers(client, in_person_only):
    assert offered_on_the_form(client.get(BOOK_URL).content.decode()) == ["in_clinic"]
    specialist_working_every_day(name="Dr Rao", offers_in_clinic=False, offers_phone=False)
    assert offered_on_the_form(client.get(BOOK_URL).content.decode()) == ["in_clinic", "video"]


def test_a_way_of_meeting_the_specialist_does_not_offer_is_refused_beside_the_field(client, in_person_only):
    specialist_working_every_day(name="Dr Rao")  # someone offers video, so the form shows it
    data = form_data(mode="video", preferred_specialist=in_person_only.slug)
    response = client.post(BOOK_URL, data)
    assert response.status_code == 200
    assert "Dr Sen does not offer this way of meeting" in " ".join(response.context["form"].errors["mode"])
    # A time of theirs posted anyway is not held either.
    slot = availability.open_times(Mode.IN_CLINIC, in_person_only)[0][1][0]
    data = form_data(mode="video", slot=slot.key, window1_date="", window1_part="")
    response = client.post(BOOK_URL, data)
    assert response.status_code == 409
    assert not Appointment.objects.exists()


def test_no_preference_assigns_someone_who_offers_the_way_chosen(client, in_person_only):
    rao = specialist_working_every_day(name="Dr Rao", order=5)
    assert {s.specialist for _, slots in availability.open_times(Mode.VIDEO) for s in slots} == {rao}
    slot = availability.open_times(Mode.VIDEO)[0][1][0]
    thanks_url_of(
        client.post(BOOK_URL, form_data(mode="video", slot=slot.key, window1_date="", window1_part=""))
    )
    assert Appointment.objects.get().specialist == rao


def test_the_open_times_say_when_the_specialist_does_not_offer_the_way_chosen(client, in_person_only):
    html = client.post("/book/times/", {"mode": "phone", "specialist": in_person_only.slug}).content.decode()
    assert "Dr Sen does not offer this way of meeting (phone call)" in html
    assert 'name="slot"' not in html


def test_staff_cannot_book_a_way_of_meeting_the_specialist_does_not_offer(in_person_only):
    consultation = ConsultationRequestFactory(mode=Mode.VIDEO)
    with pytest.raises(services.ValidationError) as caught:
        services.schedule_appointment(consultation, specialist=in_person_only, start=clinic_time(hour=11))
    assert "does not offer this way of meeting (video call): only in the clinic" in str(caught.value)
    assert "mode" in caught.value.message_dict
    services.schedule_appointment(
        consultation, specialist=in_person_only, start=clinic_time(hour=11), mode=Mode.IN_CLINIC
    )
