"""Staff's queue and its CSV, the CAN leaders' list, and the screening panels of a request's
page."""

from django.conf import settings
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.shortcuts import render
from django.utils import timezone

from requests_app import policy
from requests_app.application.queries import listed
from requests_app.core import permissions
from requests_app.core.files import csv_download
from requests_app.core.permissions import leads_a_can
from requests_app.core.states import Status
from requests_app.core.visibility import (
    requests_seen_internally_by,
)
from requests_app.core.web import role_required
from requests_app.decision import grants
from requests_app.decision.forms import ApproveForm
from requests_app.decision.views import outcome_state
from requests_app.models import AccessRequest, Assessment, CANRecommendation, latest_per
from requests_app.screening.filters import QueueFilter
from requests_app.screening.forms import AssessmentForm

QUEUE_PAGE_SIZE = 25


def _queue(request):
    return QueueFilter(
        request.GET or None,
        # Staff's lists hold what staff see as staff: never their own organization's requests.
        queryset=listed(requests_seen_internally_by(request.user)),
        user=request.user,
    )


@role_required(permissions.is_cceh_staff)
def queue(request):
    found = _queue(request)
    page = Paginator(grants.with_grant_state(found.qs), QUEUE_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    today = timezone.localdate()
    rows = [(grants.mark(r, grants.STAFF), policy.waiting_too_long(r, today)) for r in page]
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "requests_app/screening/queue.html",
        {
            "filter": found,
            "page": page,
            "rows": rows,
            "query": query.urlencode(),
            "threshold": settings.STAFF_WAITING_THRESHOLD_WORKING_DAYS,
        },
    )


QUEUE_COLUMNS = [
    "Reference",
    "Organization",
    "CANs",
    "Requested levels",
    "Status",
    "Assignee",
    "In status since",
    "Days in status",
    "Past the threshold",
]


@role_required(permissions.is_cceh_staff)
def queue_export(request):
    """The filtered queue as CSV, streamed: it never holds every row at once."""
    today = timezone.localdate()

    def rows():
        yield QUEUE_COLUMNS
        for r in _queue(request).qs.iterator(chunk_size=500):
            yield [
                r.reference,
                r.organization.name,
                "Statewide" if r.statewide else "; ".join(c.name for c in r.cans.all()),
                "; ".join(f"{p.name}: {p.get_requested_level_display()}" for p in r.people.all()),
                r.get_status_display(),
                r.assignee.name if r.assignee else "",
                f"{timezone.localtime(r.status_changed_at):%Y-%m-%d}",
                policy.days_in_status(r, today),
                "yes" if policy.waiting_too_long(r, today) else "no",
            ]

    return csv_download(rows(), f"hmis-queue-{today}.csv")


@role_required(leads_a_can)
def can_requests(request):
    led = request.user.led_cans.all()
    naming = requests_seen_internally_by(request.user).filter(
        pk__in=AccessRequest.cans.through.objects.filter(can__in=led).values("accessrequest_id")
    )
    heard = Prefetch(
        "can_recommendations",
        queryset=CANRecommendation.objects.filter(can__in=led).select_related("can").order_by("pk"),
        to_attr="my_cans_say",
    )
    rows = []
    found = grants.with_grant_state(listed(naming)).prefetch_related(heard)
    for r in found.order_by("status_changed_at", "pk"):
        grants.mark(r, grants.OTHER)
        said = {rec.can_id: rec for rec in r.my_cans_say}  # the newest per CAN wins
        rows.append((r, list(said.values()), r.status in Status.OPEN and not said))
    return render(request, "requests_app/screening/can_requests.html", {"rows": rows, "cans": led})


def screening_panel(access_request, user, bound):
    history = {}
    assessments = Assessment.objects.filter(request=access_request)
    for row in assessments.select_related("assessed_by", "criterion"):
        history.setdefault(row.criterion_id, []).append(row)
    suggestions = {}
    for suggestion in policy.suggestions(access_request):
        suggestions.setdefault(suggestion.code, []).append(suggestion)
    checklist = []
    for criterion in policy.catalogue():
        rows = history.get(criterion.pk, [])
        current = rows[-1] if rows else None
        failed = bound.get("assess")
        form = (
            failed
            if failed and failed.criterion == criterion
            else AssessmentForm(
                criterion=criterion,
                initial={"outcome": current.outcome, "note": current.note} if current else None,
            )
        )
        checklist.append(
            {
                "criterion": criterion,
                "current": current,
                "earlier": rows[:-1][::-1],
                "suggestions": suggestions.get(criterion.code, []),
                "form": form,
            }
        )
    return {
        "checklist": checklist,
        "recommendations": latest_per(
            CANRecommendation.objects.filter(request=access_request).select_related(
                "can", "author"
            ),
            "request",
            "can",
        ),
        # Only the outcomes this person may take now, each with what blocks it, if anything.
        "outcomes": {
            action: state
            for action in ("approve", "deny", "escalate", "return")
            if (state := outcome_state(access_request, user, action)) is not None
        },
        # Offered while a named CAN is unheard, which the row's guard refuses: the form itself
        # waives it. The other outcomes' forms come from their rows (application/page.py).
        "approve_form": bound.get("approve")
        or ApproveForm(
            access_request=access_request, unheard_cans=policy.unheard_cans(access_request)
        ),
    }
