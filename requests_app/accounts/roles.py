"""An organization's roles: its authorized signatory and its security officer (docs/design.md
section 2, "Organization roles"). A member proposes, CCEH staff confirm or decline; the holder
of a role is the person of its newest confirmed proposal, while they are still an active member.
The reads here take no lock and import nothing of the permissions, which ask them
(core/permissions.py SIGNATORY); the changes are in accounts/role_services.py."""

from django.db.models import Exists, OuterRef

from requests_app.models import Membership, RoleDecision, RoleProposal

Role = RoleProposal.Role
Outcome = RoleDecision.Outcome


def _holding(organization_ids):
    """The confirmed proposals that hold each role of these organizations now: the newest
    confirmed per organization and role (no later confirmation of the same role: decisions are
    append-only, so a later one has a higher key), its person still an active member and
    account. One query, on PostgreSQL and on the SQLite of development alike."""
    confirmed = RoleProposal.objects.filter(decision__outcome=Outcome.CONFIRMED)
    later = confirmed.filter(
        organization_id=OuterRef("organization_id"),
        role=OuterRef("role"),
        decision__pk__gt=OuterRef("decision__pk"),
    )
    return confirmed.filter(organization_id__in=organization_ids).exclude(Exists(later))


def current_roles(organization_ids):
    """{(organization id, role): the proposal holding it}, in one query whatever the number of
    organizations. A holder who has left the organization holds nothing, and the one they
    superseded does not hold it again: membership is asked after the newest is chosen."""
    member = Membership.objects.filter(
        user_id=OuterRef("person_id"),
        organization_id=OuterRef("organization_id"),
        state=Membership.State.ACTIVE,
        user__is_active=True,
    )
    held = _holding(organization_ids).select_related("person", "decision")
    return {
        (p.organization_id, p.role): p
        for p in held.annotate(still_member=Exists(member))
        if p.still_member
    }


def authorized_signatory(organization):
    """The confirmed authorized signatory of `organization` (a User), or None."""
    holder = current_roles([organization.pk]).get((organization.pk, Role.SIGNATORY))
    return holder.person if holder else None


def security_officer(organization):
    holder = current_roles([organization.pk]).get((organization.pk, Role.SECURITY_OFFICER))
    return holder.person if holder else None


def pending():
    """Proposals waiting for CCEH staff, of every organization."""
    return RoleProposal.objects.filter(decision__isnull=True)


def pending_of(organization_ids):
    return pending().filter(organization_id__in=organization_ids)


class Change:
    """What happened to a role, as notifications.AUDIENCES knows it: the roles are an
    organization's, not a request's, so their history is the proposals and decisions
    themselves (append-only), not a request's Event."""

    PROPOSED = "role_proposed"
    CONFIRMED = "role_confirmed"
    DECLINED = "role_declined"
