"""The queue and the docket on a phone, in Chromium at 390 pixels wide: each passes axe-core
(WCAG 2.0/2.1/2.2 A and AA); the page itself never scrolls sideways, the table scrolls inside a
labelled region the keyboard reaches; references never wrap; flags and clocks are words."""

import datetime

from django.utils import timezone
from playwright.sync_api import expect

from requests_app.models import AccessRequest, VotingRound
from tests.support import clock
from tests.support.e2e import login, press_tab_until_focused, visit

PHONE = {"width": 390, "height": 844}


def page_fits(page):
    """The page's own width is the viewport's: only the table's region scrolls sideways."""
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def never_wraps(link):
    return link.evaluate("a => getComputedStyle(a).whiteSpace") == "nowrap"


def test_the_queue_at_390_pixels(page, live_server, personas, journey):
    late = journey.screening()
    # Submitted three weeks ago: past CCEH's target, flagged in words.
    AccessRequest.objects.filter(pk=late.pk).update(
        submitted_at=timezone.now() - datetime.timedelta(days=21),
        status_changed_at=timezone.now() - datetime.timedelta(days=21),
    )
    journey.vetting()
    journey.approved()
    page.set_viewport_size(PHONE)
    login(page, live_server, personas.sam)

    visit(page, "/queue/")

    region = page.get_by_role("region", name="Requests found")
    expect(region.locator("tbody tr")).to_have_count(3)
    assert page_fits(page)
    press_tab_until_focused(page, region, limit=40)
    late_row = region.locator("tbody tr").filter(has_text=late.reference)
    expect(late_row.locator(".flag").first).to_have_text("Overdue")
    expect(late_row).to_contain_text("working days overdue")
    assert never_wraps(late_row.get_by_role("link", name=late.reference))
    # The filters open, each with its label, and pass axe open too.
    page.get_by_text("Filter and search").click()
    expect(page.get_by_label("Stage")).to_be_visible()
    expect(page.get_by_label("Sort by")).to_be_visible()
    visit(page, "/queue/?stage=any")
    assert page_fits(page)


def test_the_docket_at_390_pixels(page, live_server, personas, journey):
    request = journey.vetting()
    VotingRound.objects.filter(pk=request.voting_round_id).update(opened_at=clock.days_ago(31))
    page.set_viewport_size(PHONE)
    login(page, live_server, personas.morgan)

    visit(page, "/docket/")

    region = page.get_by_role("region", name="Requests open for votes, the nearest deadline first")
    row = region.locator("tbody tr")
    expect(row).to_contain_text("1 day overdue")
    expect(row.locator("td.my-vote")).to_have_text("Not voted yet")
    assert page_fits(page)
    assert never_wraps(row.get_by_role("link", name=request.reference))
