"""Proposing, confirming and declining an organization's authorized signatory and security
officer (docs/design.md section 2, "Organization roles"). Each takes the organization's row
lock, so two proposals, or a proposal and a decision, cannot cross; each appends a row and
tells, through notifications.AUDIENCES, who hears of it."""

from django.db import transaction

from requests_app.accounts import sessions
from requests_app.accounts.roles import Change, Outcome, Role, current_roles, pending_of
from requests_app.core.actions import refuse, require
from requests_app.core.inputs import text
from requests_app.core.permissions import PROPOSER, ROLE_DECIDER
from requests_app.models import Membership, Organization, RoleDecision, RoleProposal
from requests_app.notifications.services import tell_role


def _lock(organization):
    return Organization.objects.select_for_update().get(pk=organization.pk)


def _refusals(requirements, user, organization):
    return [r.words(organization) for r in requirements if not r.predicate.test(user, organization)]


def propose_refusals(user, organization):
    return _refusals((PROPOSER,), user, organization)


def decide_refusals(user, organization):
    return _refusals(ROLE_DECIDER, user, organization)


def _is_member(person, organization):
    return Membership.objects.filter(
        user=person,
        organization=organization,
        state=Membership.State.ACTIVE,
        user__is_active=True,
    ).exists()


@transaction.atomic
def propose_role(organization, user, role, person, title):
    """A member proposes `person`, a member too, with their title, for `role`. A replacement is
    a proposal like any other; one proposal per role waits at a time."""
    locked = _lock(organization)
    refuse("propose_role", propose_refusals(user, locked))
    role, title = Role(role), text(title)
    label = role.label.lower()
    holder = current_roles([locked.pk]).get((locked.pk, role))
    waiting = pending_of([locked.pk]).filter(role=role).select_related("person").first()
    require(
        "propose_role",
        (
            person is None or not _is_member(person, locked),
            f"Choose an active member of {locked.name}: only a member can hold its roles.",
        ),
        (not title, "Give their title."),
        (
            holder is not None and person is not None and holder.person_id == person.pk,
            f"{person.name if person else ''} is already the {label} of {locked.name}.",
        ),
        (
            waiting is not None,
            f"{waiting.person.name if waiting else ''} is already proposed as {label} and waits "
            "for CCEH staff: they confirm or decline it first.",
        ),
    )
    proposal = RoleProposal.objects.create(
        organization=locked, role=role, person=person, title=title, proposed_by=user
    )
    tell_role(proposal, Change.PROPOSED, user)
    return proposal


def _decide(proposal, user, outcome, reason=""):
    locked = _lock(proposal.organization)
    name = "confirm_role" if outcome == Outcome.CONFIRMED else "decline_role"
    refuse(name, decide_refusals(user, locked))
    require(
        name,
        (
            RoleDecision.objects.filter(proposal=proposal).exists(),
            "This proposal has already been answered.",
        ),
    )
    return locked


@transaction.atomic
def confirm_role(proposal, user):
    """CCEH staff confirm: the person holds the role from now on, superseding its holder, whose
    proposal and decision stay as they were."""
    locked = _decide(proposal, user, Outcome.CONFIRMED)
    require(
        "confirm_role",
        (
            not _is_member(proposal.person, locked),
            f"{proposal.person.name} is no longer an active member of {locked.name}; decline "
            "the proposal instead.",
        ),
    )
    before = current_roles([locked.pk]).get((locked.pk, proposal.role))
    decision = RoleDecision.objects.create(
        proposal=proposal, outcome=Outcome.CONFIRMED, decided_by=user
    )
    # A change of roles ends the sessions of whoever it changes (accounts/sessions.py).
    changed = {proposal.person_id} | ({before.person_id} if before else set())
    sessions.end_sessions(changed, sessions.ROLES_CHANGED)
    tell_role(proposal, Change.CONFIRMED, user)
    return decision


@transaction.atomic
def decline_role(proposal, user, reason):
    """CCEH staff decline, saying why; the organization reads it and may propose again."""
    _decide(proposal, user, Outcome.DECLINED)
    reason = text(reason)
    require("decline_role", (not reason, "Write why; the organization reads it."))
    decision = RoleDecision.objects.create(
        proposal=proposal, outcome=Outcome.DECLINED, reason=reason, decided_by=user
    )
    tell_role(proposal, Change.DECLINED, user)
    return decision
