"""One function per action. Each runs in one transaction: lock the request, check who asks and
the policy's guards, run the transition, save, append the event and record who is to be told.
Views call these; nothing else changes a request's status."""

import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_fsm import can_proceed

from . import notifications, policy
from .choices import AccessLevel, Status
from .models import (
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
    User,
    Vote,
)
from .rules import belongs_to_requesting_org, unmet_requirements
from .visibility import requests_visible_to

TRANSITIONS = (
    "submit",
    "start_screening",
    "return_for_information",
    "resubmit",
    "approve",
    "deny",
    "escalate",
    "record_committee_decision",
    "withdraw",
)
OTHER_ACTIONS = (
    "cast_vote",
    "assess_criterion",
    "recommend_for_can",
    "add_internal_comment",
    "add_requestor_message",
)
ACTIONS = TRANSITIONS + OTHER_ACTIONS


class ActionRefused(Exception):
    """An action was refused. `problems` says why, in sentences a person can act on."""

    def __init__(self, action, problems):
        self.action = action
        self.problems = list(problems)
        super().__init__(" ".join(self.problems))


class Conflict(ActionRefused):
    """Someone else changed the request between reading it and acting on it."""


def refusals(request, user, action, check_conditions=True):
    """Why `user` may not do `action` on `request` now; empty when they may. The pages show
    these next to the actions, and the action functions raise them."""
    if not _sees(request, user):
        return ["You do not have access to this request."]
    return _refusals_of_one_who_sees(request, user, action, check_conditions)


def _sees(request, user):
    return requests_visible_to(user).filter(pk=request.pk).exists()


def _refusals_of_one_who_sees(request, user, action, check_conditions=True):
    problems = []
    if action in TRANSITIONS:
        method = getattr(request, action)
        if not can_proceed(method, check_conditions=False):
            problems.append(
                f"This request is {request.get_status_display().lower()}, "
                f"so it cannot be {ACTION_PAST[action]} now."
            )
            return problems
    problems += unmet_requirements(action, user, request)
    if not problems and check_conditions and action in TRANSITIONS:
        transition = getattr(AccessRequest, action)._django_fsm.get_transition(request.status)
        for guard in transition.conditions:
            problems += guard.problems(request)
    return problems


def available_actions(request, user):
    """The actions `user` can take on `request` now: what a page offers as buttons."""
    if not _sees(request, user):
        return []
    return [a for a in ACTIONS if not _refusals_of_one_who_sees(request, user, a)]


ACTION_PAST = {
    "submit": "submitted",
    "start_screening": "taken for screening",
    "return_for_information": "returned for information",
    "resubmit": "resubmitted",
    "approve": "approved",
    "deny": "denied",
    "escalate": "escalated",
    "record_committee_decision": "decided by the committee",
    "withdraw": "withdrawn",
}


def changed_meanwhile(current):
    """What a person is told when the request moved on since they read it."""
    return (
        f"Someone else changed this request while you were looking at it: it is now "
        f"{current.get_status_display().lower()}. Reload the page to see what changed."
    )


def _lock(request, user, action, check_conditions=True):
    """The request's row, locked for this transaction, after checking who asks."""
    locked = AccessRequest.objects.select_for_update().get(pk=request.pk)
    if locked.status != request.status:
        raise Conflict(action, [changed_meanwhile(locked)])
    problems = refusals(locked, user, action, check_conditions=check_conditions)
    if problems:
        raise ActionRefused(action, problems)
    return locked


def _require(action, *checks):
    problems = [message for failed, message in checks if failed]
    if problems:
        raise ActionRefused(action, problems)


def _move(locked, action, *args):
    """Run the transition and save; the status field is protected, so this is the only way."""
    from_status = locked.status
    getattr(locked, action)(*args)
    locked.status_changed_at = timezone.now()
    locked.save()
    return from_status


def _event(request, actor, kind, note="", from_status="", data=None, public=False):
    return Event.objects.create(
        request=request,
        actor=actor,
        kind=kind,
        note=note,
        from_status=from_status,
        to_status=request.status if from_status else "",
        data=data or {},
        visible_to_requestor=public,
    )


def _notify(event, kind, recipients, actor):
    """Record who is to hear of `event`, in the event's transaction. Their e-mails go after
    commit (notifications.py); a rolled-back action leaves nothing to send."""
    notifications.record(event.request, kind, recipients, actor, event=event)


# Who is told, by role.


def _staff():
    return User.objects.filter(is_cceh_staff=True, is_active=True)


def _requestors(request):
    return User.objects.filter(
        memberships__organization=request.organization, memberships__state=Membership.State.ACTIVE
    )


