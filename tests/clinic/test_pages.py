import pytest
from django.db import connection
from django.urls import reverse
from django.utils.html import escape

from clinic.models import ClinicProfile
from tests.factories import SpecialistFactory, UserFactory

pytestmark = pytest.mark.django_db

SITE_PAGES = ["clinic:home", "clinic:about", "clinic:contact", "clinic:privacy", "clinic:specialists"]


@pytest.mark.parametrize("name", SITE_PAGES)
def test_site_page_renders_with_clinic_details(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 200
    html = response.content.decode()
    profile = ClinicProfile.load()
    assert escape(profile.name) in html
    # Footer: address, phone, email, hours, helplines, privacy link.
    hours = "Monday\u2013Saturday 10:00\u201319:00"
    for text in [profile.street_address, profile.phone, profile.email, hours, "14416", "112"]:
        assert escape(text) in html
    assert reverse("clinic:privacy") in html


def test_every_site_page_has_its_own_title_and_description(client):
    titles, descriptions = set(), set()
    for name in SITE_PAGES:
        html = client.get(reverse(name)).content.decode()
        titles.add(html.split("<title>")[1].split("</title>")[0])
        descriptions.add(html.split('<meta name="description" content="')[1].split('"')[0])
        assert '<link rel="canonical" href="http://testserver' in html
        assert 'property="og:title"' in html and 'name="twitter:card"' in html
    assert len(titles) == len(SITE_PAGES)
    assert len(descriptions) == len(SITE_PAGES)


def test_profile_defaults_make_a_complete_site():
    profile = ClinicProfile.load()
    assert profile.helpline_name == "Tele-MANAS"
    assert profile.helpline_phone == "14416"
    assert profile.helpline_alt_phone == "1-800-891-4416"
    assert profile.emergency_phone == "112"
    assert profile.privacy_notice_version


def test_there_is_one_profile_and_a_save_keeps_it(django_assert_num_queries):
    profile = ClinicProfile.load()
    profile.phone = "+91 124 555 0101"
    profile.save()
    assert ClinicProfile.load().phone == "+91 124 555 0101"
    assert ClinicProfile.objects.count() == 1


def test_privacy_notice_shows_its_version_and_grievance_contact(client):
    html = client.get(reverse("clinic:privacy")).content.decode()
    profile = ClinicProfile.load()
    assert f"Version {profile.privacy_notice_version}" in html
    assert profile.grievance_email in html
    assert "withdraw" in html.lower()


def test_specialists_page_reads_well_with_none(client):
    html = client.get(reverse("clinic:specialists")).content.decode()
    assert "will be introduced here soon" in html


def test_specialist_list_and_profile(client):
    active = SpecialistFactory(name="Dr Kavya Rao", registration_number="RCI A12345")
    SpecialistFactory(name="Dr Former Staff", is_active=False)
    html = client.get(reverse("clinic:specialists")).content.decode()
    assert "Dr Kavya Rao" in html
    assert "Dr Former Staff" not in html
    page = client.get(active.get_absolute_url())
    assert page.status_code == 200
    assert "RCI A12345" in page.content.decode()


def test_inactive_specialist_page_is_not_found(client):
    gone = SpecialistFactory(is_active=False)
    assert client.get(gone.get_absolute_url()).status_code == 404


def test_unknown_page_gets_the_sites_404(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "We could not find that page" in response.content.decode()


def test_healthz_reports_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_healthz_is_503_when_the_database_is_unreachable(client, monkeypatch):
    def broken_cursor(*args, **kwargs):
        raise connection.OperationalError("database unreachable")

    monkeypatch.setattr(connection, "cursor", broken_cursor)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] == "unreachable"


def test_robots_names_the_sitemap(client):
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert "Sitemap: http://testserver/sitemap.xml" in response.content.decode()


@pytest.mark.django_db
def test_robots_does_not_name_the_admin_whose_pages_say_noindex_themselves(client):
    noindex = '<meta name="robots" content="noindex, nofollow, noarchive">'
    assert "admin" not in client.get("/robots.txt").content.decode()
    UserFactory(username="reception", password="a-long-test-password")
    for page in [
        client.get("/admin/login/"),
        client.post("/admin/login/", {"username": "reception", "password": "wrong"}),
    ]:
        assert page.status_code == 200
        assert noindex in page.content.decode()
    client.login(username="reception", password="a-long-test-password")
    for path in ["/admin/", "/admin/password_change/"]:
        assert noindex in client.get(path).content.decode()


def test_sitemap_lists_site_pages_and_specialists(client):
    specialist = SpecialistFactory()
    xml = client.get("/sitemap.xml").content.decode()
    assert "http://testserver/about/" in xml
    assert f"http://testserver{specialist.get_absolute_url()}" in xml


def test_stale_csrf_token_gets_a_friendly_page():
    from django.test import Client

    csrf_client = Client(enforce_csrf_checks=True)
    response = csrf_client.post(reverse("admin:login"), {"username": "x", "password": "y"})
    assert response.status_code == 403
    assert "Please send the form again" in response.content.decode()


def test_favicon_is_served(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"].endswith("img/favicon.svg")


def test_error_pages_render_without_the_request_context(rf):
    """Django renders the 400 and 500 pages without context processors (the
    failure may be the database itself); they must still be the site's pages."""
    from django.views import defaults

    request = rf.get("/")
    server_error = defaults.server_error(request)
    assert server_error.status_code == 500
    assert "Sorry, something went wrong on our side" in server_error.content.decode()
    bad = defaults.bad_request(request, exception=None)
    assert bad.status_code == 400
    assert "14416" in bad.content.decode()


def test_a_request_for_an_unknown_host_gets_the_400_page(client):
    response = client.get("/", HTTP_HOST="attacker.example")
    assert response.status_code == 400
    assert "Something in that request was not right" in response.content.decode()
