"""The pages anyone may read, and the error pages, pass axe-core (WCAG 2.0/2.1 A and AA) with
no Content-Security-Policy breach: the landing page, the policy, help, signed in or not."""

import pytest
from playwright.sync_api import expect

from tests.support.e2e import assert_accessible, assert_no_csp_violations, login, visit


@pytest.mark.parametrize(
    ("name", "address", "heading"),
    [
        ("anonymous", "/", "Apply for access to the Connecticut HMIS"),
        ("anonymous", "/policy/", "Granting CT HMIS access"),
        ("anonymous", "/help/", "Help and contact"),
        ("riley", "/help/", "Help and contact"),
        ("sam", "/policy/", "Granting CT HMIS access"),
    ],
)
def test_public_page_is_accessible(page, live_server, personas, name, address, heading):
    if name != "anonymous":
        login(page, live_server, personas.by_name(name))

    visit(page, address)

    expect(page.get_by_role("heading", level=1)).to_have_text(heading)


@pytest.mark.parametrize(
    ("name", "address", "status", "heading", "start"),
    [
        # The start page: the landing page for a visitor, a person's own list once signed in.
        ("anonymous", "/nothing/here", 404, "Page not found", "/"),
        ("riley", "/queue/", 403, "This page is not open to you", "/requests/"),
    ],
)
def test_error_page_is_accessible_and_leads_back(
    page, live_server, personas, name, address, status, heading, start
):
    if name != "anonymous":
        login(page, live_server, personas.by_name(name))

    response = page.goto(address)

    assert response.status == status
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    assert_no_csp_violations(page)
    assert_accessible(page)
    page.get_by_role("link", name="Go to the start page").click()
    expect(page).to_have_url(f"{live_server.url}{start}")
