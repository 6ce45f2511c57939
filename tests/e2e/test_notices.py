"""Notices in the browser: the header's count, the notices page, opening a notice,
e-mail preferences and staff's failed e-mails, each page checked with axe-core and for
Content-Security-Policy breaches."""

import re

from playwright.sync_api import expect

from requests_app.models import Notification
from tests.support.e2e import login, visit


def test_a_person_reads_a_notice_from_the_header_and_chooses_their_emails(
    page, live_server, personas, journey
):
    request = journey.submitted(cans=[])
    # Staff who also lead a CAN: the leader's notices are theirs to turn off; staff's are not.
    personas.sam.led_cans.add(personas.eastern)
    login(page, live_server, personas.sam)
    visit(page, "/queue/")
    header = page.get_by_role("link", name=re.compile(r"^Notices"))
    expect(header).to_have_text("Notices 1 unread")

    header.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Notices")
    visit(page, page.url)
    page.get_by_role(
        "link", name=f"{request.reference} submitted by Harbor Health Partners, by Riley Requestor"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(request.reference)
    expect(page.get_by_role("link", name=re.compile(r"^Notices"))).to_have_text("Notices")
    assert Notification.objects.get(recipient=personas.sam).read_at is not None

    visit(page, "/profile/notifications")
    expect(page.get_by_label("A request was submitted")).to_be_disabled()
    page.get_by_label("A request was decided").uncheck()
    page.get_by_role("button", name="Save my e-mail choices").click()
    expect(page.get_by_role("status")).to_have_text("Your e-mail choices are saved.")
    expect(page.get_by_label("A request was decided")).not_to_be_checked()
    visit(page, page.url)

    visit(page, "/failed-emails/")
    expect(page.get_by_text("No e-mail has failed.")).to_be_visible()
