"""The committee's actions (4.3): staff escalate a case that is not clear, members vote in the
round it opens, the chair records the decision with the tally."""

import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from requests_app import policy
from requests_app.application.services import move
from requests_app.core.actions import Conflict, lock, refuse, require
from requests_app.core.events import record_event
from requests_app.core.inputs import text
from requests_app.core.permissions import belongs_to_requesting_org
from requests_app.core.states import Status
from requests_app.decision.levels import check_levels
from requests_app.decision.services import after_decision, record_decision
from requests_app.models import Criterion, Event, Notification, User, Vote, VotingRound
from requests_app.notifications import services as notifications


@transaction.atomic
def escalate(request, user, note):
    """The case is not clear: the sub-committee vets it, with the named CANs (4.3)."""
    locked = lock(request, user, "escalate")
    note = text(note)
    require("escalate", (not note, f"Write what is unclear, for the {settings.COMMITTEE_NAME}."))
    deadline = timezone.now() + datetime.timedelta(days=settings.COMMITTEE_VOTING_DAYS)
    # The transition opens the request's new voting round, with the note and the deadline.
    was = move(locked, "escalate", deadline, note, user)
    record_event(
        locked,
        user,
        Event.Kind.ESCALATED,
        note=note,
        from_status=was,
        data={"deadline": deadline.isoformat()},
    )
    return locked


@transaction.atomic
def record_committee_decision(
    request, user, outcome, reason, levels=None, conditions="", cited=(), departs_reason=""
):
    """The chair closes the vote and records the committee's decision, with the tally.
    `levels`: {named person: level}, for an approval; `cited`: the Criterion rows a denial
    rests on."""
    locked = lock(request, user, "decide")
    reason, departs_reason = text(reason), text(departs_reason)
    require("decide", (outcome not in Status.DECIDED, "Choose approve or deny."))
    count = policy.tally(locked)
    follows = count["majority"] == ("approve" if outcome == Status.APPROVED else "deny")
    require(
        "decide",
        (
            not follows and not departs_reason,
            "The decision differs from the tally (or the vote is tied): write why.",
        ),
    )
    # In the catalogue's order, each once, as the decision records them.
    cited_rows = list(Criterion.objects.filter(pk__in=[c.pk for c in cited]))
    if outcome == Status.APPROVED:
        # The transition's guards cannot see the outcome: an approval's own guard (1.2, 2.1)
        # is applied here, as staff's approve applies it through its transition.
        refuse("decide", policy.need_is_ongoing.problems(locked))
        levels = check_levels("decide", locked, levels, "the granted level")
        refuse(
            "decide",
            policy.researcher_conditions_missing(locked, levels, text(conditions)),
        )
    else:
        levels = None
        require(
            "decide",
            (not reason, "Write the reason the requestor will read."),
            (not cited_rows, "Cite at least one criterion the denial rests on."),
        )
    was = move(locked, "decide", outcome)
    record_decision(
        locked,
        user,
        outcome,
        reason=reason,
        conditions=text(conditions),
        levels=levels,
        cited=cited_rows,
        by_committee=True,
        tally=count,
        departs_reason=departs_reason,
    )
    record_event(
        locked,
        user,
        Event.Kind.COMMITTEE_DECIDED,
        note=reason,
        from_status=was,
        data={"tally": count},
        public=True,
    )
    after_decision(locked, user)
    return locked


@transaction.atomic
def cast_vote(request, user, choice, reason="", levels=None, replaces=None):
    """One vote per member, changeable until the vote closes. `levels`: {named person: level}
    the member recommends, when approving. `replaces` is the id of the vote the member saw as
    theirs (None for a first vote): if it changed meanwhile, say so."""
    locked = lock(request, user, "vote")
    reason = text(reason)
    current = policy.current_votes(locked).filter(voter=user).first()
    if (current.pk if current else None) != replaces:
        raise Conflict(
            "vote",
            [
                "Your vote on this request changed in another window while you were looking at it. "
                "Reload the page to see it before voting again."
            ],
        )
    require(
        "vote",
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
        check_levels("vote", locked, levels, "a recommended level")
        if choice == Vote.Choice.APPROVE
        else {}
    )
    had_quorum = policy.tally(locked)["quorum"]
    vote = Vote.objects.create(
        request=locked,
        round_id=locked.voting_round_id,
        voter=user,
        choice=choice,
        reason=reason,
        recommended_levels={str(k): v for k, v in levels.items()},
    )
    event = record_event(
        locked,
        user,
        Event.Kind.VOTED,
        note=reason,
        data={"vote": vote.pk, "choice": choice, "changed": current is not None},
    )
    if not had_quorum and policy.tally(locked)["quorum"] and _first_quorum_of_round(locked):
        notifications.record(
            locked, Notification.Kind.QUORUM_REACHED, User.objects.chairs(), None, event=event
        )
    return vote


def _first_quorum_of_round(request):
    """Quorum is news once per voting round: a changed vote can lose it and win it back. True
    the first time, when the round records the announcement, in the notice's transaction."""
    return VotingRound.announce_quorum(request.voting_round_id)
