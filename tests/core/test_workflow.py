"""The workflow's actions (requests_app/workflow.py), one section per function, in the order of
docs/design.md section 4: what each leads to, the event it appends, who is told, the records it
keeps beside the status, and every refusal in the exact words a person reads."""

import datetime

import pytest
from django.utils import timezone

from requests_app import policy, workflow
from requests_app.core import actions
from requests_app.core.states import AccessLevel, Status
from requests_app.models import (
    AccessRequest,
    Assessment,
    CANRecommendation,
    Comment,
    Criterion,
    Decision,
    Event,
    Grant,
    Membership,
    Notification,
    Vote,
)
from tests.support.factories import (
    AccessRequestFactory,
    MembershipFactory,
    NamedPersonFactory,
    UserFactory,
)

FULL, VIEW, REPORTING = AccessLevel.FULL, AccessLevel.VIEW, AccessLevel.REPORTING
MET, NOT_MET = Assessment.Outcome.MET, Assessment.Outcome.NOT_MET
NOT_APPLICABLE, UNCLEAR = Assessment.Outcome.NOT_APPLICABLE, Assessment.Outcome.UNCLEAR
APPROVE, DENY = Vote.Choice.APPROVE, Vote.Choice.DENY
ABSTAIN, RECUSE = Vote.Choice.ABSTAIN, Vote.Choice.RECUSE


# Helpers.


def criterion(code):
    return Criterion.objects.get(code=code, policy_version=policy.POLICY_VERSION)


def latest_event(request):
    return Event.objects.filter(request=request).order_by("pk").last()


def described(event):
    """An event as a person reads it in the history."""
    return {
        "kind": event.kind,
        "actor": event.actor.name,
        "from_status": event.from_status,
        "to_status": event.to_status,
        "note": event.note,
        "data": event.data,
        "visible_to_requestor": event.visible_to_requestor,
    }


def told(event):
    """Who is to hear of `event`, and as what."""
    return sorted(event.notifications.values_list("recipient__name", "kind"))


def traces():
    """Everything an action can write, so a refusal can be shown to have written nothing."""
    written = (Event, Notification, Comment, Decision, Grant, Vote, Assessment, CANRecommendation)
    return {model.__name__: model.objects.count() for model in written} | {
        "requests": list(
            AccessRequest.objects.order_by("pk").values_list(
                "pk", "status", "assignee_id", "voting_round__note", "voting_round__deadline"
            )
        )
    }


def refused(action, *args, conflict=False, **kwargs):
    """Run an action that must be refused, check it left nothing behind (its transaction rolled
    back), and return the sentences it gave."""
    before = traces()
    with pytest.raises(actions.ActionRefused) as caught:
        action(*args, **kwargs)
    assert type(caught.value) is (actions.Conflict if conflict else actions.ActionRefused)
    assert traces() == before
    return caught.value.problems


def assess(request, staff, outcomes):
    """Assess every criterion as passing, except those in `outcomes`: {code: outcome}, where an
    outcome of None leaves the criterion unassessed."""
    for row in Criterion.objects.filter(policy_version=policy.POLICY_VERSION):
        passing = NOT_MET if row.is_disqualifier else MET
        outcome = outcomes.get(row.code, passing)
        if outcome is not None:
            workflow.assess_criterion(request, staff, row, outcome, "Checked.")
    return request


def ready_naming(journey, personas, people, **answers):
    """As journey.ready_to_approve, naming `people`: (name, requested level) pairs."""
    return journey.ready_to_approve(named=people, **answers)


def refused_chair_approval(journey, personas, request):
    """The chair's approval of `request`, which must be refused: the sentences why."""
    return refused(
        workflow.record_committee_decision,
        request,
        personas.casey,
        Status.APPROVED,
        "",
        levels=journey.levels(request),
    )


def second_staff_member():
    return UserFactory(name="Sol Staff", is_cceh_staff=True)


def stale_copy(request):
    """What another person's page holds: the same request, read before anyone acted."""
    return AccessRequest.objects.get(pk=request.pk)


# submit


def test_submit_moves_a_draft_to_submitted_and_tells_staff_and_each_named_cans_leaders(
    journey, personas
):
    second_staff_member()
    UserFactory(name="Ida Inactive", is_cceh_staff=True, is_active=False)
    # The requestor also leads a named CAN: the actor is never told of their own action.
    personas.riley.led_cans.add(personas.hartford)
    draft = journey.draft(cans=[personas.hartford, personas.eastern])

    submitted = workflow.submit(draft, personas.riley)

    assert submitted.status == Status.SUBMITTED
    assert AccessRequest.objects.get(pk=draft.pk).status == Status.SUBMITTED
    assert submitted.submitted_at is not None
    event = latest_event(submitted)
    assert described(event) == {
        "kind": Event.Kind.SUBMITTED,
        "actor": "Riley Requestor",
        "from_status": Status.DRAFT,
        "to_status": Status.SUBMITTED,
        "note": "",
        # The version submitted, by its hash: the request's hash chain then holds it.
        "data": {"version": 1, "sha256": submitted.versions.get().sha256},
        "visible_to_requestor": True,
    }
    assert told(event) == [
        ("Lee Leader", Notification.Kind.SUBMITTED),
        ("Pat Leader", Notification.Kind.SUBMITTED),
        ("Sam Staff", Notification.Kind.SUBMITTED),
        ("Sol Staff", Notification.Kind.SUBMITTED),
    ]


def test_submit_of_a_statewide_request_tells_staff_only(journey, personas):
    submitted = workflow.submit(journey.draft(cans=[]), personas.riley)

    assert told(latest_event(submitted)) == [("Sam Staff", Notification.Kind.SUBMITTED)]


@pytest.mark.parametrize(
    ("answers", "problems"),
    [
        ({"people": 0}, ["Missing: at least one named person who will use HMIS (3.3)."]),
        (
            {"cans": [], "statewide": False},
            ["Missing: the scope: statewide, or at least one CAN (1.5)."],
        ),
        ({"is_researcher": None}, ["Missing: whether the requestor is a researcher (1.9)."]),
        (
            {"is_researcher": True, "aggregated_data_sufficient": None},
            ["Missing: whether aggregated, de-identified data would serve (1.9)."],
        ),
        (
            {"is_researcher": True, "aggregated_data_sufficient": False},
            ["Missing: why identified data is needed (1.9)."],
        ),
        (
            {"had_prior_access": True, "prior_access_revoked": None},
            ["Missing: whether that earlier access was ever revoked (1.10)."],
        ),
        (
            {"attests_training": False, "attests_accuracy": False},
            [
                "Missing: the attestation that every named person will complete HMIS "
                "training (1.7).",
                "Missing: the attestation that the answers are accurate.",
            ],
        ),
        (
            {"purpose": "", "need_type": ""},
            [
                "Missing: the purpose of the request (3.1).",
                "Missing: whether the need is ongoing or one-time (1.2).",
            ],
        ),
    ],
    ids=[
        "no-named-people",
        "no-scope",
        "researcher-unanswered",
        "researcher-aggregated-unanswered",
        "researcher-identified-unjustified",
        "prior-access-revocation-unanswered",
        "attestations",
        "purpose-and-need",
    ],
)
def test_submit_is_refused_while_an_answer_is_missing(journey, personas, answers, problems):
    draft = journey.draft(**answers)

    assert refused(workflow.submit, draft, personas.riley) == problems
    assert AccessRequest.objects.get(pk=draft.pk).status == Status.DRAFT


