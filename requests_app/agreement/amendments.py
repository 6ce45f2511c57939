"""Amendments of an executed or active MOU, without a new application (docs/design.md,
"Amendments"), and the yearly review of its people that uses them.

- Add a person: the organization asks (name, title, e-mail, level, reason); CCEH staff approve
  at that level or lower, or decline with a reason. An approval names the person on the
  request, grants the level, gives them a PersonAccess not yet active, and makes an amendment
  version of the MOU that the organization signs (`sign_amendment`). The MOU stays active for
  everyone else meanwhile: only the added person waits for that signature
  (`access.awaiting_signature`), then for their training, then for activation as any person
  does.
- Remove a person, or lower a person's level: in effect at once. A removal ends their access
  (`access.end_access`, REMOVED), which puts an activated person on the deprovisioning list; a
  lowering is a new Grant, and a person who had their HMIS account is put back on the
  provisioning list to have it changed to the new level.
- The yearly review (`review_access`): each person kept, lowered or removed, in one
  submission: one Recertification row, the same lower and remove steps as above, one amendment
  version for the changes, and the events.

Each change that takes effect makes a new MOU version of kind "amendment" and events; nothing
a decision rested on is edited: what was asked is an Amendment row, a decision an
AmendmentDecision row, a level a new Grant."""

from django.db import transaction
from django.utils import timezone

from requests_app import policy
from requests_app.agreement.access import end_access
from requests_app.agreement.renders import render_after_commit
from requests_app.agreement.services import SIGNING_STATEMENT, require_signable
from requests_app.core.actions import lock, require
from requests_app.core.events import record_event
from requests_app.core.inputs import text
from requests_app.core.states import AccessEnd, AccessLevel
from requests_app.decision.levels import current_levels
from requests_app.models import (
    Amendment,
    AmendmentDecision,
    Event,
    Grant,
    MOUVersion,
    NamedPerson,
    PersonAccess,
    Recertification,
    Signature,
)

KEEP, LOWER, REMOVE = "keep", "lower", "remove"
# Additions waiting for CCEH at once, per MOU: the MOU page lists them all, so it is bounded.
MAX_PENDING_ADDITIONS = 20


def _label(level):
    return AccessLevel(level).label.lower()


# What the MOU page and the actions' checks ask.


def _memo(agreement, key, compute):
    """What a page asks several times of one agreement (a check, then a form), read once: kept
    on the agreement object, which lives for one page or one action (a service's lock reads
    the row anew)."""
    memo = agreement.__dict__.setdefault("_amending", {})
    if key not in memo:
        memo[key] = compute()
    return memo[key]


def pending_additions(agreement):
    """Additions asked for and not decided yet, oldest first."""
    return agreement.amendments.filter(kind=Amendment.Kind.ADD, decision__isnull=True).order_by(
        "pk"
    )


def pending_list(agreement):
    """pending_additions as a list, read once per agreement object."""
    return _memo(
        agreement,
        "pending",
        lambda: list(pending_additions(agreement).select_related("requested_by")),
    )


def nothing_to_decide(agreement):
    if pending_list(agreement):
        return []
    return ["No addition is waiting for a decision."]


def nothing_to_sign(agreement):
    from requests_app.agreement.access import awaiting_signature

    if awaiting_signature(agreement):
        return []
    return ["No amendment is waiting for the organization's signature."]


def holders(agreement):
    """The people who hold access under the MOU now, or will once active: not ended, not
    revoked. What a removal, a lowering and the review choose among."""
    return _memo(
        agreement,
        "holders",
        lambda: list(
            agreement.people.filter(ended_on__isnull=True, revoked_at__isnull=True).select_related(
                "person"
            )
        ),
    )


# The organization asks to add a person; staff decide.


