"""The life of one person's access, as a table the code keeps: where a PersonAccess stands
(`state_of`, read from its fields), and the moves between those states with the action that
makes each (agreement/access.py, departures.py, deprovisioning.py; amendments, reviews and the
daily job end access through the same `end_access`). `manage.py graph_access` draws the table
(docs/access.svg, the README's section on the grant); tests/agreement/test_life.py walks the
services through it, so the drawing and the code say the same."""

from requests_app.core.states import AccessEnd

NAMED = "named"
ACTIVE = "active"
PROVISIONED = "provisioned"
CLOSED = "closed"
UNUSED = "unused"
# Suspended, and the account closed meanwhile: resuming gives it again (resume_access).
SUSPENDED_CLOSED = "suspended_closed"
SUSPENDED = AccessEnd.SUSPENDED.value

LABELS = {
    NAMED: "Named on the MOU: not active yet",
    ACTIVE: "Active: on the provisioning list",
    PROVISIONED: "Active: HMIS account given",
    **{end.value: f"Ended: {end.label}" for end in AccessEnd if end in AccessEnd.FINAL},
    SUSPENDED: AccessEnd.SUSPENDED.label,
    SUSPENDED_CLOSED: "Suspended: HMIS account closed",
    UNUSED: "Ended before it began: no account to close",
    CLOSED: "HMIS account closed",
}
# Where no move leads on.
FINAL = frozenset({CLOSED, UNUSED})

# What ends access (end_access with each reason): who does it, in words.
ENDED_BY = {
    AccessEnd.DEPARTED: "depart",
    AccessEnd.REMOVED: "remove",
    AccessEnd.EXPIRED: "expire",
    AccessEnd.REVOKED: "revoke",
    AccessEnd.SUSPENDED: "suspend",
}

MOVES = (
    (NAMED, "activate", ACTIVE),
    (ACTIVE, "provision", PROVISIONED),
    *((held, ENDED_BY[end], end.value) for held in (ACTIVE, PROVISIONED) for end in AccessEnd),
    (SUSPENDED, "deprovision", SUSPENDED_CLOSED),
    # A suspension is undone once current, and the account is given again (resume_access).
    *((held, "resume", ACTIVE) for held in (SUSPENDED, SUSPENDED_CLOSED)),
    # A final end replaces a suspension (end_access).
    *((SUSPENDED, ENDED_BY[end], end.value) for end in AccessEnd if end in AccessEnd.FINAL),
    *((SUSPENDED_CLOSED, ENDED_BY[end], CLOSED) for end in AccessEnd if end in AccessEnd.FINAL),
    *((end.value, "deprovision", CLOSED) for end in AccessEnd if end in AccessEnd.FINAL),
    (NAMED, "depart, remove, expire or revoke", UNUSED),
)


def state_of(access):
    """Where `access` (a PersonAccess) stands, as a key of LABELS."""
    if access.ended_on:
        if not access.activated_at:
            return UNUSED
        if access.end_reason == SUSPENDED:
            return SUSPENDED_CLOSED if access.deprovisioned_at else SUSPENDED
        return CLOSED if access.deprovisioned_at else access.end_reason
    if access.provisioned_at:
        return PROVISIONED
    return ACTIVE if access.activated_at else NAMED
