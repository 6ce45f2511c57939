"""Rules a decision and its MOU hold at the workflow level, whatever the form: a correction never
raises a level above the decided grant (1.6); an answer stating a one-time need stops an
approval (1.2, 2.1); a researcher's client-level access needs a written condition the MOU
states (1.9); and good standing (1.10) weighs the record of earlier access and revocations,
not the answer alone."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from requests_app import policy, workflow
from requests_app.core import actions
from requests_app.core.states import AccessLevel, Status
from requests_app.models import AccessRequest, Grant, Vote
from tests.support.factories import AccessRequestFactory, NamedPersonFactory, RevocationFactory
from tests.support.journey import Stage, agree, fresh
from tests.support.pages import parsed
from tests.support.pdf import stored_bytes, text_of

FULL, VIEW, REPORTING = AccessLevel.FULL, AccessLevel.VIEW, AccessLevel.REPORTING
ONE_TIME = AccessRequest.NeedType.ONE_TIME
ONE_TIME_REFUSAL = (
    "The answers state a one-time need, which policy 2.1 does not consider. The request can be "
    "returned so the requestor can change the answer."
)
CONDITIONS = "Client-level data is used only to match records for the approved study."
IDENTIFIED = {
    "is_researcher": True,
    "aggregated_data_sufficient": False,
    "identified_data_justification": "Matching to hospital discharge records.",
}
AGGREGATED = {"is_researcher": True, "aggregated_data_sufficient": True}
MARCH_7 = datetime.datetime(2023, 3, 7, 15, 0, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def private_files(settings, tmp_path):
    settings.PRIVATE_FILES_ROOT = tmp_path / "private"


def refused(action, call):
    with pytest.raises(actions.ActionRefused) as caught:
        call()
    assert caught.value.action == action
    return caught.value.problems


def day(value):
    value = timezone.localtime(value) if isinstance(value, datetime.datetime) else value
    return f"{value:%B} {value.day}, {value:%Y}"


def mou_text(agreement, version=1):
    text, _pages = text_of(stored_bytes(agreement.mous.get(version=version)))
    return text


def screened(journey, people, **answers):
    """A request in screening naming `people` as (name, e-mail, requested level), every
    criterion assessed as passing and its CAN supporting it."""
    return journey.ready_to_approve(named=people, **answers)


def issued(journey, capture, people, levels, conditions="", **answers):
    """An approval by staff granting `levels` ({name: level}) and its MOU's first version,
    rendered as after the commit."""
    return Stage(journey, capture).issued(people, levels, conditions, **answers)


CY = ("Cy Clinician", "cy@harbor.example", FULL)
ADA = ("Ada Analyst", "ada@harbor.example", VIEW)
ABOVE_DECIDED = (
    "Cy Clinician was granted view only by the decision; a correction can lower that level but "
    "never raise it above the decided grant."
)


# A correction lowers a level, never above the decided grant (1.6).


def test_a_correction_cannot_raise_a_level_above_the_decided_grant_but_can_lower_it(
    journey, personas, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    # Cy asked for full access; the decision granted view only.
    agreement = issued(journey, capture, [CY], {"Cy Clinician": VIEW})
    cy = agreement.request.people.get()

    assert refused(
        "amend",
        lambda: workflow.amend_mou(agreement, personas.sam, "Full after all.", levels={cy: FULL}),
    ) == [ABOVE_DECIDED]
    assert workflow.current_levels(agreement.request) == {cy.pk: VIEW}

    with capture(execute=True):
        workflow.amend_mou(agreement, personas.sam, "Reports only.", levels={cy: REPORTING})
    assert workflow.current_levels(agreement.request) == {cy.pk: REPORTING}
    # Back up to the decided level is allowed; past it, never, whatever the corrections before.
    with capture(execute=True):
        workflow.amend_mou(fresh(agreement), personas.sam, "As decided.", levels={cy: VIEW})
    assert workflow.current_levels(agreement.request) == {cy.pk: VIEW}
    assert refused(
        "amend",
        lambda: workflow.amend_mou(fresh(agreement), personas.sam, "Full.", levels={cy: FULL}),
    ) == [ABOVE_DECIDED]
    assert list(Grant.objects.filter(person=cy).order_by("pk").values_list("level", flat=True)) == [
        VIEW,
        REPORTING,
        VIEW,
    ]
    assert workflow.decided_levels(agreement.request) == {cy.pk: VIEW}
    assert fresh(agreement).mous.count() == 3


def amend_page_post(client, agreement, data):
    fields = {f"amend-{key}": value for key, value in data.items()}
    fields["seen"] = actions.version(fresh(agreement))
    return client.post(reverse("amend", args=[agreement.request.reference]), fields)


def test_the_correction_form_offers_only_levels_up_to_the_decided_grant_and_refuses_a_crafted_one(
    client, journey, personas, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    agreement = issued(journey, capture, [CY, ADA], {"Cy Clinician": VIEW, "Ada Analyst": VIEW})
    cy, ada = agreement.request.people.order_by("pk")
    client.force_login(personas.sam)

    page = client.get(reverse("agreement", args=[agreement.request.reference]))
    assert page.context["seen"] == actions.version(agreement)
    form = page.context["amend_form"]
    assert [value for value, _label in form.fields[f"level_{cy.pk}"].choices] == [VIEW, REPORTING]
    options = parsed(page).find("select", name=f"amend-level_{cy.pk}")
    assert [o.attrs["value"] for o in options.find_all("option")] == [VIEW, REPORTING]

    # Crafted: a level the form never offered, above what the decision granted.
    crafted = amend_page_post(
        client,
        agreement,
        {
            f"name_{cy.pk}": cy.name,
            f"name_{ada.pk}": ada.name,
            f"level_{cy.pk}": FULL,
            f"level_{ada.pk}": VIEW,
            "reason": "Full after all.",
        },
    )
    assert crafted.status_code == 400
    assert crafted.context["amend_form"].errors[f"level_{cy.pk}"] == [ABOVE_DECIDED]
    assert workflow.current_levels(agreement.request) == {cy.pk: VIEW, ada.pk: VIEW}
    assert fresh(agreement).mous.count() == 1

    with capture(execute=True):
        lowered = amend_page_post(
            client,
            agreement,
            {
                f"name_{cy.pk}": cy.name,
                f"name_{ada.pk}": ada.name,
                f"level_{cy.pk}": REPORTING,
                f"level_{ada.pk}": VIEW,
                "reason": "Reports only.",
            },
        )
    assert lowered.status_code == 302
    assert workflow.current_levels(agreement.request) == {cy.pk: REPORTING, ada.pk: VIEW}
    assert fresh(agreement).mous.count() == 2


# A one-time need stops an approval, by staff or by the committee (1.2, 2.1).


def change_need_after_a_return(request, personas, by):
    """Returned by `by`, answered by the requestor, who changes the need to ongoing."""
    request = workflow.return_for_information(request, by, "Is the need really one-time?")
    request = workflow.save_answers(
        request, personas.riley, "eligibility", {"need_type": AccessRequest.NeedType.ONGOING}
    )
    return workflow.resubmit(request, personas.riley, "It is ongoing: we plan discharges daily.")


def test_staff_cannot_approve_a_one_time_need_whatever_2_1_says_until_the_answer_changes(
    client, journey, personas
):
    # Every criterion, 2.1 included, is assessed as passing: the answer alone stops it.
    request = journey.ready_to_approve(need_type=ONE_TIME)

    assert actions.refusals(request, personas.sam, "approve") == [ONE_TIME_REFUSAL]
    assert refused(
        "approve", lambda: workflow.approve(request, personas.sam, journey.levels(request))
    ) == [ONE_TIME_REFUSAL]
    client.force_login(personas.sam)
    page = client.get(reverse("request_detail", args=[request.reference]))
    assert page.context["outcomes"]["approve"] == [ONE_TIME_REFUSAL]
    assert "return" in page.context["outcomes"]

    request = change_need_after_a_return(request, personas, personas.sam)
    request = workflow.start_screening(request, personas.sam)
    assert actions.refusals(request, personas.sam, "approve") == []
    approved = workflow.approve(request, personas.sam, journey.levels(request))
    assert approved.status == Status.APPROVED


def test_the_chair_cannot_approve_a_one_time_need_but_can_deny_it_and_it_lifts_after_a_return(
    client, journey, personas
):
    request = journey.with_quorum(need_type=ONE_TIME)

    assert refused(
        "decide",
        lambda: workflow.record_committee_decision(
            request, personas.casey, Status.APPROVED, "", levels=journey.levels(request)
        ),
    ) == [ONE_TIME_REFUSAL]
    # A denial stays open to the chair: only an approval is stopped.
    assert actions.refusals(request, personas.casey, "decide") == []
    client.force_login(personas.casey)
    page = client.get(reverse("request_detail", args=[request.reference]))
    assert page.context["decision_state"] == []
    assert page.context["approval_blocked"] == [ONE_TIME_REFUSAL]
    assert AccessRequest.objects.get(pk=request.pk).status == Status.VETTING

    request = change_need_after_a_return(request, personas, personas.sam)
    request = workflow.escalate(
        workflow.start_screening(request, personas.sam), personas.sam, "Is 1.9 met?"
    )
    for member in (personas.morgan, personas.casey):
        workflow.cast_vote(request, member, Vote.Choice.APPROVE, levels=journey.levels(request))
    decided = workflow.record_committee_decision(
        request, personas.casey, Status.APPROVED, "", levels=journey.levels(request)
    )
    assert decided.status == Status.APPROVED


# A researcher's client-level access needs a written condition the MOU states (1.9).

AGGREGATED_VIEW = (
    "Write the conditions the MOU will state before granting view only to Ada Analyst: the "
    "answers say aggregated, de-identified data would serve this researcher, so full or view "
    "access needs a written condition (1.9)."
)
AGGREGATED_FULL = (
    "Write the conditions the MOU will state before granting full access to Cy Clinician: the "
    "answers say aggregated, de-identified data would serve this researcher, so full or view "
    "access needs a written condition (1.9)."
)
RESEARCHER_FULL = (
    "Write the conditions the MOU will state before granting full access to Cy Clinician: a "
    "researcher given full access needs a written condition (1.9)."
)


@pytest.mark.parametrize(
    ("answers", "people", "level", "problem"),
    [
        (AGGREGATED, [ADA], VIEW, AGGREGATED_VIEW),
        (AGGREGATED, [CY], FULL, AGGREGATED_FULL),
        (IDENTIFIED, [CY], FULL, RESEARCHER_FULL),
    ],
    ids=["aggregated-view", "aggregated-full", "identified-full"],
)
def test_staff_cannot_grant_a_researcher_client_level_access_without_a_condition(
    journey, personas, answers, people, level, problem
):
    request = screened(journey, people, **answers)
    levels = {p: level for p in request.people.all()}

    assert refused("approve", lambda: workflow.approve(request, personas.sam, levels)) == [problem]
    assert refused(
        "approve", lambda: workflow.approve(request, personas.sam, levels, conditions="   ")
    ) == [problem]
    assert AccessRequest.objects.get(pk=request.pk).status == Status.SCREENING


def test_both_people_are_named_when_both_need_the_condition(journey, personas):
    request = screened(journey, [CY, ADA], **AGGREGATED)
    cy, ada = request.people.order_by("pk")

    assert refused(
        "approve", lambda: workflow.approve(request, personas.sam, {cy: FULL, ada: VIEW})
    ) == [
        "Write the conditions the MOU will state before granting full access to Cy Clinician "
        "and view only to Ada Analyst: the answers say aggregated, de-identified data would "
        "serve this researcher, so full or view access needs a written condition (1.9)."
    ]


@pytest.mark.parametrize(
    ("answers", "level"),
    [(IDENTIFIED, VIEW), (AGGREGATED, REPORTING), ({"is_researcher": False}, FULL)],
    ids=["identified-view", "aggregated-reporting", "not-a-researcher"],
)
def test_other_grants_need_no_condition(journey, personas, answers, level):
    request = screened(journey, [CY], **answers)

    approved = workflow.approve(request, personas.sam, {p: level for p in request.people.all()})

    assert approved.status == Status.APPROVED


def test_the_chair_cannot_grant_a_researcher_full_access_without_a_condition(journey, personas):
    request = journey.with_quorum(**IDENTIFIED)
    person = request.people.get()
    levels = {person: FULL}

    assert refused(
        "decide",
        lambda: workflow.record_committee_decision(
            request, personas.casey, Status.APPROVED, "", levels=levels
        ),
    ) == [
        f"Write the conditions the MOU will state before granting full access to {person.name}: "
        "a researcher given full access needs a written condition (1.9)."
    ]
    decided = workflow.record_committee_decision(
        request, personas.casey, Status.APPROVED, "", levels=levels, conditions=CONDITIONS
    )
    assert (decided.status, decided.decision.conditions) == (Status.APPROVED, CONDITIONS)


@pytest.mark.pdf
def test_with_its_condition_a_researchers_full_access_is_granted_and_the_mou_prints_it(
    journey, django_capture_on_commit_callbacks
):
    agreement = issued(
        journey,
        django_capture_on_commit_callbacks,
        [CY],
        {"Cy Clinician": FULL},
        conditions=CONDITIONS,
        **IDENTIFIED,
    )

    assert agreement.request.decision.conditions == CONDITIONS
    assert f"Conditions of this decision: {CONDITIONS}" in mou_text(agreement)


# Good standing (1.10): revocations with their reasons, and the record of earlier access.


def concerns_1_10(request):
    return [s.message for s in policy.suggestions(request) if s.code == "1.10"]


def flagged(request):
    return AccessRequest.objects.filter(policy.flagged_condition(), pk=request.pk).exists()


def test_the_1_10_suggestion_quotes_each_revocations_date_and_reason(personas):
    RevocationFactory(organization=personas.harbor, revoked_at=MARCH_7, reason="Shared a login.")
    RevocationFactory(
        person_email="dana@example.org",
        revoked_at=MARCH_7 + datetime.timedelta(days=30),
        reason="Exported client records.",
    )
    request = AccessRequestFactory(organization=personas.harbor, people=0)
    NamedPersonFactory(request=request, email="dana@example.org")

    assert concerns_1_10(request) == [
        "HMIS access of Harbor Health Partners was revoked on March 7, 2023. "
        "Reason: \u201cShared a login.\u201d",
        "HMIS access of dana@example.org was revoked on April 6, 2023. "
        "Reason: \u201cExported client records.\u201d",
    ]
    assert flagged(request)


def test_an_active_mou_of_the_organization_is_raised_when_the_answers_deny_earlier_access(
    journey, personas, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    agreement = issued(journey, capture, [ADA], {"Ada Analyst": VIEW})
    with capture(execute=True):
        workflow.sign_mou(agreement, personas.riley, "Riley Requestor", "Director", True)
    with capture(execute=True):
        workflow.countersign_mou(fresh(agreement), personas.sam, "Sam Staff", "Admin", True)
    ada = agreement.request.people.get()
    workflow.record_training(fresh(agreement), personas.sam, ada, timezone.localdate(), "CT")
    agree(ada)
    with capture(execute=True):
        workflow.activate_access(fresh(agreement), personas.sam)
    agreement = fresh(agreement)

    says_none = journey.submitted(had_prior_access=False)
    says_some = journey.submitted(
        had_prior_access=True,
        prior_access_revoked=False,
        prior_access_details=agreement.request.reference,
    )

    assert concerns_1_10(says_none) == [
        f"{agreement.request.reference} gave this organization HMIS access (active until "
        f"{day(agreement.ends_on)}), yet the answers say there was no earlier access."
    ]
    assert flagged(says_none)
    assert concerns_1_10(says_some) == []
    assert not flagged(says_some)
    # The approved request's own MOU is not earlier access of its own.
    assert concerns_1_10(agreement.request) == []


def test_an_mou_naming_a_persons_email_is_raised_when_the_answers_deny_earlier_access(
    journey, personas, django_capture_on_commit_callbacks
):
    agreement = issued(journey, django_capture_on_commit_callbacks, [ADA], {"Ada Analyst": VIEW})

    def elsewhere(**answers):
        draft = AccessRequestFactory(
            organization=personas.elsewhere, created_by=personas.quinn, people=0, **answers
        )
        NamedPersonFactory(request=draft, name="Ada Analyst", email="Ada@Harbor.Example")
        return workflow.submit(draft, personas.quinn)

    says_none = elsewhere(had_prior_access=False)
    says_some = elsewhere(had_prior_access=True, prior_access_revoked=False)

    assert concerns_1_10(says_none) == [
        f"{agreement.request.reference} grants ada@harbor.example HMIS access (issued on "
        f"{day(agreement.issued_at)}, not signed yet), yet the answers say there was no earlier "
        "access."
    ]
    assert flagged(says_none)
    assert concerns_1_10(says_some) == []
    assert not flagged(says_some)


@pytest.mark.pdf
def test_the_mou_states_the_organizations_earlier_access_from_the_record(
    journey, personas, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    earlier = issued(journey, capture, [ADA], {"Ada Analyst": VIEW})
    revocation = RevocationFactory(
        organization=personas.harbor, revoked_at=MARCH_7, reason="Shared a login."
    )
    later = issued(journey, capture, [CY], {"Cy Clinician": VIEW})

    text = mou_text(later)

    assert (
        "The organization's answer: The organization has not had HMIS access before. "
        f"CCEH's record: MOU {earlier.request.reference}: issued on "
        f"{day(earlier.issued_at)}, not signed yet. HMIS access of the organization revoked on "
        f"{day(revocation.revoked_at)}. Reason: Shared a login."
    ) in text
    # The first MOU, rendered before either, found nothing in the record.
    assert (
        "CCEH's record: no other MOU of the organization and no revocation of its HMIS access."
        in mou_text(earlier)
    )
