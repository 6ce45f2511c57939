"""A request's page printed, in Chromium: as the requestor, CCEH staff and a committee member
who voted see it, the paper carries the application, the decision and the history, and none of
what works only on a screen: the navigation, the skip link, the idle warning, forms and
buttons (static/css/site.css, its print rules). The screen version passes axe-core first."""

import pytest
from playwright.sync_api import expect

from requests_app import workflow
from requests_app.core.states import Status
from requests_app.models import Vote
from tests.support.e2e import login, visit

WHY = "Ongoing care coordination for the respite program."


@pytest.fixture
def decided(journey, personas, settings, tmp_path, django_capture_on_commit_callbacks):
    """Escalated by Sam, approved by the committee: Morgan and Casey vote, Casey records it."""
    settings.PRIVATE_FILES_ROOT = tmp_path / "private"
    request = journey.vetting(program="Medical respite")
    for member in (personas.morgan, personas.casey):
        workflow.cast_vote(request, member, Vote.Choice.APPROVE, levels=journey.levels(request))
    with django_capture_on_commit_callbacks(execute=True):
        return workflow.record_committee_decision(
            request, personas.casey, Status.APPROVED, WHY, levels=journey.levels(request)
        )


@pytest.mark.parametrize("who", ["riley", "sam", "morgan"])
def test_a_request_page_prints_as_its_record_without_what_works_only_on_screen(
    page, live_server, personas, decided, who
):
    login(page, live_server, getattr(personas, who))
    visit(page, decided.get_absolute_url())
    skip_link = page.get_by_role("link", name="Skip to main content")
    navigation = page.get_by_role("navigation", name="Main")
    forms = page.locator("main form")
    # On screen: what the person can do is there.
    expect(navigation).to_be_visible()
    expect(skip_link).to_be_visible()
    assert forms.count() > 0
    # The idle warning open, as it is when the printout is started near the sign-out.
    page.evaluate("document.getElementById('idle-warning').showModal()")
    expect(page.get_by_role("alertdialog", name="Are you still there?")).to_be_visible()

    page.emulate_media(media="print")

    expect(navigation).to_be_hidden()
    expect(skip_link).to_be_hidden()
    expect(page.get_by_role("alertdialog", name="Are you still there?")).to_be_hidden()
    expect(page.locator("form:visible")).to_have_count(0)
    expect(page.locator("button:visible, .btn:visible")).to_have_count(0)
    for heading in ("The application", "The decision", "History"):
        expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text(decided.reference)
    expect(page.locator(".decision-outcome")).to_have_text("Approved")
    expect(page.locator(".decision-reason")).to_have_text(WHY)
    expect(page.locator(".timeline li").first).to_be_visible()
    # The status badge keeps its words on paper, which prints no background colour.
    badge = page.locator(".request-status")
    expect(badge).to_have_text("Approved")
    expect(badge).to_have_css("color", "rgb(0, 0, 0)")


def test_a_long_history_prints_where_it_stops(page, live_server, personas, journey):
    """Only the newest events are on the page; the paper says so instead of ending silently."""
    request = journey.assess_all(journey.screening())
    journey.assess_all(request)
    login(page, live_server, personas.sam)
    visit(page, request.get_absolute_url())
    pages = page.get_by_role("navigation", name="Pages of the history")
    expect(pages.get_by_role("link", name="Older")).to_be_visible()

    page.emulate_media(media="print")

    expect(pages).to_have_text("Events 1 to 25", use_inner_text=True)
    expect(pages.get_by_role("link", name="Older")).to_be_hidden()