# start_screening


def test_start_screening_assigns_the_request_to_the_staff_member_who_takes_it(journey, personas):
    submitted = journey.submitted()

    screening = workflow.start_screening(submitted, personas.sam)

    assert screening.status == Status.SCREENING
    assert AccessRequest.objects.get(pk=submitted.pk).assignee == personas.sam
    event = latest_event(screening)
    assert described(event) == {
        "kind": Event.Kind.SCREENING_STARTED,
        "actor": "Sam Staff",
        "from_status": Status.SUBMITTED,
        "to_status": Status.SCREENING,
        "note": "",
        "data": {},
        "visible_to_requestor": True,
    }
    # docs/design.md section 4 names nobody to tell when screening starts.
    assert told(event) == []


# return_for_information


@pytest.mark.parametrize("start", ["submitted", "screening", "vetting"])
def test_return_for_information_asks_the_requestor_and_tells_the_orgs_active_members(
    journey, personas, start
):
    MembershipFactory(organization=personas.harbor, user__name="Rowan Colleague")
    # A member whose account is closed hears nothing.
    MembershipFactory(
        organization=personas.harbor, user__name="Ivy Inactive", user__is_active=False
    )
    # Waiting to join: not yet one of the organization's people, so not told.
    MembershipFactory(
        organization=personas.harbor, user__name="Penny Pending", state=Membership.State.PENDING
    )
    request = getattr(journey, start)()

    returned = workflow.return_for_information(request, personas.sam, "  Who else will use it?  ")

    assert AccessRequest.objects.get(pk=request.pk).status == Status.RETURNED
    assert list(
        Comment.objects.filter(request=request).values_list("author__name", "visibility", "body")
    ) == [("Sam Staff", Comment.Visibility.REQUESTOR, "Who else will use it?")]
    event = latest_event(returned)
    assert described(event) == {
        "kind": Event.Kind.RETURNED,
        "actor": "Sam Staff",
        "from_status": start,
        "to_status": Status.RETURNED,
        "note": "Who else will use it?",
        "data": {},
        "visible_to_requestor": True,
    }
    assert told(event) == [
        ("Riley Requestor", Notification.Kind.RETURNED),
        ("Rowan Colleague", Notification.Kind.RETURNED),
    ]


def test_return_for_information_is_refused_without_a_message(journey, personas):
    request = journey.screening()

    assert refused(workflow.return_for_information, request, personas.sam, "   ") == [
        "Write the question or what is missing, for the requestor to answer."
    ]


# resubmit


def test_resubmit_answers_the_question_and_tells_only_the_assignee(journey, personas):
    second_staff_member()
    returned = journey.returned()

    resubmitted = workflow.resubmit(returned, personas.riley, " Two analysts, named above. ")

    assert AccessRequest.objects.get(pk=returned.pk).status == Status.SUBMITTED
    assert list(
        Comment.objects.filter(request=returned, author=personas.riley).values_list(
            "visibility", "body"
        )
    ) == [(Comment.Visibility.REQUESTOR, "Two analysts, named above.")]
    event = latest_event(resubmitted)
    assert described(event) == {
        "kind": Event.Kind.RESUBMITTED,
        "actor": "Riley Requestor",
        "from_status": Status.RETURNED,
        "to_status": Status.SUBMITTED,
        "note": "Two analysts, named above.",
        "data": {"version": 2, "sha256": resubmitted.versions.get(number=2).sha256},
        "visible_to_requestor": True,
    }
    assert told(event) == [("Sam Staff", Notification.Kind.RESUBMITTED)]


def test_resubmit_of_a_request_nobody_took_yet_tells_all_staff(journey, personas):
    second_staff_member()
    # Returned straight from intake, so it has no assignee.
    returned = workflow.return_for_information(journey.submitted(), personas.sam, "Which CAN?")

    resubmitted = workflow.resubmit(returned, personas.riley, "Greater Hartford.")

    assert told(latest_event(resubmitted)) == [
        ("Sam Staff", Notification.Kind.RESUBMITTED),
        ("Sol Staff", Notification.Kind.RESUBMITTED),
    ]


def test_resubmit_is_refused_without_a_response(journey, personas):
    returned = journey.returned()

    assert refused(workflow.resubmit, returned, personas.riley, "  ") == [
        "Write a response to the question before resubmitting."
    ]


# approve


def test_approve_decides_grants_each_level_and_tells_the_requestor_and_the_cans_leaders(
    journey, personas
):
    request = ready_naming(journey, personas, [("Dana Reyes", FULL), ("Eli Park", VIEW)])
    dana, eli = request.people.get(name="Dana Reyes"), request.people.get(name="Eli Park")

    approved = workflow.approve(
        request, personas.sam, {dana: VIEW, eli: REPORTING}, conditions=" Sign by May. "
    )

    assert AccessRequest.objects.get(pk=request.pk).status == Status.APPROVED
    decision = Decision.objects.get(request=request)
    assert (
        decision.outcome,
        decision.decided_by,
        decision.by_committee,
        decision.reason,
        decision.conditions,
        decision.tally,
        list(decision.cited_criteria.all()),
    ) == (Status.APPROVED, personas.sam, False, "", "Sign by May.", None, [])
    assert list(decision.grants.values_list("person__name", "level")) == [
        ("Dana Reyes", VIEW),
        ("Eli Park", REPORTING),
    ]
    event = latest_event(approved)
    assert described(event) == {
        "kind": Event.Kind.APPROVED,
        "actor": "Sam Staff",
        "from_status": Status.SCREENING,
        "to_status": Status.APPROVED,
        "note": "Sign by May.",
        "data": {"levels": {str(dana.pk): VIEW, str(eli.pk): REPORTING}},
        "visible_to_requestor": True,
    }
    assert told(event) == [
        ("Lee Leader", Notification.Kind.DECIDED),
        ("Riley Requestor", Notification.Kind.DECIDED),
    ]


@pytest.mark.parametrize("code", ["1.9", "1.5", "2.1"])
def test_approve_counts_not_applicable_as_passing(journey, personas, code):
    request = assess(journey.screening(cans=[]), personas.sam, {code: NOT_APPLICABLE})

    approved = workflow.approve(request, personas.sam, journey.levels(request))

    assert approved.status == Status.APPROVED


def test_approve_is_refused_while_a_criterion_is_unassessed(journey, personas):
    request = assess(journey.screening(cans=[]), personas.sam, {"1.3": None})

    assert refused(workflow.approve, request, personas.sam, journey.levels(request)) == [
        "1.3 is not assessed yet."
    ]


