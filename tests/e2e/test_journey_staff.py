"""The CCEH staff journey, in Chromium: Sam finds a new request in the queue, takes
it, assesses every criterion in the one checklist form, saves it once and approves it from the
outcome panel; another goes back to the requestor with a question; another is denied citing
2.1; another goes to the committee. Every page reached is checked with axe-core against WCAG
2.0/2.1/2.2 A and AA, and for Content-Security-Policy breaches. The screening page of a
request like the demo's fits its checklist and its outcome in three screens."""

import re

import pytest
from django.conf import settings
from django.core import mail
from playwright.sync_api import expect

from requests_app import workflow
from requests_app.application.record import ANSWERS
from requests_app.core.states import AccessLevel
from requests_app.management.commands.demo import assessment
from requests_app.management.demo_data import APPLICATIONS
from requests_app.models import AccessRequest, Criterion, Event, Grant
from tests.support.e2e import (
    assert_accessible,
    assert_no_csp_violations,
    login,
    new_page,
    press_tab_until_focused,
    visit,
)

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


def checklist(page):
    return page.locator("section", has=page.get_by_role("heading", name="Screening checklist"))


def choose(page, code, outcome):
    """Choose `outcome` for the criterion in the checklist form (not saved yet)."""
    group = checklist(page).get_by_role("group", name=f"Assessment of {code}", exact=True)
    group.get_by_role("radio", name=outcome, exact=True).check()


def save_checklist(page, saved):
    """Save the whole checklist in one post; the page comes back saying which criteria got a
    new assessment, and passes axe like every page visited."""
    page.get_by_role("button", name="Save the checklist").click()
    expect(success(page)).to_have_text(saved)
    checked(page)


def choose_outcome(page, name):
    """Pick one outcome in the panel: only its form shows."""
    panel = page.locator("section.outcome-panel")
    panel.get_by_role("group", name="Choose the outcome").get_by_role(
        "radio", name=name, exact=True
    ).check()
    return panel


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
    # Approval waits for the checklist, and says so in words beside the choice.
    expect(page.locator("#outcome-blocked-approve")).to_have_text(
        "Not possible yet: 1.1 is not assessed yet. (11 more reasons when chosen)"
    )
    choose_outcome(page, "Approve")
    expect(page.get_by_text("Approval is not possible yet:")).to_be_visible()

    codes = list(Criterion.objects.order_by("pk").values_list("code", flat=True))
    assert len(codes) == 12
    # Each criterion's answer sits beside it.
    one_one = checklist(page).locator("article", has=page.get_by_role("heading", name="1.1: "))
    expect(one_one.locator("dt")).to_have_text("Why existing reporting does not serve")
    for code in codes:
        choose(page, code, PASSING.get(code, "Met"))
    save_checklist(page, f"The checklist is saved: 12 new assessments ({', '.join(codes)}).")
    for code in codes:
        heading = checklist(page).get_by_role(
            "heading", level=3, name=re.compile(rf"^{re.escape(code)}\b")
        )
        expect(heading).to_contain_text(PASSING.get(code, "Met"))
    assert Event.objects.filter(request=chosen, kind=Event.Kind.ASSESSED).count() == 12

    # One outcome panel: until a choice is made no outcome's form shows, then only its own.
    panel = page.locator("section.outcome-panel")
    expect(panel.get_by_role("button")).to_have_count(0)
    choose_outcome(page, "Approve")
    expect(panel.get_by_role("button")).to_have_count(1)
    expect(page.get_by_text("Approval is not possible yet:")).to_have_count(0)
    checked(page)

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
    choose_outcome(page, "Return for information")
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

    choose(page, "2.1", "Applies (prevents access)")
    choose(page, "1.2", "Not met")
    save_checklist(page, "The checklist is saved: 2 new assessments (1.2, 2.1).")

    choose_outcome(page, "Deny")
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
    # By keyboard alone: Tab to the outcome choice, the arrow keys to escalate, Tab on into
    # its form, which is the only one showing.
    choice = page.get_by_role("group", name="Choose the outcome")
    press_tab_until_focused(page, choice.get_by_role("radio", name="Approve"), limit=120)
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    expect(
        choice.get_by_role("radio", name=f"Escalate to the {settings.COMMITTEE_NAME}")
    ).to_be_checked()
    press_tab_until_focused(page, page.get_by_label("What is unclear"))
    expect(page.locator("section.outcome-panel").get_by_role("button")).to_have_count(1)
    page.get_by_label("What is unclear").fill(note)
    page.get_by_role("button", name=f"Escalate {chosen.reference}").click()
    expect(success(page)).to_contain_text(f"{chosen.reference} went to the")
    expect(status(page)).to_have_text("With the committee")
    expect(page.get_by_text(f"Escalated because: {note}")).to_be_visible()
    checked(page)


def demo_like(journey, personas):
    """A request as the demo's one in screening is: its answers and people, taken, and every
    criterion assessed with the demo's notes (requests_app/management/demo_data.py)."""
    (application,) = [a for a in APPLICATIONS if a["story"] == "screening"]
    answers = {
        name: application[name]
        for name in ANSWERS
        if name in application and name not in ("statewide",)
    }
    request = journey.screening(
        statewide=True,
        cans=[],
        named=[(name, email, level) for name, _, email, level in application["people"]],
        attests_training=True,
        attests_accuracy=True,
        **answers,
    )
    criteria = Criterion.objects.order_by("order")
    workflow.save_checklist(
        request, personas.sam, [(c, *assessment(application, c)) for c in criteria]
    )
    return AccessRequest.objects.get(pk=request.pk)


def test_the_screening_page_fits_the_checklist_and_the_outcome_in_three_screens(
    page, live_server, personas, journey
):
    request = demo_like(journey, personas)
    page.set_viewport_size({"width": 1280, "height": 800})
    login(page, live_server, personas.sam)
    open_request(page, request)
    panel = page.locator("section.outcome-panel")
    expect(panel).to_be_visible()

    bottom = panel.evaluate("panel => panel.getBoundingClientRect().bottom + window.scrollY")
    assert bottom <= 3 * 800, f"The outcome panel ends at {bottom} px"
    # The key facts stay in view while the checklist scrolls by.
    page.get_by_role("heading", name="Screening checklist").scroll_into_view_if_needed()
    page.mouse.wheel(0, 1200)
    expect(page.get_by_role("region", name=f"Key facts of {request.reference}")).to_be_in_viewport()
    checked(page)
