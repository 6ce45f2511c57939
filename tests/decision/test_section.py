"""The decision on the request page, at the detail each person may see, and the state of the
grant in words wherever a request is shown, with the next step and its link.

Every request and MOU reaches its state through the workflow itself, inside
`django_capture_on_commit_callbacks(execute=True)` so the MOU versions rendered after commit
exist as they would in production."""

import datetime

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from requests_app import workflow
from requests_app.core.states import AccessLevel, AgreementStatus, Status
from requests_app.models import Agreement, Assessment, Criterion, Decision, Vote
from tests.support.journey import Stage
from tests.support.pages import day, parsed

FULL, VIEW, REPORTING = AccessLevel.FULL, AccessLevel.VIEW, AccessLevel.REPORTING
ADA = ("Ada Analyst", "ada@harbor.example", FULL)
BO = ("Bo Builder", "bo@harbor.example", REPORTING)
CONDITIONS = "Reports leave the organization only in aggregate."
DEPARTS = "The IRB letter answers the members' concern about 1.9."
WHY = "Ongoing care coordination for the respite program."
# The levels table's caption, read by screen readers.
CAPTION = "Each named person's granted access level beside the one requested"


@pytest.fixture(autouse=True)
def private_files(settings, tmp_path):
    settings.PRIVATE_FILES_ROOT = tmp_path / "private"


def decided_on(request):
    return day(timezone.localtime(Decision.objects.get(request=request).decided_at))


def criterion(code):
    return Criterion.objects.get(code=code)


class DecisionStage(Stage):
    """Brings requests naming Ada and Bo to a decision through the journey; an approval's
    agreement goes on to each of its statuses as everywhere (Stage)."""

    people = (ADA, BO)

    def screened(self, **answers):
        return self.journey.ready_to_approve(named=self.people, **answers)

    def approved_by_staff(self):
        """Sam approves with a condition, granting Ada view only where she asked for full
        access; then corrects the MOU, lowering Ada to reporting only."""
        request = self.journey.approved(
            named=self.people,
            granted={"Ada Analyst": VIEW},
            conditions=CONDITIONS,
            committed=True,
        )
        agreement = Agreement.objects.get(request=request)
        ada = request.people.get(name="Ada Analyst")
        with self.capture(execute=True):
            workflow.amend_mou(
                agreement, self.p.sam, "Ada works on reports only.", levels={ada: REPORTING}
            )
        return request

    def denied_by_staff(self):
        request = self.screened()
        workflow.assess_criterion(
            request, self.p.sam, criterion("2.1"), Assessment.Outcome.MET, "One-time only."
        )
        return workflow.deny(request, self.p.sam, [criterion("2.1")], "One-time access (2.1).")

    def approved_against_the_tally(self):
        """Both members vote deny; the chair approves, saying why the decision differs."""
        request = workflow.escalate(self.screened(), self.p.sam, "Is 1.9 met?")
        for member in (self.p.morgan, self.p.casey):
            workflow.cast_vote(request, member, Vote.Choice.DENY, "Research without a plan.")
        with self.capture(execute=True):
            return workflow.record_committee_decision(
                request,
                self.p.casey,
                Status.APPROVED,
                WHY,
                levels=self.journey.levels(request, {"Ada Analyst": VIEW}),
                conditions=CONDITIONS,
                cited=[criterion("1.9")],
                departs_reason=DEPARTS,
            )


@pytest.fixture
def stage(journey, django_capture_on_commit_callbacks):
    return DecisionStage(journey, django_capture_on_commit_callbacks)


def page_of(client, user, request):
    client.force_login(user)
    return client.get(request.get_absolute_url())


def decision_section(response):
    assert response.status_code == 200
    return parsed(response).find("section", cls="decision")


# The decision section, person by person.


