"""A committee decision against the tally, read in Chromium: both members vote to deny, and
Casey, the chair, approves with a written reason for differing. Riley, the requestor, opens the
request and reads the decision (outcome, reasons, the criterion cited, the conditions and each
person's granted level beside the requested one) and never the votes; Sam, CCEH staff, reads the
same decision with the tally and the chair's reason. Every page reached is checked with
axe-core against WCAG 2.0/2.1/2.2 A and AA, and for Content-Security-Policy breaches."""

import pytest
from django.conf import settings
from playwright.sync_api import expect

from requests_app import workflow
from requests_app.core.states import AccessLevel, Status
from requests_app.models import Criterion, Vote
from tests.support.e2e import login, new_page, visit
from tests.support.factories import NamedPersonFactory

pytestmark = pytest.mark.journey_decision

WHY = "Ongoing care coordination for the respite program."
CONDITIONS = "Reports leave the organization only in aggregate."
DEPARTS = "The IRB letter answers the members' concern about 1.9."
DENY_REASON = "Research without a data plan."
TALLY = (
    "When the decision was recorded: 0 approve, 2 deny, 0 abstain, 0 recused, of 2 members. "
    "Majority: deny."
)


@pytest.fixture
def decided(journey, personas, settings, tmp_path, django_capture_on_commit_callbacks):
    """A request of Harbor Health Partners naming Ada (full access asked) and Bo (reporting
    only), escalated by Sam; Morgan and Casey vote deny; Casey approves, granting Ada view only,
    and writes why the decision differs from the tally."""
    settings.PRIVATE_FILES_ROOT = tmp_path / "private"
    draft = journey.draft(people=0, program="Medical respite")
    NamedPersonFactory(request=draft, name="Ada Analyst", requested_level=AccessLevel.FULL)
    NamedPersonFactory(request=draft, name="Bo Builder", requested_level=AccessLevel.REPORTING)
    request = journey.assess_all(
        workflow.start_screening(workflow.submit(draft, personas.riley), personas.sam)
    )
    request = workflow.escalate(request, personas.sam, "Is 1.9 met?")
    for member in (personas.morgan, personas.casey):
        workflow.cast_vote(request, member, Vote.Choice.DENY, DENY_REASON)
    ada = request.people.get(name="Ada Analyst")
    bo = request.people.get(name="Bo Builder")
    with django_capture_on_commit_callbacks(execute=True):
        return workflow.record_committee_decision(
            request,
            personas.casey,
            Status.APPROVED,
            WHY,
            levels={ada: AccessLevel.VIEW, bo: AccessLevel.REPORTING},
            conditions=CONDITIONS,
            cited=[Criterion.objects.get(code="1.9")],
            departs_reason=DEPARTS,
        )


def decision_of(page):
    return page.get_by_role("region", name="The decision")


def reads_the_decision(page, live_server, user, request):
    """`user` signs in, opens the request page and finds its decision section; axe checks it."""
    login(page, live_server, user)
    visit(page, request.get_absolute_url())
    expect(page.get_by_role("heading", level=1)).to_have_text(request.reference)
    decision = decision_of(page)
    expect(decision.get_by_role("heading", name="The decision", level=2)).to_be_visible()
    expect(decision.locator(".decision-outcome")).to_have_text("Approved")
    expect(decision.locator(".decision-by")).to_have_text(
        f"The {settings.COMMITTEE_NAME}, recorded by its chair, Casey Chair"
    )
    expect(decision.locator(".decision-reason")).to_have_text(WHY)
    nine = Criterion.objects.get(code="1.9")
    expect(decision.locator(".decision-cited")).to_have_text(f"1.9: {nine.text}")
    expect(decision.locator(".decision-conditions")).to_have_text(CONDITIONS)
    levels = decision.get_by_role("table")
    ada = levels.get_by_role("row", name="Ada Analyst")
    expect(ada.get_by_role("cell")).to_have_text(["Full access", "View only"])
    bo = levels.get_by_role("row", name="Bo Builder")
    expect(bo.get_by_role("cell")).to_have_text(["Reporting only", "Reporting only"])
    return decision


def test_the_requestor_and_staff_read_a_decision_made_against_the_tally(
    browser, live_server, personas, decided
):
    request = decided

    with new_page(browser, live_server) as page:
        decision = reads_the_decision(page, live_server, personas.riley, request)
        # The requestor's next step leads to the MOU to sign; the panel's "decision below"
        # is there.
        panel = page.get_by_role("region", name="What happens next")
        expect(panel.get_by_role("link", name="Sign the MOU")).to_be_visible()
        expect(page.get_by_role("region", name="The MOU")).to_contain_text(
            "Access: Waiting for your signature"
        )
        # Never the votes: no tally, no count, no chair's reason for differing from it.
        expect(decision.get_by_role("heading", name="The committee's vote")).to_have_count(0)
        for hidden in ("2 deny", "Majority", DEPARTS, DENY_REASON):
            expect(page.locator("main")).not_to_contain_text(hidden)

    with new_page(browser, live_server) as page:
        decision = reads_the_decision(page, live_server, personas.sam, request)
        expect(
            decision.get_by_role("heading", name="The committee's vote", level=3)
        ).to_be_visible()
        expect(decision.locator(".decision-tally")).to_have_text(TALLY)
        expect(decision.locator(".decision-departs")).to_have_text(
            f"Why the decision differs from the tally: {DEPARTS}"
        )
        expect(page.get_by_role("region", name="The MOU")).to_contain_text(
            "Access: Waiting for the organization's signature"
        )
