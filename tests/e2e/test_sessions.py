"""One session at a time for who decides, in the browser: signing in again elsewhere says how
many sessions it ended, and the first browser's next page asks it to sign in and says why."""

from playwright.sync_api import expect

from requests_app.accounts.sessions import REASONS, SIGNED_IN_ELSEWHERE
from tests.support.e2e import assert_accessible, login, new_page


def test_staff_signing_in_elsewhere_ends_the_first_browsers_session(
    page, browser, live_server, personas
):
    login(page, live_server, personas.sam)
    expect(page.get_by_role("heading", level=1)).to_have_text("Review queue")

    with new_page(browser, live_server) as elsewhere:
        login(elsewhere, live_server, personas.sam)
        expect(elsewhere.get_by_role("status")).to_contain_text(
            "Signing in here ended your 1 other session"
        )
        assert_accessible(elsewhere)

    page.reload()
    expect(page).to_have_url(f"{live_server.url}/accounts/login/?next=/queue/")
    expect(page.get_by_role("status")).to_have_text(REASONS[SIGNED_IN_ELSEWHERE])
    assert_accessible(page)