def test_a_staff_approval_shows_its_decider_conditions_and_each_level_to_all_who_see_it(
    client, stage, personas
):
    request = stage.approved_by_staff()
    expected = (
        "The decision Outcome Approved Decided by CCEH staff: Sam Staff "
        f"Date {decided_on(request)} Conditions {CONDITIONS} "
        f"Access granted {CAPTION} Person Requested Granted "
        "Ada Analyst Full access View only; now Reporting only, after a correction of the MOU "
        "Bo Builder Reporting only Reporting only"
    )

    seen = {
        name: decision_section(page_of(client, personas.by_name(name), request)).text
        for name in ("riley", "sam", "lee")
    }

    # Staff decided it alone: no tally, for anyone; the chair, who had no part, sees no page.
    assert seen == dict.fromkeys(("riley", "sam", "lee"), expected)
    assert page_of(client, personas.casey, request).status_code == 404


def test_a_staff_denial_gives_the_requestor_its_reason_and_the_criterion_in_its_words(
    client, stage, personas
):
    request = stage.denied_by_staff()
    expected = (
        "The decision Outcome Denied Decided by CCEH staff: Sam Staff "
        f"Date {decided_on(request)} Reason One-time access (2.1). "
        f"Criteria cited 2.1: {criterion('2.1').text}"
    )

    page = page_of(client, personas.riley, request)

    # The panel's promise of "the decision below" is kept: the section follows it.
    main = parsed(page)
    panel = main.find("section", cls="requestor-panel")
    assert "The decision below gives the reasons" in panel.find("p", cls="next-step").text
    sections = [s.attrs.get("class", "") for s in main.find_all("section")]
    assert sections.index("card mb-4 decision") == sections.index("card mb-4 requestor-panel") + 1
    assert decision_section(page).text == expected
    assert decision_section(page_of(client, personas.sam, request)).text == expected


def committee_decision_text(request, *, tally):
    committee = settings.COMMITTEE_NAME
    seen = (
        "The decision Outcome Approved "
        f"Decided by The {committee}, recorded by its chair, Casey Chair "
        f"Date {decided_on(request)} Reason {WHY} "
        f"Criteria cited 1.9: {criterion('1.9').text} Conditions {CONDITIONS} "
        f"Access granted {CAPTION} Person Requested Granted "
        "Ada Analyst Full access View only Bo Builder Reporting only Reporting only"
    )
    if tally:
        seen += (
            " The committee's vote When the decision was recorded: 0 approve, 2 deny, "
            "0 abstain, 0 recused, of 2 members. Majority: deny. "
            f"Why the decision differs from the tally: {DEPARTS}"
        )
    return seen


def test_a_committee_decision_against_the_tally_shows_the_tally_only_to_those_inside(
    client, stage, personas
):
    request = stage.approved_against_the_tally()

    seen = {
        name: decision_section(page_of(client, personas.by_name(name), request)).text
        for name in ("riley", "sam", "casey", "lee")
    }

    # Riley, of the requesting organization, reads the decision but never the votes. Staff and
    # the chair, who may see the votes, read the tally and the chair's reason for differing
    # from it; the named CAN's leader, who sees no vote, reads the decision as Riley does.
    assert seen == {
        "riley": committee_decision_text(request, tally=False),
        "sam": committee_decision_text(request, tally=True),
        "casey": committee_decision_text(request, tally=True),
        "lee": committee_decision_text(request, tally=False),
    }
    riley = page_of(client, personas.riley, request).content.decode()
    assert [text in riley for text in ("2 deny", "Majority", DEPARTS)] == [False] * 3


def test_a_member_of_the_requesting_organization_reads_the_decision_as_a_requestor(
    client, stage, personas
):
    """Staff who belong to the requesting organization see no tally: a conflict of interest
    hides as well as blocks."""
    request = stage.approved_against_the_tally()
    personas.sam.memberships.create(organization=personas.harbor, state="active")

    seen = decision_section(page_of(client, personas.sam, request)).text

    assert seen == committee_decision_text(request, tally=False)


def test_no_decision_section_before_a_decision(client, journey, personas):
    request = journey.with_quorum()

    assert decision_section(page_of(client, personas.sam, request)) is None
    assert decision_section(page_of(client, personas.riley, request)) is None