@pytest.mark.parametrize(
    ("code", "outcome", "problem"),
    [
        ("1.4", UNCLEAR, "1.4 is assessed as unclear."),
        ("1.4", NOT_MET, "1.4 is assessed as not met."),
        ("2.1", MET, "2.1 applies, and it prevents granting access."),
        ("2.2", MET, "2.2 applies, and it prevents granting access."),
        ("2.2", UNCLEAR, "2.2 is assessed as unclear."),
    ],
)
def test_approve_is_refused_unless_every_criterion_passes(
    journey, personas, code, outcome, problem
):
    request = assess(journey.screening(cans=[]), personas.sam, {code: outcome})

    assert refused(workflow.approve, request, personas.sam, journey.levels(request)) == [problem]


def test_approve_looks_only_at_the_newest_assessment_of_a_criterion(journey, personas):
    request = assess(journey.screening(cans=[]), personas.sam, {"1.4": UNCLEAR})
    workflow.assess_criterion(request, personas.sam, criterion("1.4"), MET, "Confirmed by phone.")

    approved = workflow.approve(request, personas.sam, journey.levels(request))

    assert approved.status == Status.APPROVED


def test_approve_is_refused_while_a_named_can_has_not_been_heard(journey, personas):
    request = journey.assess_all(journey.screening(cans=[personas.hartford, personas.eastern]))
    workflow.recommend_for_can(request, personas.lee, personas.hartford, "support", "Known.")

    assert refused(workflow.approve, request, personas.sam, journey.levels(request)) == [
        "The recommendation of Eastern is neither recorded nor waived (1.5, 4.2)."
    ]


def test_approve_is_allowed_when_the_can_does_not_support_it(journey, personas):
    # 1.5: the CAN may participate; its recommendation is recorded, not a veto.
    request = journey.assess_all(journey.screening())
    workflow.recommend_for_can(request, personas.lee, personas.hartford, "oppose", "Unknown org.")

    assert workflow.approve(request, personas.sam, journey.levels(request)).status == (
        Status.APPROVED
    )


def test_approve_with_a_waiver_records_it_as_the_cans_recommendation(journey, personas):
    request = journey.assess_all(journey.screening())
    hartford = personas.hartford

    approved = workflow.approve(
        request,
        personas.sam,
        journey.levels(request),
        can_waivers={hartford: " The CAN lead is on leave until June. "},
    )

    assert approved.status == Status.APPROVED
    assert list(
        CANRecommendation.objects.filter(request=request).values_list(
            "can__name", "position", "reason", "author__name"
        )
    ) == [
        (
            "Greater Hartford",
            CANRecommendation.Position.WAIVED,
            "The CAN lead is on leave until June.",
            "Sam Staff",
        )
    ]
    waiver, decision = list(Event.objects.filter(request=request).order_by("pk"))[-2:]
    assert described(waiver) == {
        "kind": Event.Kind.CAN_RECOMMENDED,
        "actor": "Sam Staff",
        "from_status": "",
        "to_status": "",
        "note": "The CAN lead is on leave until June.",
        "data": {"can": "Greater Hartford", "position": CANRecommendation.Position.WAIVED},
        "visible_to_requestor": False,
    }
    assert decision.kind == Event.Kind.APPROVED


def test_approve_does_not_take_a_waiver_without_a_reason(journey, personas):
    request = journey.assess_all(journey.screening())

    assert refused(
        workflow.approve,
        request,
        personas.sam,
        journey.levels(request),
        can_waivers={personas.hartford: "   "},
    ) == ["The recommendation of Greater Hartford is neither recorded nor waived (1.5, 4.2)."]


def test_approve_refuses_to_waive_a_can_the_request_does_not_name(journey, personas):
    request = journey.ready_to_approve()

    assert refused(
        workflow.approve,
        request,
        personas.sam,
        journey.levels(request),
        can_waivers={personas.eastern: "Not theirs to say."},
    ) == ["Only a CAN this request names can be waived."]


def test_a_refused_approval_takes_back_the_waiver_it_had_recorded(journey, personas):
    # The waiver is written before the criteria are checked; the refusal must undo it, or a
    # waiver would stand for an approval that never happened. refused() compares every table.
    request = assess(journey.screening(), personas.sam, {"1.3": None})

    assert refused(
        workflow.approve,
        request,
        personas.sam,
        journey.levels(request),
        can_waivers={personas.hartford: "Lead on leave."},
    ) == ["1.3 is not assessed yet."]
    assert not CANRecommendation.objects.filter(request=request).exists()


def test_approve_is_refused_without_a_level_for_each_named_person(journey, personas):
    request = ready_naming(journey, personas, [("Dana Reyes", FULL), ("Eli Park", VIEW)])
    dana = request.people.get(name="Dana Reyes")

    assert refused(workflow.approve, request, personas.sam, {dana: VIEW}) == [
        "Choose the granted level for Eli Park."
    ]


def test_approve_is_refused_with_a_level_that_does_not_exist(journey, personas):
    request = ready_naming(journey, personas, [("Dana Reyes", FULL)])
    dana = request.people.get()

    assert refused(workflow.approve, request, personas.sam, {dana: "admin"}) == [
        "Choose the granted level for Dana Reyes."
    ]


@pytest.mark.parametrize(
    ("requested", "granted"),
    [
        (FULL, FULL),
        (FULL, VIEW),
        (FULL, REPORTING),
        (VIEW, VIEW),
        (VIEW, REPORTING),
        (REPORTING, REPORTING),
    ],
)
def test_approve_grants_what_was_asked_or_less(journey, personas, requested, granted):
    request = ready_naming(journey, personas, [("Dana Reyes", requested)])

    workflow.approve(request, personas.sam, {request.people.get(): granted})

    assert list(Grant.objects.values_list("level", flat=True)) == [granted]


@pytest.mark.parametrize(
    ("requested", "granted", "problem"),
    [
        (VIEW, FULL, "Dana Reyes asked for view only; the granted level cannot be higher."),
        (
            REPORTING,
            FULL,
            "Dana Reyes asked for reporting only; the granted level cannot be higher.",
        ),
        (
            REPORTING,
            VIEW,
            "Dana Reyes asked for reporting only; the granted level cannot be higher.",
        ),
    ],
)
def test_approve_never_grants_more_than_was_asked(journey, personas, requested, granted, problem):
    request = ready_naming(journey, personas, [("Dana Reyes", requested)])

    assert refused(workflow.approve, request, personas.sam, {request.people.get(): granted}) == [
        problem
    ]


def test_approve_is_refused_with_a_level_for_someone_the_request_does_not_name(journey, personas):
    request = journey.ready_to_approve()
    stranger = NamedPersonFactory(request=AccessRequestFactory())

    assert refused(
        workflow.approve,
        request,
        personas.sam,
        {**journey.levels(request), stranger: REPORTING},
    ) == ["A level was given for someone this request does not name."]


def test_staff_of_the_requesting_organization_cannot_approve_its_request(journey, personas):
    # docs/design.md section 2: nobody decides on a request from their own organization.
    request = journey.ready_to_approve()
    MembershipFactory(organization=personas.harbor, user=personas.sam)

    assert refused(workflow.approve, request, personas.sam, journey.levels(request)) == [
        "You belong to the requesting organization, so you cannot act on its request "
        "(a conflict of interest)."
    ]


