"""Retakes the README's screenshots against a running development server with the demo data.

    make run                                         # in one terminal
    .venv/bin/python docs/screenshots/take_screenshots.py [BASE_URL]

BASE_URL defaults to http://127.0.0.1:8000. Signs in as the demo CCEH staff member and saves
queue.png (the review queue) and screening.png (the demo request that is in screening), full
page at 1280 pixels wide, next to this script. Uses the Debian Chromium, as the browser tests do.
"""

import sys
from pathlib import Path

from playwright.sync_api import expect, sync_playwright

# The browser the tests use, from the repository beside this script.
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from tests.browser import launch

HERE = Path(__file__).parent
DEFAULT_BASE_URL = "http://127.0.0.1:8000"
EMAIL, PASSWORD = "staff@demo.test", "hmis-demo-2026"

VIEWPORT = {"width": 1280, "height": 800}
TIMEOUT_MS = 10_000


def sign_in(page):
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def take_screenshots(base_url):
    with sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            context = browser.new_context(base_url=base_url, viewport=VIEWPORT)
            context.set_default_timeout(TIMEOUT_MS)
            page = context.new_page()
            sign_in(page)

            page.goto("/queue/")
            expect(page.get_by_role("heading", level=1)).to_have_text("Review queue")
            page.screenshot(path=HERE / "queue.png", full_page=True)
            print(f"Saved {HERE / 'queue.png'}")

            # The demo request in screening, found by its Status column.
            row = page.locator("main table tbody tr").filter(
                has=page.locator("td.status", has_text="In screening")
            )
            link = row.first.get_by_role("link")
            reference = link.inner_text()
            link.click()
            expect(page.get_by_role("heading", level=1)).to_have_text(reference)
            page.screenshot(path=HERE / "screening.png", full_page=True)
            print(f"Saved {HERE / 'screening.png'} ({reference})")
        finally:
            browser.close()


if __name__ == "__main__":
    take_screenshots(sys.argv[1] if len(sys.argv) > 1 else DEFAULT_BASE_URL)
