"""The decision's panel of a request's page, and what blocks each outcome a person may choose."""

from requests_app import policy
from requests_app.core import permissions
from requests_app.core.actions import refusals
from requests_app.decision import grants
from requests_app.decision import section as decisions


def outcome_state(access_request, user, action):
    """None when the action is not this person's to take now; else the sentences that block
    it (empty when it can be taken)."""
    if refusals(access_request, user, action, check_conditions=False):
        return None
    if action == "approve":
        # Unheard CANs are waived in the approval form itself, so only the other guards block
        # it: the criteria, and a one-time need (2.1).
        return [
            problem
            for guard in (policy.criteria_all_pass, policy.need_is_ongoing)
            for problem in guard.problems(access_request)
        ]
    return refusals(access_request, user, action)


def decision_panel(access_request, user, internal, context):
    """The decision, at the detail this person may see, and the state of what it granted; for
    the requesting organization, what comes next once it is approved is the grant's next step."""
    # The tally is the votes counted: shown to those who may see votes (votes_visible_to), not
    # to CAN leaders, who see none, nor to the requesting organization.
    sees_tally = internal and (
        permissions.is_cceh_staff(user)
        or permissions.is_committee_member(user)
        or user.is_superuser
    )
    found = decisions.decision_context(access_request, sees_tally)
    viewer = grants.viewer_of(user, access_request)
    grant = grants.grant_state(access_request, viewer, agreement=context["agreement"])
    found["grant"] = grant
    if grant and context["own"]:
        found["next_step"] = grant.next_step
    return found
