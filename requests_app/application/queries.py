"""How pages load requests: with what every list of them shows, and the one request a person may
see (a 404 for anyone else)."""

from django.db.models import Prefetch
from django.shortcuts import get_object_or_404

from requests_app.core.visibility import (
    requests_visible_to,
)
from requests_app.decision import grants
from requests_app.models import (
    Attachment,
)


def listed(queryset):
    # The voting round: its note and deadline are on the docket and the request's page.
    return queryset.select_related("organization", "assignee", "voting_round").prefetch_related(
        "cans", Prefetch("people", queryset=grants.people_with_granted_level())
    )


def with_attachments(queryset):
    return queryset.prefetch_related(
        Prefetch("attachments", queryset=Attachment.objects.select_related("uploaded_by"))
    )


def visible_request(request, reference):
    return get_object_or_404(
        with_attachments(listed(requests_visible_to(request.user))), reference=reference
    )
