"""Staff's screening (take, return, assess) and the CAN's recommendation (4.2, 4.3), and the
request's discussion."""

from django.db import transaction

from requests_app import policy
from requests_app.application.services import move
from requests_app.core.actions import lock, require
from requests_app.core.events import record_event
from requests_app.core.inputs import text
from requests_app.models import Assessment, CANRecommendation, Comment, Event


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


@transaction.atomic
def assess_criterion(request, user, criterion, outcome, note=""):
    """Record staff's judgement of one criterion; a change is a new row (history kept)."""
    locked = lock(request, user, "assess")
    require(
        "assess",
        (
            outcome not in Assessment.Outcome.values,
            "Choose met, not met, not applicable or unclear.",
        ),
        (
            criterion.policy_version != policy.POLICY_VERSION,
            "That criterion is not part of the policy in force.",
        ),
    )
    assessment = Assessment.objects.create(
        request=locked, criterion=criterion, outcome=outcome, note=text(note), assessed_by=user
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
