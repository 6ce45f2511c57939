"""Retakes the README's screenshots against a running development server with the demo data.

    make run                                         # in one terminal
    .venv/bin/python docs/screenshots/take_screenshots.py [BASE_URL] [NAME ...]

BASE_URL defaults to http://127.0.0.1:8000; NAMEs (queue.png docket.png ...) retake only those.
Saves, full page at 1280 pixels wide, next to this script: as the demo CCEH staff member,
queue.png (the review queue), queue-phone.png (the same at 390 pixels), screening.png (the
demo request that is in screening) and dashboard.png (the dashboard, the last twelve months);
as the demo committee member, docket.png (the docket) and vote.png (the demo request with the
committee, with the vote form); as the demo CAN leader, can.png (the requests naming their
CAN); as the demo requestor, my-requests and each step of the application of the demo draft,
apply-<n>-<step>, at desktop (1280) and phone (390) width. People with a second factor answer
it with the demo's published authenticator key.
Uses the Debian Chromium, as the browser tests do.
"""

import base64
import hashlib
import hmac
import re
import struct
import sys
import time
from pathlib import Path

from playwright.sync_api import expect, sync_playwright

# The browser the tests use, from the repository beside this script.
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from tests.support.browser import launch

HERE = Path(__file__).parent
DEFAULT_BASE_URL = "http://127.0.0.1:8000"
STAFF, MEMBER, CAN_LEADER = "staff@demo.test", "member@demo.test", "canleader@demo.test"
REQUESTOR = "requestor@demo.test"
PASSWORD = "open-door-demo-2026"  # noqa: S105 -- the demo data's published password
TOTP_KEY = "HMISDEMOHMISDEMOHMISDEMOHMISDEMO"  # the demo's published authenticator key
# The pages to retake; empty: every one.
ONLY = set()

VIEWPORT = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
STEPS = ["organization", "people", "scope", "eligibility", "research", "attestations", "review"]
TIMEOUT_MS = 10_000


def totp_code(key=TOTP_KEY, now=None):
    """The demo authenticator's code now (RFC 6238: SHA-1, 6 digits, 30 seconds), never one
    about to expire."""
    now = time.time() if now is None else now
    if 30 - now % 30 < 3:
        time.sleep(30 - now % 30)
        now = time.time()
    digest = hmac.new(
        base64.b32decode(key), struct.pack(">Q", int(now // 30)), hashlib.sha1
    ).digest()
    offset = digest[-1] & 0x0F
    return f"{(struct.unpack('>I', digest[offset : offset + 4])[0] & 0x7FFFFFFF) % 10**6:06d}"


def sign_in(page, email):
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    # On a phone the menu is collapsed, so the page's address says the sign-in went through.
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))
    if "/accounts/2fa/authenticate/" in page.url:
        # Everyone but the requestor has the demo's authenticator key (manage.py demo).
        page.get_by_label("Authenticator or recovery code").fill(totp_code())
        page.get_by_role("button", name="Sign in").click()
        expect(page).not_to_have_url(re.compile(r"/accounts/2fa/authenticate/"))


def save(page, name, note=""):
    if ONLY and name not in ONLY:
        return
    page.screenshot(path=HERE / name, full_page=True)
    print(f"Saved {HERE / name}{f' ({note})' if note else ''}")


def open_row(page, cell, text):
    """Follow the reference link of the first row whose `cell` reads `text`; its reference."""
    row = page.locator("main table tbody tr").filter(has=page.locator(cell, has_text=text))
    link = row.first.get_by_role("link").first
    reference = link.inner_text()
    link.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(reference)
    return reference


def staff_pages(page):
    page.goto("/queue/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Review queue")
    save(page, "queue.png")
    page.set_viewport_size(PHONE)
    save(page, "queue-phone.png")
    page.set_viewport_size(VIEWPORT)

    # The demo request in screening, found by its Stage column.
    reference = open_row(page, "td.stage", "Screening")
    save(page, "screening.png", reference)

    page.goto("/dashboard/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Dashboard")
    save(page, "dashboard.png")


def member_pages(page):
    page.goto("/docket/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Docket")
    save(page, "docket.png")

    # The demo request with the committee, not voted on yet: the vote form shows.
    reference = open_row(page, "td.my-vote", "Not voted yet")
    expect(page.get_by_role("button", name="Cast my vote")).to_be_visible()
    save(page, "vote.png", reference)


def can_leader_pages(page):
    page.goto("/can/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Requests naming")
    save(page, "can.png")


def requestor_pages(page, width):
    page.goto("/requests/")
    expect(page.get_by_role("heading", level=1)).to_have_text("My requests")
    save(page, f"my-requests-{width}.png")
    # The demo draft, by its Status column; its steps in order.
    reference = open_row(page, "td.status", "Draft")
    for number, step in enumerate(STEPS, start=1):
        page.goto(f"/r/{reference}/apply/{step}")
        expect(page.get_by_role("navigation", name="Application steps")).to_contain_text(
            f"Step {number} of {len(STEPS)}"
        )
        save(page, f"apply-{number}-{step}-{width}.png", reference)


def take_screenshots(base_url):
    with sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            # A context per person, so no one's session carries over to the next.
            for email, pages in (
                (STAFF, staff_pages),
                (MEMBER, member_pages),
                (CAN_LEADER, can_leader_pages),
            ):
                context = browser.new_context(base_url=base_url, viewport=VIEWPORT)
                context.set_default_timeout(TIMEOUT_MS)
                page = context.new_page()
                sign_in(page, email)
                pages(page)
                context.close()
            for width, viewport in (("desktop", VIEWPORT), ("phone", PHONE)):
                context = browser.new_context(base_url=base_url, viewport=viewport)
                context.set_default_timeout(TIMEOUT_MS)
                page = context.new_page()
                sign_in(page, REQUESTOR)
                requestor_pages(page, width)
                context.close()
        finally:
            browser.close()


if __name__ == "__main__":
    ONLY.update(sys.argv[2:])
    take_screenshots(sys.argv[1] if len(sys.argv) > 1 else DEFAULT_BASE_URL)
