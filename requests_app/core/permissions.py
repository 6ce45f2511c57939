"""Who may do what: the predicates, and the requirements actions list (requests_app/actions.py).
The one place they live: the refusals of every action, the pages and the admin ask these."""

from typing import NamedTuple

import rules

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
    message: str


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


@rules.predicate
def signs_as(user, person):
    """`user` is the named person `person` themself: one of their verified e-mail addresses is
    the one the request names. Only they sign their own user agreement (agreement/life.py)."""
    if not (user.is_authenticated and user.is_active) or person is None:
        return False
    from allauth.account.models import EmailAddress

    return EmailAddress.objects.filter(
        user=user, verified=True, email__iexact=person.email
    ).exists()
