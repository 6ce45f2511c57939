"""The MOU of an approval (4.1): issued, signed by the organization, countersigned by CCEH,
corrected before that, and prepared again when a render failed. Each signature names the version
it signed and its SHA-256."""

from django.db import transaction
from django.utils import timezone

from requests_app.agreement.renders import queue_render, render_after_commit
from requests_app.core.actions import lock, require
from requests_app.core.events import record_event
from requests_app.core.inputs import text
from requests_app.core.states import AccessLevel
from requests_app.decision.levels import (
    above_decided_grant,
    check_levels,
    current_levels,
    decided_levels,
)
from requests_app.models import (
    Agreement,
    Event,
    Grant,
    MOUVersion,
    PersonAccess,
    Signature,
)

SIGNING_STATEMENT = (
    "I am authorized to sign this Memorandum of Understanding for {organization}, and I "
    "agree to it on its behalf."
)


COUNTERSIGNING_STATEMENT = "I countersign this Memorandum of Understanding for CCEH."


def version_problems(agreement):
    """Actions that read the MOU as it now stands, or make its next version: none may run while
    a version an earlier action asked for is not stored yet."""
    pending = agreement.pending_version()
    if pending is None:
        return []
    if agreement.mou_failed_at:
        return [
            f"Version {pending} of the MOU could not be prepared. CCEH staff can see why on "
            "this page and prepare it again."
        ]
    return [f"Version {pending} of the MOU is still being prepared: reload in a minute."]


def nothing_to_prepare(agreement):
    if agreement.mou_failed_at:
        return []
    return ["Every version of the MOU asked for is stored or being prepared."]


def move_agreement(locked, transition, *args):
    getattr(locked, transition)(*args)
    locked.save()


def issue_agreement(locked, user):
    """An approval's MOU: the agreement, each named person's access, and its first version,
    rendered once the decision has committed."""
    agreement = Agreement.objects.create(request=locked)
    PersonAccess.objects.bulk_create(
        [PersonAccess(agreement=agreement, person=p) for p in locked.people.all()]
    )
    render_after_commit(agreement, MOUVersion.Kind.ISSUED, "", user)
    return agreement


@transaction.atomic
def prepare_mou(agreement, user, seen=None):
    """Staff ask again for a version whose render failed."""
    locked = lock(agreement, user, "prepare", seen)
    locked.mou_queued_at, locked.mou_failed_at = timezone.now(), None
    locked.save(update_fields=["mou_queued_at", "mou_failed_at"])
    queue_render(locked)
    return locked


@transaction.atomic
def sign_mou(agreement, user, full_name, title, affirmed, ip_address=None, seen=None, given=None):
    """The organization's authorized signatory (or, while it has none confirmed, a member who
    states they may sign for it: core/permissions.py SIGNATORY) signs the current version.
    `given` is the (version, SHA-256) the signer's page showed: a signature on any other is
    refused."""
    locked = lock(agreement, user, "sign", seen)
    party = Signature.Party.ORGANIZATION
    return _sign(locked, user, full_name, title, affirmed, ip_address, party, given)


@transaction.atomic
def countersign_mou(
    agreement, user, full_name, title, affirmed, ip_address=None, seen=None, given=None
):
    """CCEH countersigns; the executed MOU is a new version carrying both signatures."""
    locked = lock(agreement, user, "countersign", seen)
    party = Signature.Party.CCEH
    return _sign(locked, user, full_name, title, affirmed, ip_address, party, given)


def require_signable(action, current, given, full_name, title, affirmed):
    """What every signature of an MOU version asks, refused in words: a stored version, the one
    the signer read (`given`, its identity), a typed name and title, the statement confirmed."""
    require(
        action,
        (current is None, "The MOU is still being prepared. Try again in a minute."),
        (
            current is not None and given is not None and tuple(given) != current.identity(),
            f"The MOU changed while you were reading it: version "
            f"{current.version if current else ''} is now the one to sign. Read it, then sign "
            "again.",
        ),
        (not full_name, "Type your full name as your signature."),
        (not title, "Give your title."),
        (not affirmed, "Confirm the statement above your signature."),
    )