def _can_leaders(request):
    return User.objects.filter(led_cans__in=request.cans.all()).distinct()


def _chairs():
    return User.objects.filter(is_committee_chair=True, is_active=True)


def _assignee_or_staff(request):
    return [request.assignee] if request.assignee else list(_staff())


def _text(value):
    return (value or "").strip()


def _ids(action, values, what):
    """Ids from a form, as integers; anything else is refused in words, not with a crash."""
    try:
        return [int(value) for value in values or ()]
    except (TypeError, ValueError):
        raise ActionRefused(action, [f"Choose {what} from the list."]) from None


def _by_id(action, mapping, what):
    """{id: value} from a form's {id, or id as text: value}."""
    mapping = mapping or {}
    return dict(zip(_ids(action, mapping.keys(), what), mapping.values(), strict=True))


# The actions of DESIGN section 4.


@transaction.atomic
def submit(request, user):
    locked = _lock(request, user, "submit")
    was = _move(locked, "submit")
    event = _event(locked, user, Event.Kind.SUBMITTED, from_status=was, public=True)
    _notify(event, Notification.Kind.SUBMITTED, [*_staff(), *_can_leaders(locked)], user)
    return locked


@transaction.atomic
def start_screening(request, user):
    locked = _lock(request, user, "start_screening")
    was = _move(locked, "start_screening", user)
    _event(locked, user, Event.Kind.SCREENING_STARTED, from_status=was, public=True)
    return locked


@transaction.atomic
def return_for_information(request, user, message):
    locked = _lock(request, user, "return_for_information")
    message = _text(message)
    _require(
        "return_for_information",
        (not message, "Write the question or what is missing, for the requestor to answer."),
    )
    was = _move(locked, "return_for_information")
    Comment.objects.create(
        request=locked, author=user, body=message, visibility=Comment.Visibility.REQUESTOR
    )
    event = _event(locked, user, Event.Kind.RETURNED, note=message, from_status=was, public=True)
    _notify(event, Notification.Kind.RETURNED, _requestors(locked), user)
    return locked


@transaction.atomic
def resubmit(request, user, response):
    locked = _lock(request, user, "resubmit")
    response = _text(response)
    _require("resubmit", (not response, "Write a response to the question before resubmitting."))
    was = _move(locked, "resubmit")
    Comment.objects.create(
        request=locked, author=user, body=response, visibility=Comment.Visibility.REQUESTOR
    )
    event = _event(
        locked, user, Event.Kind.RESUBMITTED, note=response, from_status=was, public=True
    )
    _notify(event, Notification.Kind.RESUBMITTED, _assignee_or_staff(locked), user)
    return locked


def _check_levels(action, request, levels, what):
    """Every named person has a valid level, never above what was asked for them (1.6)."""
    levels = _by_id(action, levels, "the people")
    problems = []
    for person in request.people.all():
        level = levels.get(person.pk)
        if level not in AccessLevel.values:
            problems.append(f"Choose {what} for {person.name}.")
        elif AccessLevel.RANK[level] > AccessLevel.RANK[person.requested_level]:
            problems.append(
                f"{person.name} asked for {person.get_requested_level_display().lower()}; "
                f"{what} cannot be higher."
            )
    unknown = set(levels) - set(request.people.values_list("pk", flat=True))
    if unknown:
        problems.append("A level was given for someone this request does not name.")
    if problems:
        raise ActionRefused(action, problems)
    return levels


def _decide(
    locked,
    user,
    outcome,
    *,
    reason,
    conditions="",
    levels=None,
    cited=(),
    by_committee=False,
    tally=None,
    departs_reason="",
):
    decision = Decision.objects.create(
        request=locked,
        outcome=outcome,
        decided_by=user,
        reason=reason,
        conditions=conditions,
        by_committee=by_committee,
        tally=tally,
        departs_from_tally_reason=departs_reason,
    )
    decision.cited_criteria.set(cited)
    people = {p.pk: p for p in locked.people.all()}
    Grant.objects.bulk_create(
        [
            Grant(decision=decision, person=people[pk], level=level)
            for pk, level in (levels or {}).items()
        ]
    )
    return decision


def _announce_decision(locked, user, event):
    voters = [vote.voter for vote in policy.current_votes(locked)]
    _notify(
        event,
        Notification.Kind.DECIDED,
        [*_requestors(locked), *_can_leaders(locked), *voters],
        user,
    )