@transaction.atomic
def request_addition(agreement, user, name, title, email, level, reason, seen=None):
    locked = lock(agreement, user, "add", seen)
    request = locked.request
    name, title, reason = text(name), text(title), text(reason)
    email = text(email).lower()
    require(
        "add",
        (not name, "Give the person's full name."),
        (not email, "Give the person's e-mail address."),
        (level not in AccessLevel.values, "Choose the access level asked for them."),
        (not reason, "Write why they need HMIS access; CCEH staff read it."),
    )
    require(
        "add",
        (
            request.people.filter(email=email).exists(),
            f"{email} is already named on this MOU. A person removed or departed comes back "
            "through a new request.",
        ),
        (
            pending_additions(locked).filter(email=email).exists(),
            f"The addition of {email} is already waiting for CCEH's decision.",
        ),
        (
            pending_additions(locked).count() >= MAX_PENDING_ADDITIONS,
            f"{MAX_PENDING_ADDITIONS} additions are already waiting for CCEH's decision: ask "
            "again once they are decided.",
        ),
    )
    require("add", *[(True, p) for p in policy.addition_problems(request, email, level)])
    amendment = Amendment.objects.create(
        agreement=locked,
        kind=Amendment.Kind.ADD,
        name=name,
        title=title,
        email=email,
        level=level,
        reason=reason,
        requested_by=user,
    )
    record_event(
        request,
        user,
        Event.Kind.AMENDMENT_REQUESTED,
        note=reason,
        data={"people": [name], "level": level, "amendment": amendment.pk},
        public=True,
    )
    return amendment


@transaction.atomic
def decide_addition(agreement, user, amendment, approve, level, reason, seen=None):
    """CCEH staff approve an addition at `level` (never above what was asked, 1.6, nor above
    what the MOU's purpose supports) or decline it with a reason the organization reads."""
    action = "decide_addition"
    locked = lock(agreement, user, action, seen)
    request = locked.request
    reason = text(reason)
    require(
        action,
        (
            amendment is None or not pending_additions(locked).filter(pk=amendment.pk).exists(),
            "That addition is not waiting for a decision: reload the page.",
        ),
    )
    if not approve:
        require(
            action, (not reason, "Write why the addition is declined; the organization reads it.")
        )
        decision = AmendmentDecision.objects.create(
            amendment=amendment, approved=False, reason=reason, decided_by=user
        )
        record_event(
            request,
            user,
            Event.Kind.ADDITION_DECLINED,
            note=reason,
            data={"people": [amendment.name], "amendment": amendment.pk},
            public=True,
        )
        return decision
    require(action, (level not in AccessLevel.values, "Choose the level granted."))
    require(
        action,
        (
            AccessLevel.RANK[level] > AccessLevel.RANK[amendment.level],
            f"{amendment.name} was asked for at {_label(amendment.level)}; the level granted "
            "cannot be higher (1.6).",
        ),
        (
            request.people.filter(email=amendment.email).exists(),
            f"{amendment.email} is already named on this MOU.",
        ),
        *[(True, p) for p in policy.addition_problems(request, amendment.email, level)],
    )
    person = NamedPerson.objects.create(
        request=request,
        name=amendment.name,
        title=amendment.title,
        email=amendment.email,
        requested_level=amendment.level,
    )
    Grant.objects.create(decision=request.decision, person=person, level=level)
    PersonAccess.objects.create(agreement=locked, person=person)
    words = f"{person.name} added at {_label(level)}"
    render_after_commit(locked, MOUVersion.Kind.AMENDMENT, words, user)
    decision = AmendmentDecision.objects.create(
        amendment=amendment,
        approved=True,
        level=level,
        reason=reason,
        person=person,
        mou_version=locked.mou_version,
        decided_by=user,
    )
    record_event(
        request,
        user,
        Event.Kind.PERSON_ADDED,
        note=reason,
        data={
            "people": [person.name],
            "level": level,
            "amendment": amendment.pk,
            "version": locked.mou_version,
        },
        public=True,
    )
    return decision


