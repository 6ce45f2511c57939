"""Every role's first minutes: from the landing page at the site root to sign in, signing in
with the keyboard alone, landing on the role's own home page, and signing out; every page on
the way checked with axe-core against WCAG 2.0/2.1/2.2 A and AA."""

import re
from dataclasses import dataclass

import pytest
from playwright.sync_api import expect

from requests_app.models import AccessRequest
from tests.support.e2e import (
    assert_accessible,
    assert_no_csp_violations,
    login,
    press_tab_until_focused,
    visit,
)
from tests.support.factories import PASSWORD, UserFactory
from tests.support.mfa import current_code, has_totp


@dataclass(frozen=True)
class Home:
    path: str
    heading: str
    # The column read once requests are on file (`column`, Status by default), in the page's
    # order; None for a home page that lists no requests.
    statuses: list[str] | None = None
    empty: str | None = None
    column: str = "td.status"
    # Our pages sign out to the landing page; the Django admin has its own button and page.
    sign_out: str = "Sign out"
    signed_out_path: str = "/"


# Everything on the docket is with the committee: what a member reads there is their own vote.
DOCKET = Home(
    "/docket/",
    "Docket",
    ["Not voted yet"],
    "No request is with the committee now.",
    column="td.my-vote",
)
ROLE_HOMES = {
    # Newest first: the requestor's most recent work on top.
    "riley": Home(
        "/requests/",
        "My requests",
        ["With the committee", "Submitted", "Draft"],
        "Your organization has no requests yet. Start one: every step saves as you go.",
    ),
    # Longest waiting first; a draft is nobody's business but its organization's.
    "sam": Home(
        "/queue/",
        "Review queue",
        ["Intake", "With the committee"],
        "Nothing waits for CCEH staff: no request is in a stage with staff work.",
        column="td.stage span.stage-name",
    ),
    "morgan": DOCKET,
    "casey": DOCKET,
    "lee": Home(
        "/can/",
        "Requests naming Greater Hartford",
        ["Submitted", "With the committee"],
        "No submitted request names your CAN.",
    ),
    # The administrator's work is all in the Django admin (docs/design.md section 2).
    "alex": Home(
        "/admin/",
        "People, CANs and settings",
        sign_out="Log out",
        signed_out_path="/admin/logout/",
    ),
}


def sign_in_with_keyboard(page, user):
    # The first Tab must offer the skip link, and following it must put the reader in <main>.
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to main content")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()
    press_tab_until_focused(page, page.get_by_label("Email"))
    page.keyboard.type(user.email)
    page.keyboard.press("Tab")
    expect(page.get_by_label("Password")).to_be_focused()
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    if has_totp(user):
        # A role that decides signs in with a second factor: the app's code, by keyboard too.
        expect(page).to_have_url(re.compile(r"/accounts/2fa/authenticate/$"))
        assert_no_csp_violations(page)
        assert_accessible(page)
        press_tab_until_focused(page, page.get_by_label("Authenticator or recovery code"))
        page.keyboard.type(current_code(user, reusable=True))
        page.keyboard.press("Enter")


def seed_requests(journey):
    """Requests of the personas' organization naming Greater Hartford, oldest first."""
    return [journey.draft(), journey.submitted(), journey.vetting()]


def listed_column(page, home):
    return page.locator(f"main table tbody {home.column}")


