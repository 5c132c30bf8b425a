import importlib
import io

import pytest
from django.core.management import call_command
from django.test import override_settings
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.factories import UserFactory

PASSWORD = "right-password-123"


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


def sign_in(client, **extra):
    return client.post("/admin/login/?next=/admin/", {"username": "reception", "password": PASSWORD, **extra})


@pytest.mark.django_db
def test_under_production_settings_a_password_alone_opens_nothing(client, production_2fa):
    UserFactory(username="reception", password=PASSWORD)
    page = client.get("/admin/login/")
    assert 'name="otp_token"' in page.content.decode()
    answer = sign_in(client)
    assert answer.status_code == 200
    assert "Please enter the code from your authenticator app." in answer.content.decode()
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
def test_someone_with_two_apps_chooses_which_code_they_give(client, production_2fa):
    user = UserFactory(username="reception", password=PASSWORD)
    TOTPDevice.objects.create(user=user, name="Old phone")
    new_phone = TOTPDevice.objects.create(user=user, name="New phone")
    answer = sign_in(client, otp_token=current_code(new_phone))
    assert answer.status_code == 200
    assert "Authenticator app" in answer.content.decode() and "New phone" in answer.content.decode()
    answer = sign_in(client, otp_device=new_phone.persistent_id, otp_token=current_code(new_phone))
    assert answer.status_code == 302
