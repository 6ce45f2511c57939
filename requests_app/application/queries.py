"""How pages load requests: with what every list of them shows, and the one request a person may
see (a 404 for anyone else)."""

from django.db.models import Prefetch
from django.shortcuts import get_object_or_404

from requests_app.core.actions import seen
from requests_app.core.visibility import (
    requests_visible_to,
)
from requests_app.decision import grants
from requests_app.models import (
    Attachment,
)

# What a list shows of a request, and nothing more: every answer is a text column of the request
# row, and only the request's own page reads them (visible_request). The agreement's status and
# dates are what a grant's state reads (decision/grants.py). A relation's columns are read only
# where the list joins it.
SHOWN_IN_LISTS = (
    "reference",
    "organization__name",
    "statewide",
    "status",
    "status_changed_at",
    # The decision target's clock (policy.deadline): CCEH's from submission, the committee's
    # from the escalation that opened the round.
    "submitted_at",
    "assignee__name",
    "voting_round__note",
    "voting_round__deadline",
    "voting_round__opened_at",
    "program",
    "last_step",
    "updated_at",
    "agreement__status",
    "agreement__ends_on",
    "agreement__ended_at",
    # Whether the committee decided it: the docket's decided tab.
    "decision__by_committee",
)


def _with_relations(queryset, people):
    # The voting round: its note and deadline are on the docket and the request's page.
    return queryset.select_related("organization", "assignee", "voting_round").prefetch_related(
        "cans", Prefetch("people", queryset=people)
    )


def listed(queryset):
    """Requests for a list: what every row shows, in a fixed number of queries, and only that."""
    people = grants.people_with_granted_level().only("request", "name", "requested_level")
    return _with_relations(queryset, people).only(*SHOWN_IN_LISTS)


def with_attachments(queryset):
    return queryset.prefetch_related(
        Prefetch("attachments", queryset=Attachment.objects.select_related("uploaded_by"))
    )


def visible_request(request, reference):
    found = get_object_or_404(
        with_attachments(
            _with_relations(requests_visible_to(request.user), grants.people_with_granted_level())
        ),
        reference=reference,
    )
    # Found through the person's visibility, so the rules need not ask it again (core/actions.py).
    seen(found, request.user)
    return found