# deny


def test_deny_records_the_cited_criteria_and_the_reason_and_tells_the_requestor(journey, personas):
    request = journey.ready_to_deny()

    denied = workflow.deny(request, personas.sam, [criterion("2.1")], " One-time access only. ")

    assert AccessRequest.objects.get(pk=request.pk).status == Status.DENIED
    decision = Decision.objects.get(request=request)
    assert (
        decision.outcome,
        decision.decided_by,
        decision.by_committee,
        decision.reason,
        decision.tally,
        list(decision.cited_criteria.values_list("code", flat=True)),
        decision.grants.count(),
    ) == (Status.DENIED, personas.sam, False, "One-time access only.", None, ["2.1"], 0)
    event = latest_event(denied)
    assert described(event) == {
        "kind": Event.Kind.DENIED,
        "actor": "Sam Staff",
        "from_status": Status.SCREENING,
        "to_status": Status.DENIED,
        "note": "One-time access only.",
        "data": {"cited": ["2.1"]},
        "visible_to_requestor": True,
    }
    assert told(event) == [
        ("Lee Leader", Notification.Kind.DECIDED),
        ("Riley Requestor", Notification.Kind.DECIDED),
    ]


def test_deny_may_cite_an_unmet_core_criterion(journey, personas):
    request = journey.assess_all(journey.screening(), failing=("1.3",))

    workflow.deny(request, personas.sam, [criterion("1.3")], "No funding requirement.")

    assert list(
        Decision.objects.get(request=request).cited_criteria.values_list("code", flat=True)
    ) == ["1.3"]


@pytest.mark.parametrize(
    ("cite", "reason", "problems"),
    [
        ([], "One-time access.", ["Cite at least one disqualifier (2.1, 2.2) or unmet criterion."]),
        (["2.1"], "  ", ["Write the reason the requestor will read."]),
        (
            [],
            "",
            [
                "Cite at least one disqualifier (2.1, 2.2) or unmet criterion.",
                "Write the reason the requestor will read.",
            ],
        ),
        (
            ["2.1", "1.1"],
            "One-time access.",
            ["1.1 is not assessed as unmet or applying, so it cannot be cited."],
        ),
    ],
    ids=["nothing-cited", "no-reason", "neither", "citing-a-passing-criterion"],
)
def test_deny_is_refused_without_a_failing_criterion_cited_and_a_reason(
    journey, personas, cite, reason, problems
):
    request = journey.ready_to_deny()

    cited = [criterion(code) for code in cite]
    assert refused(workflow.deny, request, personas.sam, cited, reason) == problems


@pytest.mark.parametrize("outcome", [MET, UNCLEAR], ids=["all-passing", "one-unclear"])
def test_deny_is_refused_while_nothing_stands_against_the_request(journey, personas, outcome):
    # "Unclear" is a case for the committee (4.3), not a ground for denial.
    request = assess(journey.screening(), personas.sam, {"1.4": outcome})

    assert refused(workflow.deny, request, personas.sam, [criterion("1.4").pk], "Unclear.") == [
        "No criterion is assessed as unmet and no disqualifier as applying, so there is "
        "nothing to cite for a denial."
    ]


# escalate


def test_escalate_opens_the_vote_and_tells_the_committee_and_the_named_cans_leaders(
    journey, personas
):
    UserFactory(name="Fern Former", is_committee_member=False)
    request = journey.screening()
    before = timezone.now()

    vetting = workflow.escalate(request, personas.sam, " Is 1.9 met? ")

    stored = AccessRequest.objects.get(pk=request.pk)
    assert (stored.status, stored.voting_round.note) == (Status.VETTING, "Is 1.9 met?")
    fortnight = datetime.timedelta(days=14)
    assert before + fortnight <= stored.voting_round.deadline <= timezone.now() + fortnight
    event = latest_event(vetting)
    assert described(event) == {
        "kind": Event.Kind.ESCALATED,
        "actor": "Sam Staff",
        "from_status": Status.SCREENING,
        "to_status": Status.VETTING,
        "note": "Is 1.9 met?",
        "data": {"deadline": stored.voting_round.deadline.isoformat()},
        "visible_to_requestor": False,
    }
    assert told(event) == [
        ("Casey Chair", Notification.Kind.ESCALATED),
        ("Lee Leader", Notification.Kind.ESCALATED),
        ("Morgan Member", Notification.Kind.ESCALATED),
    ]


def test_escalate_sets_the_deadline_from_the_voting_window_setting(journey, personas, settings):
    settings.COMMITTEE_VOTING_DAYS = 3
    before = timezone.now()

    vetting = workflow.escalate(journey.screening(), personas.sam, "Is 1.9 met?")

    window = datetime.timedelta(days=3)
    assert before + window <= vetting.voting_round.deadline <= timezone.now() + window


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        (None, "Write what is unclear, for the HMIS Steering Committee sub-committee."),
        ("Data Review Committee", "Write what is unclear, for the Data Review Committee."),
    ],
)
def test_escalate_is_refused_without_a_note_naming_the_committee_by_its_setting(
    journey, personas, settings, name, problem
):
    if name:
        settings.COMMITTEE_NAME = name
    request = journey.screening()

    assert refused(workflow.escalate, request, personas.sam, "  ") == [problem]


# cast_vote


@pytest.mark.parametrize(
    ("choice", "reason"),
    [(APPROVE, ""), (DENY, "Abuse risk."), (ABSTAIN, ""), (RECUSE, "I sit on their board.")],
)
def test_cast_vote_records_each_choice_and_tells_the_chair(journey, personas, choice, reason):
    request = journey.vetting()
    person = request.people.get()
    levels = {person: VIEW} if choice == APPROVE else None

    vote = workflow.cast_vote(request, personas.morgan, choice, f" {reason} ", levels=levels)

    assert (vote.voter, vote.choice, vote.reason, vote.recommended_levels) == (
        personas.morgan,
        choice,
        reason,
        {str(person.pk): VIEW} if choice == APPROVE else {},
    )
    event = latest_event(request)
    assert described(event) == {
        "kind": Event.Kind.VOTED,
        "actor": "Morgan Member",
        "from_status": "",
        "to_status": "",
        "note": reason,
        "data": {"vote": vote.pk, "choice": choice, "changed": False},
        # docs/design.md section 2: requestors see no votes.
        "visible_to_requestor": False,
    }
    assert told(event) == [("Casey Chair", Notification.Kind.VOTE_CAST)]
    assert AccessRequest.objects.get(pk=request.pk).status == Status.VETTING