@transaction.atomic
def sign_amendment(
    agreement, user, full_name, title, affirmed, ip_address=None, seen=None, given=None
):
    """The organization signs the amended MOU that adds people. The MOU's status does not
    change (everyone else keeps their access); the signature on this version, or a later one,
    is what the added people waited for (`access.awaiting_signature`)."""
    action = "sign_amendment"
    locked = lock(agreement, user, action, seen)
    full_name, title = text(full_name), text(title)
    current = locked.current_mou()
    require_signable(action, current, given, full_name, title, affirmed)
    signature = Signature.objects.create(
        agreement=locked,
        mou=current,
        mou_sha256=current.sha256,
        party=Signature.Party.ORGANIZATION,
        signer=user,
        full_name=full_name,
        title=title,
        statement=SIGNING_STATEMENT.format(organization=locked.request.organization.name),
        ip_address=ip_address,
    )
    record_event(
        locked.request,
        user,
        Event.Kind.AMENDMENT_SIGNED,
        note=f"{full_name}, {title}",
        data=current.named(),
        public=True,
    )
    render_after_commit(locked, MOUVersion.Kind.SIGNED, f"{signature} (amendment)", user)
    return signature


# Removals and lowerings: in effect at once. The steps below run under the caller's lock of
# the agreement, so the review runs the very same ones.


def _holder(locked, person, action):
    access = next((a for a in holders(locked) if person and a.person_id == person.pk), None)
    require(action, (access is None, "Choose a person who holds access under this MOU."))
    return access


def lowering_problems(person, current, level, reason):
    """Why `person` (granted `current` now) cannot be lowered to `level` for `reason`."""
    if level not in AccessLevel.values:
        return [f"Choose the lower level for {person.name}."]
    problems = []
    if AccessLevel.RANK[level] >= AccessLevel.RANK[current]:
        lowest = AccessLevel.RANK[current] == min(AccessLevel.RANK.values())
        problems.append(
            f"{person.name} holds {_label(current)}; "
            + (
                "there is no lower level: remove them instead."
                if lowest
                else f"the new level must be lower than {_label(current)}."
            )
        )
    if not text(reason):
        problems.append(f"Write why {person.name}'s level is lowered.")
    return problems


def removal_problems(person, reason):
    return [] if text(reason) else [f"Write why {person.name} is removed."]


def _lower(locked, user, access, level, reason, recertification=None):
    person = access.person
    amendment = Amendment.objects.create(
        agreement=locked,
        kind=Amendment.Kind.LOWER,
        person=person,
        level=level,
        reason=text(reason),
        recertification=recertification,
        requested_by=user,
    )
    Grant.objects.create(decision=locked.request.decision, person=person, level=level)
    if access.provisioned_at:
        # The HMIS account is to be changed to the new level: back on the provisioning list,
        # which reads the newest grant.
        access.provisioned_at = access.provisioned_by = None
        access.save(update_fields=["provisioned_at", "provisioned_by"])
    return amendment


def _remove(locked, user, access, reason, recertification=None):
    amendment = Amendment.objects.create(
        agreement=locked,
        kind=Amendment.Kind.REMOVE,
        person=access.person,
        reason=text(reason),
        recertification=recertification,
        requested_by=user,
    )
    end_access([access], AccessEnd.REMOVED, timezone.localdate())
    return amendment


def _lowered_event(locked, user, lowered, note):
    record_event(
        locked.request,
        user,
        Event.Kind.ACCESS_LOWERED,
        note=note,
        data={
            "people": [a.person.name for a in lowered],
            "levels": {a.person.name: a.level for a in lowered},
        },
        public=True,
    )


def _removed_event(locked, user, removed, note):
    record_event(
        locked.request,
        user,
        Event.Kind.ACCESS_REMOVED,
        note=note,
        data={"people": [a.person.name for a in removed]},
        public=True,
    )


@transaction.atomic
def lower_access(agreement, user, person, level, reason, seen=None):
    """Lower one person's level (a NamedPerson the MOU names), at once."""
    locked = lock(agreement, user, "lower", seen)
    access = _holder(locked, person, "lower")
    current = current_levels(locked.request)[person.pk]
    require("lower", *[(True, p) for p in lowering_problems(access.person, current, level, reason)])
    amendment = _lower(locked, user, access, level, reason)
    _lowered_event(locked, user, [amendment], amendment.reason)
    render_after_commit(
        locked,
        MOUVersion.Kind.AMENDMENT,
        f"{access.person.name} lowered to {_label(level)}: {amendment.reason}",
        user,
    )
    return amendment


