"""Amendments and the yearly review in Chromium: Riley asks to add a person from the MOU page's
"Amend access" section by keyboard, Sam approves it, Riley signs the amended MOU, then reviews
everyone on one page, which fits a phone's 390 px; every page reached passes axe-core (WCAG
2.0/2.1/2.2 A and AA) with no Content-Security-Policy breach."""

import re

from playwright.sync_api import expect

from requests_app.core.states import AccessLevel
from requests_app.models import Amendment, Recertification
from tests.support.e2e import assert_accessible, assert_no_csp_violations, login, visit
from tests.support.journey import ADA, CY, RILEY_TITLE


def checked(page):
    assert_no_csp_violations(page)
    assert_accessible(page)


def test_an_addition_and_a_review_by_keyboard(
    page, live_server, personas, stage, settings, tmp_path
):
    settings.PRIVATE_FILES_ROOT = tmp_path / "private"
    agreement = stage.active(people=(CY, ADA))
    reference = agreement.request.reference
    mou = f"/r/{reference}/mou/"

    login(page, live_server, personas.riley)
    visit(page, mou)
    add = page.locator("summary", has_text="Add a person")
    add.focus()
    page.keyboard.press("Enter")
    page.get_by_label("Full name").fill("Dee Data")
    page.get_by_label("E-mail").fill("dee@harbor.example")
    page.get_by_label("Access level asked for").select_option(AccessLevel.REPORTING)
    page.get_by_label("Why they need HMIS access").fill("Runs our reports.")
    checked(page)
    with stage.capture(execute=True):
        page.get_by_role("button", name="Ask to add them").press("Enter")
        expect(page.get_by_role("status")).to_contain_text("The addition is asked for.")
    checked(page)
    assert Amendment.objects.get().name == "Dee Data"

    page.context.clear_cookies()
    login(page, live_server, personas.sam)
    visit(page, mou)
    expect(page.locator("main .pending-additions")).to_contain_text("Dee Data")
    page.get_by_label("Approve").check()
    with stage.capture(execute=True):
        page.get_by_role("button", name="Record the decision").press("Enter")
        expect(page.get_by_role("status")).to_contain_text("The addition is decided")
    checked(page)

    page.context.clear_cookies()
    login(page, live_server, personas.riley)
    visit(page, mou)
    page.get_by_label("Your full name, typed as your signature").fill("Riley Requestor")
    page.get_by_label("Your title").fill(RILEY_TITLE)
    page.get_by_label(re.compile("^I am authorized to sign")).check()
    with stage.capture(execute=True):
        page.get_by_role("button", name="Sign the amended MOU").press("Enter")
        expect(page.get_by_role("status")).to_contain_text("You signed the amended MOU.")
    checked(page)

    page.get_by_role("link", name=re.compile("^Review everyone's access")).press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Review everyone's access")
    checked(page)
    # Submitted with nobody chosen: refused in words, on the page again.
    page.get_by_role("button", name="Submit the review").press("Enter")
    expect(page.locator("#error-summary")).to_contain_text(
        "Choose keep, lower or remove for Cy Clinician."
    )
    checked(page)
    for fieldset in page.locator("main fieldset.review-person").all():
        fieldset.get_by_label("Keep").check()
    with stage.capture(execute=True):
        page.get_by_role("button", name="Submit the review").press("Enter")
        expect(page.get_by_role("status")).to_contain_text("The review is recorded.")
    checked(page)
    assert Recertification.objects.get().note == "3 kept."

    # On a phone, 390 px wide: neither page scrolls sideways.
    page.set_viewport_size({"width": 390, "height": 844})
    for address in (mou, f"/r/{reference}/mou/review"):
        visit(page, address)
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
