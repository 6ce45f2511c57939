"""Who may do what, in which status: docs/design.md section 4's action tables crossed with the
roles of section 2, one test per persona, status and action. The expected table below is written
from the design, not from requests_app/actions.py, so a rule that drifts from the design fails
here.

Speed: every cell needs a request in its status, built through the workflow (a screened request
alone is a dozen assessments). Built per cell, the ~1000 cells take many minutes. So the
personas and one request per status are built once for this module inside an outer transaction
(`stage` below), and each cell runs in pytest-django's own per-test transaction, which is a
savepoint inside it and is rolled back after the cell: every cell still starts from a request
nobody has touched. The module's data is rolled back at the end, so other modules never see it.
Every database test here uses `stage`; a test that built its own `personas` while the stage is
open would collide with the stage's organizations.
"""

from dataclasses import dataclass

import pytest
from django.db import transaction

from requests_app import workflow
from requests_app.core import actions
from requests_app.core.states import AccessLevel, Status
from requests_app.models import (
    AccessRequest,
    Assessment,
    Attachment,
    CANRecommendation,
    Comment,
    Criterion,
    Decision,
    Event,
    Grant,
    NamedPerson,
    Notification,
    Vote,
)
from tests.support.factories import MembershipFactory, UserFactory
from tests.support.journey import Journey, staged_journey
from tests.support.personas import PERSONA_NAMES, Personas

# docs/design.md section 4, read with section 2. Who may do each action, by status: a status that is
# not listed for an action allows it to nobody, and a persona not named is refused.
# alex, the administrator, appears nowhere: the admin site is for managing data, and being a
# superuser gives no say in a request.
EXPECTED = {
    # Only a requestor of the organization submits its draft. Nobody else acts on a draft.
    "submit": {
        Status.DRAFT: {"riley"},
    },
    "take": {
        Status.SUBMITTED: {"sam"},
    },
    "return": {
        Status.SUBMITTED: {"sam"},
        Status.SCREENING: {"sam"},
        Status.VETTING: {"sam"},
    },
    "resubmit": {
        Status.RETURNED: {"riley"},
    },
    "approve": {
        Status.SCREENING: {"sam"},
    },
    "deny": {
        Status.SCREENING: {"sam"},
    },
    "escalate": {
        Status.SCREENING: {"sam"},
    },
    # The chair closes the vote; casey is the chair, morgan only a member.
    "decide": {
        Status.VETTING: {"casey"},
    },
    # "Any status before a decision": a draft is deleted rather than withdrawn (a decision of
    # the implementation), so withdrawing starts at submission.
    "withdraw": {
        Status.SUBMITTED: {"riley"},
        Status.SCREENING: {"riley"},
        Status.RETURNED: {"riley"},
        Status.VETTING: {"riley"},
    },
    # The chair is also a member, so both vote.
    "vote": {
        Status.VETTING: {"morgan", "casey"},
    },
    # The screening checklist, saved in one post.
    "checklist": {
        Status.SCREENING: {"sam"},
    },
    # Only the leader of the CAN the request names (lee leads Greater Hartford), while the
    # request is open; pat leads another CAN.
    "recommend": {
        Status.SUBMITTED: {"lee"},
        Status.SCREENING: {"lee"},
        Status.RETURNED: {"lee"},
        Status.VETTING: {"lee"},
    },
    # Staff, the named CAN's leader, and members on the requests they see: those in vetting
    # and those they voted on. The journey's members vote only on the vetting request.
    "comment": {
        Status.SUBMITTED: {"sam", "lee"},
        Status.SCREENING: {"sam", "lee"},
        Status.RETURNED: {"sam", "lee"},
        Status.VETTING: {"sam", "lee", "morgan", "casey"},
        Status.APPROVED: {"sam", "lee"},
        Status.DENIED: {"sam", "lee"},
        Status.WITHDRAWN: {"sam", "lee"},
    },
    # The conversation between the requesting organization and CCEH staff.
    "message": {
        Status.SUBMITTED: {"riley", "sam"},
        Status.SCREENING: {"riley", "sam"},
        Status.RETURNED: {"riley", "sam"},
        Status.VETTING: {"riley", "sam"},
        Status.APPROVED: {"riley", "sam"},
        Status.DENIED: {"riley", "sam"},
        Status.WITHDRAWN: {"riley", "sam"},
    },
    # The answers and files are the requesting organization's to write: a draft belongs to it
    # alone (nobody else even sees it), and when staff return a request with a question, the
    # requestor changes the answers before resubmitting. Staff never edit them, and nobody
    # edits a request that is with staff or decided.
    "edit": {
        Status.DRAFT: {"riley"},
        Status.RETURNED: {"riley"},
    },
    # Only a draft is deleted, by its organization: a submitted request is withdrawn instead,
    # so staff keep its history.
    "delete": {
        Status.DRAFT: {"riley"},
    },
}

