"""The CCEH staff journey, in Chromium: Sam finds a new request in the queue, takes
it, assesses every criterion and approves it; another goes back to the requestor with a
question; another is denied citing 2.1; another goes to the committee. Every page reached is
checked with axe-core against WCAG 2.0/2.1/2.2 A and AA, and for Content-Security-Policy
breaches."""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from requests_app.core.states import AccessLevel
from requests_app.models import AccessRequest, Criterion, Grant
from tests.support.e2e import assert_accessible, assert_no_csp_violations, login, new_page, visit

pytestmark = pytest.mark.journey_staff

# The disqualifiers (2.x) name their outcomes for what they do to the request.
PASSING = {"2.1": "Does not apply", "2.2": "Does not apply"}


@pytest.fixture
def four_requests(journey):
    """Four submitted requests of Harbor Health Partners naming Greater Hartford, oldest
    first: one for each outcome."""
    return {
        "approve": journey.submitted(program="Medical respite"),
        "return": journey.submitted(program="Behavioral health"),
        "deny": journey.submitted(
            program="Billing audit", need_type=AccessRequest.NeedType.ONE_TIME
        ),
        "escalate": journey.submitted(program="Housing research unit"),
    }


def checked(page):
    """The page as it is now passes axe and broke no Content-Security-Policy rule."""
    assert_no_csp_violations(page)
    assert_accessible(page)


def status(page):
    return page.locator("main .request-status")


def success(page):
    return page.get_by_role("status")


def open_request(page, access_request):
    visit(page, access_request.get_absolute_url())
    expect(page.get_by_role("heading", level=1)).to_have_text(access_request.reference)


def take(page, access_request):
    page.get_by_role("button", name="Take it for screening").click()
    expect(success(page)).to_have_text(f"You took {access_request.reference} for screening.")
    expect(status(page)).to_have_text("In screening")
    checked(page)


def assess(page, code, outcome):
    """Choose `outcome` in the criterion's own form and save it; the page comes back with the
    assessment shown, and passes axe like every page visited."""
    save = page.get_by_role("button", name=f"Save assessment of {code}", exact=True)
    form = page.locator("form").filter(has=save)
    form.get_by_role("radio", name=outcome, exact=True).check()
    save.click()
    expect(success(page)).to_have_text(f"Your assessment of {code} is saved.")
    heading = page.get_by_role("heading", level=3, name=re.compile(rf"^{re.escape(code)}\b"))
    expect(heading).to_contain_text(outcome)
    assert_no_csp_violations(page)
    assert_accessible(page)


def test_staff_finds_takes_assesses_every_criterion_and_approves(
    page, live_server, personas, four_requests
):
    chosen = four_requests["approve"]
    person = chosen.people.get()
    assert person.requested_level == AccessLevel.FULL
    login(page, live_server, personas.sam)

    visit(page, "/queue/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Review queue")
    expect(page.locator("main table tbody tr")).to_have_count(4)

    # The search sits in a closed disclosure until a filter is in use.
    page.get_by_text("Filter and search").click()
    page.get_by_label("Search", exact=True).fill(chosen.reference)
    page.get_by_role("button", name="Show requests").click()
    expect(page.get_by_text("1 request found.")).to_be_visible()
    row = page.locator("main table tbody tr")
    expect(row).to_have_count(1)
    expect(row.locator("td.stage")).to_have_text("Intake")
    checked(page)

    row.get_by_role("link", name=chosen.reference).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(chosen.reference)
    expect(status(page)).to_have_text("Submitted")
    checked(page)

    take(page, chosen)
    expect(page.get_by_text("Assigned to Sam Staff")).to_be_visible()
    # Approval waits for the checklist, and says so in words.
    expect(page.get_by_text("Approval is not possible yet:")).to_be_visible()

    codes = list(Criterion.objects.order_by("pk").values_list("code", flat=True))
    assert len(codes) == 12
    for code in codes:
        assess(page, code, PASSING.get(code, "Met"))
    expect(page.get_by_text("Approval is not possible yet:")).to_have_count(0)

    # The CAN has not spoken: approving without it takes a reason (1.5, 4.2), and the
    # person may be granted less than asked.
    page.get_by_label(f"Level granted to {person.name}").select_option(label="View only")
    page.get_by_label("Why decide without Greater Hartford's recommendation").fill(
        "The CAN leader is away until next month; the program is a known partner."
    )
    page.get_by_role("button", name=f"Approve {chosen.reference}").click()
    expect(success(page)).to_have_text(f"{chosen.reference} is approved.")
    expect(status(page)).to_have_text("Approved")
    checked(page)

    grant = Grant.objects.get(person=person)
    assert grant.level == AccessLevel.VIEW


