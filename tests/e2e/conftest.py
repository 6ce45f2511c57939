"""Browser tests: a real Chromium drives the live server, and axe-core checks every page it
reaches against WCAG 2.0, 2.1 and 2.2, levels A and AA (tests/support/e2e.py)."""

import os
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from tests.support.browser import CHROMIUM, CHROMIUM_MISSING, launch
from tests.support.e2e import new_page

# Playwright's sync API runs an asyncio event loop in the test's own thread, so Django sees a
# running loop and refuses ORM calls from the test (fixtures, assertions) with
# SynchronousOnlyOperation. Nothing here is async: the test thread only blocks on the browser.
# Process-wide, not per test: the session's browser keeps that loop running until the session
# ends, so every test collected after these sees it too.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

HERE = Path(__file__).parent


def pytest_collection_modifyitems(config, items):
    # This hook sees the whole session's items, not just this folder's.
    for item in items:
        if item.path.is_relative_to(HERE):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        if os.environ.get("REQUIRE_BROWSER"):
            pytest.fail(CHROMIUM_MISSING)
        pytest.skip(CHROMIUM_MISSING)
    with sync_playwright() as playwright:
        browser = launch(playwright)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    with new_page(browser, live_server) as page:
        yield page


@pytest.fixture(autouse=True)
def _emails_link_to_the_live_server(settings, live_server):
    """Links in e-mails lead to the site under test, so a journey can follow them."""
    settings.SITE_URL = live_server.url
