"""The final MOU (policy 4.1, 1.6): what each stored version states, read back from
its PDF as text. The granted level of each person beside the one asked, the CAN scope, the
decision's conditions and the researcher clause, who decided and how, the signatures, and the
footer that names the version and counts the pages."""

import pytest
from django.utils import timezone

from requests_app import workflow
from requests_app.core.states import AccessLevel, Status
from tests.support.journey import ADA, BO, CY, RILEY_TITLE, SAM_TITLE, fresh
from tests.support.pages import day
from tests.support.pdf import stored_bytes, text_of

FULL, VIEW, REPORTING = AccessLevel.FULL, AccessLevel.VIEW, AccessLevel.REPORTING
COMMITTEE = "HMIS Steering Committee sub-committee"
CONDITIONS = "Reports are shared only with the respite team; no client-level exports."
# Every test here reads the stored PDFs back as text.
pytestmark = pytest.mark.pdf


@pytest.fixture(autouse=True)
def private_files(settings, tmp_path):
    settings.PRIVATE_FILES_ROOT = tmp_path / "private"


def version_text(agreement, version):
    return text_of(stored_bytes(agreement.mous.get(version=version)))


def decided_on(request):
    return day(timezone.localtime(request.decision.decided_at))


def test_version_1_states_each_granted_level_the_scope_the_conditions_and_the_decider(stage):
    agreement = stage.issued(
        people=(ADA, BO, CY),
        granted={"Ada Analyst": REPORTING},
        conditions=CONDITIONS,
        is_researcher=True,
        aggregated_data_sufficient=True,
    )
    request = agreement.request

    text, pages = version_text(agreement, 1)

    expected = [
        f"{request.reference} · between the Connecticut Coalition to End Homelessness (CCEH), "
        "HMIS lead, and Harbor Health Partners",
        "Name Title E-mail Access granted Requested",
        # Ada asked for view only and was granted less: both are stated.
        "Ada Analyst Analyst ada@harbor.example Reporting only View only",
        "Bo Builder Analyst bo@harbor.example Reporting only as granted",
        "Cy Clinician Analyst cy@harbor.example Full access as granted",
        "3. Scope (1.5, 4.2) Limited to these Coordinated Access Networks: Greater Hartford.",
        "The organization asks as a researcher. Aggregated, de-identified data will serve the "
        "research. Unless the decision says otherwise, a researcher receives aggregated and "
        "de-identified data only.",
        f"Conditions of this decision: {CONDITIONS}",
        f"10. How it was decided Decided by CCEH on {decided_on(request)}, by Sam Staff: the "
        "application meets the policy's core criteria (4.3).",
        "Access lasts 12 months from the date it becomes active, and is renewed by a new request",
        "For Harbor Health Partners: authorized signatory Name, title and date",
        "For CCEH, HMIS lead Name, title and date",
        f"{request.reference} · Version 1 · Page 1 of {pages}",
        f"{request.reference} · Version 1 · Page {pages} of {pages}",
    ]
    assert [piece for piece in expected if piece not in text] == []
    assert "DRAFT" not in text
    assert "/s/" not in text


def test_without_conditions_the_mou_says_none_and_a_statewide_scope_says_statewide(stage):
    agreement = stage.issued(cans=[], is_researcher=False)
    assert agreement.request.statewide is True

    text, _pages = version_text(agreement, 1)

    assert "Conditions of this decision: none beyond this MOU." in text
    assert (
        "3. Scope (1.5, 4.2) Statewide: every Coordinated Access Network (CAN) in Connecticut."
        in text
    )
    assert "The organization does not ask as a researcher." in text


def test_a_committee_decision_is_stated_with_its_chair_and_tally(
    journey, personas, django_capture_on_commit_callbacks
):
    request = journey.with_quorum()
    with django_capture_on_commit_callbacks(execute=True):
        workflow.record_committee_decision(
            request,
            personas.casey,
            Status.APPROVED,
            "",
            levels=journey.levels(request),
            conditions=CONDITIONS,
        )
    request.refresh_from_db()

    text, _pages = version_text(request.agreement, 1)

    assert (
        f"10. How it was decided Decided by the {COMMITTEE} on {decided_on(request)} (policy "
        "4.3), recorded by its chair, Casey Chair. The vote: 2 to approve, 0 to deny, "
        "0 abstaining and 0 recused, of 2 members."
    ) in text
    assert f"Conditions of this decision: {CONDITIONS}" in text
    assert "Decided by CCEH" not in text


def test_a_committee_decision_against_the_tally_states_why(
    journey, personas, django_capture_on_commit_callbacks
):
    request = journey.vetting()
    workflow.cast_vote(request, personas.morgan, "deny", reason="Too broad.")
    workflow.cast_vote(request, personas.casey, "deny", reason="Too broad.")
    with django_capture_on_commit_callbacks(execute=True):
        workflow.record_committee_decision(
            request,
            personas.casey,
            Status.APPROVED,
            "",
            levels=journey.levels(request),
            departs_reason="The CAN vouched for them after the vote.",
        )
    request.refresh_from_db()

    text, _pages = version_text(request.agreement, 1)

    assert (
        "The vote: 0 to approve, 2 to deny, 0 abstaining and 0 recused, of 2 members. The "
        "decision differs from the tally because: The CAN vouched for them after the vote."
    ) in text


def test_the_executed_version_carries_both_signatures_and_its_own_version_number(stage):
    agreement = stage.executed()
    reference = agreement.request.reference
    org, cceh = agreement.signatures.all()

    text, pages = version_text(agreement, 3)

    assert (
        f"/s/ Riley Requestor For Harbor Health Partners: authorized signatory Riley Requestor, "
        f"{RILEY_TITLE}, signed in HMIS Access on "
        f"{day(timezone.localtime(org.signed_at))}"
    ) in text
    assert (
        f"/s/ Sam Staff For CCEH, HMIS lead Sam Staff, {SAM_TITLE}, countersigned on "
        f"{day(timezone.localtime(cceh.signed_at))}"
    ) in text
    assert f"{reference} · Version 3 · Page 1 of {pages}" in text
    # The signed version 2 carries the organization's signature only.
    signed_text, _pages = version_text(agreement, 2)
    assert "/s/ Riley Requestor" in signed_text
    assert "/s/ Sam Staff" not in signed_text
    assert "For CCEH, HMIS lead Name, title and date" in signed_text
    assert f"{reference} · Version 2 · Page 1 of" in signed_text


def test_a_version_corrected_after_signing_does_not_carry_the_earlier_signature(stage, personas):
    agreement = stage.signed()
    ada = agreement.request.people.get()
    with stage.capture(execute=True):
        workflow.amend_mou(agreement, personas.sam, "Lower level.", levels={ada: REPORTING})

    # Version 3 is unsigned: the organization signs it again.
    text, _pages = version_text(fresh(agreement), 3)

    assert "Ada Analyst Analyst ada@harbor.example Reporting only View only" in text
    assert "For Harbor Health Partners: authorized signatory Name, title and date" in text
    assert "/s/ Riley Requestor" not in text