def test_the_vote_that_makes_quorum_also_tells_every_chair_that_quorum_is_reached(
    journey, personas
):
    co_chair = UserFactory(name="Crane Co-Chair", is_committee_chair=True)
    request = journey.vetting()
    # Three members: a second vote makes quorum, the first does not.
    workflow.cast_vote(request, co_chair, ABSTAIN)
    assert told(latest_event(request)) == [("Casey Chair", Notification.Kind.VOTE_CAST)]

    workflow.cast_vote(request, personas.morgan, ABSTAIN)

    assert told(latest_event(request)) == [
        ("Casey Chair", Notification.Kind.QUORUM_REACHED),
        ("Casey Chair", Notification.Kind.VOTE_CAST),
        ("Crane Co-Chair", Notification.Kind.QUORUM_REACHED),
        ("Crane Co-Chair", Notification.Kind.VOTE_CAST),
    ]


def test_a_chair_whose_own_vote_makes_quorum_is_told_quorum_is_reached(journey, personas):
    # Their own vote needs no notice, but quorum is the cue to close the vote.
    request = journey.vetting()
    workflow.cast_vote(request, personas.morgan, ABSTAIN)

    workflow.cast_vote(request, personas.casey, ABSTAIN)

    assert told(latest_event(request)) == [("Casey Chair", Notification.Kind.QUORUM_REACHED)]


def test_a_recusal_does_not_make_quorum_so_no_quorum_notice(journey, personas):
    request = journey.vetting()
    workflow.cast_vote(request, personas.casey, ABSTAIN)

    workflow.cast_vote(request, personas.morgan, RECUSE, "Conflict.")

    assert told(latest_event(request)) == [("Casey Chair", Notification.Kind.VOTE_CAST)]


def test_changing_a_vote_adds_a_row_and_the_newest_counts(journey, personas):
    request = journey.with_quorum()
    first = policy.current_votes(request).get(voter=personas.morgan)

    second = workflow.cast_vote(
        request, personas.morgan, DENY, "Second thoughts on 2.2.", replaces=first.pk
    )

    assert list(
        Vote.objects.filter(request=request, voter=personas.morgan).values_list("pk", "choice")
    ) == [(first.pk, APPROVE), (second.pk, DENY)]
    assert policy.current_votes(request).get(voter=personas.morgan) == second
    assert (policy.tally(request)["approve"], policy.tally(request)["deny"]) == (1, 1)
    event = latest_event(request)
    assert event.data == {"vote": second.pk, "choice": DENY, "changed": True}
    # Quorum was already there: only the vote itself is news.
    assert told(event) == [("Casey Chair", Notification.Kind.VOTE_CAST)]


def test_voting_again_from_a_page_that_did_not_show_ones_current_vote_is_a_conflict(
    journey, personas
):
    request = journey.vetting()
    first = workflow.cast_vote(request, personas.morgan, ABSTAIN)
    workflow.cast_vote(request, personas.morgan, DENY, "No.", replaces=first.pk)
    sentence = (
        "Your vote on this request changed in another window while you were looking at it. "
        "Reload the page to see it before voting again."
    )

    # A page from before the first vote, and one from before the change.
    assert refused(workflow.cast_vote, request, personas.morgan, ABSTAIN, conflict=True) == [
        sentence
    ]
    assert refused(
        workflow.cast_vote, request, personas.morgan, ABSTAIN, replaces=first.pk, conflict=True
    ) == [sentence]


@pytest.mark.parametrize(
    ("choice", "reason", "problem"),
    [
        (DENY, " ", "Write the reason for this choice."),
        (RECUSE, "", "Write the reason for this choice."),
        ("maybe", "", "Choose approve, deny, abstain or recuse."),
    ],
)
def test_cast_vote_is_refused_without_what_the_choice_needs(
    journey, personas, choice, reason, problem
):
    request = journey.vetting()

    assert refused(workflow.cast_vote, request, personas.morgan, choice, reason) == [problem]


def test_an_approve_vote_is_refused_without_a_recommended_level_for_each_person(journey, personas):
    draft = journey.draft(people=0)
    NamedPersonFactory(request=draft, name="Dana Reyes", requested_level=REPORTING)
    request = workflow.escalate(
        workflow.start_screening(workflow.submit(draft, personas.riley), personas.sam),
        personas.sam,
        "Is 1.9 met?",
    )
    dana = request.people.get()

    assert refused(workflow.cast_vote, request, personas.morgan, APPROVE) == [
        "Choose a recommended level for Dana Reyes."
    ]
    assert refused(workflow.cast_vote, request, personas.morgan, APPROVE, levels={dana: VIEW}) == [
        "Dana Reyes asked for reporting only; a recommended level cannot be higher."
    ]


def test_a_member_of_the_requesting_organization_may_only_recuse(journey, personas):
    personas.riley.is_committee_member = True
    personas.riley.save()
    request = journey.vetting()

    assert refused(
        workflow.cast_vote, request, personas.riley, APPROVE, levels=journey.levels(request)
    ) == [
        "You belong to the requesting organization, so you cannot vote on its request; "
        "record a recusal instead."
    ]
    vote = workflow.cast_vote(request, personas.riley, RECUSE, "My own organization.")
    assert vote.choice == RECUSE


def test_voting_after_the_decision_is_refused(journey, personas):
    request = journey.with_quorum()
    decided = workflow.record_committee_decision(
        request, personas.casey, Status.APPROVED, "", levels=journey.levels(request)
    )
    mine = policy.current_votes(decided).get(voter=personas.morgan)

    assert refused(
        workflow.cast_vote, decided, personas.morgan, DENY, "Too late?", replaces=mine.pk
    ) == ["This request is not open for votes now."]


# record_committee_decision

CLEAR_APPROVAL = {
    "approve": 2,
    "deny": 0,
    "abstain": 0,
    "recuse": 0,
    "members": 2,
    "voted": 2,
    "needed": 2,
    "quorum": True,
    "majority": "approve",
}


def test_the_chair_records_an_approval_that_follows_the_tally_without_a_reason(journey, personas):
    request = journey.with_quorum()
    person = request.people.get()

    decided = workflow.record_committee_decision(
        request,
        personas.casey,
        Status.APPROVED,
        "",
        levels={person: VIEW},
        conditions=" Aggregated data only. ",
    )

    assert AccessRequest.objects.get(pk=request.pk).status == Status.APPROVED
    decision = Decision.objects.get(request=request)
    assert (
        decision.outcome,
        decision.decided_by,
        decision.by_committee,
        decision.conditions,
        decision.tally,
        decision.departs_from_tally_reason,
    ) == (Status.APPROVED, personas.casey, True, "Aggregated data only.", CLEAR_APPROVAL, "")
    assert list(decision.grants.values_list("person", "level")) == [(person.pk, VIEW)]
    event = latest_event(decided)
    assert described(event) == {
        "kind": Event.Kind.COMMITTEE_DECIDED,
        "actor": "Casey Chair",
        "from_status": Status.VETTING,
        "to_status": Status.APPROVED,
        "note": "",
        "data": {"tally": CLEAR_APPROVAL},
        "visible_to_requestor": True,
    }
    # The requestor, the named CAN's leader and the members who voted; the chair acted.
    assert told(event) == [
        ("Lee Leader", Notification.Kind.DECIDED),
        ("Morgan Member", Notification.Kind.DECIDED),
        ("Riley Requestor", Notification.Kind.DECIDED),
    ]


