import importlib
import io
import re

import pytest
from axes.models import AccessAttempt
from django.core.management import call_command
from django.test import override_settings
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.factories import UserFactory

PASSWORD = "right-password-123"
WRONG = "Please enter the correct username, password and code from your authenticator app"


@pytest.fixture
def production_2fa(monkeypatch):
    """The production settings' choice, applied to the test site."""
    monkeypatch.setenv("DJANGO_SECRET_KEY", "x" * 60)
    monkeypatch.setenv("DJANGO_ALLOWED_HOSTS", "clinic.example")
    monkeypatch.setenv("SITE_URL", "https://clinic.example")
    monkeypatch.delenv("DJANGO_ADMIN_REQUIRE_2FA", raising=False)
    prod = importlib.reload(importlib.import_module("clinic.settings.prod"))
    assert prod.ADMIN_REQUIRE_2FA is True
    with override_settings(ADMIN_REQUIRE_2FA=prod.ADMIN_REQUIRE_2FA):
        yield


def current_code(device):
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


def sign_in(client, REMOTE_ADDR="127.0.0.1", **fields):
    data = {"username": "reception", "password": PASSWORD, **fields}
    return client.post("/admin/login/?next=/admin/", data, REMOTE_ADDR=REMOTE_ADDR)


@pytest.mark.django_db
def test_under_production_settings_a_password_alone_opens_nothing(client, production_2fa):
    UserFactory(username="reception", password=PASSWORD)
    page = client.get("/admin/login/")
    assert 'name="otp_token"' in page.content.decode()
    answer = sign_in(client)
    assert answer.status_code == 200
    assert WRONG in answer.content.decode()
    assert client.get("/admin/").status_code == 302
    assert client.get("/admin/bookings/consultationrequest/").status_code == 302


@pytest.mark.django_db
def test_under_production_settings_a_wrong_code_opens_nothing(client, production_2fa):
    user = UserFactory(username="reception", password=PASSWORD)
    device = TOTPDevice.objects.create(user=user, name="phone")
    wrong = f"{(int(current_code(device)) + 1) % 1_000_000:06d}"
    assert sign_in(client, otp_token=wrong).status_code == 200
    assert client.get("/admin/").status_code == 302


@pytest.mark.django_db
def test_under_production_settings_password_and_code_sign_in(client, production_2fa):
    user = UserFactory(username="reception", password=PASSWORD)
    device = TOTPDevice.objects.create(user=user, name="phone")
    answer = sign_in(client, otp_device=device.persistent_id, otp_token=current_code(device))
    assert answer.status_code == 302 and answer["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


@pytest.mark.django_db
def test_a_session_signed_in_without_the_second_factor_is_not_let_in(client, production_2fa):
    client.force_login(UserFactory(username="reception", password=PASSWORD, is_superuser=True))
    answer = client.get("/admin/")
    assert answer.status_code == 302 and answer["Location"].startswith("/admin/login/")


@pytest.mark.django_db
def test_without_the_production_setting_a_password_is_enough(client, settings):
    # `make run` and the test settings: optional.
    assert settings.ADMIN_REQUIRE_2FA is False
    UserFactory(username="reception", password=PASSWORD)
    assert "otp_token" not in client.get("/admin/login/").content.decode()
    assert sign_in(client).status_code == 302
    assert client.get("/admin/").status_code == 200


@pytest.mark.django_db
def test_the_command_gives_a_device_whose_codes_sign_in(client, production_2fa):
    UserFactory(username="reception", password=PASSWORD)
    out = io.StringIO()
    call_command("add_totp_device", "reception", stdout=out)
    device = TOTPDevice.objects.get(user__username="reception")
    assert device.confirmed
    assert "otpauth://totp/Clinic%20admin%3Areception?secret=" in out.getvalue()
    assert "█" in out.getvalue() or "▀" in out.getvalue()  # the QR code, drawn in the terminal
    assert sign_in(client, otp_token=current_code(device)).status_code == 302


@pytest.mark.django_db
def test_the_owner_shows_a_new_device_as_a_qr_code_in_the_admin(admin_client):
    staff = UserFactory(username="reception", password=PASSWORD)
    device = TOTPDevice.objects.create(user=staff, name="phone")
    config = admin_client.get(f"/admin/otp_totp/totpdevice/{device.pk}/config/")
    assert config.status_code == 200
    qr = admin_client.get(f"/admin/otp_totp/totpdevice/{device.pk}/qrcode/")
    assert qr.status_code == 200 and qr["Content-Type"] == "image/svg+xml"
    assert b"<svg" in qr.content


@pytest.mark.django_db
def test_someone_with_two_apps_signs_in_with_a_code_from_either(client, production_2fa):
    user = UserFactory(username="reception", password=PASSWORD)
    old_phone = TOTPDevice.objects.create(user=user, name="Old phone")
    new_phone = TOTPDevice.objects.create(user=user, name="New phone")
    assert "New phone" not in client.get("/admin/login/").content.decode()
    assert sign_in(client, otp_token=current_code(new_phone)).status_code == 302
    client.logout()
    # Trying the old phone first slowed its next try (django-otp's throttle): let that pass.
    TOTPDevice.objects.update(throttling_failure_timestamp=None, throttling_failure_count=0)
    assert sign_in(client, otp_token=current_code(old_phone)).status_code == 302


def _page_text(response):
    """The answer with what differs on every page (the CSRF token) taken out."""
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())


@pytest.mark.django_db
def test_a_right_password_with_a_wrong_code_answers_as_a_wrong_password_does(client, production_2fa):
    user = UserFactory(username="reception", password=PASSWORD)
    TOTPDevice.objects.create(user=user, name="phone")
    TOTPDevice.objects.create(user=user, name="tablet")
    wrong_password = sign_in(client, password="not-the-password", otp_token="123456")
    wrong_code = sign_in(client, otp_token="123456")
    assert wrong_password.status_code == wrong_code.status_code == 200
    assert WRONG in wrong_password.content.decode()
    assert _page_text(wrong_code) == _page_text(wrong_password)
    # Without a code too; the password is never written back into the page.
    no_code = sign_in(client)
    assert _page_text(no_code) == _page_text(sign_in(client, password="not-the-password"))
    assert PASSWORD not in no_code.content.decode()


@pytest.mark.django_db
def test_wrong_codes_count_towards_the_lockout(client, production_2fa, settings):
    settings.AXES_ENABLED = True
    user = UserFactory(username="reception", password=PASSWORD)
    device = TOTPDevice.objects.create(user=user, name="phone")
    for _ in range(4):
        assert sign_in(client, otp_token="000000", REMOTE_ADDR="203.0.113.10").status_code == 200
    assert AccessAttempt.objects.get().failures_since_start == 4
    assert sign_in(client, otp_token="000000", REMOTE_ADDR="203.0.113.10").status_code == 429
    # Locked: not even the right password and code open it from that address.
    answer = sign_in(client, otp_token=current_code(device), REMOTE_ADDR="203.0.113.10")
    assert answer.status_code == 429
    assert client.get("/admin/").status_code == 302
