"""The idle sign-out in the browser (static/js/idle.js): the warning before it, announced and
holding the focus, "Stay signed in" keeping the session, the page leaving for the sign-in page
when time runs out, and a step's typed answers coming back after signing in again. The limits
are made seconds long, so these wait for real: the clock tests are in tests/accounts."""

import re

import pytest
from playwright.sync_api import expect

from requests_app.models import AccessRequest
from tests.support.e2e import assert_accessible, assert_no_csp_violations, login
from tests.support.factories import PASSWORD

LIMIT = 12  # seconds without activity, for every role
WARNING = 9  # seconds before: the dialog opens 3 seconds after the last activity
MESSAGE = (
    f"You were signed out after {LIMIT} seconds without activity, to keep the records here "
    "safe. Sign in again to carry on."
)
TYPED = "Connect patients who are homeless to housing, typed before lunch."


@pytest.fixture(autouse=True)
def _short_limits(settings):
    settings.IDLE_LOGOUT_DECIDING_MINUTES = LIMIT / 60
    settings.IDLE_LOGOUT_REQUESTOR_MINUTES = LIMIT / 60
    settings.IDLE_WARNING_SECONDS = WARNING


def warning(page):
    return page.get_by_role("alertdialog", name="Are you still there?")


def seconds_left(page):
    """What the server says, without counting as activity."""
    return page.request.get("/session/activity").json()["remaining"]


# alex: on the Django admin's own pages.
@pytest.mark.parametrize("persona", ["riley", "sam", "alex"])
def test_the_warning_comes_first_and_stay_signed_in_keeps_the_session(
    page, live_server, personas, persona
):
    login(page, live_server, personas.by_name(persona))
    here = page.url

    expect(warning(page)).to_be_visible(timeout=LIMIT * 1000)
    expect(page.get_by_role("button", name="Stay signed in")).to_be_focused()
    expect(warning(page)).to_contain_text(re.compile(r"you will be signed out at \d+:\d\d [AP]M"))
    assert_no_csp_violations(page)
    assert_accessible(page)
    before = seconds_left(page)

    page.keyboard.press("Enter")

    expect(warning(page)).to_be_hidden()
    after = seconds_left(page)
    # The session starts its limit again; the page waits for it, and warns anew before it ends.
    assert (before <= WARNING, LIMIT - 2 <= after <= LIMIT) == (True, True)
    expect(warning(page)).to_be_visible(timeout=LIMIT * 1000)
    assert page.url == here

    # Escape is an answer too: the same as "Stay signed in", never a silent dismissal.
    page.keyboard.press("Escape")
    expect(warning(page)).to_be_hidden()
    assert LIMIT - 2 <= seconds_left(page) <= LIMIT


def test_when_time_runs_out_the_page_goes_to_the_sign_in_page(page, live_server, personas):
    login(page, live_server, personas.riley)

    expect(page).to_have_url(
        f"{live_server.url}/accounts/login/?next=/requests/", timeout=(LIMIT + 5) * 1000
    )
    expect(page.locator("main [role=status]")).to_have_text(MESSAGE)
    assert_accessible(page)


def test_typed_answers_on_a_step_come_back_after_signing_in_again(
    page, live_server, personas, journey
):
    draft = journey.draft(purpose="Saved purpose.")
    step = f"/r/{draft.reference}/apply/scope"
    login(page, live_server, personas.riley)
    page.goto(step)
    purpose = page.get_by_label("What is the purpose of the request?")
    purpose.fill(TYPED)

    expect(warning(page)).to_be_visible(timeout=LIMIT * 1000)
    expect(page).to_have_url(
        f"{live_server.url}/accounts/login/?next={step}", timeout=(WARNING + 5) * 1000
    )
    expect(page.locator("main [role=status]")).to_have_text(
        f"{MESSAGE} What you typed on this step is kept. Once you sign in, it is shown again "
        "for you to check and save."
    )
    assert AccessRequest.objects.get(pk=draft.pk).purpose == "Saved purpose."

    page.get_by_label("Email").fill(personas.riley.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()

    expect(page).to_have_url(f"{live_server.url}{step}")
    expect(purpose).to_have_value(TYPED)
    expect(page.locator("main [role=status]")).to_contain_text(
        "These are the answers you typed before you were signed out. They are not saved yet: "
        "check them and save."
    )
    assert AccessRequest.objects.get(pk=draft.pk).purpose == "Saved purpose."
    assert_no_csp_violations(page)
    assert_accessible(page)