def test_the_chair_records_a_denial_that_follows_the_tally_with_its_reason_and_criteria(
    journey, personas
):
    request = journey.vetting()
    for member in (personas.morgan, personas.casey):
        workflow.cast_vote(request, member, DENY, "Abuse risk.")

    workflow.record_committee_decision(
        request, personas.casey, Status.DENIED, " Abuse risk (2.2). ", cited=[criterion("2.2")]
    )

    decision = Decision.objects.get(request=request)
    assert (
        decision.outcome,
        decision.reason,
        list(decision.cited_criteria.values_list("code", flat=True)),
        decision.grants.count(),
        decision.tally,
    ) == (
        Status.DENIED,
        "Abuse risk (2.2).",
        ["2.2"],
        0,
        CLEAR_APPROVAL | {"approve": 0, "deny": 2, "majority": "deny"},
    )


def test_the_chair_may_decide_against_the_tally_with_a_written_reason(journey, personas):
    request = journey.with_quorum()

    workflow.record_committee_decision(
        request,
        personas.casey,
        Status.DENIED,
        "Abuse risk (2.2).",
        cited=[criterion("2.2")],
        departs_reason=" New information on 2.2 after the vote. ",
    )

    decision = Decision.objects.get(request=request)
    assert (decision.outcome, decision.departs_from_tally_reason, decision.tally) == (
        Status.DENIED,
        "New information on 2.2 after the vote.",
        CLEAR_APPROVAL,
    )


def test_deciding_against_the_tally_is_refused_without_a_written_reason(journey, personas):
    request = journey.with_quorum()

    assert refused(
        workflow.record_committee_decision,
        request,
        personas.casey,
        Status.DENIED,
        "Abuse risk (2.2).",
        cited=[criterion("2.2")],
    ) == ["The decision differs from the tally (or the vote is tied): write why."]


@pytest.mark.parametrize("outcome", [Status.APPROVED, Status.DENIED])
def test_a_tied_vote_is_decided_only_with_a_written_reason(journey, personas, outcome):
    request = journey.vetting()
    workflow.cast_vote(request, personas.morgan, APPROVE, levels=journey.levels(request))
    workflow.cast_vote(request, personas.casey, DENY, "Abuse risk.")
    decide = {
        "levels": journey.levels(request),
        "cited": [criterion("2.2")],
    }

    assert refused(
        workflow.record_committee_decision, request, personas.casey, outcome, "Tied.", **decide
    ) == ["The decision differs from the tally (or the vote is tied): write why."]
    workflow.record_committee_decision(
        request, personas.casey, outcome, "Tied.", departs_reason="The chair breaks ties.", **decide
    )
    assert Decision.objects.get(request=request).outcome == outcome


def test_a_committee_denial_is_refused_without_a_reason_and_cited_criteria(journey, personas):
    request = journey.vetting()
    for member in (personas.morgan, personas.casey):
        workflow.cast_vote(request, member, DENY, "Abuse risk.")

    assert refused(
        workflow.record_committee_decision, request, personas.casey, Status.DENIED, " "
    ) == [
        "Write the reason the requestor will read.",
        "Cite at least one criterion the denial rests on.",
    ]


def test_a_committee_approval_is_refused_without_a_level_for_each_person(journey, personas):
    request = journey.with_quorum()
    person = request.people.get()

    assert refused(
        workflow.record_committee_decision, request, personas.casey, Status.APPROVED, ""
    ) == [f"Choose the granted level for {person.name}."]


def test_a_committee_decision_is_approve_or_deny(journey, personas):
    request = journey.with_quorum()

    assert refused(
        workflow.record_committee_decision, request, personas.casey, Status.WITHDRAWN, "Hm."
    ) == ["Choose approve or deny."]


def test_a_committee_decision_is_refused_before_quorum(journey, personas):
    request = journey.vetting()
    workflow.cast_vote(request, personas.morgan, APPROVE, levels=journey.levels(request))

    assert refused_chair_approval(journey, personas, request) == [
        "Quorum is not reached: 1 of 2 members have voted (recusals do not count); 2 are needed."
    ]


def test_a_recusal_does_not_count_towards_quorum(journey, personas):
    request = journey.vetting()
    workflow.cast_vote(request, personas.morgan, APPROVE, levels=journey.levels(request))
    workflow.cast_vote(request, personas.casey, RECUSE, "My sister works there.")

    assert refused_chair_approval(journey, personas, request) == [
        "Quorum is not reached: 1 of 2 members have voted (recusals do not count); 2 are needed."
    ]


@pytest.mark.parametrize(
    "leave",
    [{"is_committee_member": False}, {"is_active": False}],
    ids=["leaves-the-committee", "account-deactivated"],
)
def test_a_member_who_leaves_stops_counting_among_members_and_votes(journey, personas, leave):
    mo = UserFactory(name="Mo Member", is_committee_member=True)
    request = journey.vetting()
    for member in (personas.morgan, mo):
        workflow.cast_vote(request, member, APPROVE, levels=journey.levels(request))
    assert policy.quorum_reached(request)  # 2 of 3 while Mo is a member
    for field, value in leave.items():
        setattr(mo, field, value)
    mo.save()

    assert refused_chair_approval(journey, personas, request) == [
        "Quorum is not reached: 1 of 2 members have voted (recusals do not count); 2 are needed."
    ]


def test_members_who_join_raise_the_quorum(journey, personas):
    request = journey.with_quorum()
    UserFactory(name="Nia New", is_committee_member=True)
    UserFactory(name="Oz New", is_committee_member=True)

    assert refused_chair_approval(journey, personas, request) == [
        "Quorum is not reached: 2 of 4 members have voted (recusals do not count); 3 are needed."
    ]


def test_one_member_joining_after_two_of_two_voted_leaves_quorum_standing(journey, personas):
    request = journey.with_quorum()
    UserFactory(name="Nia New", is_committee_member=True)

    workflow.record_committee_decision(
        request, personas.casey, Status.APPROVED, "", levels=journey.levels(request)
    )

    assert Decision.objects.get(request=request).tally == CLEAR_APPROVAL | {"members": 3}


def test_votes_from_before_a_return_do_not_count_when_the_request_is_escalated_again(
    journey, personas
):
    # The committee voted on the old answers; the resubmitted request is a new question.
    request = journey.with_quorum()
    request = workflow.return_for_information(request, personas.sam, "Which data sources?")
    request = workflow.resubmit(request, personas.riley, "Only the state's PIT data.")
    request = workflow.start_screening(request, personas.sam)
    request = workflow.escalate(request, personas.sam, "Still unclear on 1.9.")

    assert list(policy.current_votes(request)) == []
    assert refused_chair_approval(journey, personas, request) == [
        "Quorum is not reached: 0 of 2 members have voted (recusals do not count); 2 are needed."
    ]
    # A first vote in the new round needs no earlier vote to replace.
    vote = workflow.cast_vote(request, personas.morgan, ABSTAIN)
    assert list(policy.current_votes(request)) == [vote]


