"""Staff's queue and its CSV, the CAN leaders' list, and the screening panels of a request's
page."""

import functools
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Prefetch, TextField, Value
from django.db.models.functions import Coalesce, Concat, TruncDate
from django.shortcuts import render
from django.utils import timezone

from requests_app import policy
from requests_app.application.queries import listed
from requests_app.application.record import answer, scope_words
from requests_app.core import permissions
from requests_app.core.exports import joined, label
from requests_app.core.files import csv_download
from requests_app.core.paging import REQUESTS, paginate
from requests_app.core.permissions import leads_a_can
from requests_app.core.stages import Stage, stage_annotation, stage_of
from requests_app.core.states import AccessLevel, Status
from requests_app.core.visibility import (
    naming_cans_led_by,
    requests_seen_internally_by,
)
from requests_app.core.web import role_required
from requests_app.decision import grants
from requests_app.decision.forms import ApproveForm
from requests_app.decision.views import outcome_state
from requests_app.models import (
    CAN,
    Assessment,
    CANRecommendation,
    NamedPerson,
    latest_per,
)
from requests_app.screening.filters import QueueFilter
from requests_app.screening.forms import ChecklistForm

QUEUE_PAGE_SIZE = 25
CAN_REQUESTS_PAGE_SIZE = 25


def _queue(request):
    return QueueFilter(
        request.GET or None,
        # Staff's lists hold what staff see as staff: never their own organization's requests.
        queryset=listed(requests_seen_internally_by(request.user)),
        user=request.user,
    )


@dataclass(frozen=True)
class QueueRow:
    request: object
    stage: Stage
    clock: policy.Clock | None
    waiting_too_long: bool

    @property
    def flags(self):
        """What marks the row, in words as well as colour."""
        flags = []
        if self.clock is not None and self.clock.overdue:
            flags.append("Overdue")
        if self.waiting_too_long:
            flags.append("Waiting too long")
        return flags


@role_required(permissions.is_cceh_staff)
def queue(request):
    found = _queue(request)
    # Ordered as the filter's sort says (the longest waiting first by default). A submitted
    # request always has its reference: it is NULL only inside the save that gives it one.
    page = paginate(
        request,
        grants.with_grant_state(found.qs),
        size=QUEUE_PAGE_SIZE,
        noun=REQUESTS,
        never_null={"reference"},
    )
    today = timezone.localdate()
    rows = [
        QueueRow(
            grants.mark(r, grants.STAFF),
            stage_of(r, today),
            policy.deadline(r, today),
            policy.waiting_too_long(r, today) and r.status in Status.OPEN,
        )
        for r in page.rows
    ]
    return render(
        request,
        "requests_app/screening/queue.html",
        {
            "filter": found,
            "page": page,
            "rows": rows,
            "threshold": settings.STAFF_WAITING_THRESHOLD_WORKING_DAYS,
            "cceh_target": settings.CCEH_DECISION_TARGET_WORKING_DAYS,
            "committee_target": settings.COMMITTEE_DECISION_TARGET_DAYS,
        },
    )


QUEUE_COLUMNS = [
    "Reference",
    "Organization",
    "CANs",
    "Requested levels",
    "Status",
    "Stage",
    "Decision due",
    "Decision clock",
    "Assignee",
    "In status since",
    "Days in status",
    "Past the threshold",
]


@role_required(permissions.is_cceh_staff)
def queue_export(request):
    """The filtered queue as CSV, streamed, in one query whatever its length."""
    today = timezone.localdate()
    found = (
        _queue(request)
        .qs.prefetch_related(None)
        .annotate(
            can_names=joined(CAN.objects.all(), "name", by="requests"),
            levels=joined(
                NamedPerson.objects.all(),
                Concat(
                    "name",
                    Value(": "),
                    label("requested_level", AccessLevel.choices),
                    output_field=TextField(),
                ),
            ),
            status_label=label("status", Status.choices),
            stage=stage_annotation(today),
            # In the site's time zone, by the database: not a time zone lookup per row.
            since=TruncDate("status_changed_at"),
            submitted_on=TruncDate("submitted_at"),
            escalated_on=Coalesce(
                TruncDate("voting_round__opened_at"), TruncDate("status_changed_at")
            ),
        )
        .values_list(
            "reference",
            "organization__name",
            "statewide",
            "can_names",
            "levels",
            "status",
            "status_label",
            "stage",
            "submitted_on",
            "escalated_on",
            "assignee__name",
            "since",
            named=True,
        )
    )

    def rows():
        yield QUEUE_COLUMNS
        for r in found.iterator(chunk_size=2000):
            yield [
                r.reference,
                r.organization__name,
                scope_words(r.statewide, r.can_names or ""),
                r.levels or "",
                r.status_label,
                STAGE_LABELS[r.stage],
                *_due(r, today),
                r.assignee__name or "",
                f"{r.since:%Y-%m-%d}",
                (today - r.since).days,
                "yes" if _past_threshold(r, today) else "no",
            ]

    return csv_download(request, rows(), f"hmis-queue-{today}.csv")


