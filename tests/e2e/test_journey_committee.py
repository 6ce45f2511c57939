"""The committee and CAN journey, in Chromium: Sam escalates a request naming
Greater Hartford; Lee, its CAN's leader, comments and recommends; three members vote and one
recuses; Casey, the chair, records the decision; Riley, the requestor, sees the outcome and never
the internal comments or the votes. Each person signs in through the real form in a browser
context of their own. Every page reached is checked with axe-core against WCAG 2.0/2.1/2.2 A and AA,
and for Content-Security-Policy breaches."""

import re
from contextlib import contextmanager

import pytest
from django.conf import settings
from django.core import mail
from playwright.sync_api import expect

from requests_app.core.states import AccessLevel, Status
from requests_app.models import CANRecommendation, Comment, Decision, Grant, Vote
from tests.support.e2e import assert_accessible, assert_no_csp_violations, login, new_page, visit
from tests.support.factories import UserFactory

pytestmark = pytest.mark.journey_committee

ESCALATION_NOTE = "Identified data for matching; is aggregated data enough (1.9)?"
INTERNAL_COMMENT = "Our CAN knows this unit: it matched records with us last year, carefully."
RECOMMENDATION_REASON = "A known partner of Greater Hartford; their data handling is sound."
RECUSAL_REASON = "I sit on Harbor Health Partners' research advisory board."
APPROVAL_REASON = "Matching needs identified data; view only is enough for it."
AWAITING_OWN_VOTE = "Other members' votes and the tally appear once you have cast your own."
VOTE_HEADING = f"The {settings.COMMITTEE_NAME}'s vote"


@contextmanager
def signed_in(browser, live_server, user):
    """A fresh browser context (no cookie shared with anyone else's) with `user` signed in
    through the real form."""
    with new_page(browser, live_server) as page:
        login(page, live_server, user)
        yield page


def assert_unique_ids(page):
    """No two elements share an id. axe-core 4.12 no longer checks this (WCAG 2.2 made 4.1.1
    obsolete), yet a label's `for` names only the first element with the id: a second form
    with the same field ids on the page leaves its fields without a name."""
    shared = page.evaluate(
        """() => {
            const count = {};
            for (const element of document.querySelectorAll("[id]")) {
                count[element.id] = (count[element.id] || 0) + 1;
            }
            return Object.keys(count).filter((id) => count[id] > 1);
        }"""
    )
    assert shared == [], f"Elements share an id on {page.url}: {shared}"


def checked(page):
    """The page as it is now passes axe, gives no two elements one id, and broke no
    Content-Security-Policy rule."""
    assert_no_csp_violations(page)
    assert_accessible(page)
    assert_unique_ids(page)


def go(page, url):
    """Open `url` and check it as `visit` does, and for shared ids."""
    visit(page, url)
    assert_unique_ids(page)


def status(page):
    return page.locator("main .request-status")


def success(page):
    return page.get_by_role("status")


def form_of(page, button):
    """The form that the button of that exact name submits."""
    return page.locator("form").filter(has=page.get_by_role("button", name=button, exact=True))


def committee(page):
    return page.locator("section", has=page.get_by_role("heading", name=VOTE_HEADING))