# Where each transition leads (docs/design.md section 4); the committee's decision here is approval.
TARGET = {
    "submit": Status.SUBMITTED,
    "take": Status.SCREENING,
    "return": Status.RETURNED,
    "resubmit": Status.SUBMITTED,
    "approve": Status.APPROVED,
    "deny": Status.DENIED,
    "escalate": Status.VETTING,
    "decide": Status.APPROVED,
    "withdraw": Status.WITHDRAWN,
}

# The actions that keep the status leave one new row of their own behind.
RECORDED_AS = {
    "vote": Vote,
    "checklist": Assessment,
    "recommend": CANRecommendation,
    "comment": Comment,
    "message": Comment,
}

# The application's own actions leave no row of their own behind. What each allowed cell changes,
# in rows (table: difference), beside what the test checks of the request itself: an edit of a
# returned request appends an event that tells staff what changed; an edit of a draft nobody
# else has seen appends nothing; deleting a draft removes it and the one person the journey's
# draft names.
CHANGES = {
    ("edit", Status.DRAFT): {},
    ("edit", Status.RETURNED): {"Event": +1},
    ("delete", Status.DRAFT): {"AccessRequest": -1, "NamedPerson": -1},
}
UPDATED_PURPOSE = "Updated purpose."

# Every table an action writes to: a refused action leaves all of them as they were.
WRITTEN_TABLES = (
    AccessRequest,
    NamedPerson,
    Attachment,
    Event,
    Comment,
    Vote,
    Assessment,
    CANRecommendation,
    Decision,
    Grant,
    Notification,
)

# Approving and denying cannot both be ready on one request (a failing criterion blocks the
# approval that a denial needs), so deny in screening gets a request of its own.
DENY_READY = "deny-ready screening"


@dataclass
class Stage:
    personas: Personas
    journey: Journey
    request_ids: dict

    def request_for(self, action, status):
        key = DENY_READY if (action, status) == ("deny", Status.SCREENING) else status
        return AccessRequest.objects.get(pk=self.request_ids[key])