def _sign(locked, user, full_name, title, affirmed, ip_address, party, given):
    action = "sign" if party == Signature.Party.ORGANIZATION else "countersign"
    full_name, title = text(full_name), text(title)
    # Under the agreement's lock, and no new version is pending (version_problems): the
    # newest stored version is the MOU as it stands.
    current = locked.current_mou()
    require_signable(action, current, given, full_name, title, affirmed)
    if party == Signature.Party.ORGANIZATION:
        statement = SIGNING_STATEMENT.format(organization=locked.request.organization.name)
        move_agreement(locked, "sign")
        kind, event_kind = MOUVersion.Kind.SIGNED, Event.Kind.MOU_SIGNED
    else:
        statement = COUNTERSIGNING_STATEMENT
        move_agreement(locked, "countersign")
        kind, event_kind = MOUVersion.Kind.EXECUTED, Event.Kind.MOU_COUNTERSIGNED
    signature = Signature.objects.create(
        agreement=locked,
        mou=current,
        mou_sha256=current.sha256,
        party=party,
        signer=user,
        full_name=full_name,
        title=title,
        statement=statement,
        ip_address=ip_address,
    )
    record_event(
        locked.request,
        user,
        event_kind,
        note=f"{full_name}, {title}",
        data=current.named(),
        public=True,
    )
    render_after_commit(locked, kind, f"{signature}", user)
    return signature


@transaction.atomic
def amend_mou(agreement, user, reason, names=None, levels=None, seen=None):
    """CCEH corrects the MOU before it is countersigned: a name, or a granted level, lowered
    only (never above what was asked, nor above what the decision granted). A new version
    follows; a signed MOU is signed again. `names`: {named person: name}; `levels`: {named
    person: level}."""
    locked = lock(agreement, user, "amend", seen)
    request = locked.request
    reason = text(reason)
    require("amend", (not reason, "Write why the MOU changes; the requestor reads it."))
    people = {p.pk: p for p in request.people.all()}
    names = {person.pk: text(name) for person, name in (names or {}).items()}
    levels = {person.pk: level for person, level in (levels or {}).items()}
    require(
        "amend",
        (set(names) - set(people) or set(levels) - set(people), "Choose people this MOU names."),
        *[(not name, "A person's name cannot be empty.") for name in names.values()],
    )
    granted = current_levels(request)
    changed = []
    for pk, name in names.items():
        if people[pk].name != name:
            changed.append(f"{people[pk].name} is now {name}")
            people[pk].name = name
            people[pk].save(update_fields=["name"])
    new_levels = {pk: lv for pk, lv in levels.items() if lv and granted.get(pk) != lv}
    if new_levels:
        checked = check_levels(
            "amend",
            request,
            {people[pk]: level for pk, level in {**granted, **new_levels}.items()},
            "the granted level",
        )
        decided = decided_levels(request)
        require(
            "amend",
            *[
                (
                    AccessLevel.RANK[level] > AccessLevel.RANK[decided[pk]],
                    above_decided_grant(people[pk].name, decided[pk]),
                )
                for pk, level in new_levels.items()
            ],
        )
        decision = request.decision
        for pk, level in new_levels.items():
            Grant.objects.create(decision=decision, person=people[pk], level=checked[pk])
            changed.append(f"{people[pk].name}: {AccessLevel(level).label.lower()}")
    require("amend", (not changed, "Nothing differs from the MOU as it is."))
    move_agreement(locked, "amend")
    record_event(
        request,
        user,
        Event.Kind.MOU_AMENDED,
        note=reason,
        data={"changed": changed},
        public=True,
    )
    render_after_commit(locked, MOUVersion.Kind.AMENDED, reason, user)
    return locked