def test_staff_returns_a_request_with_a_question(
    browser, page, live_server, personas, four_requests
):
    chosen = four_requests["return"]
    login(page, live_server, personas.sam)
    open_request(page, chosen)
    expect(status(page)).to_have_text("Submitted")

    question = "Which staff will use the data, and how often each week?"
    page.get_by_label("Question for the requestor").fill(question)
    page.get_by_role("button", name=f"Return {chosen.reference} to the requestor").click()
    expect(success(page)).to_have_text(
        f"{chosen.reference} went back to the requestor with your question."
    )
    expect(status(page)).to_have_text("Returned for information")
    messages = page.locator(
        "section", has=page.get_by_role("heading", name="Messages with the requestor")
    )
    expect(messages).to_contain_text(question)
    checked(page)

    # Riley hears of it by e-mail and follows its link straight to the question.
    link = emailed_link(personas.riley, chosen)
    with new_page(browser, live_server) as riley_page:
        login(riley_page, live_server, personas.riley)
        visit(riley_page, link)
        expect(riley_page.get_by_role("heading", level=1)).to_have_text(chosen.reference)
        expect(riley_page.locator("main")).to_contain_text(question)


def emailed_link(user, access_request):
    """The link in the newest e-mail to `user` about `access_request`, from the test outbox."""
    message = [
        m for m in mail.outbox if m.to == [user.email] and access_request.reference in m.subject
    ][-1]
    return re.search(r"https?://\S+", message.body).group()


def test_staff_denies_citing_2_1_after_a_refused_attempt(
    page, live_server, personas, four_requests
):
    chosen = four_requests["deny"]
    login(page, live_server, personas.sam)
    open_request(page, chosen)
    take(page, chosen)
    expect(page.get_by_text("The requestor says the need is one-time only.")).to_be_visible()

    assess(page, "2.1", "Applies (prevents access)")
    assess(page, "1.2", "Not met")

    cited = page.get_by_role("group", name="Criteria the denial rests on")
    # Only the failing criteria can be cited.
    expect(cited.get_by_role("checkbox")).to_have_count(2)
    two_one = cited.get_by_role("checkbox", name=re.compile(r"^2\.1 "))
    reason = page.get_by_label("Reason the requestor will read")

    # Refused: no reason. The page says so and keeps what was chosen.
    two_one.check()
    page.get_by_role("button", name=f"Deny {chosen.reference}").click()
    deny_form = page.locator(
        "form", has=page.get_by_role("button", name=f"Deny {chosen.reference}")
    )
    expect(deny_form.get_by_role("alert")).to_have_text("Please correct the marked fields.")
    expect(deny_form.locator(".invalid-feedback")).to_have_text("This field is required.")
    expect(reason).to_have_attribute("aria-invalid", "true")
    expect(two_one).to_be_checked()
    expect(status(page)).to_have_text("In screening")
    checked(page)

    # Refused: nothing cited. The reason typed survives.
    two_one.uncheck()
    written = "The policy does not allow one-time access (2.1)."
    reason.fill(written)
    page.get_by_role("button", name=f"Deny {chosen.reference}").click()
    # The reason is no longer the field at fault: the page came back from this second post.
    expect(reason).not_to_have_attribute("aria-invalid", "true")
    expect(deny_form.get_by_role("alert")).to_have_text("Please correct the marked fields.")
    expect(deny_form.locator(".invalid-feedback")).to_have_text("This field is required.")
    expect(reason).to_have_value(written)
    expect(two_one).not_to_be_checked()
    expect(status(page)).to_have_text("In screening")
    checked(page)

    two_one.check()
    page.get_by_role("button", name=f"Deny {chosen.reference}").click()
    expect(success(page)).to_have_text(f"{chosen.reference} is denied.")
    expect(status(page)).to_have_text("Denied")
    checked(page)


def test_staff_escalates_a_request_to_the_committee(page, live_server, personas, four_requests):
    chosen = four_requests["escalate"]
    login(page, live_server, personas.sam)
    open_request(page, chosen)
    take(page, chosen)

    note = "Identified data for matching; is aggregated data enough (1.9)?"
    page.get_by_label("What is unclear").fill(note)
    page.get_by_role("button", name=f"Escalate {chosen.reference}").click()
    expect(success(page)).to_contain_text(f"{chosen.reference} went to the")
    expect(status(page)).to_have_text("With the committee")
    expect(page.get_by_text(f"Escalated because: {note}")).to_be_visible()
    checked(page)
