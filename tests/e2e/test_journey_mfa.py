"""Two-factor sign-in in Chromium: Sam, CCEH staff without a second factor, is sent to set one
up at sign-in, enrols an authenticator app from the key the page shows (the test computes the
app's code), keeps the recovery codes, signs out, signs in with a code, then with a recovery
code once; the same recovery code is refused the second time. Every two-factor page is checked
with axe-core against WCAG 2.0/2.1/2.2 A and AA, and for Content-Security-Policy breaches."""

import re
from pathlib import Path

import pytest
from allauth.mfa.models import Authenticator
from playwright.sync_api import expect

from tests.support.e2e import (
    assert_accessible,
    assert_no_csp_violations,
    enter_code,
    login,
    press_tab_until_focused,
    visit,
)
from tests.support.factories import PASSWORD
from tests.support.mfa import code_for

pytestmark = pytest.mark.journey_mfa

SET_UP = "/accounts/2fa/totp/activate/"
CODES = "/accounts/2fa/recovery-codes/"


def checked(page):
    assert_no_csp_violations(page)
    assert_accessible(page)


def sign_out(page, live_server):
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(f"{live_server.url}/")


def sign_in_with_password(page, live_server, user):
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Password").press("Enter")
    expect(page).to_have_url(f"{live_server.url}/accounts/2fa/authenticate/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Two-factor sign-in")
    checked(page)


def test_staff_enrol_an_app_then_sign_in_with_a_code_and_a_recovery_code_once(
    page, live_server, personas
):
    sam = personas.sam
    Authenticator.objects.filter(user=sam).delete()

    # Signing in is not enough: the role decides, so Sam is sent to set up a second factor,
    # after confirming the password (allauth asks before any change of a second factor).
    login(page, live_server, sam)
    expect(page).to_have_url(re.compile(r"/accounts/reauthenticate/\?next="))
    expect(page.locator("main .alert-warning")).to_have_text(
        "Your role as CCEH staff requires two-factor sign-in. Set up an authenticator app or "
        "a security key before you continue."
    )
    checked(page)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Password").press("Enter")

    expect(page).to_have_url(f"{live_server.url}{SET_UP}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Set up an authenticator app")
    expect(page.get_by_role("img", name=re.compile("QR code"))).to_be_visible()
    checked(page)
    # The key the page writes out is what the app would hold; a wrong code first.
    secret = page.locator("#totp-secret").inner_text()
    field = page.get_by_label("Code from your authenticator app")
    field.fill("000000" if code_for(secret) != "000000" else "111111")
    field.press("Enter")
    expect(page.locator("main .invalid-feedback")).to_have_text("Incorrect code.")
    checked(page)
    secret = page.locator("#totp-secret").inner_text()  # the same key, kept in the session
    # By keyboard alone from here to the queue.
    page.locator("main").focus()
    press_tab_until_focused(page, page.get_by_label("Code from your authenticator app"))
    page.keyboard.type(code_for(secret))
    page.keyboard.press("Enter")

    expect(page).to_have_url(f"{live_server.url}{CODES}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your recovery codes")
    checked(page)
    codes = page.get_by_role("list", name="Unused recovery codes").get_by_role("listitem")
    codes = codes.all_inner_texts()
    assert len(codes) == 10
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the codes").click()
    assert Path(download.value.path()).read_text().split() == codes

    # Now the queue opens; every management page of the second factor passes the checks.
    page.locator("main").focus()
    press_tab_until_focused(page, page.get_by_role("link", name="Continue to HMIS Access"))
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{live_server.url}/queue/")
    page.get_by_role("link", name="E-mail preferences").click()
    page.get_by_role("link", name="Two-factor sign-in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Two-factor sign-in")
    checked(page)
    for path, heading in [
        ("/accounts/2fa/totp/deactivate/", "Turn off the authenticator app"),
        ("/accounts/2fa/recovery-codes/generate/", "Make new recovery codes"),
        ("/accounts/2fa/webauthn/", "Security keys"),
        ("/accounts/2fa/webauthn/add/", "Add a security key"),
    ]:
        visit(page, path)
        expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    sign_out(page, live_server)

    # With the app's code.
    sign_in_with_password(page, live_server, sam)
    enter_code(page, code_for(secret))
    expect(page).to_have_url(f"{live_server.url}/queue/")
    sign_out(page, live_server)

    # With a recovery code, once.
    sign_in_with_password(page, live_server, sam)
    enter_code(page, codes[0])
    expect(page).to_have_url(f"{live_server.url}/queue/")
    sign_out(page, live_server)

    sign_in_with_password(page, live_server, sam)
    enter_code(page, codes[0])
    expect(page).to_have_url(f"{live_server.url}/accounts/2fa/authenticate/")
    expect(page.locator("main .invalid-feedback")).to_have_text("Incorrect code.")
    checked(page)
    page.get_by_role("button", name="Cancel and sign out").click()
    expect(page).to_have_url(f"{live_server.url}/accounts/login/")
    page.goto(f"{live_server.url}/queue/")
    expect(page).to_have_url(f"{live_server.url}/accounts/login/?next=/queue/")


def test_a_member_adds_a_security_key_and_signs_in_with_it(page, live_server, personas):
    """Chromium's virtual authenticator stands in for the key. The live server answers on
    http://localhost, a secure context for WebAuthn, as https is in production."""
    morgan = personas.morgan
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "usb",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    login(page, live_server, morgan)
    page.goto(f"{live_server.url}/accounts/2fa/webauthn/add/")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Password").press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Add a security key")
    checked(page)

    page.get_by_label("Name").fill("Desk key")
    page.get_by_role("button", name="Add the key").click()

    # The first key of a person without recovery codes brings them.
    expect(page).to_have_url(f"{live_server.url}{CODES}")
    visit(page, "/accounts/2fa/webauthn/")
    expect(page.locator("main table tbody td").first).to_have_text("Desk key")
    sign_out(page, live_server)

    sign_in_with_password(page, live_server, morgan)
    expect(page.get_by_role("heading", level=2)).to_have_text("Or with a security key")
    page.get_by_role("button", name="Use a security key").click()
    expect(page).to_have_url(f"{live_server.url}/docket/")
    assert list(
        Authenticator.objects.filter(user=morgan, type=Authenticator.Type.WEBAUTHN)
        .exclude(last_used_at=None)
        .values_list("data__name", flat=True)
    ) == ["Desk key"]