@transaction.atomic
def remove_access(agreement, user, person, reason, seen=None):
    """Remove one person from the MOU, at once: their access ends today. Removing the last
    person is allowed: the MOU stays active with nobody holding access until it ends or a
    person is added (a revocation would count against the organization's standing, 1.10)."""
    locked = lock(agreement, user, "remove", seen)
    access = _holder(locked, person, "remove")
    require("remove", *[(True, p) for p in removal_problems(access.person, reason)])
    amendment = _remove(locked, user, access, reason)
    _removed_event(locked, user, [amendment], amendment.reason)
    render_after_commit(
        locked,
        MOUVersion.Kind.AMENDMENT,
        f"{access.person.name} removed: {amendment.reason}",
        user,
    )
    return amendment


# The yearly review.


@transaction.atomic
def review_access(agreement, user, choices, note="", seen=None):
    """The yearly review of who holds access: `choices` is {NamedPerson: (keep|lower|remove,
    level, reason)} for every person who holds access now. Refused whole, with every problem,
    unless each is chosen and each lowering is lower and each change has its reason; otherwise
    one Recertification row, the lowerings and removals (the same steps as the amendments),
    one amendment version when anything changed, and the events."""
    action = "review"
    locked = lock(agreement, user, action, seen)
    accesses = holders(locked)
    chosen = {person.pk: choice for person, choice in choices.items()}
    granted = current_levels(locked.request)
    problems = []
    if set(chosen) - {a.person_id for a in accesses}:
        problems.append("Someone reviewed no longer holds access under this MOU: reload the page.")
    for access in accesses:
        what, level, reason = chosen.get(access.person_id, (None, None, ""))
        if what == LOWER:
            problems += lowering_problems(access.person, granted[access.person_id], level, reason)
        elif what == REMOVE:
            problems += removal_problems(access.person, reason)
        elif what != KEEP:
            problems.append(f"Choose keep, lower or remove for {access.person.name}.")
    require(action, *[(True, p) for p in problems])
    kept = [a for a in accesses if chosen[a.person_id][0] == KEEP]
    summary = _summary(kept, accesses, chosen, granted)
    recertification = Recertification.objects.create(
        agreement=locked, reviewed_by=user, note=text(note) or summary
    )
    lowered, removed = [], []
    for access in accesses:
        what, level, reason = chosen[access.person_id]
        if what == LOWER:
            lowered.append(_lower(locked, user, access, level, reason, recertification))
        elif what == REMOVE:
            removed.append(_remove(locked, user, access, reason, recertification))
    if lowered:
        _lowered_event(locked, user, lowered, "Yearly review.")
    if removed:
        _removed_event(locked, user, removed, "Yearly review.")
    record_event(
        locked.request,
        user,
        Event.Kind.RECERTIFIED,
        note=summary,
        data={
            "recertification": recertification.pk,
            "kept": [a.person.name for a in kept],
            "lowered": [a.person.name for a in lowered],
            "removed": [a.person.name for a in removed],
        },
        public=True,
    )
    if lowered or removed:
        render_after_commit(locked, MOUVersion.Kind.AMENDMENT, f"Yearly review: {summary}", user)
    # A person suspended only for an overdue review is current again at once (agreement/due.py).
    from requests_app.agreement.due import bring_current

    bring_current(locked, user)
    return recertification


def _summary(kept, accesses, chosen, granted):
    parts = [f"{len(kept)} kept"]
    lowered = [
        f"{a.person.name} to {_label(chosen[a.person_id][1])}"
        for a in accesses
        if chosen[a.person_id][0] == LOWER
    ]
    removed = [a.person.name for a in accesses if chosen[a.person_id][0] == REMOVE]
    if lowered:
        parts.append(f"lowered: {', '.join(lowered)}")
    if removed:
        parts.append(f"removed: {', '.join(removed)}")
    return "; ".join(parts) + "."


def nobody_holds_access(agreement):
    if holders(agreement):
        return []
    return ["Nobody holds access under this MOU now."]