def _past_threshold(row, today):
    """Waiting for CCEH past the staff threshold: an open request, as the queue's badge says."""
    return row.status in Status.OPEN and _waited_too_long(row.since, today)


@functools.lru_cache(maxsize=8192)
def _waited_too_long(since, today):
    # Kept per date, as _due_on: an export's rows entered their status on a few thousand days.
    return policy.waited_too_long(since, today)


def _due(row, today):
    """The decision target's due date and the clock in words, from an export row's columns."""
    return _due_on(row.status, row.submitted_on, row.escalated_on, today)


@functools.lru_cache(maxsize=8192)
def _due_on(status, submitted_on, escalated_on, today):
    # Kept per set of dates: an export's 50,000 rows share a few thousand.
    clock = policy.clock_of(status, submitted_on, escalated_on, today)
    return (f"{clock.due:%Y-%m-%d}", clock.words) if clock else ("", "")


STAGE_LABELS = {**dict(Stage.choices), None: ""}


@role_required(leads_a_can)
def can_requests(request):
    led = request.user.led_cans.all()
    naming = naming_cans_led_by(request.user)
    heard = Prefetch(
        "can_recommendations",
        queryset=CANRecommendation.objects.filter(can__in=led).select_related("can").order_by("pk"),
        to_attr="my_cans_say",
    )
    found = grants.with_grant_state(listed(naming)).prefetch_related(heard)
    page = paginate(
        request,
        found,
        ordering=["status_changed_at", "pk"],
        size=CAN_REQUESTS_PAGE_SIZE,
        noun=REQUESTS,
    )
    rows = []
    for r in page.rows:
        grants.mark(r, grants.OTHER)
        said = {rec.can_id: rec for rec in r.my_cans_say}  # the newest per CAN wins
        rows.append((r, list(said.values()), r.status in Status.OPEN and not said))
    return render(
        request,
        "requests_app/screening/can_requests.html",
        {"rows": rows, "cans": led, "page": page},
    )


def screening_panel(access_request, user, bound, application):
    """The checklist, the CAN's recommendations and the outcomes, for those inside the request.
    The checklist is one form (ChecklistForm): each criterion with the requestor's answers
    that speak to it (policy.ANSWERS_FOR), the system's suggestions, the current assessment
    and the earlier ones; the suggestions are computed once, and the facts reuse them."""
    history = {}
    assessments = Assessment.objects.filter(request=access_request)
    for row in assessments.select_related("assessed_by", "criterion"):
        history.setdefault(row.criterion_id, []).append(row)
    found = policy.suggestions(access_request)
    suggestions = {}
    for suggestion in found:
        suggestions.setdefault(suggestion.code, []).append(suggestion)
    criteria = list(policy.catalogue())
    form = bound.get("checklist") or ChecklistForm(
        criteria=criteria, current={pk: rows[-1] for pk, rows in history.items()}
    )
    checklist = [
        {
            "criterion": criterion,
            "current": history[criterion.pk][-1] if criterion.pk in history else None,
            "earlier": history.get(criterion.pk, [])[:-1][::-1],
            "suggestions": suggestions.get(criterion.code, []),
            "answers": [
                answer(application, name) for name in policy.ANSWERS_FOR.get(criterion.code, ())
            ],
            "outcome": outcome,
            "note": note,
        }
        for criterion, outcome, note in form.rows()
    ]
    return {
        "checklist": checklist,
        "checklist_form": form,
        "concerns": [s for s in found if s.concern],
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