@pytest.mark.parametrize("name", ROLE_HOMES)
def test_role_signs_in_by_keyboard_lands_on_its_home_page_and_signs_out(
    page, live_server, personas, journey, name
):
    person, home = personas.by_name(name), ROLE_HOMES[name]

    visit(page, live_server.url)
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Apply for access to the Connecticut HMIS"
    )
    page.get_by_role("main").get_by_role("link", name="Sign in").click()
    expect(page).to_have_url(f"{live_server.url}/accounts/login/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign In")
    assert_no_csp_violations(page)
    assert_accessible(page)

    sign_in_with_keyboard(page, person)

    expect(page).to_have_url(f"{live_server.url}{home.path}")
    expect(page.get_by_role("heading", level=1)).to_have_text(home.heading)
    if home.statuses is not None:
        expect(page.locator("main .empty-state")).to_have_text(home.empty)
        expect(page.locator("main table")).to_have_count(0)
    assert_no_csp_violations(page)
    assert_accessible(page)

    if home.statuses is not None:
        # Requests arrive while the page is open: the filled list must pass the same checks
        # as the empty one. One sign-in serves both, which keeps the suite quick.
        seed_requests(journey)
        page.reload()
        expect(listed_column(page, home)).to_have_text(home.statuses)
        assert_no_csp_violations(page)
        assert_accessible(page)

        first = page.locator("main table tbody tr").first.get_by_role("link")
        reference = first.inner_text()
        first.click()
        expect(page.get_by_role("heading", level=1)).to_have_text(reference)
        shown = AccessRequest.objects.get(reference=reference).get_status_display()
        expect(page.locator("main .request-status")).to_have_text(shown)
        assert_no_csp_violations(page)
        assert_accessible(page)

    page.get_by_role("button", name=home.sign_out).click()
    expect(page).to_have_url(f"{live_server.url}{home.signed_out_path}")
    # Signed out for real: the site root is the landing page again, with its sign-in.
    page.goto(live_server.url)
    expect(page).to_have_url(f"{live_server.url}/")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Apply for access to the Connecticut HMIS"
    )


@pytest.mark.parametrize(
    ("path", "heading"),
    [
        ("/accounts/login/", "Sign In"),
        ("/accounts/signup/", "Sign Up"),
        ("/accounts/password/reset/", "Password Reset"),
    ],
    ids=["sign-in", "sign-up", "password-reset"],
)
def test_anonymous_account_page_is_accessible(page, live_server, path, heading):
    visit(page, path)
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)


def test_refused_sign_in_explains_itself_accessibly(page, live_server, personas):
    visit(page, "/accounts/login/")
    page.get_by_label("Email").fill(personas.riley.email)
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_label("Password").press("Enter")
    expect(page.locator("main .alert-danger")).to_have_text(
        "The email address and/or password you specified are not correct."
    )
    expect(page).to_have_url(f"{live_server.url}/accounts/login/")
    assert_accessible(page)


def test_new_user_without_an_organization_is_sent_to_set_one_up(page, live_server, personas):
    newcomer = UserFactory(name="Nia Newcomer")
    login(page, live_server, newcomer)

    expect(page).to_have_url(f"{live_server.url}/organization/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your organization")
    assert_no_csp_violations(page)
    assert_accessible(page)

    # The form's error state must be as usable as the blank form.
    page.get_by_role("button", name="Set up organization").click()
    expect(page.locator("main .invalid-feedback").first).to_be_visible()
    assert_accessible(page)


def test_administrator_finds_people_and_cans_in_the_admin(page, live_server, personas):
    login(page, live_server, personas.alex)
    expect(page).to_have_url(f"{live_server.url}/admin/")

    page.get_by_role("link", name="Users", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Select user to change")
    assert_no_csp_violations(page)
    assert_accessible(page)

    page.get_by_role("link", name="Home").click()
    page.get_by_role("link", name="CANs", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Select CAN to change")
    assert_accessible(page)

    page.get_by_role("link", name="Greater Hartford").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Change CAN")
    assert_no_csp_violations(page)
    assert_accessible(page)


def test_administrator_grants_roles_on_a_persons_change_form(page, live_server, personas):
    login(page, live_server, personas.alex)
    visit(page, f"/admin/requests_app/user/{personas.riley.pk}/change/")


def test_administrator_reviews_an_organizations_members(page, live_server, personas):
    login(page, live_server, personas.alex)
    visit(page, f"/admin/requests_app/organization/{personas.harbor.pk}/change/")
