import re
from datetime import timedelta

import pytest
from django.utils import timezone
from django.utils.html import escape

from bookings.models import Appointment, ConsultationRequest
from tests.bookings.conftest import BOOK_URL, form_data, run_worker, thanks_url_of
from tests.factories import (
    ArticleFactory,
    ConsultationRequestFactory,
    SpecialistFactory,
    TopicFactory,
    next_open_day,
    specialist_working_every_day,
)

pytestmark = pytest.mark.django_db


def test_form_has_a_visible_label_for_every_field(client, clinic_profile):
    response = client.get(BOOK_URL)
    assert response.status_code == 200
    html = response.content.decode()
    form = response.context["form"]
    for name, field in form.fields.items():
        if field.widget.is_hidden:
            continue
        bound = form[name]
        if getattr(field.widget, "input_type", "") in ("radio", "checkbox") and name not in (
            "consent",
            "discreet",
        ):
            assert "<legend" in html and escape(str(field.label)) in html, name
        else:
            assert f'for="{bound.id_for_label}"' in html, name


def test_form_is_not_cached_and_prefilled_links_share_one_canonical_address(client, clinic_profile):
    # People search for a way to book, so the form may be indexed; its
    # prefilled variants (topic, article, campaign) all point to /book/.
    response = client.get(BOOK_URL + "?topic=anxiety&utm_source=newsletter")
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]
    html = response.content.decode()
    assert 'name="robots"' not in html
    assert '<link rel="canonical" href="http://testserver/book/">' in html


def test_the_form_is_rendered_fresh_for_every_visitor(clinic_profile, django_assert_num_queries):
    from django.test import Client

    TopicFactory(name="Anxiety", slug="anxiety")
    pages = []
    # The form's choices (topics, bookable specialists, the ways of meeting they
    # offer) and the clinic profile, read by the form (consent wording) and by the
    # page, and its opening hours; the open times: the specialists (none here, so
    # no more), and for the second visitor not even that: they are in the cache.
    for budget in (7, 6):
        with django_assert_num_queries(budget):
            pages.append(Client().get(BOOK_URL + "?topic=anxiety").content.decode())
    tokens = [re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)[1] for page in pages]
    keys = [re.search(r'name="submission_key" value="([^"]+)"', page)[1] for page in pages]
    assert tokens[0] != tokens[1] and keys[0] != keys[1]
    assert '<option value="anxiety" selected>' in pages[1]
    TopicFactory(name="Sleep and rest", slug="sleep")
    SpecialistFactory(name="Dr Kavya Rao")
    html = Client().get(BOOK_URL).content.decode()
    assert "Sleep and rest" in html and "Dr Kavya Rao" in html


def test_link_values_are_escaped(client, clinic_profile):
    html = client.get(BOOK_URL + '?utm_source="><script>x</script>').content.decode()
    assert 'name="utm_source" value="&quot;&gt;&lt;script&gt;x&lt;/script&gt;"' in html
    assert "<script>x" not in html


def test_consent_is_unticked_and_links_to_the_privacy_notice(client, clinic_profile):
    html = client.get(BOOK_URL).content.decode()
    consent = re.search(r'<input[^>]*name="consent"[^>]*>', html).group(0)
    assert "checked" not in consent
    assert 'href="/privacy/"' in html


def test_helplines_are_beside_the_safety_question_without_javascript(client, clinic_profile):
    html = client.get(BOOK_URL).content.decode()
    question = html.index('name="safe_now"')
    help_block = html.index("data-safety-help")
    consent = html.index('name="consent"')
    assert question < help_block < consent
    assert "14416" in html[help_block:consent] and "112" in html[help_block:consent]


def test_only_bookable_specialists_are_offered(client, clinic_profile):
    SpecialistFactory(name="Dr Open")
    SpecialistFactory(name="Dr Full", accepts_bookings=False)
    SpecialistFactory(name="Dr Gone", is_active=False)
    html = client.get(BOOK_URL).content.decode()
    assert "Dr Open" in html and "Dr Full" not in html and "Dr Gone" not in html
    assert "No preference" in html


