import pytest

from tests.browser.conftest import DESKTOP, PHONE, check_axe, screenshot
from tests.factories import SpecialistFactory

pytestmark = pytest.mark.django_db(transaction=True)

PAGES = {
    "home": "/",
    "about": "/about/",
    "contact": "/contact/",
    "privacy": "/privacy/",
    "specialists": "/specialists/",
    "not-found": "/no-such-page/",
}


@pytest.mark.parametrize("viewport_name,viewport", [("phone", PHONE), ("desktop", DESKTOP)])
def test_site_pages_render_fit_and_pass_axe(page, console_errors, viewport_name, viewport):
    specialist = SpecialistFactory(name="Dr Kavya Rao")
    page.set_viewport_size(viewport)
    for name, path in {**PAGES, "specialist": specialist.get_absolute_url()}.items():
        response = page.goto(path)
        if name == "not-found":
            assert response.status == 404
            # Chromium reports the page's own 404 status on the console; that one is expected.
            assert console_errors == [
                "Failed to load resource: the server responded with a status of 404 (Not Found)"
            ]
            console_errors.clear()
        else:
            assert response.status == 200, path
        assert page.locator("h1").first.is_visible()
        assert page.get_by_role("navigation", name="Main").is_visible()
        assert page.locator("footer").get_by_text("Tele-MANAS").is_visible()
        # Nothing is wider than the screen: no sideways scrolling on a phone.
        scroll_width = page.evaluate("document.documentElement.scrollWidth")
        assert scroll_width <= viewport["width"], f"{path} scrolls sideways at {viewport['width']}px"
        check_axe(page, f"{path} at {viewport_name}")
        screenshot(page, f"shell-{name}-{viewport_name}")


def test_navigation_works_by_keyboard_alone(page):
    SpecialistFactory()  # "Our specialists" is in the menu once there are some
    page.goto("/")
    page.keyboard.press("Tab")
    skip = page.locator(":focus")
    assert skip.inner_text() == "Skip to main content"
    # Tab through the header until "Our specialists" has focus, then follow it.
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent.trim()") == "Our specialists":
            break
    else:
        pytest.fail("The 'Our specialists' link never received keyboard focus")
    page.keyboard.press("Enter")
    page.wait_for_url("**/specialists/")
    assert page.locator("h1").inner_text() == "Our specialists"


def test_skip_link_moves_focus_to_main_content(page):
    page.goto("/about/")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