# The grant's state: its words and next step on the requestor's page, in their list and in the
# queue.

MOU_PAGE = "/r/{ref}/mou/"


def renewal_opens(agreement):
    return agreement.ends_on - datetime.timedelta(days=settings.GRANT_RENEWAL_WINDOW_DAYS)


def expectations(state, agreement):
    """(words, the requestor's next step, their action and link, staff's action and link)."""
    ref = agreement.request.reference
    mou = MOU_PAGE.format(ref=ref)
    today = day(timezone.localdate())
    ends = day(agreement.ends_on) if agreement.ends_on else ""
    return {
        "issued": (
            "Waiting for your signature",
            "Read the MOU and sign it for your organization. CCEH staff countersign it next; "
            "access starts after that and each person's HMIS training.",
            ("Sign the MOU", f"{mou}#sign-heading"),
            None,
        ),
        "signed": (
            "Waiting for CCEH's countersignature",
            "CCEH staff countersign the MOU next. Nothing is needed from you until then.",
            None,
            ("Countersign the MOU", f"{mou}#countersign-heading"),
        ),
        "executed": (
            "Waiting for training",
            "Each named person completes the CT HMIS training; CCEH staff record it and then "
            "activate their access.",
            None,
            ("Record training", f"{mou}#training-heading"),
        ),
        "trained": (
            "Waiting for training",
            "Each named person completes the CT HMIS training; CCEH staff record it and then "
            "activate their access.",
            None,
            ("Activate access", f"{mou}#activate-heading"),
        ),
        "active": (
            f"Active until {ends}",
            "Access is granted. The MOU states each person's access level; a renewal can be "
            f"started from {day(renewal_opens(agreement)) if agreement.ends_on else ''}.",
            None,
            None,
        ),
        "renewal_open": (
            f"Renewal open: active until {ends}",
            f"Access ends on {ends}. Start the renewal so it can be decided before then.",
            ("Start the renewal", mou),
            None,
        ),
        "expired": (
            f"Expired on {today}",
            "Access ended with its term. To use HMIS again, start a new request.",
            ("Start a new request", reverse("request_new")),
            None,
        ),
        "revoked": (
            f"Revoked on {today}: Shared a login.",
            "CCEH revoked this access; nobody uses HMIS under this MOU any more. The "
            "revocation counts against the organization's good standing in any later request "
            "(1.10).",
            None,
            None,
        ),
    }[state]


STATES = ["issued", "signed", "executed", "trained", "active", "renewal_open", "expired", "revoked"]


def reach(stage, state, settings):
    if state == "renewal_open":
        # A one-month term is inside the renewal window from its first day.
        settings.GRANT_TERM_MONTHS = 1
        return stage.active()
    return getattr(stage, state)()


def links(element):
    return [(a.text, a.attrs["href"]) for a in element.find_all("a")]


@pytest.mark.parametrize("state", STATES)
def test_the_requestors_page_says_the_grants_state_and_what_to_do_next(
    client, stage, personas, settings, state
):
    agreement = reach(stage, state, settings)
    words, next_step, action, _ = expectations(state, agreement)

    main = parsed(page_of(client, personas.riley, agreement.request))

    mou = main.find("div", cls="mou-link")
    assert mou.find("p", cls="grant-state").text == f"Access: {words}"
    panel = main.find("section", cls="requestor-panel")
    assert panel.find("p", cls="next-step").text == next_step
    assert [(a.text, a.attrs["href"]) for a in panel.find_all("a", cls="grant-action")] == (
        [action] if action else []
    )
    # Never "access is granted" once it is not, nor while the MOU waits to be signed.
    assert ("Access is granted" in next_step) == (state == "active")


@pytest.mark.parametrize("state", STATES)
def test_the_requestors_list_says_the_grants_state_and_links_the_next_step(
    client, stage, personas, settings, state
):
    agreement = reach(stage, state, settings)
    words, next_step, action, _ = expectations(state, agreement)
    client.force_login(personas.riley)

    row = parsed(client.get(reverse("my_requests"))).find("tbody").find("tr")

    cells = row.find_all("td")
    assert cells[2].find("span", cls="grant-state").text == words
    ref = agreement.request.reference
    assert cells[4].text == next_step + (f" {action[0]}: {ref}" if action else "")
    assert [href for _, href in links(cells[4])] == ([action[1]] if action else [])


