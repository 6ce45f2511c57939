"""The dashboard in Chromium, as staff, a committee member and a CAN leader: each reaches it from
the navigation by keyboard, reads its charts and tables, asks for another range, and each page
passes axe-core (WCAG 2.0, 2.1 and 2.2, A and AA) with no Content-Security-Policy breach; and
the page fits a 390 px phone."""

import pytest
from playwright.sync_api import expect

from requests_app.dashboard.figures import KEYS
from tests.support.e2e import (
    assert_accessible,
    assert_no_csp_violations,
    login,
    press_link,
    visit,
)

pytestmark = pytest.mark.journey_dashboard


@pytest.fixture
def caseload(journey, personas):
    """Requests at several stages, one naming Eastern alone, one with the committee."""
    return [
        journey.submitted(),
        journey.screening(),
        journey.submitted(cans=[personas.eastern]),
        journey.vetting(),
        journey.denied(),
    ]


def checked(page):
    assert_no_csp_violations(page)
    assert_accessible(page)


@pytest.mark.parametrize(
    ("persona", "scope", "intake"),
    [
        ("sam", "every submitted request, except your own organization's", "2"),
        ("morgan", "requests with the committee and those you voted on", "0"),
        ("lee", "requests naming a CAN you lead", "1"),
    ],
)
def test_the_dashboard_as_staff_a_member_and_a_can_leader(
    page, live_server, personas, caseload, persona, scope, intake
):
    login(page, live_server, personas.by_name(persona))
    visit(page, "/notices/")
    press_link(page, "Dashboard")

    expect(page.get_by_role("heading", level=1)).to_have_text("Dashboard")
    expect(page.locator("main p.lead")).to_contain_text(scope)
    checked(page)
    expect(page.locator("main figure")).to_have_count(len(KEYS))
    chart = page.get_by_role("img", name="Requests by stage today")
    expect(chart).to_be_visible()
    stages = page.get_by_role("table", name="Requests by stage today")
    expect(stages.get_by_role("row", name=f"Intake {intake}")).to_be_visible()

    page.get_by_label("From (first day)").fill("2020-01-01")
    page.get_by_role("button", name="Show figures").click()
    expect(page.locator("main")).to_contain_text("Figures from 1 January 2020")
    checked(page)

    page.get_by_label("From (first day)").fill("2020-02-01")
    page.get_by_label("To (last day)").fill("2020-01-01")
    page.get_by_role("button", name="Show figures").click()
    expect(page.locator("main .invalid-feedback")).to_contain_text(
        "The last day comes on or after the first day."
    )
    expect(page.get_by_label("From (first day)")).to_have_value("2020-02-01")
    checked(page)


def test_the_dashboard_fits_a_phone(page, live_server, personas, caseload):
    page.set_viewport_size({"width": 390, "height": 844})
    login(page, live_server, personas.sam)

    visit(page, "/dashboard/")

    overflow = page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
    assert overflow is False
    box = page.get_by_role("img", name="Requests by stage today").bounding_box()
    assert box["width"] <= 390
