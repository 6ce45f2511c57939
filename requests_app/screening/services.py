"""Staff's screening (take, return, the checklist) and the CAN's recommendation (4.2, 4.3), and the
request's discussion."""

from django.db import transaction

from requests_app import policy
from requests_app.application.services import move
from requests_app.core.actions import lock, refusals, refuse, require
from requests_app.core.events import record_event
from requests_app.core.inputs import text
from requests_app.models import Assessment, CANRecommendation, Comment, Event, latest_per


@transaction.atomic
def start_screening(request, user):
    locked = lock(request, user, "take")
    was = move(locked, "take", user)
    record_event(locked, user, Event.Kind.SCREENING_STARTED, from_status=was, public=True)
    return locked


@transaction.atomic
def return_for_information(request, user, message):
    locked = lock(request, user, "return")
    message = text(message)
    require(
        "return",
        (not message, "Write the question or what is missing, for the requestor to answer."),
    )
    was = move(locked, "return")
    Comment.objects.create(
        request=locked, author=user, body=message, visibility=Comment.Visibility.REQUESTOR
    )
    record_event(locked, user, Event.Kind.RETURNED, note=message, from_status=was, public=True)
    return locked


def _assessment_problems(criterion, outcome):
    problems = []
    if outcome not in Assessment.Outcome.values:
        problems.append(f"Choose met, not met, not applicable or unclear for {criterion.code}.")
    if criterion.policy_version != policy.POLICY_VERSION:
        problems.append(f"{criterion.code} is not part of the policy in force.")
    return problems


def _assess(locked, user, criterion, outcome, note):
    """One assessment and its event, on a request whose lock the caller holds."""
    assessment = Assessment.objects.create(
        request=locked, criterion=criterion, outcome=outcome, note=note, assessed_by=user
    )
    record_event(
        locked,
        user,
        Event.Kind.ASSESSED,
        note=assessment.note,
        # Which words the history uses for the outcome depends on the kind of criterion.
        data={
            "criterion": criterion.code,
            "outcome": outcome,
            "disqualifier": criterion.is_disqualifier,
        },
    )
    return assessment


def unchanged(current, outcome, note):
    """Whether a checklist row says what the criterion's current assessment (or None) says: a
    row left blank on a criterion nobody assessed yet says nothing."""
    if current is None:
        return not outcome and not note
    return (current.outcome, current.note) == (outcome, note)


@transaction.atomic
def save_checklist(request, user, changes):
    """Staff's checklist saved at once (docs/design.md section 4): `changes` is [(criterion,
    outcome, note)]; each row that differs from the criterion's current assessment becomes a
    new assessment with its own event (a change is a new row, the earlier ones kept), all in
    this one transaction under one lock; a row that says what is already recorded writes
    nothing (the form sends only changed rows, so a page that changed nothing takes no lock and
    leaves the request's revision alone). The new assessments, in the order given."""
    changes = [(criterion, outcome, text(note)) for criterion, outcome, note in changes]
    if not changes:
        # Nothing to write: only whether the person may, and the request stays as it was.
        refuse("checklist", refusals(request, user, "checklist"))
        return []
    locked = lock(request, user, "checklist")
    refuse(
        "checklist",
        [p for criterion, outcome, _ in changes for p in _assessment_problems(criterion, outcome)],
    )
    current = {
        row.criterion_id: row
        for row in latest_per(Assessment.objects.filter(request=locked), "request", "criterion")
    }
    return [
        _assess(locked, user, criterion, outcome, note)
        for criterion, outcome, note in changes
        if not unchanged(current.get(criterion.pk), outcome, note)
    ]


@transaction.atomic
def assess_criterion(request, user, criterion, outcome, note=""):
    """One criterion assessed again, whatever its current assessment says: a new row even when
    it says the same (the tests' journeys build reassessments so). Pages save the whole
    checklist (save_checklist), which writes only what changed."""
    locked = lock(request, user, "checklist")
    require(
        "checklist",
        (
            outcome not in Assessment.Outcome.values,
            "Choose met, not met, not applicable or unclear.",
        ),
        (
            criterion.policy_version != policy.POLICY_VERSION,
            "That criterion is not part of the policy in force.",
        ),
    )
    return _assess(locked, user, criterion, outcome, text(note))


@transaction.atomic
def recommend_for_can(request, user, can, position, reason):
    """A CAN's leadership records its recommendation (1.5, 4.2); changeable until a decision."""
    locked = lock(request, user, "recommend")
    reason = text(reason)
    require(
        "recommend",
        (
            position not in CANRecommendation.Position.values
            or position == CANRecommendation.Position.WAIVED,
            "Choose support, do not support, or no position.",
        ),
        (not reason, "Write the reason for the CAN's recommendation."),
        (
            not locked.cans.filter(pk=can.pk, leaders=user).exists(),
            f"You do not lead {can.name}, or this request does not name it.",
        ),
    )
    recommendation = CANRecommendation.objects.create(
        request=locked, can=can, position=position, reason=reason, author=user
    )
    record_event(
        locked,
        user,
        Event.Kind.CAN_RECOMMENDED,
        note=reason,
        data={"can": can.name, "position": position},
    )
    return recommendation


@transaction.atomic
def add_comment(request, user, body, visibility=Comment.Visibility.INTERNAL):
    action = "comment" if visibility == Comment.Visibility.INTERNAL else "message"
    locked = lock(request, user, action)
    body = text(body)
    require(action, (not body, "Write something before posting."))
    return Comment.objects.create(request=locked, author=user, body=body, visibility=visibility)
