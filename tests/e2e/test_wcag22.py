"""WCAG 2.2 AA where axe-core cannot judge, over every page the browser journeys visit: the
focus is never hidden as Tab moves through a page (2.4.11), links and buttons are large or far
enough apart to hit (2.5.8), what a person already gave is filled in for them (3.3.7), and
signing in asks for no puzzle and lets a password manager or the clipboard fill the password
and the code (3.3.8). Each page is also checked with axe (tests/support/e2e.py `visit`)."""

import re

import pytest
from playwright.sync_api import expect

from requests_app.application.forms import STEPS
from requests_app.models import Agreement
from tests.support.e2e import login, new_page, visit
from tests.support.factories import PASSWORD
from tests.support.mfa import current_code
from tests.support.wcag22 import (
    assert_wcag22,
    focus_not_obscured_problems,
    target_size_problems,
)

pytestmark = pytest.mark.wcag22


def check(page, url):
    visit(page, url)
    assert_wcag22(page)


def test_the_public_pages(browser, live_server, personas):
    with new_page(browser, live_server) as page:
        for url in ("/", "/help/", "/policy/"):
            check(page, url)
        login(page, live_server, personas.riley)
        for url in ("/organization/", "/help/"):
            check(page, url)
        # An error page keeps the layout, and the way back is reachable by Tab.
        assert page.goto(f"{live_server.url}/nothing/here").status == 404
        assert_wcag22(page)


def test_sign_in_pages(browser, live_server, personas):
    with new_page(browser, live_server) as page:
        for url in ("/accounts/login/", "/accounts/signup/", "/accounts/password/reset/"):
            check(page, url)
        sign_in_with_password(page, personas.sam)
        expect(page).to_have_url(re.compile(r"/accounts/2fa/authenticate/$"))
        assert_wcag22(page)


def test_the_requestors_pages(browser, live_server, personas, journey, stage, settings, tmp_path):
    settings.PRIVATE_FILES_ROOT = tmp_path / "private"
    draft = journey.draft(program="Medical respite")
    submitted = journey.submitted(program="Street outreach")
    agreement = stage.issued()
    active = stage.active(people=(("Bo Builder", "bo@harbor.example", "reporting"),))
    with new_page(browser, live_server) as page:
        login(page, live_server, personas.riley)
        check(page, "/requests/")
        for step in STEPS:
            check(page, f"/r/{draft.reference}/apply/{step.slug}")
        check(page, submitted.get_absolute_url())
        check(page, f"/r/{agreement.request.reference}/mou/")
        check(page, "/organization/register/")
        # The register's "Report a departure": the MOU page at its form, the person chosen.
        check(page, f"/r/{active.request.reference}/mou/?depart={active.people.get().pk}")
        check(page, "/notices/")
        check(page, "/profile/notifications")


def test_the_staff_pages(browser, live_server, personas, journey, stage, settings, tmp_path):
    settings.PRIVATE_FILES_ROOT = tmp_path / "private"
    screening = journey.ready_to_approve(program="Medical respite")
    # A person holding access (the register) and one whose access ended (deprovisioning).
    stage.active()
    stage.revoked(people=(("Ed Ended", "ed@harbor.example", "view"),))
    with new_page(browser, live_server) as page:
        login(page, live_server, personas.sam)
        for url in (
            "/queue/",
            screening.get_absolute_url(),
            "/provisioning/",
            "/deprovisioning/",
            "/register/",
            "/dashboard/",
            "/notices/",
            "/profile/notifications",
        ):
            check(page, url)


def test_the_committees_pages(browser, live_server, personas, journey):
    case = journey.vetting(program="Housing research unit")
    with new_page(browser, live_server) as page:
        login(page, live_server, personas.morgan)
        for url in ("/docket/", case.get_absolute_url(), "/notices/"):
            check(page, url)


# 3.3.7 Redundant entry: what the person gave before is there already.


def test_a_new_request_names_its_author_as_the_contact(browser, live_server, personas):
    with new_page(browser, live_server) as page:
        login(page, live_server, personas.riley)
        visit(page, "/requests/new")
        page.get_by_role("button", name="Start the application").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Your organization")
        expect(page.get_by_label("Address")).to_have_value(personas.harbor.address)
        page.get_by_role("button", name="Save and continue").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Program and people")
        expect(page.get_by_label("Contact person for this request")).to_have_value(
            personas.riley.name
        )
        expect(page.get_by_label("Contact e-mail address")).to_have_value(personas.riley.email)


