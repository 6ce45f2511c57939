"""The read log in Chromium: staff follow the request page's link to who has seen it, and an
administrator filters the audit page, with the keyboard alone; every page passes axe-core
(WCAG 2.0/2.1/2.2 A and AA) with no Content-Security-Policy breach, its filter errors included."""

from playwright.sync_api import expect

from tests.support.e2e import login, press_link, visit


def test_staff_see_who_has_seen_a_request(page, live_server, personas, journey):
    request = journey.vetting(cans=[personas.hartford])
    login(page, live_server, personas.sam)
    visit(page, request.get_absolute_url())

    press_link(page, "Who has seen this request")

    expect(page.get_by_role("heading", level=1)).to_have_text(f"Who has seen {request.reference}")
    visit(page, page.url)
    reads = page.get_by_role("table", name="Reads of this request")
    expect(reads.get_by_role("row")).to_have_count(2)  # the header and Sam's own read
    expect(reads).to_contain_text("Sam Staff")
    expect(reads).to_contain_text("Request page")


def test_an_administrator_filters_the_read_log_by_keyboard(page, live_server, personas, journey):
    request = journey.vetting(cans=[personas.hartford])
    login(page, live_server, personas.alex)
    visit(page, request.get_absolute_url())
    visit(page, "/audit/")

    page.get_by_text("Filter", exact=True).focus()
    page.keyboard.press("Enter")  # the summary opens the filters
    page.get_by_label("What was read").focus()
    page.get_by_label("What was read").select_option("request_page")
    page.get_by_label("Request reference").fill(request.reference)
    page.get_by_role("button", name="Show entries").press("Enter")

    filters = f"person=&kind=request_page&reference={request.reference}&address=&since=&until="
    expect(page).to_have_url(f"{live_server.url}/audit/?{filters}")
    visit(page, page.url)
    entries = page.get_by_role("table", name="Entries of the read log")
    expect(entries.get_by_role("row")).to_have_count(2)
    expect(entries).to_contain_text("Alex Admin")

    visit(page, "/audit/?address=not-an-address")
    expect(page.get_by_text("Enter a valid IPv4 or IPv6 address.")).to_be_visible()