def test_link_from_an_article_prefills_and_records_the_source(client, clinic_profile):
    topic = TopicFactory(name="Anxiety", slug="anxiety")
    article = ArticleFactory(slug="calming-panic", topics=[topic])
    specialist = SpecialistFactory(name="Dr Meera")
    response = client.get(
        f"{BOOK_URL}?topic=anxiety&article=calming-panic&specialist={specialist.slug}"
        "&utm_source=newsletter&utm_campaign=winter"
    )
    html = response.content.decode()
    assert '<option value="anxiety" selected>' in html
    assert f'<option value="{specialist.slug}" selected>' in html
    assert 'name="source_article" value="calming-panic"' in html
    assert 'name="utm_source" value="newsletter"' in html
    data = {
        **form_data(concern=topic.slug),
        "source_article": "calming-panic",
        "utm_source": "newsletter",
        "utm_campaign": "winter",
    }
    thanks_url_of(client.post(BOOK_URL, data))
    saved = ConsultationRequest.objects.get()
    assert saved.concern == topic
    assert saved.source_article == article
    assert (saved.utm_source, saved.utm_campaign) == ("newsletter", "winter")


def test_prefill_ignores_unknown_or_odd_values(client, clinic_profile):
    response = client.get(
        f"{BOOK_URL}?topic=%00bad&article=<script>&specialist=nobody&utm_source=" + "x" * 500
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert re.search(r'<option value="" selected>\s*Something else, or not sure', html)
    # An unknown specialist selects nothing, so the browser shows the first choice.
    specialists = html.split('name="preferred_specialist"')[1].split("</select>")[0]
    assert "No preference" in specialists.split("<option")[1] and "selected" not in specialists
    assert 'name="source_article" value=' not in html  # nothing prefilled
    assert f'name="utm_source" value="{"x" * 100}"' in html and "x" * 101 not in html
    assert "<script>" not in html.split("<main")[1]


def test_a_valid_request_is_saved_with_consent_and_thanked(client, valid_data, clinic_profile):
    before = timezone.now()
    url = thanks_url_of(client.post(BOOK_URL, valid_data))
    consultation = ConsultationRequest.objects.get()
    assert consultation.name == "Priya"
    assert str(consultation.phone) == "+919876543210"
    assert consultation.contact_channels == ["email", "phone"]
    assert consultation.consent_notice_version == clinic_profile.privacy_notice_version
    assert consultation.consented_at >= before
    assert consultation.status == ConsultationRequest.Status.NEW
    assert not consultation.urgent
    # The thank-you address carries neither the reference nor anything personal.
    assert consultation.reference not in url and "priya" not in url.lower()
    page = client.get(url)
    assert page.status_code == 200
    assert "no-store" in page["Cache-Control"]
    html = page.content.decode()
    assert consultation.reference in html
    assert f"within <strong>{clinic_profile.response_time_hours} hours</strong>" in html
    assert "14416" in html


def test_not_safe_marks_urgent_and_shows_helplines_first(client, clinic_profile):
    url = thanks_url_of(client.post(BOOK_URL, form_data(safe_now="no")))
    assert ConsultationRequest.objects.get().urgent
    html = client.get(url).content.decode()
    assert html.index("If you need help right now") < html.index("Thank you, we have your request")


def test_thank_you_page_cannot_be_guessed(client, valid_data):
    url = thanks_url_of(client.post(BOOK_URL, valid_data))
    reference = ConsultationRequest.objects.get().reference
    assert client.get(f"{BOOK_URL}thanks/{reference}/").status_code == 404
    assert client.get(url[:-3] + "xx/").status_code == 404
    response = client.get(f"{BOOK_URL}thanks/{reference}/")
    assert reference not in response.content.decode().split("<main")[1]


def test_thank_you_page_expires(client, valid_data, monkeypatch):
    url = thanks_url_of(client.post(BOOK_URL, valid_data))
    import bookings.views

    monkeypatch.setattr(bookings.views, "THANKS_MAX_AGE", -1)
    response = client.get(url)
    assert response.status_code == 404
    assert "This page has expired" in response.content.decode()


def test_thank_you_page_stops_working_once_the_data_is_erased(client, valid_data):
    from bookings import services

    url = thanks_url_of(client.post(BOOK_URL, valid_data))
    assert client.get(url).status_code == 200
    services.withdraw_consent(ConsultationRequest.objects.get())
    response = client.get(url)
    assert response.status_code == 404
    assert "This page has expired" in response.content.decode()


def test_emails_are_queued_with_the_request_and_sent_by_the_worker(client, valid_data, mailoutbox):
    from django_tasks_db.models import DBTaskResult

    topic = TopicFactory(name="Sexual health", slug="sexual-health")
    valid_data.update(concern=topic.slug, message="Erectile difficulties since March")
    thanks_url_of(client.post(BOOK_URL, valid_data))
    consultation = ConsultationRequest.objects.get()
    assert DBTaskResult.objects.count() == 2
    assert mailoutbox == []
    run_worker()
    assert len(mailoutbox) == 2
    ack, staff = sorted(mailoutbox, key=lambda m: m.to != ["priya@example.com"])
    assert ack.subject == "Your request to Gurgaon Mind & Wellness Clinic"
    assert staff.subject == f"New consultation request {consultation.reference}"
    assert staff.to == ["care@clinic.example"]
    admin_path = f"/admin/bookings/consultationrequest/{consultation.pk}/change/"
    assert f"http://testserver{admin_path}" in staff.body
    for message in (ack, staff):
        html = message.alternatives[0][0]
        assert message.alternatives[0][1] == "text/html"
        for text in (message.subject, message.body, html):
            assert "Sexual" not in text and "Erectile" not in text and "March" not in text
    assert consultation.reference in ack.body and consultation.reference in ack.alternatives[0][0]


def test_clinic_inbox_setting_overrides_profile(client, valid_data, mailoutbox, settings):
    settings.CLINIC_INBOX_EMAIL = "bookings@clinic.example"
    thanks_url_of(client.post(BOOK_URL, valid_data))
    run_worker()
    assert ["bookings@clinic.example"] in [m.to for m in mailoutbox]


def test_a_failing_mail_server_never_loses_a_booking(client, valid_data, settings, mailoutbox):
    from django_tasks_db.models import DBTaskResult

    from messaging.models import OutgoingMessage

    settings.EMAIL_BACKEND = "tests.bookings.test_form.BrokenBackend"
    url = thanks_url_of(client.post(BOOK_URL, valid_data))
    assert client.get(url).status_code == 200
    run_worker()
    assert ConsultationRequest.objects.count() == 1
    # The delivery tasks catch the failure and enqueue their retry (bookings.outbox).
    assert set(DBTaskResult.objects.values_list("status", flat=True)) == {"SUCCESSFUL", "READY"}
    assert set(OutgoingMessage.objects.values_list("status", "attempts")) == {("queued", 1)}


class BrokenBackend:
    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise ConnectionRefusedError("mail server down")


def test_double_submit_creates_one_request(client, valid_data):
    first = thanks_url_of(client.post(BOOK_URL, valid_data))
    second = thanks_url_of(client.post(BOOK_URL, valid_data))
    assert ConsultationRequest.objects.count() == 1
    assert client.get(second).content.decode().count(ConsultationRequest.objects.get().reference) >= 1
    assert first.split("/")[-2].split(":")[0] == second.split("/")[-2].split(":")[0]


def test_invalid_input_keeps_everything_typed_and_saves_nothing(client, clinic_profile):
    data = form_data(email="not-an-email", message="Hello 🙂 שלום مرحبا")
    response = client.post(BOOK_URL, data)
    assert response.status_code == 200
    assert ConsultationRequest.objects.count() == 0
    html = response.content.decode()
    assert "Please check the email address" in html
    assert 'value="Priya"' in html and 'value="not-an-email"' in html
    assert "Hello 🙂 שלום مرحبا" in html
    assert "Please check one thing" in html


def test_script_tags_and_unicode_are_stored_as_typed(client, clinic_profile):
    name = "<script>alert(1)</script> Zoë 😀 \u202eأحمد"
    thanks_url_of(client.post(BOOK_URL, form_data(name=name, message="<b>bold</b> & ‮rtl")))
    consultation = ConsultationRequest.objects.get()
    assert consultation.name == name
    assert consultation.message == "<b>bold</b> & ‮rtl"


def today_plus(days):
    return (timezone.localdate() + timedelta(days=days)).isoformat()


def closed_day():
    day = timezone.localdate() + timedelta(days=3)
    while day.weekday() != 6:
        day += timedelta(days=1)
    return day.isoformat()


@pytest.mark.parametrize(
    "overrides,field,message",
    [
        ({"name": ""}, "name", "Please tell us what to call you."),
        ({"name": "   "}, "name", "Please tell us what to call you."),
        ({"name": "x" * 121}, "name", "120 characters"),
        ({"name": "Pri\x00ya"}, "name", "Null characters are not allowed."),
        ({"email": ""}, "email", "Please give an email address"),
        ({"email": "a@b"}, "email", "Please check the email address"),
        ({"phone": "12345"}, "phone", "valid phone number"),
        ({"phone": "\x00"}, "phone", ""),
        ({"contact_channels": []}, "contact_channels", "at least one way"),
        ({"contact_channels": ["pigeon"]}, "contact_channels", "Select a valid choice"),
        ({"message": "x" * 10_000}, "message", "1,000 characters (it has 10000)"),
        ({"message": "a\x00b"}, "message", "Null characters"),
        ({"mode": "teleport"}, "mode", "Please choose one of the ways of meeting shown."),
        ({"concern": "no-such-topic"}, "concern", "Select a valid choice"),
        ({"concern": "\x00"}, "concern", ""),
        ({"concern": "anxiety'; --"}, "concern", "Select a valid choice"),
        ({"preferred_specialist": "abc"}, "preferred_specialist", "Select a valid choice"),
        ({"window1_date": ""}, "window1_date", "Please choose a date that suits you."),
        ({"window1_date": "31/02/2026"}, "window1_date", "Please enter a date"),
        ({"window1_date": "\x00"}, "window1_date", ""),
        ({"window1_date": today_plus(-3)}, "window1_date", "This date has passed"),
        ({"window1_date": today_plus(0)}, "window1_date", ""),
        ({"window1_date": closed_day()}, "window1_date", "closed on Sundays"),
        ({"window1_date": today_plus(400)}, "window1_date", "within the next 90 days"),
        ({"window1_part": ""}, "window1_part", "Please choose a time of day."),
        ({"window1_part": "midnight"}, "window1_part", "Select a valid choice"),
        ({"window2_date": lambda: next_open_day(5).isoformat()}, "window2_part", "time of day for this date"),
        ({"window2_part": "evening"}, "window2_date", "Please choose a date for this time of day."),
        (
            {"window2_date": lambda: next_open_day().isoformat(), "window2_part": "morning"},
            "window2_date",
            "chosen this day and time already",
        ),
        ({"spoken_language": "xx"}, "spoken_language", "Select a valid choice"),
        ({"who_for": None}, "who_for", "who the consultation is for"),
        ({"safe_now": None}, "safe_now", "Please answer this question"),
        ({"safe_now": "maybe"}, "safe_now", "Select a valid choice"),
        ({"consent": None}, "consent", "Please tick the box"),
        ({"submission_key": "forged"}, "__all__", "Please check your details and send it again"),
        ({"submission_key": None}, "__all__", "send it again"),
    ],
)
def test_bad_input_gets_a_clear_message_beside_the_field(client, clinic_profile, overrides, field, message):
    overrides = {key: value() if callable(value) else value for key, value in overrides.items()}
    response = client.post(BOOK_URL, form_data(**overrides))
    assert response.status_code == 200
    assert ConsultationRequest.objects.count() == 0
    errors = response.context["form"].errors
    assert field in errors, errors
    assert message in " ".join(errors[field])
    html = response.content.decode()
    for error in errors[field]:
        assert escape(error) in html


def test_minimum_notice_is_configurable(client, clinic_profile, settings):
    settings.BOOKING_MIN_NOTICE_HOURS = 24 * 30
    response = client.post(BOOK_URL, form_data(window1_date=next_open_day(3).isoformat()))
    assert "at least 720 hours' notice" in " ".join(response.context["form"].errors["window1_date"])


def test_hidden_fields_with_odd_values_are_tidied_not_refused(client, clinic_profile):
    data = form_data()
    data.update(source_article="\x00<script>", utm_source="a\x00b" + "c" * 300, utm_medium="📣")
    thanks_url_of(client.post(BOOK_URL, data))
    consultation = ConsultationRequest.objects.get()
    assert consultation.source_article is None
    assert consultation.utm_source == "ab" + "c" * 98
    assert consultation.utm_medium == "📣"


def test_draft_article_is_not_recorded_as_source(client, clinic_profile):
    ArticleFactory(slug="draft-piece", status="draft")
    thanks_url_of(client.post(BOOK_URL, {**form_data(), "source_article": "draft-piece"}))
    assert ConsultationRequest.objects.get().source_article is None


def test_stale_csrf_token_gets_the_friendly_page(clinic_profile):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.get(BOOK_URL)
    response = strict.post(BOOK_URL, {**form_data(), "csrfmiddlewaretoken": "stale" * 8})
    assert response.status_code == 403
    assert "Please send the form again" in response.content.decode()
    assert ConsultationRequest.objects.count() == 0


def test_valid_post_query_budget(client, clinic_profile, django_assert_num_queries):
    topic = TopicFactory()
    specialist = SpecialistFactory()
    article = ArticleFactory(topics=[topic])
    client.get(BOOK_URL)
    data = {
        **form_data(concern=topic.slug, preferred_specialist=specialist.slug),
        "source_article": article.slug,
    }
    # 16: one counts the acknowledgements this address had in the last hour, one
    # reads the ways of meeting offered, one the holidays among the days chosen.
    with django_assert_num_queries(16):
        response = client.post(BOOK_URL, data)
    thanks_url_of(response)


def test_a_specialist_not_taking_bookings_cannot_be_posted(client, clinic_profile):
    away = SpecialistFactory(name="Dr Away", accepts_bookings=False)
    response = client.post(BOOK_URL, form_data(preferred_specialist=away.slug))
    assert "preferred_specialist" in response.context["form"].errors
    assert ConsultationRequest.objects.count() == 0


# ---- Open times: the visitor chooses a real time (issue 14) ----


def first_open_slot(mode="video", specialist=None):
    from bookings import availability

    return availability.open_times(mode, specialist)[0][1][0]


def test_open_times_are_shown_by_day_first_available_at_top_with_the_fee(client, clinic_profile):
    specialist = specialist_working_every_day(name="Dr Meera", fee_video=1500)
    response = client.get(f"{BOOK_URL}?specialist={specialist.slug}")
    html = response.content.decode()
    first = first_open_slot("in_clinic", specialist)
    keys = re.findall(r'name="slot" value="([^"]+)"', html)
    assert keys[0] == first.key and len(keys) > 20
    # One day after another, each a disclosure; the first is open.
    assert re.search(
        r'<details class="open-times__day" open>\s*<summary[^>]*>' + first.start.strftime("%A"), html
    )
    times = client.post("/book/times/", {"mode": "video", "specialist": specialist.slug}).content.decode()
    assert "Fee: ₹1,500 per consultation." in times


def test_no_preference_offers_the_earliest_times_across_specialists(client, clinic_profile):
    specialist_working_every_day(name="Dr Meera", fee_video=1500)
    specialist_working_every_day(name="Dr Ravi")
    html = client.post("/book/times/", {"mode": "video"}).content.decode()
    first_day = html.split("</details>")[0]
    assert "Dr Meera" in first_day and "₹1,500" in first_day
    starts = re.findall(r'name="slot" value="\d+-(\d{12})"', html)
    assert starts == sorted(set(starts))  # one choice per start time, earliest first


def test_times_fragment_for_the_script(client, clinic_profile):
    specialist = specialist_working_every_day(name="Dr Meera")
    response = client.post("/book/times/", {"mode": "phone", "specialist": specialist.slug})
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    assert 'name="slot"' in response.content.decode() and "<html" not in response.content.decode()
    assert client.post("/book/times/", {"mode": "teleport"}).status_code == 400
    assert client.post("/book/times/", {"mode": "video", "specialist": "\x00"}).status_code == 400
    assert client.get("/book/times/?mode=video").status_code == 405


def test_choosing_a_time_saves_the_request_and_holds_the_appointment(client, clinic_profile):
    from bookings.models import Appointment

    specialist = specialist_working_every_day(name="Dr Meera", fee_video=1500)
    slot = first_open_slot("video", specialist)
    data = form_data(slot=slot.key, preferred_specialist=specialist.slug, window1_date="", window1_part="")
    url = thanks_url_of(client.post(BOOK_URL, data))
    consultation = ConsultationRequest.objects.get()
    appointment = consultation.appointments.get()
    assert appointment.status == Appointment.Status.HELD
    assert (appointment.specialist, appointment.start, appointment.mode) == (specialist, slot.start, "video")
    assert consultation.window1_date is None
    html = client.get(url).content.decode()
    assert "Awaiting confirmation" in html and "Dr Meera" in html and "₹1,500" in html
    assert f"{slot.start.day} " in html.split("data-held-time")[1]


def test_a_time_taken_meanwhile_brings_the_form_back_as_typed_with_the_next_times(client, clinic_profile):
    from bookings import services

    specialist = specialist_working_every_day(name="Dr Meera")
    slot = first_open_slot("video")
    other = ConsultationRequestFactory.build(mode="video", concern=None)
    services.submit_request(other, slot=slot)  # someone else, a moment earlier
    data = form_data(slot=slot.key, message="Since March 🙂", window1_date="", window1_part="")
    response = client.post(BOOK_URL, data)
    assert response.status_code == 409
    assert ConsultationRequest.objects.count() == 1  # only the other visitor's
    html = response.content.decode()
    assert "someone else has just taken that time" in html
    assert 'value="Priya"' in html and "Since March 🙂" in html
    assert f'value="{slot.key}"' not in html
    assert first_open_slot("video").key in html
    assert specialist.appointments.count() == 1


def test_a_time_taken_between_the_check_and_the_save_is_never_a_500(client, clinic_profile):
    from bookings.models import Appointment

    specialist = specialist_working_every_day(name="Dr Meera")
    slot = first_open_slot("video", specialist)
    Appointment.objects.create(
        consultation=ConsultationRequestFactory(),
        specialist=specialist,
        start=slot.start,
        end=slot.end,
        mode="video",
        status=Appointment.Status.HELD,
    )
    data = form_data(slot=slot.key, preferred_specialist=specialist.slug, window1_date="", window1_part="")
    response = client.post(BOOK_URL, data)
    assert response.status_code == 409
    assert "slot" in response.context["form"].errors
    assert ConsultationRequest.objects.count() == 1


def test_not_safe_needs_no_time_and_no_windows(client, clinic_profile):
    specialist_working_every_day()
    url = thanks_url_of(client.post(BOOK_URL, form_data(safe_now="no", window1_date="", window1_part="")))
    consultation = ConsultationRequest.objects.get()
    assert consultation.urgent and consultation.window1_date is None
    assert not consultation.appointments.exists()
    html = client.get(url).content.decode()
    assert html.index("If you need help right now") < html.index("Thank you, we have your request")


def test_a_safe_visitor_chooses_a_time_or_says_none_suits(client, clinic_profile):
    specialist_working_every_day()
    response = client.post(BOOK_URL, form_data(window1_date="", window1_part=""))
    assert response.status_code == 200
    assert "Please choose one of the open times" in " ".join(response.context["form"].errors["slot"])
    # "None of these suit me" without windows asks for the first one.
    response = client.post(BOOK_URL, form_data(no_time_suits="on", window1_date="", window1_part=""))
    errors = response.context["form"].errors
    assert "Please choose a date that suits you." in errors["window1_date"] and "slot" not in errors
    assert ConsultationRequest.objects.count() == 0


def test_none_of_these_suit_me_falls_back_to_the_windows(client, clinic_profile):
    specialist_working_every_day()
    slot = first_open_slot("video")
    thanks_url_of(client.post(BOOK_URL, form_data(no_time_suits="on", slot=slot.key)))
    consultation = ConsultationRequest.objects.get()
    assert consultation.window1_date == next_open_day() and consultation.window1_part == "morning"
    assert not consultation.appointments.exists()


def test_a_time_with_another_specialist_or_a_made_up_key_is_refused_beside_the_times(client, clinic_profile):
    meera = specialist_working_every_day(name="Dr Meera")
    ravi = specialist_working_every_day(name="Dr Ravi")
    slot = first_open_slot("video", ravi)
    for key, message in [(slot.key, "another specialist"), ("x-1", "one of the times shown")]:
        data = form_data(slot=key, preferred_specialist=meera.slug, window1_date="", window1_part="")
        response = client.post(BOOK_URL, data)
        assert response.status_code == 200
        assert message in " ".join(response.context["form"].errors["slot"])
    assert ConsultationRequest.objects.count() == 0


@pytest.mark.parametrize(
    "who,label",
    [
        ("adult", "Myself (I am 18 or older)"),
        ("couple", "My partner and me, as a couple"),
        ("guardian", "Someone else, as their parent or guardian"),
    ],
)
def test_who_the_consultation_is_for(client, clinic_profile, who, label):
    html = client.get(BOOK_URL).content.decode()
    assert "Who is the consultation for?" in html and label in html
    thanks_url_of(client.post(BOOK_URL, form_data(who_for=who)))
    assert ConsultationRequest.objects.get().who_for == who


def test_the_safety_question_comes_first(client, clinic_profile):
    specialist_working_every_day()
    html = client.get(BOOK_URL).content.decode().split("<form")[1]
    order = [html.index(f'name="{name}"') for name in ("safe_now", "who_for", "mode", "slot", "name")]
    assert order == sorted(order)


def test_show_open_times_without_javascript_keeps_what_was_typed(client, clinic_profile, settings):
    settings.BOOKING_RATE_LIMIT = "1/h"
    specialist = specialist_working_every_day(name="Dr Meera")
    data = form_data(
        mode="phone", preferred_specialist=specialist.slug, message="Since March", show_times="1"
    )
    del data["window1_date"], data["window1_part"]
    for _ in range(3):  # showing times is not a submission: no rate limit, nothing saved
        response = client.post(BOOK_URL, data)
        assert response.status_code == 200
    html = response.content.decode()
    assert ConsultationRequest.objects.count() == 0
    assert "form-errors" not in html and "is-invalid" not in html
    assert 'value="Priya"' in html and "Since March" in html
    assert re.search(r'value="phone"[^>]* id="id_mode_2" required checked', html.replace("  ", " "))
    assert f'name="slot" value="{first_open_slot("phone", specialist).key}"' in html
    assert 'formaction="/book/#open-times"' in html


def test_the_specialist_page_shows_the_fees(client, clinic_profile):
    specialist = SpecialistFactory(name="Dr Meera", fee_in_clinic=2000, fee_video=1500)
    html = client.get(specialist.get_absolute_url()).content.decode()
    assert "₹2,000" in html and "₹1,500" in html


@pytest.mark.parametrize("appointments", [1, 40])
def test_open_times_query_budgets_do_not_grow_with_appointments(
    client, clinic_profile, django_assert_num_queries, appointments
):
    from tests.factories import AppointmentFactory, clinic_time

    TopicFactory(slug="anxiety")
    specialists = [specialist_working_every_day() for _ in range(3)]
    for n in range(appointments):
        start = clinic_time(3 + n % 10, 10 + n % 7)
        AppointmentFactory(specialist=specialists[n % 3], start=start, end=start + timedelta(minutes=50))
    # The page (7, as above) and the open times (5 more: the profile, working hours,
    # days off, holidays, appointments); one more to find a specialist chosen by a
    # link, and one to see whether this visit of the form has sent a request already.
    with django_assert_num_queries(12):
        client.get(BOOK_URL)
    # Again: the open times come from the cache (six fewer), and this visit's key,
    # in its cookie now, is looked up (one more).
    with django_assert_num_queries(7):
        client.get(BOOK_URL)
    with django_assert_num_queries(14):
        client.get(f"{BOOK_URL}?specialist={specialists[0].slug}")
    # The fragment: the profile (for every template) and the six of
    # availability.open_times, then from the cache the profile alone; one more to
    # find the specialist chosen.
    with django_assert_num_queries(7):
        client.post("/book/times/", {"mode": "video"})
    with django_assert_num_queries(1):
        client.post("/book/times/", {"mode": "video"})
    with django_assert_num_queries(8):
        client.post("/book/times/", {"mode": "video", "specialist": specialists[0].slug})
    # The no-JavaScript step: the page with a specialist chosen (its times cached).
    data = form_data(show_times="1", preferred_specialist=specialists[0].slug)
    with django_assert_num_queries(7):
        assert client.post(BOOK_URL, data).status_code == 200
    # Sending with a time: the form's checks, then one transaction: the holds' lock,
    # this contact's other holds, the request, the specialist's lock, the time checked
    # again (6), the hold, the acknowledgements counted, the emails queued.
    slot = first_open_slot("video", specialists[1])
    data = form_data(
        slot=slot.key, preferred_specialist=specialists[1].slug, window1_date="", window1_part=""
    )
    with django_assert_num_queries(25):
        thanks_url_of(client.post(BOOK_URL, data))
    # The same time again, from someone else: nothing saved, the form back with the times open now.
    data = form_data(
        slot=slot.key, email="asha@example.com", phone="98111 22333", window1_date="", window1_part=""
    )
    with django_assert_num_queries(27):
        assert client.post(BOOK_URL, data).status_code == 409


def test_a_preferred_day_on_a_clinic_holiday_is_refused_beside_the_field(client, clinic_profile):
    from clinic.models import Holiday

    day = next_open_day()
    Holiday.objects.create(clinic=clinic_profile, date=day, name="Diwali")
    response = client.post(BOOK_URL, form_data(window1_date=day.isoformat()))
    assert response.status_code == 200
    assert "The clinic is closed on" in " ".join(response.context["form"].errors["window1_date"])
    assert not ConsultationRequest.objects.exists()


# ---- One booking per visit of the form (issue 22) ----


def _key_on(page):
    return re.search(r'name="submission_key" value="([^"]+)"', page.content.decode())[1]


def test_back_then_send_again_shows_the_booking_made_and_books_nothing_more(client, clinic_profile):
    meera = specialist_working_every_day(name="Dr Meera")
    rao = specialist_working_every_day(name="Dr Rao")
    key = _key_on(client.get(BOOK_URL))
    slot = first_open_slot("video", meera)
    data = form_data(
        submission_key=key, slot=slot.key, preferred_specialist=meera.slug, window1_date="", window1_part=""
    )
    thanks_url_of(client.post(BOOK_URL, data))
    # Back: the browser fetches the form again; it is the same visit of the form.
    back = client.get(BOOK_URL)
    assert _key_on(back) == key
    assert "This form was sent from this browser a short while ago" in back.content.decode()
    other = first_open_slot("video", rao)
    again = form_data(
        submission_key=key, slot=other.key, preferred_specialist=rao.slug, window1_date="", window1_part=""
    )
    response = client.post(BOOK_URL, again)
    assert response.status_code == 302 and response["Location"].endswith("?again=1")
    page = client.get(response["Location"]).content.decode()
    assert "nothing new was booked" in page and "Dr Meera" in page
    assert ConsultationRequest.objects.count() == 1
    assert Appointment.objects.get().specialist == meera
    # Choosing to book another starts a new visit of the form.
    fresh = client.get(BOOK_URL + "?another=1")
    assert _key_on(fresh) != key and "sent from this browser" not in fresh.content.decode()
    data = form_data(submission_key=_key_on(fresh), email="asha@example.com", phone="98111 22333")
    thanks_url_of(client.post(BOOK_URL, data))
    assert ConsultationRequest.objects.count() == 2


def test_the_choices_a_browser_might_restore_are_not_restored_after_back(client, clinic_profile):
    specialist_working_every_day()
    html = client.get(BOOK_URL).content.decode()
    for name in ["mode", "preferred_specialist", "slot", "no_time_suits"]:
        for tag in re.findall(rf'<(?:input|select)[^>]*name="{name}"[^>]*>', html):
            assert 'autocomplete="off"' in tag, tag


def test_the_form_shows_the_first_days_and_the_rest_on_request(client, clinic_profile, settings):
    settings.BOOKING_DAYS_SHOWN = 3
    from bookings import availability

    specialist = specialist_working_every_day()
    days = len(availability.open_times("video", specialist))
    assert days > 3
    html = client.get(f"{BOOK_URL}?specialist={specialist.slug}").content.decode()
    assert html.count('class="open-times__day"') == 3
    assert f"Show {days - 3} more days" in html and 'id="later-times"' not in html
    # Without scripts: the button sends the form's show_times step, which shows them all.
    data = form_data(show_times="all", preferred_specialist=specialist.slug, mode="video")
    html = client.post(BOOK_URL, data).content.decode()
    assert html.count('class="open-times__day"') == days and "more days" not in html
    assert re.search(r'<details class="open-times__day" open id="later-times">', html)
    # With scripts: the fragment, all days.
    fragment = client.post(
        "/book/times/", {"mode": "video", "specialist": specialist.slug, "all_days": "on"}
    ).content.decode()
    assert fragment.count('class="open-times__day"') == days
    first = client.post("/book/times/", {"mode": "video", "specialist": specialist.slug}).content.decode()
    assert first.count('class="open-times__day"') == 3 and "data-more-times hidden" in first


def test_a_chosen_time_on_a_later_day_stays_in_view(client, clinic_profile, settings):
    from bookings import availability

    settings.BOOKING_DAYS_SHOWN = 3
    specialist = specialist_working_every_day()
    days = availability.open_times("video", specialist)
    later = days[5][1][0]
    data = form_data(slot=later.key, preferred_specialist=specialist.slug, mode="video", name="")
    html = client.post(BOOK_URL, data).content.decode()  # sent with a field missing
    assert f'value="{later.key}" id="slot-{later.key}" autocomplete="off" checked' in html
    assert html.count('class="open-times__day"') == len(days)
