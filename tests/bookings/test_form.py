import re
from datetime import timedelta

import pytest
from django.utils import timezone
from django.utils.html import escape

from bookings.models import ConsultationRequest
from tests.bookings.conftest import BOOK_URL, form_data, run_worker, thanks_url_of
from tests.factories import ArticleFactory, SpecialistFactory, TopicFactory, next_open_day

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
    for _ in range(2):
        # The form's choices (topics, bookable specialists) and the clinic
        # profile, read by the form (consent wording) and by the page, and its opening hours.
        with django_assert_num_queries(5):
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

    from bookings.models import OutboundEmail

    settings.EMAIL_BACKEND = "tests.bookings.test_form.BrokenBackend"
    url = thanks_url_of(client.post(BOOK_URL, valid_data))
    assert client.get(url).status_code == 200
    run_worker()
    assert ConsultationRequest.objects.count() == 1
    # The delivery tasks catch the failure and enqueue their retry (bookings.outbox).
    assert set(DBTaskResult.objects.values_list("status", flat=True)) == {"SUCCESSFUL", "READY"}
    assert set(OutboundEmail.objects.values_list("status", "attempts")) == {("queued", 1)}


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
        ({"mode": "teleport"}, "mode", "Select a valid choice"),
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
        ({"language": "xx"}, "language", "Select a valid choice"),
        ({"age_statement": None}, "age_statement", "who the consultation is for"),
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
    with django_assert_num_queries(13):
        response = client.post(BOOK_URL, data)
    thanks_url_of(response)


def test_a_specialist_not_taking_bookings_cannot_be_posted(client, clinic_profile):
    away = SpecialistFactory(name="Dr Away", accepts_bookings=False)
    response = client.post(BOOK_URL, form_data(preferred_specialist=away.slug))
    assert "preferred_specialist" in response.context["form"].errors
    assert ConsultationRequest.objects.count() == 0