def open_from_list(page, access_request):
    """Follow the request's link in the list on the page, and check what it leads to."""
    page.locator("main").get_by_role("link", name=access_request.reference, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(access_request.reference)
    checked(page)


def cast_vote(page, access_request, choice, reason="", level=None):
    form = form_of(page, "Cast my vote")
    form.get_by_role("radio", name=choice, exact=True).check()
    if reason:
        form.get_by_label("Reason").fill(reason)
    if level:
        person = access_request.people.get()
        form.get_by_label(f"Level you recommend for {person.name}, if you approve").select_option(
            label=level
        )
    form.get_by_role("button", name="Cast my vote").click()
    expect(success(page)).to_have_text(
        "Your vote is recorded. You can change it until the chair records the decision."
    )
    expect(status(page)).to_have_text("With the committee")
    checked(page)


def test_escalated_request_is_recommended_voted_on_and_decided(
    browser, live_server, personas, journey
):
    nia = UserFactory(name="Nia Member", is_committee_member=True)
    chosen = journey.screening(program="Housing research unit")
    person = chosen.people.get()
    assert person.requested_level == AccessLevel.FULL
    reference = chosen.reference

    # Sam, CCEH staff, finds the request in the queue and escalates it: the case is not clear.
    with signed_in(browser, live_server, personas.sam) as page:
        go(page, "/queue/")
        expect(page.get_by_role("heading", level=1)).to_have_text("Review queue")
        open_from_list(page, chosen)
        expect(status(page)).to_have_text("In screening")
        # One outcome panel: the chosen outcome's form alone shows.
        page.get_by_role("group", name="Choose the outcome").get_by_role(
            "radio", name=f"Escalate to the {settings.COMMITTEE_NAME}"
        ).check()
        page.get_by_label("What is unclear").fill(ESCALATION_NOTE)
        page.get_by_role("button", name=f"Escalate {reference}").click()
        expect(success(page)).to_have_text(f"{reference} went to the {settings.COMMITTEE_NAME}.")
        expect(status(page)).to_have_text("With the committee")
        expect(page.get_by_text(f"Escalated because: {ESCALATION_NOTE}")).to_be_visible()
        checked(page)

    # Lee leads Greater Hartford, which the request names: asked for the CAN's say, Lee
    # comments for the committee and recommends.
    with signed_in(browser, live_server, personas.lee) as page:
        go(page, "/can/")
        expect(page.get_by_role("heading", level=1)).to_have_text(
            "Requests naming Greater Hartford"
        )
        row = page.locator("main table tbody tr").filter(has_text=reference)
        expect(row.locator("td.status")).to_have_text("With the committee")
        expect(row).to_contain_text("Asked of you: record your CAN's recommendation")
        open_from_list(page, chosen)
        expect(page.get_by_text(f"Escalated because: {ESCALATION_NOTE}")).to_be_visible()

        page.get_by_role("textbox", name="Internal comment").fill(INTERNAL_COMMENT)
        page.get_by_role("button", name="Post internal comment").click()
        expect(success(page)).to_have_text("Your comment is posted.")
        internal = page.locator(
            "section", has=page.get_by_role("heading", name="Internal comments")
        )
        expect(internal).to_contain_text(INTERNAL_COMMENT)
        checked(page)

        form = form_of(page, "Record the CAN's recommendation")
        expect(form.get_by_label("For the CAN")).to_have_value(str(personas.hartford.pk))
        form.get_by_role("radio", name="Support", exact=True).check()
        form.get_by_label("Reason").fill(RECOMMENDATION_REASON)
        form.get_by_role("button", name="Record the CAN's recommendation").click()
        expect(success(page)).to_have_text(
            "The CAN's recommendation is recorded. It can be changed until the decision."
        )
        expect(page.locator("ul.can-recommendations")).to_have_text(
            f"Greater Hartford: Support (Lee Leader): {RECOMMENDATION_REASON}"
        )
        checked(page)

        # The list now shows what the CAN said, and asks nothing more.
        go(page, "/can/")
        row = page.locator("main table tbody tr").filter(has_text=reference)
        expect(row).to_contain_text("Greater Hartford: Support")
        expect(row).not_to_contain_text("Asked of you")

    # Morgan finds the request on the docket; the others' votes stay hidden until Morgan votes.
    with signed_in(browser, live_server, personas.morgan) as page:
        go(page, "/docket/")
        expect(page.get_by_role("heading", level=1)).to_have_text("Docket")
        row = page.locator("main table tbody tr").filter(has_text=reference)
        expect(row).to_contain_text(ESCALATION_NOTE)
        expect(row.locator("td.my-vote")).to_have_text("Not voted yet")
        open_from_list(page, chosen)
        expect(committee(page)).to_contain_text(AWAITING_OWN_VOTE)
        expect(committee(page)).not_to_contain_text("Tally")
        expect(committee(page)).to_contain_text("quorum needs 2: quorum is not reached yet")
        expect(page.locator("ul.can-recommendations")).to_contain_text(
            "Greater Hartford: Support (Lee Leader)"
        )
        expect(page.get_by_text(INTERNAL_COMMENT)).to_be_visible()

        cast_vote(page, chosen, "Approve", level="View only")
        expect(committee(page)).not_to_contain_text(AWAITING_OWN_VOTE)
        expect(committee(page).locator(".tally")).to_have_text(
            "Tally: 1 approve, 0 deny, 0 abstain, 0 recused."
        )
        expect(committee(page).locator("ul.votes")).to_have_text("Morgan Member: Approve")
        expect(page.get_by_role("heading", name="Change your vote (now: Approve)")).to_be_visible()

    # Nia recuses, with a reason; a recusal counts toward neither side nor quorum.
    with signed_in(browser, live_server, nia) as page:
        go(page, "/docket/")
        open_from_list(page, chosen)
        expect(committee(page)).to_contain_text(AWAITING_OWN_VOTE)
        cast_vote(page, chosen, "Recuse", reason=RECUSAL_REASON)
        expect(committee(page).locator(".tally")).to_have_text(
            "Tally: 1 approve, 0 deny, 0 abstain, 1 recused."
        )
        expect(committee(page)).to_contain_text("quorum is not reached yet")

    # Casey chairs: sees every vote before voting, votes, and then records the decision, the
    # form filled in from the tally and the levels the approving members recommended.
    with signed_in(browser, live_server, personas.casey) as page:
        go(page, "/docket/")
        open_from_list(page, chosen)
        expect(committee(page)).not_to_contain_text(AWAITING_OWN_VOTE)
        expect(committee(page).locator("ul.votes li")).to_have_text(
            ["Morgan Member: Approve", f"Nia Member: Recuse: {RECUSAL_REASON}"]
        )
        expect(page.get_by_text("The decision cannot be recorded yet:")).to_be_visible()
        expect(
            page.get_by_text(re.compile(r"^Quorum is not reached: 1 of 3 members"))
        ).to_be_visible()

        cast_vote(page, chosen, "Approve", level="View only")
        expect(committee(page).locator(".quorum")).to_contain_text(
            "2 of 3 members have voted (recusals do not count); quorum needs 2: quorum is reached."
        )
        expect(committee(page).locator(".tally")).to_have_text(
            "Tally: 2 approve, 0 deny, 0 abstain, 1 recused."
        )
        decide = f"Record the decision on {reference}"
        form = form_of(page, decide)
        expect(form.get_by_role("radio", name="Approve", exact=True)).to_be_checked()
        expect(form.get_by_label(f"Level granted to {person.name}")).to_have_value(AccessLevel.VIEW)
        expect(page.get_by_text("The votes' majority: approve.")).to_be_visible()
        form.get_by_label("Reason the requestor will read").fill(APPROVAL_REASON)
        form.get_by_role("button", name=decide).click()
        expect(success(page)).to_have_text(f"The committee's decision on {reference} is recorded.")
        expect(status(page)).to_have_text("Approved")
        checked(page)

    chosen.refresh_from_db()
    assert chosen.status == Status.APPROVED
    decision = Decision.objects.get(request=chosen)
    assert decision.by_committee and decision.decided_by == personas.casey
    assert decision.tally["approve"] == 2 and decision.tally["recuse"] == 1
    assert Grant.objects.get(person=person).level == AccessLevel.VIEW
    assert sorted(Vote.objects.filter(request=chosen).values_list("choice", flat=True)) == [
        Vote.Choice.APPROVE,
        Vote.Choice.APPROVE,
        Vote.Choice.RECUSE,
    ]
    assert CANRecommendation.objects.get(request=chosen).position == "support"
    assert Comment.objects.get(request=chosen).body == INTERNAL_COMMENT

    # Riley, the requestor, sees the outcome and the decision, and nothing of the committee's
    # deliberation or the CAN leader's internal comment.
    # Riley opens the decision from the e-mail that announced it.
    decided = next(
        m for m in mail.outbox if m.to == [personas.riley.email] and m.subject.endswith(" approved")
    )
    assert decided.subject == f"[HMIS Access] {reference} approved"
    with signed_in(browser, live_server, personas.riley) as page:
        go(page, re.search(r"https?://\S+", decided.body).group())
        expect(page.get_by_role("heading", level=1)).to_have_text(reference)
        expect(status(page)).to_have_text("Approved")
        go(page, "/requests/")
        row = page.locator("main table tbody tr").filter(has_text=reference)
        # The status, and the state of what it granted: the MOU waits for Riley's signature.
        expect(row.locator("td.status")).to_have_text("Approved Waiting for your signature")
        open_from_list(page, chosen)
        expect(status(page)).to_have_text("Approved")
        history = page.locator("section", has=page.get_by_role("heading", name="History"))
        expect(history).to_contain_text(
            f"Committee decision recorded, by Casey Chair: {APPROVAL_REASON}"
        )
        body = page.locator("body")
        for hidden in (
            INTERNAL_COMMENT,
            "Internal comments",
            VOTE_HEADING,
            "Tally",
            "Morgan Member",
            "Nia Member",
            RECUSAL_REASON,
            ESCALATION_NOTE,
        ):
            expect(body).not_to_contain_text(hidden)
        expect(page.get_by_role("heading", name="Internal comments")).to_have_count(0)
        expect(page.get_by_role("heading", name=VOTE_HEADING)).to_have_count(0)