def test_a_renewal_starts_with_every_answer_and_person_of_the_access_it_renews(
    browser, live_server, personas, stage, settings, tmp_path
):
    settings.PRIVATE_FILES_ROOT = tmp_path / "private"
    # The renewal opens at once rather than 60 days before the end.
    settings.GRANT_RENEWAL_WINDOW_DAYS = 366 * 2
    agreement = stage.active(
        program="Medical respite",
        contact_phone="860-555-0142",
        purpose="Coordinate discharge into respite beds.",
    )
    old = agreement.request
    with new_page(browser, live_server) as page:
        login(page, live_server, personas.riley)
        visit(page, f"/r/{old.reference}/mou/")
        page.get_by_role("button", name="Start the renewal").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Your organization")
        renewal = Agreement.objects.get(pk=agreement.pk).request.renewals.get()

        visit(page, f"/r/{renewal.reference}/apply/people")
        expect(page.get_by_label("Program or department that will use HMIS")).to_have_value(
            "Medical respite"
        )
        expect(page.get_by_label("Contact person for this request")).to_have_value(old.contact_name)
        expect(page.get_by_label("Contact e-mail address")).to_have_value(old.contact_email)
        expect(page.get_by_label("Contact phone (optional)")).to_have_value("860-555-0142")
        names = page.get_by_label("Full name")
        expect(names).to_have_count(1)
        expect(names).to_have_value(old.people.get().name)

        visit(page, f"/r/{renewal.reference}/apply/scope")
        expect(page.get_by_label("What is the purpose of the request?")).to_have_value(
            "Coordinate discharge into respite beds."
        )


# 3.3.8 Accessible authentication: no puzzle, and nothing stops a password manager or a paste.


def sign_in_with_password(page, user):
    visit(page, "/accounts/login/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()


def paste_into(page, field, text):
    """Puts `text` on the clipboard and pastes it with the keyboard, as a person copying from a
    password manager does; returns whether the page let the paste event through."""
    page.evaluate("text => navigator.clipboard.writeText(text)", text)
    field.focus()
    page.keyboard.press("ControlOrMeta+V")
    return field.evaluate(
        """field => {
          const data = new DataTransfer();
          data.setData('text/plain', 'x');
          const paste = new ClipboardEvent('paste', {
            clipboardData: data, bubbles: true, cancelable: true,
          });
          return field.dispatchEvent(paste);
        }"""
    )


def fields_of(form):
    """The form's fields a person fills: (type, name, autocomplete)."""
    return form.evaluate(
        """form => [...form.elements]
          .filter(e => e.matches('input:not([type=hidden]), select, textarea'))
          .map(e => [e.type, e.name, e.autocomplete])"""
    )


def test_signing_in_asks_for_no_puzzle_and_allows_pasting(browser, live_server, personas):
    with new_page(browser, live_server) as page:
        page.context.grant_permissions(["clipboard-read", "clipboard-write"])
        visit(page, "/accounts/login/")
        form = page.locator("main form")
        # What a person recalls or a password manager fills, and nothing to solve: no image,
        # no frame (a CAPTCHA's), no other question.
        assert fields_of(form) == [
            ["email", "login", "email"],
            ["password", "password", "current-password"],
        ]
        expect(form.locator("img, iframe, canvas")).to_have_count(0)
        page.get_by_label("Email").fill(personas.sam.email)
        password = page.get_by_label("Password")
        assert password.get_attribute("onpaste") is None
        assert paste_into(page, password, PASSWORD) is True
        expect(password).to_have_value(PASSWORD)
        page.get_by_role("button", name="Sign In").click()

        expect(page).to_have_url(re.compile(r"/accounts/2fa/authenticate/$"))
        form = page.locator("main form", has=page.get_by_label("Authenticator or recovery code"))
        assert fields_of(form) == [["text", "code", "one-time-code"]]
        expect(form.locator("img, iframe, canvas")).to_have_count(0)
        code = page.get_by_label("Authenticator or recovery code")
        assert code.get_attribute("onpaste") is None
        assert paste_into(page, code, current_code(personas.sam, reusable=True)) is True
        expect(code).to_have_value(re.compile(r"^\d{6}$"))
        page.get_by_role("button", name="Sign in").click()
        expect(page).not_to_have_url(re.compile(r"/accounts/"))


# The checks themselves find what they look for.

OBSCURED_AND_CROWDED = """
<style>
  header { position: fixed; z-index: 1; top: 0; left: 0; right: 0; height: 80px; background: #fff; }
  main { margin-top: 120px; }
  #under { position: absolute; top: 30px; left: 200px; }
  .tiny { width: 16px; height: 16px; padding: 0; border: 0; }
</style>
<header><a href="#top">Home</a></header>
<main>
  <a id="under" href="#under">Under the header</a>
  <button class="tiny">a</button><button class="tiny">b</button>
  <p>A sentence with <a href="#inline">a link in it</a>, which may be small.</p>
</main>
"""


def test_the_checks_find_a_focus_under_a_sticky_header_and_crowded_small_buttons(page):
    page.set_content(OBSCURED_AND_CROWDED)
    assert focus_not_obscured_problems(page) == [
        'covered by <header><a href="#top">Home</a></header>: '
        '<a id="under" href="#under">Under the header</a>'
    ]
    assert target_size_problems(page) == [
        '16x16 px, too near <button class="tiny">b</button>: <button class="tiny">a</button>',
        '16x16 px, too near <button class="tiny">a</button>: <button class="tiny">b</button>',
    ]
