import pytest

from tests.browser.conftest import check_axe, screenshot
from tests.factories import SpecialistFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def log_in(page, username, password):
    page.goto("/admin/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def test_owner_edits_clinic_details_and_specialists_without_console_or_csp_errors(page):
    UserFactory(username="owner", is_superuser=True, password="a-long-owner-password")
    specialist = SpecialistFactory(name="Dr Kavya Rao")
    log_in(page, "owner", "a-long-owner-password")
    page.wait_for_url("**/admin/")
    screenshot(page, "admin-index")
    page.goto("/admin/clinic/clinicprofile/")
    page.goto("/admin/clinic/clinicprofile/1/change/")
    page.get_by_label("Phone").first.fill("+91 124 555 0101")
    page.get_by_role("button", name="Save", exact=True).click()
    # One profile: the admin opens it as one page, and comes back to it after saving.
    page.wait_for_url("**/admin/clinic/clinicprofile/1/change/")
    page.goto("/")
    assert page.locator("footer").get_by_text("+91 124 555 0101").is_visible()

    page.goto("/admin/clinic/specialist/")
    page.get_by_role("link", name="Dr Kavya Rao").click()
    page.get_by_label("Title").fill("Consultant Psychiatrist")
    page.get_by_role("button", name="Save", exact=True).click()
    page.goto("/admin/clinic/specialist/add/")
    page.get_by_label("Name").press_sequentially("Dr Arjun Sen")
    # The slug is prepopulated from the name by the admin's own script.
    assert page.get_by_label("Slug").input_value() == "dr-arjun-sen"
    screenshot(page, "admin-specialist-add")
    page.goto(specialist.get_absolute_url())
    assert page.get_by_text("Consultant Psychiatrist").is_visible()


def test_admin_login_page_passes_axe(page):
    page.goto("/admin/login/")
    check_axe(page, "admin login")
