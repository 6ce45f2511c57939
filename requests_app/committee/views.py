"""The committee's docket, and the committee's panels of a request's page: votes, the tally, the
chair's decision, a recusal."""

from django.conf import settings
from django.db.models import Prefetch
from django.shortcuts import render
from django.utils import timezone

from requests_app import policy
from requests_app.application.queries import listed
from requests_app.committee.forms import CommitteeDecisionForm, VoteForm
from requests_app.core import permissions
from requests_app.core.paging import REQUESTS, paginate
from requests_app.core.states import Status
from requests_app.core.visibility import (
    requests_seen_internally_by,
)
from requests_app.core.web import role_required
from requests_app.decision import grants
from requests_app.decision.views import outcome_state
from requests_app.models import User, Vote

DOCKET_PAGE_SIZE = 25


def _vote_this_round(votes):
    """A member's vote that counts, from their current votes on a request (Vote.objects.current
    leaves at most one): None before they vote in the current round."""
    return votes[-1] if votes else None


@role_required(permissions.is_committee_member)
def docket(request):
    past = request.GET.get("tab") == "past"
    visible = requests_seen_internally_by(request.user)
    if past:
        voted_on = Vote.objects.filter(voter=request.user).values("request_id")
        found = visible.filter(status__in=Status.DECIDED, pk__in=voted_on)
        found = found.select_related("decision")
        ordering = ["-status_changed_at", "-pk"]  # the latest decided first
    else:
        found = visible.filter(status=Status.VETTING)
        ordering = ["voting_round__deadline", "pk"]  # the nearest deadline first
    mine = Prefetch(
        "votes",
        queryset=Vote.objects.filter(voter=request.user).current().order_by("pk"),
        to_attr="my_votes",
    )
    page = paginate(
        request,
        grants.with_grant_state(listed(found)).prefetch_related(mine),
        ordering=ordering,
        size=DOCKET_PAGE_SIZE,
        noun=REQUESTS,
        newest_first=past,
    )
    today = timezone.localdate()
    # Each row: the request, the member's own vote in its current round (read with the page's
    # rows, one query), and the committee's decision clock (from the row's own columns).
    rows = [
        (grants.mark(r, grants.OTHER), _vote_this_round(r.my_votes), policy.deadline(r, today))
        for r in page.rows
    ]
    return render(
        request,
        "requests_app/committee/docket.html",
        {
            "rows": rows,
            "past": past,
            "page": page,
            "committee_target": settings.COMMITTEE_DECISION_TARGET_DAYS,
        },
    )


def committee_panel(access_request, user, actions, bound):
    """Votes, quorum and the chair's decision, once a request has gone to the committee.
    A member sees the others' votes and the tally only after casting their own."""
    if access_request.voting_round_id is None:
        return {}
    count = policy.tally(access_request)
    # The votes that count: current members' (the tally ignores those who left).
    current = list(policy.current_votes(access_request).filter(voter__in=User.objects.committee()))
    mine = next((v for v in current if v.voter_id == user.pk), None)
    sees_votes = (
        mine is not None or permissions.is_committee_chair(user) or permissions.is_cceh_staff(user)
    )
    context = {
        "committee": True,
        "tally": count,
        "my_vote": mine,
        "sees_votes": sees_votes,
        "votes": current if sees_votes else [],
        "decision_state": outcome_state(access_request, user, "decide"),
        # The chair may still deny; only an approval is blocked by a one-time need (2.1).
        "approval_blocked": policy.need_is_ongoing.problems(access_request),
    }
    if "vote" in actions:
        context["vote_form"] = bound.get("vote") or VoteForm(
            access_request=access_request, current=mine
        )
    if context["decision_state"] == []:
        context["decide_form"] = bound.get("decide") or CommitteeDecisionForm(
            access_request=access_request,
            suggested_levels=policy.suggested_levels(access_request),
            catalogue=policy.catalogue(),
            initial={
                "outcome": {"approve": Status.APPROVED, "deny": Status.DENIED}.get(
                    count["majority"]
                )
            },
        )
    return context


def recusal_panel(access_request, user, bound):
    """A member of the requesting organization sees none of the vote, but records that they
    stand aside: a conflict of interest is a recusal, and it is recorded."""
    recused = (
        policy.current_votes(access_request)
        .filter(voter=user, choice=Vote.Choice.RECUSE)
        .order_by("-pk")
        .first()
    )
    if recused is not None:
        return {"recused": recused}
    form = bound.get("vote") or VoteForm(access_request=access_request, recuse_only=True)
    return {"recusal_form": form}