def test_a_member_who_is_not_the_chair_cannot_record_the_decision(journey, personas):
    request = journey.with_quorum()

    assert refused(
        workflow.record_committee_decision,
        request,
        personas.morgan,
        Status.APPROVED,
        "",
        levels=journey.levels(request),
    ) == ["Only the sub-committee chair can record its decision."]


# withdraw


@pytest.mark.parametrize(
    ("start", "recipients"),
    [
        # Nobody has taken it yet: all staff hear of it.
        ("submitted", ["Sam Staff", "Sol Staff"]),
        # Otherwise the staff member it is assigned to.
        ("screening", ["Sam Staff"]),
        ("returned", ["Sam Staff"]),
        ("vetting", ["Sam Staff"]),
    ],
)
def test_withdraw_before_a_decision_tells_the_assignee_or_all_staff(
    journey, personas, start, recipients
):
    second_staff_member()
    request = getattr(journey, start)()

    withdrawn = workflow.withdraw(request, personas.riley, " Funding fell through. ")

    assert AccessRequest.objects.get(pk=request.pk).status == Status.WITHDRAWN
    event = latest_event(withdrawn)
    assert described(event) == {
        "kind": Event.Kind.WITHDRAWN,
        "actor": "Riley Requestor",
        "from_status": start,
        "to_status": Status.WITHDRAWN,
        "note": "Funding fell through.",
        "data": {},
        "visible_to_requestor": True,
    }
    assert told(event) == [(name, Notification.Kind.WITHDRAWN) for name in recipients]


@pytest.mark.parametrize(
    ("status", "problem"),
    [
        (Status.APPROVED, "This request is approved, so it cannot be withdrawn now."),
        (Status.DENIED, "This request is denied, so it cannot be withdrawn now."),
        (Status.WITHDRAWN, "This request is withdrawn, so it cannot be withdrawn now."),
    ],
)
def test_withdraw_after_a_decision_is_refused(journey, personas, status, problem):
    request = journey.at(status)

    assert refused(workflow.withdraw, request, personas.riley) == [problem]


# Actions refused in a status their transition does not start from.


@pytest.mark.parametrize(
    ("status", "action", "actor", "args", "problem"),
    [
        (
            Status.SUBMITTED,
            workflow.submit,
            "riley",
            (),
            "This request is submitted, so it cannot be submitted now.",
        ),
        (
            Status.SCREENING,
            workflow.start_screening,
            "sam",
            (),
            "This request is in screening, so it cannot be taken for screening now.",
        ),
        (
            Status.RETURNED,
            workflow.return_for_information,
            "sam",
            ("Again?",),
            "This request is returned for information, so it cannot be returned for "
            "information now.",
        ),
        (
            Status.SCREENING,
            workflow.resubmit,
            "riley",
            ("Here.",),
            "This request is in screening, so it cannot be resubmitted now.",
        ),
        (
            Status.SUBMITTED,
            workflow.escalate,
            "sam",
            ("Unclear.",),
            "This request is submitted, so it cannot be escalated now.",
        ),
        (
            Status.VETTING,
            workflow.deny,
            "sam",
            ([], "No."),
            "This request is with the committee, so it cannot be denied now.",
        ),
    ],
    ids=["submit", "start-screening", "return", "resubmit", "escalate", "deny"],
)
def test_an_action_is_refused_outside_the_statuses_it_starts_from(
    journey, personas, status, action, actor, args, problem
):
    request = journey.at(status)

    assert refused(action, request, personas.by_name(actor), *args) == [problem]


def test_a_committee_decision_is_recorded_once(journey, personas):
    request = journey.with_quorum()
    decided = workflow.record_committee_decision(
        request, personas.casey, Status.APPROVED, "", levels=journey.levels(request)
    )

    assert refused(
        workflow.record_committee_decision,
        decided,
        personas.casey,
        Status.DENIED,
        "No.",
        cited=[criterion("2.2")],
        departs_reason="Changed my mind.",
    ) == ["This request is approved, so it cannot be decided by the committee now."]


def test_approve_from_submitted_is_refused(journey, personas):
    request = journey.submitted()

    assert refused(workflow.approve, request, personas.sam, journey.levels(request)) == [
        "This request is submitted, so it cannot be approved now."
    ]


# A stale page: the request changed between reading and acting.


@pytest.mark.parametrize(
    ("start", "meanwhile", "then", "now"),
    [
        (
            "submitted",
            lambda p, r: workflow.start_screening(r, p.sam),
            lambda p, r: workflow.withdraw(r, p.riley),
            "in screening",
        ),
        (
            "ready_to_approve",
            lambda p, r: workflow.escalate(r, p.sam, "Unclear."),
            lambda p, r: workflow.approve(r, p.sam, {x: "reporting" for x in r.people.all()}),
            "with the committee",
        ),
        (
            "returned",
            lambda p, r: workflow.withdraw(r, p.riley),
            lambda p, r: workflow.resubmit(r, p.riley, "Here it is."),
            "withdrawn",
        ),
        (
            "vetting",
            lambda p, r: workflow.return_for_information(r, p.sam, "Who?"),
            lambda p, r: workflow.cast_vote(r, p.morgan, ABSTAIN),
            "returned for information",
        ),
        (
            "ready_to_deny",
            lambda p, r: workflow.deny(r, p.sam, [criterion("2.1")], "One-time."),
            lambda p, r: workflow.assess_criterion(r, p.sam, criterion("2.1"), NOT_MET),
            "denied",
        ),
    ],
    ids=["withdraw", "approve", "resubmit", "cast-vote", "assess"],
)
def test_acting_on_a_request_someone_else_changed_meanwhile_is_a_conflict(
    journey, personas, start, meanwhile, then, now
):
    mine = getattr(journey, start)()
    meanwhile(personas, stale_copy(mine))

    assert refused(then, personas, mine, conflict=True) == [
        f"Someone else changed this request while you were looking at it: it is now {now}. "
        "Reload the page to see what changed."
    ]


# assess_criterion


def test_assess_criterion_appends_an_assessment_and_keeps_the_earlier_one(journey, personas):
    request = journey.screening()
    one_four = criterion("1.4")

    first = workflow.assess_criterion(request, personas.sam, one_four, UNCLEAR, " Ask the CAN. ")
    second = workflow.assess_criterion(request, personas.sam, one_four, MET, "CAN confirmed.")

    assert list(
        Assessment.objects.filter(request=request).values_list(
            "criterion__code", "outcome", "note", "assessed_by__name"
        )
    ) == [
        ("1.4", UNCLEAR, "Ask the CAN.", "Sam Staff"),
        ("1.4", MET, "CAN confirmed.", "Sam Staff"),
    ]
    assert policy.current_assessments(request) == {one_four.pk: second}
    assert first.pk < second.pk
    event = latest_event(request)
    assert described(event) == {
        "kind": Event.Kind.ASSESSED,
        "actor": "Sam Staff",
        "from_status": "",
        "to_status": "",
        "note": "CAN confirmed.",
        "data": {"criterion": "1.4", "outcome": MET, "disqualifier": False},
        "visible_to_requestor": False,
    }
    assert told(event) == []


