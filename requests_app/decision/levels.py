"""The levels a decision grants: each person's, never above what was asked for them (1.6), and
never above what the decision granted once the MOU is corrected."""

from requests_app.core.actions import ActionRefused
from requests_app.core.states import AccessLevel
from requests_app.models import Grant, latest_per


def check_levels(action, request, levels, what):
    """Every named person has a valid level, never above what was asked for them (1.6), and
    nobody else has one. `levels`: {named person: level}. Returns {named person id: level}, as
    the records keep it."""
    levels = {person.pk: level for person, level in (levels or {}).items()}
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


def decided_levels(request, grants=None):
    """{named person id: the level the decision granted}: the decision's first grant of each
    person. A correction adds later grants and may lower a level, never raise it above this.
    `grants`: the decision's grants oldest first, when the caller has them already."""
    if grants is None:
        grants = Grant.objects.filter(decision__request=request).order_by("pk")
    decided = {}
    for grant in grants:
        decided.setdefault(grant.person_id, grant.level)
    return decided


def above_decided_grant(name, decided_level):
    """The refusal of a correction raising a person's level above the decision's (1.6: the MOU
    states the access decided)."""
    return (
        f"{name} was granted {AccessLevel(decided_level).label.lower()} by the decision; a "
        "correction can lower that level but never raise it above the decided grant."
    )


def current_levels(request):
    """{named person id: the level granted now}: the decision's grants, or a correction's."""
    grants = latest_per(Grant.objects.filter(decision__request=request), "person")
    return {g.person_id: g.level for g in grants}