@transaction.atomic
def approve(request, user, levels, conditions="", can_waivers=None):
    """CCEH decides a clear case (4.3). `levels`: {named person id: level}. `can_waivers`:
    {CAN id: reason} for named CANs whose recommendation staff waive (1.5, 4.2)."""
    locked = _lock(request, user, "approve", check_conditions=False)
    levels = _check_levels("approve", locked, levels, "the granted level")
    named = {can.pk: can for can in locked.cans.all()}
    can_waivers = _by_id("approve", can_waivers, "the CANs")
    for can_id, reason in can_waivers.items():
        reason = _text(reason)
        if not reason:
            continue
        _require("approve", (can_id not in named, "Only a CAN this request names can be waived."))
        recommendation = CANRecommendation.objects.create(
            request=locked,
            can=named[can_id],
            position=CANRecommendation.Position.WAIVED,
            reason=reason,
            author=user,
        )
        _event(
            locked,
            user,
            Event.Kind.CAN_RECOMMENDED,
            note=reason,
            data={"can": recommendation.can.name, "position": recommendation.position},
        )
    problems = refusals(locked, user, "approve")
    if problems:
        raise ActionRefused("approve", problems)
    was = _move(locked, "approve")
    _decide(locked, user, Status.APPROVED, reason="", conditions=_text(conditions), levels=levels)
    event = _event(
        locked,
        user,
        Event.Kind.APPROVED,
        note=_text(conditions),
        from_status=was,
        data={"levels": {str(k): v for k, v in levels.items()}},
        public=True,
    )
    _announce_decision(locked, user, event)
    return locked


@transaction.atomic
def deny(request, user, cited, reason):
    """CCEH refuses, citing the disqualifiers or unmet criteria its screening found."""
    locked = _lock(request, user, "deny")
    reason = _text(reason)
    cited = list(Criterion.objects.filter(pk__in=_ids("deny", cited, "the criteria")))
    failing = {c.pk for c in policy.failing_criteria(locked)}
    _require(
        "deny",
        (not cited, "Cite at least one disqualifier (2.1, 2.2) or unmet criterion."),
        (not reason, "Write the reason the requestor will read."),
        *[
            (
                c.pk not in failing,
                f"{c.code} is not assessed as unmet or applying, so it cannot be cited.",
            )
            for c in cited
        ],
    )
    was = _move(locked, "deny")
    _decide(locked, user, Status.DENIED, reason=reason, cited=cited)
    event = _event(
        locked,
        user,
        Event.Kind.DENIED,
        note=reason,
        from_status=was,
        data={"cited": [c.code for c in cited]},
        public=True,
    )
    _announce_decision(locked, user, event)
    return locked


@transaction.atomic
def escalate(request, user, note):
    """The case is not clear: the sub-committee vets it, with the named CANs (4.3)."""
    locked = _lock(request, user, "escalate")
    note = _text(note)
    _require("escalate", (not note, f"Write what is unclear, for the {settings.COMMITTEE_NAME}."))
    deadline = timezone.now() + datetime.timedelta(days=settings.COMMITTEE_VOTING_DAYS)
    was = _move(locked, "escalate", deadline)
    locked.escalation_note = note
    locked.save(update_fields=["escalation_note"])
    event = _event(
        locked,
        user,
        Event.Kind.ESCALATED,
        note=note,
        from_status=was,
        data={"deadline": deadline.isoformat()},
    )
    _notify(
        event,
        Notification.Kind.ESCALATED,
        [*policy.committee_members(), *_can_leaders(locked)],
        user,
    )
    return locked


@transaction.atomic
def record_committee_decision(
    request, user, outcome, reason, levels=None, conditions="", cited=(), departs_reason=""
):
    """The chair closes the vote and records the committee's decision, with the tally."""
    locked = _lock(request, user, "record_committee_decision")
    reason, departs_reason = _text(reason), _text(departs_reason)
    _require(
        "record_committee_decision", (outcome not in Status.DECIDED, "Choose approve or deny.")
    )
    count = policy.tally(locked)
    follows = count["majority"] == ("approve" if outcome == Status.APPROVED else "deny")
    _require(
        "record_committee_decision",
        (
            not follows and not departs_reason,
            "The decision differs from the tally (or the vote is tied): write why.",
        ),
    )
    cited_rows = list(
        Criterion.objects.filter(pk__in=_ids("record_committee_decision", cited, "the criteria"))
    )
    if outcome == Status.APPROVED:
        levels = _check_levels("record_committee_decision", locked, levels, "the granted level")
    else:
        levels = None
        _require(
            "record_committee_decision",
            (not reason, "Write the reason the requestor will read."),
            (not cited_rows, "Cite at least one criterion the denial rests on."),
        )
    was = _move(locked, "record_committee_decision", outcome)
    _decide(
        locked,
        user,
        outcome,
        reason=reason,
        conditions=_text(conditions),
        levels=levels,
        cited=cited_rows,
        by_committee=True,
        tally=count,
        departs_reason=departs_reason,
    )
    event = _event(
        locked,
        user,
        Event.Kind.COMMITTEE_DECIDED,
        note=reason,
        from_status=was,
        data={"tally": count},
        public=True,
    )
    _announce_decision(locked, user, event)
    return locked


