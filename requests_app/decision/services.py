"""CCEH decides a clear case (4.3): approve, with each person's level, or deny, citing what
screening found. A decision is a new row; an approval issues the agreement."""

from django.db import transaction

from requests_app import policy
from requests_app.agreement.services import issue_agreement
from requests_app.application.services import move
from requests_app.core.actions import lock, refusals, refuse, require
from requests_app.core.events import record_event
from requests_app.core.inputs import text
from requests_app.core.states import Status
from requests_app.decision.levels import check_levels
from requests_app.models import CANRecommendation, Criterion, Decision, Event, Grant


def record_decision(
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


def after_decision(locked, user):
    """An approval's MOU follows, after the decision in the history."""
    if locked.status == Status.APPROVED:
        issue_agreement(locked, user)


@transaction.atomic
def approve(request, user, levels, conditions="", can_waivers=None):
    """CCEH decides a clear case (4.3). `levels`: {named person: level}. `can_waivers`:
    {CAN: reason} for named CANs whose recommendation staff waive (1.5, 4.2)."""
    locked = lock(request, user, "approve", check_conditions=False)
    levels = check_levels("approve", locked, levels, "the granted level")
    named = set(locked.cans.values_list("pk", flat=True))
    for can, reason in (can_waivers or {}).items():
        reason = text(reason)
        if not reason:
            continue
        require("approve", (can.pk not in named, "Only a CAN this request names can be waived."))
        recommendation = CANRecommendation.objects.create(
            request=locked,
            can=can,
            position=CANRecommendation.Position.WAIVED,
            reason=reason,
            author=user,
        )
        record_event(
            locked,
            user,
            Event.Kind.CAN_RECOMMENDED,
            note=reason,
            data={"can": recommendation.can.name, "position": recommendation.position},
        )
    # The transition's guards (criteria, CANs, a one-time need); then 1.9's written condition.
    refuse(
        "approve",
        refusals(locked, user, "approve")
        or policy.researcher_conditions_missing(locked, levels, text(conditions)),
    )
    was = move(locked, "approve")
    record_decision(
        locked, user, Status.APPROVED, reason="", conditions=text(conditions), levels=levels
    )
    record_event(
        locked,
        user,
        Event.Kind.APPROVED,
        note=text(conditions),
        from_status=was,
        data={"levels": {str(k): v for k, v in levels.items()}},
        public=True,
    )
    after_decision(locked, user)
    return locked


@transaction.atomic
def deny(request, user, cited, reason):
    """CCEH refuses, citing the disqualifiers or unmet criteria its screening found. `cited`:
    the Criterion rows."""
    locked = lock(request, user, "deny")
    reason = text(reason)
    # In the catalogue's order, each once, as the decision and its event record them.
    cited = list(Criterion.objects.filter(pk__in=[c.pk for c in cited]))
    failing = {c.pk for c in policy.failing_criteria(locked)}
    require(
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
    was = move(locked, "deny")
    record_decision(locked, user, Status.DENIED, reason=reason, cited=cited)
    record_event(
        locked,
        user,
        Event.Kind.DENIED,
        note=reason,
        from_status=was,
        data={"cited": [c.code for c in cited]},
        public=True,
    )
    after_decision(locked, user)
    return locked
