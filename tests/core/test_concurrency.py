"""Two people acting on one request at the same moment, on two real PostgreSQL connections.
The row lock makes one wait; when it gets the row, the request has moved on and it is told
so, instead of deciding twice. SQLite cannot hold two transactions open, hence PostgreSQL."""

import pytest
from django.db.models.signals import post_save
from django_fsm import ConcurrentTransition

from requests_app import workflow
from requests_app.core import actions
from requests_app.core.states import Status
from requests_app.models import AccessRequest, Criterion, Decision, Event, Vote
from tests.support.races import RACES, race

pytestmark = RACES


def stale(request):
    """Another person's copy of the same request, read before anyone acted."""
    return AccessRequest.objects.get(pk=request.pk)


def test_approve_against_deny_applies_one_and_refuses_the_other_as_a_conflict(journey, personas):
    request = journey.ready_to_approve()
    colleague = stale(request)
    two_one = Criterion.objects.get(code="2.1")

    winner, loser = race(
        lambda: workflow.approve(request, personas.sam, journey.levels(request)),
        lambda: workflow.deny(colleague, personas.sam, [two_one], "One-time access."),
    )

    assert winner.error is None
    assert isinstance(loser.error, actions.Conflict)
    assert loser.error.problems == [
        "Someone else changed this request while you were looking at it: it is now approved. "
        "Reload the page to see what changed."
    ]
    assert AccessRequest.objects.get(pk=request.pk).status == Status.APPROVED
    assert Decision.objects.filter(request=request).count() == 1
    assert Event.objects.filter(request=request, kind=Event.Kind.APPROVED).count() == 1
    assert Event.objects.filter(request=request, kind=Event.Kind.DENIED).count() == 0


def test_deny_against_approve_applies_one_and_refuses_the_other_as_a_conflict(journey, personas):
    request = journey.ready_to_deny()
    colleague = stale(request)
    two_one = Criterion.objects.get(code="2.1")

    winner, loser = race(
        lambda: workflow.deny(request, personas.sam, [two_one], "One-time access."),
        lambda: workflow.approve(colleague, personas.sam, journey.levels(colleague)),
    )

    assert winner.error is None
    assert isinstance(loser.error, actions.Conflict)
    assert AccessRequest.objects.get(pk=request.pk).status == Status.DENIED
    assert Event.objects.filter(request=request, kind=Event.Kind.DENIED).count() == 1
    assert Event.objects.filter(request=request, kind=Event.Kind.APPROVED).count() == 0


def test_two_chairs_deciding_at_once_record_one_decision(journey, personas, django_user_model):
    request = journey.with_quorum()
    co_chair = django_user_model.objects.create_user(
        "co-chair@example.org", "x", name="Crane Co-Chair", is_committee_chair=True
    )
    # The co-chair's joining does not cost quorum: two of three members have voted.
    colleague = stale(request)
    two_two = Criterion.objects.get(code="2.2")

    winner, loser = race(
        lambda: workflow.record_committee_decision(
            request, personas.casey, Status.APPROVED, "", levels=journey.levels(request)
        ),
        lambda: workflow.record_committee_decision(
            colleague,
            co_chair,
            Status.DENIED,
            "Abuse risk.",
            cited=[two_two],
            departs_reason="The chair weighs 2.2 more than the votes did.",
        ),
    )

    assert winner.error is None
    assert isinstance(loser.error, actions.Conflict)
    assert AccessRequest.objects.get(pk=request.pk).status == Status.APPROVED
    assert Decision.objects.get(request=request).outcome == Status.APPROVED
    assert Event.objects.filter(request=request, kind=Event.Kind.COMMITTEE_DECIDED).count() == 1


def test_one_member_voting_twice_at_once_casts_one_vote(journey, personas):
    request = journey.vetting()

    # Voting keeps the status, so no transition fires: the first vote pauses as it is saved.
    first, second = race(
        lambda: workflow.cast_vote(request, personas.morgan, Vote.Choice.ABSTAIN),
        lambda: workflow.cast_vote(request, personas.morgan, Vote.Choice.DENY, reason="No."),
        pause_at=post_save,
        sender=Vote,
    )

    assert first.error is None
    assert isinstance(second.error, actions.Conflict)
    assert second.error.problems == [
        "Your vote on this request changed in another window while you were looking at it. "
        "Reload the page to see it before voting again."
    ]
    assert list(Vote.objects.filter(request=request).values_list("choice", flat=True)) == [
        Vote.Choice.ABSTAIN
    ]
    assert Event.objects.filter(request=request, kind=Event.Kind.VOTED).count() == 1


def test_saving_a_stale_copy_without_the_lock_is_refused_by_the_model(journey, personas):
    # Belt and braces: code that skipped the workflow's lock still cannot overwrite a status.
    request = journey.submitted()
    colleague = stale(request)
    workflow.start_screening(request, personas.sam)
    colleague.withdraw()
    with pytest.raises(ConcurrentTransition):
        colleague.save()
    assert AccessRequest.objects.get(pk=request.pk).status == Status.SCREENING
