import os
import stat
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage
from django.core.management import call_command

from clinic.mail import EmlFileBackend

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
def test_ensure_admin_creates_admin_once_and_prints_password(monkeypatch):
    for name in ["DJANGO_SUPERUSER_USERNAME", "DJANGO_SUPERUSER_PASSWORD", "DJANGO_SUPERUSER_EMAIL"]:
        monkeypatch.delenv(name, raising=False)
    out = StringIO()
    call_command("ensure_admin", stdout=out)
    password = out.getvalue().split("password: ")[1].split()[0]
    user = get_user_model().objects.get(username="admin")
    assert user.is_superuser and user.check_password(password)

    again = StringIO()
    call_command("ensure_admin", stdout=again)
    assert "password:" not in again.getvalue()
    assert get_user_model().objects.count() == 1
    user.refresh_from_db()
    assert user.check_password(password)


@pytest.mark.django_db
def test_ensure_admin_uses_the_environment(monkeypatch, client):
    monkeypatch.setenv("DJANGO_SUPERUSER_USERNAME", "owner")
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "a-long-owner-password")
    monkeypatch.setenv("DJANGO_SUPERUSER_EMAIL", "owner@clinic.example")
    call_command("ensure_admin", stdout=StringIO())
    assert client.login(username="owner", password="a-long-owner-password")
    assert client.get("/admin/").status_code == 200


def _run_manage(args, env_overrides):
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env.update(env_overrides)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_production_settings_refuse_to_start_without_secrets():
    result = _run_manage(["check"], {"DJANGO_SETTINGS_MODULE": "clinic.settings.prod"})
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_production_settings_refuse_to_start_without_allowed_hosts():
    result = _run_manage(
        ["check"], {"DJANGO_SETTINGS_MODULE": "clinic.settings.prod", "DJANGO_SECRET_KEY": "x" * 60}
    )
    assert result.returncode != 0
    assert "DJANGO_ALLOWED_HOSTS" in result.stderr


def _deploy_check(**overrides):
    """`manage.py check --deploy --fail-level WARNING` under the production
    settings, as CI runs it."""
    return _run_manage(
        ["check", "--deploy", "--fail-level", "WARNING"],
        {
            "DJANGO_SETTINGS_MODULE": "clinic.settings.prod",
            "DJANGO_SECRET_KEY": "k3y-" + "abcdefghijklmnopqrstuvwxyz0123456789" * 2,
            "DJANGO_ALLOWED_HOSTS": "clinic.example",
            "SITE_URL": "https://clinic.example",
            "TRUSTED_PROXY_IPS": "10.0.0.2",
            **overrides,
        },
    )


def test_production_deploy_check_has_no_warnings():
    result = _deploy_check()
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_without_trusted_proxies_is_reported():
    result = _deploy_check(TRUSTED_PROXY_IPS="")
    assert result.returncode != 0
    assert "(clinic.W001) TRUSTED_PROXY_IPS is empty" in result.stderr
    assert "HINT: Set TRUSTED_PROXY_IPS" in result.stderr


def test_production_with_a_plain_http_site_address_is_reported():
    result = _deploy_check(SITE_URL="http://clinic.example")
    assert result.returncode != 0
    assert "(clinic.W002) SITE_URL (http://clinic.example) is not https" in result.stderr


def test_production_without_the_second_factor_is_reported():
    result = _deploy_check(DJANGO_ADMIN_REQUIRE_2FA="0")
    assert result.returncode != 0
    assert "(clinic.W003) Staff sign in to the admin with a password alone" in result.stderr


def test_production_with_a_weak_video_token_secret_or_plain_video_server_is_reported():
    result = _deploy_check(VIDEO_JWT_SECRET="short", VIDEO_SERVER="http://meet.clinic.example")
    assert result.returncode != 0
    assert "(clinic.W004) VIDEO_JWT_SECRET is shorter than 32 bytes" in result.stderr
    assert "(clinic.W005) VIDEO_SERVER (http://meet.clinic.example) is not https" in result.stderr


@pytest.mark.parametrize("exists_already", [False, True])
def test_local_settings_keep_var_readable_by_its_owner_only(tmp_path, exists_already):
    var = tmp_path / "var"
    if exists_already:
        var.mkdir(mode=0o755)
        var.chmod(0o755)
    result = _run_manage(
        ["check"], {"DJANGO_SETTINGS_MODULE": "clinic.settings.dev", "DJANGO_VAR_DIR": str(var)}
    )
    assert result.returncode == 0, result.stderr
    assert stat.S_IMODE(var.stat().st_mode) == 0o700


def test_emails_written_locally_are_readable_by_their_owner_only(settings, tmp_path):
    settings.EMAIL_FILE_PATH = tmp_path / "mail"
    backend = EmlFileBackend()
    backend.send_messages([EmailMessage("Your request", "Details", to=["visitor@example.com"])])
    backend.send_messages([EmailMessage("Your request", "More details", to=["visitor@example.com"])])
    assert stat.S_IMODE((tmp_path / "mail").stat().st_mode) == 0o700
    files = list((tmp_path / "mail").iterdir())
    assert len(files) == 2
    for file in files:
        assert stat.S_IMODE(file.stat().st_mode) == 0o600
        assert b"Details" in file.read_bytes() or b"More details" in file.read_bytes()
