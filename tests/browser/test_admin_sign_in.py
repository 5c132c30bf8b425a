"""Staff sign-in as production has it: password and a code from an
authenticator app; and the page after too many wrong passwords."""

import pytest
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, PHONE, check_axe, screenshot
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def current_code(device):
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


@pytest.mark.parametrize(("viewport_name", "viewport"), [("phone", PHONE), ("desktop", DESKTOP)])
def test_staff_sign_in_with_password_and_code(page, settings, viewport_name, viewport):
    settings.ADMIN_REQUIRE_2FA = True
    page.set_viewport_size(viewport)
    user = UserFactory(username="reception", password="a-long-test-password")
    device = TOTPDevice.objects.create(user=user, name="Phone")
    page.goto("/admin/login/")
    check_axe(page, f"2FA login at {viewport_name}")
    screenshot(page, f"admin-login-2fa-{viewport_name}")
    page.get_by_label("Username").fill("reception")
    page.get_by_label("Password").fill("a-long-test-password")
    page.get_by_role("button", name="Log in").click()
    # A password alone: the same answer as a wrong password, which is never filled back in.
    # expect waits for the answer page (is_visible would look at once, racing it).
    expect(
        page.get_by_text("Please enter the correct username, password and code from your authenticator app")
    ).to_be_visible()
    assert page.get_by_label("Password").input_value() == ""
    # Nothing to choose, however many apps.
    assert page.get_by_label("Authenticator app", exact=True).count() == 0
    check_axe(page, f"2FA login without a code at {viewport_name}")
    screenshot(page, f"admin-login-2fa-no-code-{viewport_name}")
    page.get_by_label("Password").fill("a-long-test-password")
    page.get_by_label("Code from your authenticator app").fill(current_code(device))
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/admin/")


@pytest.mark.parametrize(("viewport_name", "viewport"), [("phone", PHONE), ("desktop", DESKTOP)])
def test_the_lockout_page(page, console_errors, settings, viewport_name, viewport):
    settings.AXES_ENABLED = True
    page.set_viewport_size(viewport)
    UserFactory(username="reception", password="a-long-test-password")
    for _ in range(5):
        page.goto("/admin/login/")
        page.get_by_label("Username").fill("reception")
        page.get_by_label("Password").fill("wrong")
        page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Too many failed logins")).to_be_visible()
    expect(page.get_by_text("locked on this device for 15 minutes after 5 failed attempts")).to_be_visible()
    check_axe(page, f"lockout page at {viewport_name}")
    screenshot(page, f"admin-lockout-{viewport_name}")
    # Chromium reports the page's own 429 status; nothing else may reach the console.
    assert console_errors == [
        "Failed to load resource: the server responded with a status of 429 (Too Many Requests)"
    ]
    console_errors.clear()