# Every test is a database test, so each runs in a rolled-back savepoint of the stage, and the
# module stays together when pytest-django orders database tests before the others.
pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def stage(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        journey = staged_journey()
        personas = journey.p
        request_ids = {status: journey.at(status).pk for status in Status}
        request_ids[DENY_READY] = journey.ready_to_deny().pk
        yield Stage(personas, journey, request_ids)
        transaction.set_rollback(True)


def _current_vote_id(request, user):
    """The vote the persona sees as theirs: cast_vote refuses a vote that ignores it."""
    if not user.is_authenticated:
        return None
    vote = Vote.objects.filter(request=request, voter=user).order_by("pk").last()
    return vote.pk if vote else None


def _perform(stage, action, request, user):
    """Run `action` with inputs that are valid for it, so only who and when can refuse it."""
    p, journey = stage.personas, stage.journey
    if action == "submit":
        return workflow.submit(request, user)
    if action == "take":
        return workflow.start_screening(request, user)
    if action == "return":
        return workflow.return_for_information(request, user, "Which programs will use it?")
    if action == "resubmit":
        return workflow.resubmit(request, user, "Only the medical respite program.")
    if action == "approve":
        return workflow.approve(request, user, journey.levels(request))
    if action == "deny":
        one_time = Criterion.objects.get(code="2.1")
        return workflow.deny(request, user, [one_time], "The need is one-time only (2.1).")
    if action == "escalate":
        return workflow.escalate(request, user, "Is identified data needed (1.9)?")
    if action == "decide":
        return workflow.record_committee_decision(
            request, user, Status.APPROVED, "The committee agrees.", levels=journey.levels(request)
        )
    if action == "withdraw":
        return workflow.withdraw(request, user, "We no longer need it.")
    if action == "vote":
        return workflow.cast_vote(
            request,
            user,
            Vote.Choice.APPROVE,
            levels=journey.levels(request, AccessLevel.VIEW),
            replaces=_current_vote_id(request, user),
        )
    if action == "checklist":
        purpose = Criterion.objects.get(code="1.1")
        # One changed criterion: one new assessment.
        (assessment,) = workflow.save_checklist(
            request, user, [(purpose, Assessment.Outcome.MET, "Checked again.")]
        )
        return assessment
    if action == "recommend":
        return workflow.recommend_for_can(request, user, p.hartford, "support", "A known partner.")
    if action == "comment":
        return workflow.add_comment(
            request, user, "Worth a call first.", visibility=Comment.Visibility.INTERNAL
        )
    if action == "message":
        return workflow.add_comment(
            request, user, "Any news?", visibility=Comment.Visibility.REQUESTOR
        )
    if action == "edit":
        return workflow.save_answers(request, user, "scope", {"purpose": UPDATED_PURPOSE})
    if action == "delete":
        return workflow.delete_draft(request, user)
    raise AssertionError(f"No way to perform {action}: add it to _perform.")


def _row_counts():
    return {model.__name__: model.objects.count() for model in WRITTEN_TABLES}


def _allowed(action, status, persona):
    return persona in EXPECTED[action].get(status, set())


CELLS = [
    pytest.param(action, status, persona, id=f"{action}-{status.value}-{persona}")
    for action in actions.names(actions.REQUEST)
    for status in Status
    for persona in PERSONA_NAMES
]


def test_the_expected_table_covers_every_workflow_action_and_only_known_personas():
    assert set(EXPECTED) == set(actions.names(actions.REQUEST))
    named = {
        persona for by_status in EXPECTED.values() for who in by_status.values() for persona in who
    }
    assert named - set(PERSONA_NAMES) == set()


def test_every_allowed_cell_has_a_known_outcome():
    # A transition's cell is checked against its target status, a recording action's against
    # its new row, and the application's own actions against CHANGES: none may be left out.
    assert set(TARGET) == set(actions.transitions(actions.REQUEST))
    assert set(TARGET) | set(RECORDED_AS) | {action for action, _status in CHANGES} == set(
        actions.names(actions.REQUEST)
    )
    assert set(CHANGES) == {
        (action, status)
        for action in set(actions.names(actions.REQUEST)) - set(TARGET) - set(RECORDED_AS)
        for status in EXPECTED[action]
    }


def test_the_stage_holds_a_request_in_every_status(stage):
    # A cell run on a request in the wrong status would test the wrong thing and might pass.
    statuses = {
        key: AccessRequest.objects.get(pk=pk).status for key, pk in stage.request_ids.items()
    }
    assert statuses == {**{status: status for status in Status}, DENY_READY: Status.SCREENING}


@pytest.mark.parametrize(("action", "status", "persona"), CELLS)
def test_persona_may_take_action_in_status_only_as_the_design_says(
    stage, db, action, status, persona
):
    user = stage.personas.by_name(persona)
    request = stage.request_for(action, status)
    allowed = _allowed(action, status, persona)

    # The page's buttons come from the same guards as the action itself.
    assert (action in actions.available(request, user)) == allowed

    before = _row_counts()
    if not allowed:
        with pytest.raises(actions.ActionRefused) as refused:
            _perform(stage, action, request, user)
        # A Conflict would mean the action got past the guards and failed on something else.
        assert type(refused.value) is actions.ActionRefused
        assert refused.value.problems != []
        assert AccessRequest.objects.get(pk=request.pk).status == status
        assert _row_counts() == before
        return

    result = _perform(stage, action, request, user)
    if action in TARGET:
        stored = AccessRequest.objects.get(pk=request.pk).status
        assert (result.status, stored) == (TARGET[action], TARGET[action])
    elif action in RECORDED_AS:
        model = RECORDED_AS[action]
        assert type(result) is model
        assert AccessRequest.objects.get(pk=request.pk).status == status
        assert model.objects.count() == before[model.__name__] + 1
    else:
        change = CHANGES[(action, status)]
        assert _row_counts() == {name: n + change.get(name, 0) for name, n in before.items()}
        if action == "delete":
            assert result == request.reference
            assert not AccessRequest.objects.filter(pk=request.pk).exists()
        else:
            stored = AccessRequest.objects.get(pk=request.pk)
            assert (result.pk, stored.status, stored.purpose, stored.last_edited_by) == (
                request.pk,
                status,
                UPDATED_PURPOSE,
                user,
            )
            changed = Event.objects.filter(request=request, kind=Event.Kind.ANSWERS_CHANGED)
            assert list(changed.values_list("actor", "data", "visible_to_requestor")) == (
                [(user.pk, {"changed": ["Purpose"]}, True)] if change else []
            )


# Conflicts of interest (docs/design.md section 2): nobody decides on, or votes on, a request from
# their own organization.

CONFLICT = (
    "You belong to the requesting organization, so you cannot act on its request "
    "(a conflict of interest)."
)
CANNOT_VOTE = (
    "You belong to the requesting organization, so you cannot vote on its request; "
    "record a recusal instead."
)


@pytest.fixture
def staff_of_the_requesting_org(stage, db):
    """CCEH staff who is also a requestor of the organization whose request it is."""
    dana = UserFactory(name="Dana Staff-and-Requestor", is_cceh_staff=True)
    MembershipFactory(user=dana, organization=stage.personas.harbor)
    return dana


@pytest.fixture
def member_of_the_requesting_org(stage, db):
    """A sub-committee member who also belongs to the requesting organization."""
    jo = UserFactory(name="Jo Member-and-Requestor", is_committee_member=True)
    MembershipFactory(user=jo, organization=stage.personas.harbor)
    return jo


@pytest.mark.parametrize(
    ("action", "status"),
    [
        ("take", Status.SUBMITTED),
        ("approve", Status.SCREENING),
        ("deny", Status.SCREENING),
        ("escalate", Status.SCREENING),
    ],
)
def test_staff_who_belong_to_the_requesting_org_cannot_decide_its_request(
    stage, staff_of_the_requesting_org, action, status
):
    request = stage.request_for(action, status)
    # Sam, staff from no involved organization, may: only the conflict stands in the way.
    assert action in actions.available(request, stage.personas.sam)
    assert action not in actions.available(request, staff_of_the_requesting_org)

    before = _row_counts()
    with pytest.raises(actions.ActionRefused) as refused:
        _perform(stage, action, request, staff_of_the_requesting_org)

    assert refused.value.problems == [CONFLICT]
    assert AccessRequest.objects.get(pk=request.pk).status == status
    assert _row_counts() == before


@pytest.mark.parametrize("choice", [Vote.Choice.APPROVE, Vote.Choice.DENY, Vote.Choice.ABSTAIN])
def test_a_member_from_the_requesting_org_cannot_vote_for_or_against_or_abstain(
    stage, member_of_the_requesting_org, choice
):
    request = stage.request_for("vote", Status.VETTING)
    levels = stage.journey.levels(request) if choice == Vote.Choice.APPROVE else None

    with pytest.raises(actions.ActionRefused) as refused:
        workflow.cast_vote(request, member_of_the_requesting_org, choice, "My view.", levels=levels)

    assert refused.value.problems == [CANNOT_VOTE]
    assert Vote.objects.filter(voter=member_of_the_requesting_org).count() == 0


def test_a_member_from_the_requesting_org_records_a_recusal(stage, member_of_the_requesting_org):
    request = stage.request_for("vote", Status.VETTING)
    # The vote stays on offer, because a recusal is recorded through it.
    assert "vote" in actions.available(request, member_of_the_requesting_org)

    vote = workflow.cast_vote(
        request, member_of_the_requesting_org, Vote.Choice.RECUSE, "I work at Harbor."
    )

    stored = Vote.objects.get(pk=vote.pk)
    assert (stored.voter, stored.choice, stored.reason) == (
        member_of_the_requesting_org,
        Vote.Choice.RECUSE,
        "I work at Harbor.",
    )