@pytest.mark.parametrize("state", STATES)
def test_the_queue_says_the_grants_state_and_links_staffs_next_action(
    client, stage, personas, settings, state
):
    agreement = reach(stage, state, settings)
    words, _, _, action = expectations(state, agreement)
    # Staff read the organization's signature as the organization's, not their own.
    words = words.replace("your signature", "the organization's signature")
    client.force_login(personas.sam)

    row = parsed(client.get(reverse("queue"), {"status": "approved"})).find("tbody").find("tr")

    # The stage names the state, or, where the grant says more, the grant's words follow it.
    status = row.find("td", cls="status")
    said = [span.text for span in status.find_all("span") if not span.has_class("visually-hidden")]
    assert words in said
    assert [(a.text.split(":")[0], a.attrs["href"]) for a in status.find_all("a")] == (
        [action] if action else []
    )
    # The request's own page shows staff the same action, with the state.
    main = parsed(client.get(agreement.request.get_absolute_url()))
    assert main.find("p", cls="grant-state").text == f"Access: {words}"
    assert links(main.find("p", cls="grant-next")) == ([action] if action else [])


def test_the_queue_shows_each_persons_granted_level_beside_the_requested_one(
    client, stage, personas
):
    request = stage.approved_by_staff()
    client.force_login(personas.sam)

    row = parsed(client.get(reverse("queue"), {"status": "approved"})).find("tbody").find("tr")

    assert [li.text for li in row.find_all("li")] == [
        "Ada Analyst: Reporting only granted (Full access requested)",
        "Bo Builder: Reporting only granted (Reporting only requested)",
    ]
    assert Agreement.objects.get(request=request).status == AgreementStatus.ISSUED


def test_the_docket_and_the_can_list_say_the_grants_state(client, stage, personas):
    request = stage.approved_against_the_tally()

    client.force_login(personas.morgan)
    docket = parsed(client.get(reverse("docket"), {"tab": "past"})).find("tbody")
    client.force_login(personas.lee)
    can_list = parsed(client.get(reverse("can_requests"))).find("tbody")

    waiting = "Waiting for the organization's signature"
    assert docket.find("span", cls="grant-state").text == waiting
    assert can_list.find("span", cls="grant-state").text == waiting
    assert [li.text for li in docket.find_all("li")] == [
        "Ada Analyst: View only granted (Full access requested)",
        "Bo Builder: Reporting only granted (Reporting only requested)",
    ]
    assert request.status == Status.APPROVED


def test_the_mou_page_says_when_and_why_access_was_revoked(client, stage, personas):
    agreement = stage.revoked()
    revoked_on = timezone.localdate(agreement.ended_at)
    client.force_login(personas.riley)

    page = parsed(client.get(reverse("agreement", args=[agreement.request.reference])))

    assert page.find("div", cls="grant-state").find("strong").text == (
        f"Revoked on {revoked_on:%B} {revoked_on.day}, {revoked_on:%Y}: Shared a login."
    )
    assert [li.text for li in page.find("ul", cls="revocations").find_all("li")] == [
        f"{revoked_on:%B} {revoked_on.day}, {revoked_on:%Y}: the organization's access, "
        "because: Shared a login."
    ]


@pytest.mark.parametrize("persona", ["riley", "sam"])
def test_the_mou_page_of_an_issued_mou_says_whose_signature_it_waits_for(
    client, stage, personas, persona
):
    agreement = stage.issued()
    client.force_login(personas.by_name(persona))

    page = parsed(client.get(reverse("agreement", args=[agreement.request.reference])))

    assert (
        page.find("div", cls="grant-state").find("strong").text
        == {
            "riley": "Waiting for your signature",
            "sam": "Waiting for the organization's signature",
        }[persona]
    )
