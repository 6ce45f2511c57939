"""Who may do what. The one place permission predicates live: the transitions (permission=),
the workflow's refusals, the views and the templates all ask these."""

import operator
from functools import reduce
from typing import NamedTuple

import rules

from .choices import Status


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


def _remembered(request, key, user, compute):
    """A per-person answer kept on the request object for as long as it lives (one page or one
    action): a page asks it of every action it offers, and each ask would be a query."""
    memo = request.__dict__.setdefault("_rules_memo", {})
    if (key, user.pk) not in memo:
        memo[key, user.pk] = compute()
    return memo[key, user.pk]


@rules.predicate
def belongs_to_requesting_org(user, request):
    if not (user.is_authenticated and user.is_active):
        return False
    from .visibility import active_organization_ids

    return _remembered(
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
    return _remembered(request, "leader", user, lambda: request.cans.filter(leaders=user).exists())


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


# Each action's requirements. For a transition the status rule is the transition's source
# (models.py); for the other actions it is listed here.
ACTION_REQUIREMENTS = {
    "submit": [ORG_MEMBER],
    "start_screening": [STAFF, INDEPENDENT],
    "return_for_information": [STAFF, INDEPENDENT],
    "resubmit": [ORG_MEMBER],
    "approve": [STAFF, INDEPENDENT],
    "deny": [STAFF, INDEPENDENT],
    "escalate": [STAFF, INDEPENDENT],
    "record_committee_decision": [CHAIR, INDEPENDENT],
    "withdraw": [ORG_MEMBER],
    # A member of the requesting organization may still record a recusal; workflow.cast_vote
    # refuses them any other choice.
    "cast_vote": [during({Status.VETTING}, "open for votes"), MEMBER],
    "assess_criterion": [during({Status.SCREENING}, "in screening"), STAFF, INDEPENDENT],
    "recommend_for_can": [
        during(Status.OPEN, "open for the CAN's recommendation"),
        CAN_LEADER,
        INDEPENDENT,
    ],
    "add_internal_comment": [during(Status.AFTER_SUBMISSION, "submitted"), INTERNAL_PARTY],
    "add_requestor_message": [during(Status.AFTER_SUBMISSION, "submitted"), REQUESTOR_OR_STAFF],
    # The answers and files: while writing, and again when staff return it with a question.
    "edit_application": [during(Status.EDITABLE, "open for changes"), ORG_MEMBER],
    # A submitted request is withdrawn instead, so staff keep its history.
    "delete_draft": [during({Status.DRAFT}, "a draft"), ORG_MEMBER],
}

# After an approval: the MOU and the access it grants. The agreement's own status rule is its
# transition's source (models.Agreement); these are who may act. Asked of the request.
AGREEMENT_REQUIREMENTS = {
    # Whoever signs states that they may sign for the organization; the statement is recorded.
    "sign_mou": [ORG_MEMBER],
    "countersign_mou": [STAFF, INDEPENDENT],
    "amend_mou": [STAFF, INDEPENDENT],
    "record_training": [STAFF, INDEPENDENT],
    "activate_access": [STAFF, INDEPENDENT],
    "provision_access": [STAFF, INDEPENDENT],
    "revoke_access": [STAFF, INDEPENDENT],
    "start_renewal": [ORG_MEMBER],
    "prepare_mou": [STAFF, INDEPENDENT],
}
ACTION_REQUIREMENTS.update(AGREEMENT_REQUIREMENTS)

for _name, _requirements in ACTION_REQUIREMENTS.items():
    rules.add_rule(
        f"requests_app.{_name}", reduce(operator.and_, (r.predicate for r in _requirements))
    )


def may(action, of=None):
    """The permission= of a transition: the same rule the views and templates test, asked of
    the instance, or of `of(instance)` (an Agreement's rules are its request's).
    Tested through rules' own rule set, so a superuser gets no silent bypass."""

    def check(instance, user):
        return rules.test_rule(f"requests_app.{action}", user, of(instance) if of else instance)

    check.__name__ = f"may_{action}"
    return check


def unmet_requirements(action, user, request):
    """The sentences saying why `user` may not do `action`, empty when they may."""
    return [r.message for r in ACTION_REQUIREMENTS[action] if not r.predicate.test(user, request)]
