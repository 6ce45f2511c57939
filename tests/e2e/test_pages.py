"""Lists a page at a time, in Chromium: the pagination is reached and followed with the keyboard
alone, says where the page is in words, keeps the queue's filters, and every page it leads to
passes axe-core (WCAG 2.0/2.1/2.2 A and AA) with no Content-Security-Policy breach."""

import datetime

from django.utils import timezone
from playwright.sync_api import expect

from requests_app.models import AccessRequest, Notification
from tests.support.e2e import login, press_link, visit


def test_staff_page_through_their_notices_by_keyboard(page, live_server, personas, journey):
    request = journey.submitted(cans=[])
    start = timezone.now() - datetime.timedelta(days=1)
    Notification.objects.bulk_create(
        Notification(
            recipient=personas.sam,
            request=request,
            kind=Notification.Kind.WAITING_REMINDER,
            created_at=start + datetime.timedelta(minutes=n),
            delivery=Notification.Delivery.SKIPPED,
        )
        for n in range(60)
    )
    login(page, live_server, personas.sam)
    visit(page, "/notices/")
    pages = page.get_by_role("navigation", name="Pages of notices")
    expect(pages).to_contain_text("Notices 1 to 50 of 61")

    press_link(page, "Older")
    expect(pages).to_contain_text("Notices 51 to 61 of 61")
    visit(page, page.url)
    press_link(page, "Newer")
    expect(pages).to_contain_text("Notices 1 to 50 of 61")
    expect(page.get_by_role("link", name="Newer")).to_have_count(0)


def test_the_queues_filters_stay_with_its_pages(page, live_server, personas, journey):
    requests = [journey.submitted(cans=[personas.hartford]) for _ in range(27)]
    journey.submitted(cans=[personas.eastern])
    for minutes, request in enumerate(reversed(requests), start=1):
        # Only the status is protected; when it was entered may be set to stage an order.
        moment = timezone.now() - datetime.timedelta(minutes=minutes)
        AccessRequest.objects.filter(pk=request.pk).update(status_changed_at=moment)
    login(page, live_server, personas.sam)
    visit(page, f"/queue/?can={personas.hartford.pk}")
    pages = page.get_by_role("navigation", name="Pages of the queue")
    expect(page.get_by_text("27 requests found.")).to_be_visible()

    press_link(page, "Next")
    expect(pages).to_contain_text("Requests 26 to 27 of 27")
    visit(page, page.url)
    assert f"can={personas.hartford.pk}" in page.url
    rows = page.locator("main table.queue tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text(requests[25].reference)
    press_link(page, "First")
    expect(pages).to_contain_text("Requests 1 to 25 of 27")
    expect(page.locator("main table.queue tbody tr")).to_have_count(25)