@transaction.atomic
def withdraw(request, user, reason=""):
    locked = _lock(request, user, "withdraw")
    was = _move(locked, "withdraw")
    event = _event(
        locked, user, Event.Kind.WITHDRAWN, note=_text(reason), from_status=was, public=True
    )
    _notify(event, Notification.Kind.WITHDRAWN, _assignee_or_staff(locked), user)
    return locked


# Actions that keep the status.


@transaction.atomic
def cast_vote(request, user, choice, reason="", levels=None, replaces=None):
    """One vote per member, changeable until the vote closes. `replaces` is the id of the vote
    the member saw as theirs (None for a first vote): if it changed meanwhile, say so."""
    locked = _lock(request, user, "cast_vote")
    reason = _text(reason)
    current = policy.current_votes(locked).filter(voter=user).first()
    if (current.pk if current else None) != replaces:
        raise Conflict(
            "cast_vote",
            [
                "Your vote on this request changed in another window while you were looking at it. "
                "Reload the page to see it before voting again."
            ],
        )
    _require(
        "cast_vote",
        (choice not in Vote.Choice.values, "Choose approve, deny, abstain or recuse."),
        (
            choice != Vote.Choice.RECUSE and belongs_to_requesting_org.test(user, locked),
            "You belong to the requesting organization, so you cannot vote on its request; "
            "record a recusal instead.",
        ),
        (
            choice in (Vote.Choice.DENY, Vote.Choice.RECUSE) and not reason,
            "Write the reason for this choice.",
        ),
    )
    levels = (
        _check_levels("cast_vote", locked, levels, "a recommended level")
        if choice == Vote.Choice.APPROVE
        else {}
    )
    had_quorum = policy.tally(locked)["quorum"]
    vote = Vote.objects.create(
        request=locked,
        voter=user,
        choice=choice,
        reason=reason,
        recommended_levels={str(k): v for k, v in levels.items()},
    )
    event = _event(
        locked,
        user,
        Event.Kind.VOTED,
        note=reason,
        data={"vote": vote.pk, "choice": choice, "changed": current is not None},
    )
    _notify(event, Notification.Kind.VOTE_CAST, _chairs(), user)
    if not had_quorum and policy.tally(locked)["quorum"] and not _quorum_announced(locked):
        _notify(event, Notification.Kind.QUORUM_REACHED, _chairs(), None)
    return vote


def _quorum_announced(request):
    """Quorum is news once per voting round: a changed vote can lose it and win it back."""
    return Notification.objects.filter(
        request=request,
        kind=Notification.Kind.QUORUM_REACHED,
        created_at__gte=request.voting_opened_at,
    ).exists()


@transaction.atomic
def assess_criterion(request, user, criterion, outcome, note=""):
    """Record staff's judgement of one criterion; a change is a new row (history kept)."""
    locked = _lock(request, user, "assess_criterion")
    _require(
        "assess_criterion",
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
        request=locked, criterion=criterion, outcome=outcome, note=_text(note), assessed_by=user
    )
    _event(
        locked,
        user,
        Event.Kind.ASSESSED,
        note=assessment.note,
        data={"criterion": criterion.code, "outcome": outcome},
    )
    return assessment


@transaction.atomic
def recommend_for_can(request, user, can, position, reason):
    """A CAN's leadership records its recommendation (1.5, 4.2); changeable until a decision."""
    locked = _lock(request, user, "recommend_for_can")
    reason = _text(reason)
    _require(
        "recommend_for_can",
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
    _event(
        locked,
        user,
        Event.Kind.CAN_RECOMMENDED,
        note=reason,
        data={"can": can.name, "position": position},
    )
    return recommendation


@transaction.atomic
def add_comment(request, user, body, visibility=Comment.Visibility.INTERNAL):
    action = (
        "add_internal_comment"
        if visibility == Comment.Visibility.INTERNAL
        else "add_requestor_message"
    )
    locked = _lock(request, user, action)
    body = _text(body)
    _require(action, (not body, "Write something before posting."))
    return Comment.objects.create(request=locked, author=user, body=body, visibility=visibility)