def test_assess_criterion_is_refused_with_an_outcome_that_does_not_exist(journey, personas):
    request = journey.screening()

    assert refused(
        workflow.assess_criterion, request, personas.sam, criterion("1.4"), "probably"
    ) == ["Choose met, not met, not applicable or unclear."]


def test_assess_criterion_is_refused_for_a_criterion_of_another_policy_version(journey, personas):
    request = journey.screening()
    draft_policy = Criterion.objects.create(
        code="1.1", policy_version="2.0", text="A future wording.", order=1
    )

    assert refused(workflow.assess_criterion, request, personas.sam, draft_policy, MET) == [
        "That criterion is not part of the policy in force."
    ]


def test_assess_criterion_is_refused_outside_screening(journey, personas):
    request = journey.submitted()

    assert refused(workflow.assess_criterion, request, personas.sam, criterion("1.4"), MET) == [
        "This request is not in screening now."
    ]


# save_checklist


def test_save_checklist_records_each_changed_criterion_with_its_event_under_one_lock(
    journey, personas
):
    request = journey.screening()
    workflow.assess_criterion(request, personas.sam, criterion("1.1"), MET, "Monthly.")
    events = Event.objects.filter(request=request).count()

    saved = workflow.save_checklist(
        request,
        personas.sam,
        [
            (criterion("1.1"), MET, " Monthly. "),  # as recorded, once trimmed: nothing
            (criterion("1.4"), UNCLEAR, "Ask the CAN."),
            (criterion("2.1"), NOT_MET, ""),
        ],
    )

    assert [(a.criterion.code, a.outcome, a.note) for a in saved] == [
        ("1.4", UNCLEAR, "Ask the CAN."),
        ("2.1", NOT_MET, ""),
    ]
    added = Event.objects.filter(request=request).order_by("pk")[events:]
    assert [(e.kind, e.data, e.note) for e in added] == [
        (
            Event.Kind.ASSESSED,
            {"criterion": "1.4", "outcome": UNCLEAR, "disqualifier": False},
            "Ask the CAN.",
        ),
        (
            Event.Kind.ASSESSED,
            {"criterion": "2.1", "outcome": NOT_MET, "disqualifier": True},
            "",
        ),
    ]
    # One lock taken, one revision more, whatever the number of criteria.
    assert AccessRequest.objects.get(pk=request.pk).revision == request.revision + 2


def test_save_checklist_with_nothing_changed_writes_nothing(journey, personas):
    request = journey.ready_to_approve()
    revision = AccessRequest.objects.get(pk=request.pk).revision
    before = traces()

    assert workflow.save_checklist(request, personas.sam, []) == []
    assert (traces(), AccessRequest.objects.get(pk=request.pk).revision) == (before, revision)


def test_save_checklist_refuses_every_change_when_one_is_wrong(journey, personas):
    request = journey.screening()

    assert refused(
        workflow.save_checklist,
        request,
        personas.sam,
        [(criterion("1.1"), MET, "Fine."), (criterion("1.4"), "probably", "")],
    ) == ["Choose met, not met, not applicable or unclear for 1.4."]


def test_save_checklist_is_refused_outside_screening_and_to_anyone_but_staff(journey, personas):
    request = journey.submitted()
    change = [(criterion("1.1"), MET, "")]

    assert refused(workflow.save_checklist, request, personas.sam, change) == [
        "This request is not in screening now."
    ]
    assert refused(workflow.save_checklist, request, personas.sam, []) == [
        "This request is not in screening now."
    ]
    screening = journey.screening()
    assert refused(workflow.save_checklist, screening, personas.lee, change) == [
        "Only CCEH staff can do this."
    ]


# recommend_for_can


def test_recommend_for_can_records_the_cans_position_with_its_reason(journey, personas):
    request = journey.screening()

    recommendation = workflow.recommend_for_can(
        request, personas.lee, personas.hartford, "support", " A long-standing partner. "
    )

    assert (
        recommendation.can,
        recommendation.position,
        recommendation.reason,
        recommendation.author,
    ) == (personas.hartford, "support", "A long-standing partner.", personas.lee)
    event = latest_event(request)
    assert described(event) == {
        "kind": Event.Kind.CAN_RECOMMENDED,
        "actor": "Lee Leader",
        "from_status": "",
        "to_status": "",
        "note": "A long-standing partner.",
        "data": {"can": "Greater Hartford", "position": "support"},
        "visible_to_requestor": False,
    }


@pytest.mark.parametrize(
    ("position", "reason", "problem"),
    [
        ("waived", "Busy.", "Choose support, do not support, or no position."),
        ("enthusiastic", "Yes!", "Choose support, do not support, or no position."),
        ("oppose", "  ", "Write the reason for the CAN's recommendation."),
    ],
)
def test_recommend_for_can_is_refused_without_a_position_a_leader_may_take_and_a_reason(
    journey, personas, position, reason, problem
):
    # Waiving is staff's decision (approve's can_waivers), not a position a leader takes.
    request = journey.screening()

    assert refused(
        workflow.recommend_for_can, request, personas.lee, personas.hartford, position, reason
    ) == [problem]


def test_a_leader_recommends_only_for_the_can_they_lead(journey, personas):
    request = journey.screening(cans=[personas.hartford, personas.eastern])

    assert refused(
        workflow.recommend_for_can, request, personas.lee, personas.eastern, "support", "Yes."
    ) == ["You do not lead Eastern, or this request does not name it."]


# add_comment


@pytest.mark.parametrize(
    ("author", "visibility"),
    [
        ("sam", Comment.Visibility.INTERNAL),
        ("lee", Comment.Visibility.INTERNAL),
        ("sam", Comment.Visibility.REQUESTOR),
        ("riley", Comment.Visibility.REQUESTOR),
    ],
)
def test_add_comment_posts_with_the_chosen_visibility(journey, personas, author, visibility):
    request = journey.screening()

    comment = workflow.add_comment(request, personas.by_name(author), " Noted. ", visibility)

    assert list(
        Comment.objects.filter(request=request).values_list("pk", "author", "visibility", "body")
    ) == [(comment.pk, personas.by_name(author).pk, visibility, "Noted.")]


def test_add_comment_is_refused_when_empty(journey, personas):
    request = journey.screening()

    assert refused(workflow.add_comment, request, personas.sam, "   ") == [
        "Write something before posting."
    ]


def test_the_requestor_cannot_join_the_internal_discussion(journey, personas):
    request = journey.screening()

    assert refused(
        workflow.add_comment, request, personas.riley, "Any news?", Comment.Visibility.INTERNAL
    ) == [
        "Only CCEH staff, sub-committee members and the named CANs' leaders take part in the "
        "internal discussion, and none of them on a request of their own organization."
    ]


def test_nobody_comments_on_a_draft(journey, personas):
    draft = journey.draft()

    assert refused(
        workflow.add_comment, draft, personas.riley, "Hello.", Comment.Visibility.REQUESTOR
    ) == ["This request is not submitted now."]
