"""Real-browser harness: Playwright for Python driving Debian's Chromium
against pytest-django's live server."""

import functools
import os
import shutil
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in the test's thread; the Django
# calls our tests make there (factories, queries) are still synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

AXE_JS = Path(__file__).parent / "vendor" / "axe.min.js"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
PHONE = {"width": 375, "height": 740}
DESKTOP = {"width": 1280, "height": 900}


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if not executable:
        pytest.fail("Chromium is not installed: run ./scripts/install-chromium.sh (make test does).")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class ConsoleErrors(list):
    """Console errors and uncaught page errors seen during a test."""


@pytest.fixture
def console_errors():
    return ConsoleErrors()


@pytest.fixture
def page(browser, live_server, console_errors):
    """A fresh browser page; the test fails if anything reaches the console as
    an error or an uncaught exception."""
    context = browser.new_context(viewport=DESKTOP, base_url=live_server.url)
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.on("console", lambda msg: msg.type == "error" and console_errors.append(msg.text))
    page.on("pageerror", lambda exc: console_errors.append(str(exc)))
    page.on("dialog", lambda dialog: (console_errors.append(f"dialog: {dialog.message}"), dialog.dismiss()))
    yield page
    context.close()
    assert list(console_errors) == [], f"Browser console errors: {list(console_errors)}"


@functools.cache
def _axe_source():
    return AXE_JS.read_text(encoding="utf-8")


def check_axe(page, context_name=""):
    """Run axe-core (from the project's files) on the current page; fail on any
    WCAG 2.0/2.1 A or AA violation."""
    # Evaluated through the DevTools protocol, which the page's CSP does not
    # govern: the site keeps its real policy while axe runs.
    page.evaluate(_axe_source())
    result = page.evaluate(
        """async () => await axe.run(document, {
            runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}
        })"""
    )
    problems = [
        f"{v['id']} ({v['impact']}): {v['help']} -> "
        + "; ".join(node["target"][0] if node["target"] else "?" for node in v["nodes"][:5])
        for v in result["violations"]
    ]
    assert problems == [], f"axe found problems on {context_name or page.url}:\n" + "\n".join(problems)


def screenshot(page, name):
    """Keep a full-page screenshot to look at, as a visitor would see it."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


@pytest.fixture
def axe():
    return check_axe
