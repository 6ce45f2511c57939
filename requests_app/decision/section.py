"""The decision as its request page shows it: what was decided, by whom, when and why, and the
access granted to each named person beside what was asked. The committee's count and the
chair's reason for differing from it are for those inside the decision only."""

from dataclasses import dataclass

from django.conf import settings
from django.db.models import Prefetch

from requests_app import workflow
from requests_app.core.states import AccessLevel, Status
from requests_app.models import Decision, Grant


@dataclass(frozen=True)
class PersonLevels:
    name: str
    requested: str
    decided: str
    # The level granted now, when a correction of the MOU lowered it; else empty.
    now: str


def decision_context(access_request, internal):
    """The `decision` context of the request page: empty until the request is decided."""
    if access_request.status not in Status.DECIDED:
        return {}
    decision = (
        Decision.objects.select_related("decided_by")
        .prefetch_related(
            "cited_criteria",
            Prefetch("grants", queryset=Grant.objects.select_related("person").order_by("pk")),
        )
        .filter(request=access_request)
        .first()
    )
    if decision is None:
        return {}
    # The decision's first grant of each person is the level decided; a correction of the MOU
    # adds a lower one, and the newest is the level granted now (as decision.levels.current_levels).
    grants = list(decision.grants.all())
    decided = workflow.decided_levels(access_request, grants)
    now = {grant.person_id: grant.level for grant in grants}
    people = {grant.person_id: grant.person for grant in grants}
    levels = [
        PersonLevels(
            name=person.name,
            requested=person.get_requested_level_display(),
            decided=AccessLevel(decided[pk]).label,
            now=AccessLevel(now[pk]).label if now.get(pk, decided[pk]) != decided[pk] else "",
        )
        for pk, person in sorted(people.items())
    ]
    tally = decision.tally if internal and decision.by_committee else None
    return {
        "decision": decision,
        "decided_by": (f"The {settings.COMMITTEE_NAME}" if decision.by_committee else "CCEH staff"),
        "cited": list(decision.cited_criteria.all()),
        "granted_levels": levels,
        "decision_tally": tally,
        "departs_reason": decision.departs_from_tally_reason if tally is not None else "",
    }
