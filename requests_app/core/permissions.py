"""Who may do what: the predicates, and the requirements actions list (requests_app/actions.py).
The one place they live: the refusals of every action, the pages and the admin ask these."""

from typing import NamedTuple

import rules

from requests_app.accounts.roles import authorized_signatory
from requests_app.core.visibility import (
    active_organization_ids,
)


@rules.predicate
def is_cceh_staff(user):
    return user.is_authenticated and user.is_active and user.is_cceh_staff


@rules.predicate
def is_committee_member(user):
    return user.is_authenticated and user.is_active and user.is_committee_member


@rules.predicate
def is_committee_chair(user):
    return user.is_authenticated and user.is_active and user.is_committee_chair


@rules.predicate
def is_administrator(user):
    return user.is_authenticated and user.is_active and user.is_superuser


def remembered(request, key, user, compute):
    """A per-person answer kept on the request object for as long as it lives (one page or one
    action): a page asks it of every action it offers, and each ask would be a query. A key
    that depends on the status names it, so a transition asks again."""
    memo = request.__dict__.setdefault("_rules_memo", {})
    if (key, user.pk) not in memo:
        memo[key, user.pk] = compute()
    return memo[key, user.pk]


@rules.predicate
def belongs_to_requesting_org(user, request):
    if not (user.is_authenticated and user.is_active):
        return False

    return remembered(
        request,
        "member",
        user,
        lambda: (
            active_organization_ids(user).filter(organization_id=request.organization_id).exists()
        ),
    )


@rules.predicate
def leads_a_named_can(user, request):
    if not (user.is_authenticated and user.is_active):
        return False
    return remembered(request, "leader", user, lambda: request.cans.filter(leaders=user).exists())


is_independent = ~belongs_to_requesting_org


def status_in(statuses):
    @rules.predicate(name=f"status_in_{'_'.join(sorted(statuses))}")
    def check(user, request):
        return request.status in statuses

    return check


class Requirement(NamedTuple):
    predicate: rules.Predicate
    # The refusal, in words; or (request) -> words, for a refusal that names someone.
    message: object

    def words(self, obj):
        return self.message(obj) if callable(self.message) else self.message


STAFF = Requirement(is_cceh_staff, "Only CCEH staff can do this.")
INDEPENDENT = Requirement(
    is_independent,
    "You belong to the requesting organization, so you cannot act on its request "
    "(a conflict of interest).",
)
ORG_MEMBER = Requirement(
    belongs_to_requesting_org, "Only members of the requesting organization can do this."
)
CHAIR = Requirement(is_committee_chair, "Only the sub-committee chair can record its decision.")
MEMBER = Requirement(is_committee_member, "Only sub-committee members can vote.")
CAN_LEADER = Requirement(
    leads_a_named_can, "Only the leadership of a CAN this request names can do this."
)
INTERNAL_PARTY = Requirement(
    # Never on their own organization's request: a conflict of interest hides as well as blocks.
    (is_cceh_staff | is_committee_member | leads_a_named_can) & is_independent,
    "Only CCEH staff, sub-committee members and the named CANs' leaders take part in the "
    "internal discussion, and none of them on a request of their own organization.",
)
REQUESTOR_OR_STAFF = Requirement(
    belongs_to_requesting_org | is_cceh_staff,
    "Only the requesting organization and CCEH staff write messages to each other.",
)


def signatory_of(request):
    """The confirmed authorized signatory of the request's organization, or None: read once
    for as long as the request object lives, as `remembered` keeps a person's answers."""
    memo = request.__dict__.setdefault("_rules_memo", {})
    if "signatory" not in memo:
        memo["signatory"] = authorized_signatory(request.organization)
    return memo["signatory"]


def known_signatory(request, signatory):
    """`signatory` was just read for `request`'s organization: the answer `signatory_of`
    would ask for (a page that shows the roles reads them once)."""
    request.__dict__.setdefault("_rules_memo", {})["signatory"] = signatory


@rules.predicate
def signs_for_requesting_org(user, request):
    """Signs the organization's MOU: its confirmed authorized signatory; while it has none
    confirmed, any member, who states they may sign for it (docs/design.md section 2,
    "Organization roles")."""
    if not belongs_to_requesting_org(user, request):
        return False
    signatory = signatory_of(request)
    return signatory is None or signatory.pk == user.pk


def _only_the_signatory(request):
    signatory = signatory_of(request)
    if signatory is None:
        return ORG_MEMBER.message
    return (
        f"Only {signatory.name}, the authorized signatory of {request.organization.name}, can "
        "sign its MOU."
    )


SIGNATORY = Requirement(signs_for_requesting_org, _only_the_signatory)


# An organization's roles (accounts/role_services.py), asked of the organization itself.


@rules.predicate
def is_member_of(user, organization):
    if not (user.is_authenticated and user.is_active):
        return False
    return active_organization_ids(user).filter(organization_id=organization.pk).exists()


PROPOSER = Requirement(
    is_member_of,
    "Only active members of the organization can propose its signatory or security officer.",
)
ROLE_DECIDER = (
    Requirement(is_cceh_staff, "Only CCEH staff can confirm or decline an organization's roles."),
    Requirement(
        # Said to staff alone: anyone else is refused by the first requirement already.
        ~is_member_of | ~is_cceh_staff,
        "You belong to this organization, so you cannot confirm or decline its roles (a "
        "conflict of interest).",
    ),
)


def during(statuses, what):
    return Requirement(status_in(statuses), f"This request is not {what} now.")


def leads_a_can(user):
    return user.is_authenticated and user.led_cans.exists()


@rules.predicate
def reads_the_audit(user):
    """Administrators (those who reach Django's admin) read the whole site's read log."""
    return user.is_authenticated and user.is_active and user.is_staff


# Who may see who has read a request: CCEH staff (on a request they see inside) and
# administrators.
sees_who_read = is_cceh_staff | reads_the_audit

# A departure is reported by the organization or by CCEH staff (agreement/departures.py).
ORG_OR_STAFF = Requirement(
    belongs_to_requesting_org | is_cceh_staff,
    "Only the organization's members and CCEH staff report that a person left.",
)


def sees_the_dashboard(user):
    """Staff see the dashboard of everything submitted; the committee's members and the CANs'
    leaders a read-only one of what they see inside (core/visibility.py)."""
    if not (user.is_authenticated and user.is_active):
        return False
    return user.is_cceh_staff or user.is_committee_member or leads_a_can(user)


@rules.predicate
def signs_as(user, person):
    """`user` is the named person `person` themself: one of their verified e-mail addresses is
    the one the request names. Only they sign their own user agreement (agreement/due.py)."""
    if not (user.is_authenticated and user.is_active) or person is None:
        return False
    from allauth.account.models import EmailAddress

    return EmailAddress.objects.filter(
        user=user, verified=True, email__iexact=person.email
    ).exists()
