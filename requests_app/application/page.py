"""The request's page: one page for every role, each panel shown to whoever may see it, with a form
for each action the person may take (requests_app/actions.py). A form that failed comes back in
`bound`, with its errors and what was typed."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import FileResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_GET

from requests_app import policy
from requests_app.application import record as application_record
from requests_app.application.forms import STEP_BY_SLUG, STEPS
from requests_app.application.queries import visible_request
from requests_app.audit.models import ReadLogEntry
from requests_app.audit.services import record_read
from requests_app.committee.views import committee_panel, recusal_panel
from requests_app.core import permissions
from requests_app.core.actions import REQUEST, available, version
from requests_app.core.paging import paginate
from requests_app.core.states import Status
from requests_app.core.visibility import (
    comments_visible_to,
    events_visible_to,
    requests_seen_internally_by,
)
from requests_app.core.web import PAGES, Page, action_forms
from requests_app.decision.views import decision_panel
from requests_app.models import (
    Agreement,
    Comment,
    Event,
)
from requests_app.screening.views import screening_panel

HISTORY_PAGE_SIZE = 25


@login_required
@require_GET
def attachment(request, reference, pk):
    """A file of a request, to whoever may see the request, always as a download."""
    access_request = visible_request(request, reference)
    attached = get_object_or_404(access_request.attachments, pk=pk)
    record_read(
        request,
        ReadLogEntry.Kind.ATTACHMENT,
        access_request=access_request,
        subject=attached.original_name,
    )
    return FileResponse(
        attached.file.open("rb"),
        as_attachment=True,
        filename=attached.original_name,
        content_type=attached.content_type,
    )


@login_required
def request_detail(request, reference):
    return request_page(request, visible_request(request, reference))


def request_page(request, access_request, bound=None, status=200):
    """The request page, with forms for what the person may do. `bound` holds a form that
    failed, by name, so the page shows it again with its errors and everything typed. The
    policy reads the request once for the whole page (policy.one_reading). Every showing is a
    read of the request's people and answers, and is recorded (audit/services.py)."""
    with policy.one_reading():
        response = _request_page(request, access_request, bound, status)
    # Recorded once the page is drawn: a page that failed to draw showed nothing.
    record_read(request, ReadLogEntry.Kind.REQUEST_PAGE, access_request=access_request)
    return response


def _request_page(request, access_request, bound, status):
    user, bound = request.user, bound or {}
    internal = requests_seen_internally_by(user).filter(pk=access_request.pk).exists()
    comments = list(
        comments_visible_to(user).filter(request=access_request).select_related("author")
    )
    own = permissions.belongs_to_requesting_org(user, access_request)
    versions = list(access_request.versions.select_related("submitted_by"))
    context = {
        "access_request": access_request,
        # What the organization stated, as submitted: never the live draft or organization.
        "application": application_record.application_of(access_request, versions),
        "versions": versions,
        "seen": version(access_request),
        "internal": internal,
        # A link to who has read the request: for staff and administrators inside it.
        "who_has_seen": internal and permissions.sees_who_read(user),
        "own": own,
        # Someone who would see inside the request but for belonging to its organization.
        "conflict": own
        and (
            permissions.is_cceh_staff(user)
            or permissions.is_committee_member(user)
            or permissions.leads_a_named_can(user, access_request)
        ),
        "agreement": Agreement.objects.filter(request=access_request).first()
        if access_request.status == Status.APPROVED
        else None,
        "actions": set(available(access_request, user)),
        # The newest first; older ones a page away, so a long history costs what a short one does.
        "history": paginate(
            request,
            events_visible_to(user).filter(request=access_request).select_related("actor"),
            ordering=["-created_at", "-pk"],
            size=HISTORY_PAGE_SIZE,
            noun=("event", "events"),
            newest_first=True,
            count=False,
            # A failed form shows this page at its action's address: the history's pages are
            # the request's.
            path=access_request.get_absolute_url(),
            anchor="#history-heading",
        ),
        "internal_comments": [c for c in comments if c.visibility == Comment.Visibility.INTERNAL],
        "messages_with_requestor": [
            c for c in comments if c.visibility == Comment.Visibility.REQUESTOR
        ],
        # Why the posted action was refused, at the top: its form's panel may be gone by now.
        "refusals": [error for form in bound.values() for error in form.non_field_errors()],
    }
    if internal:
        # Staff read a resubmission against what they returned, field by field.
        context["version_changes"] = application_record.changes_in(versions)
        if access_request.status in Status.OPEN:
            # The key facts (application/includes/facts.html): how long it has waited.
            context["days_waiting"] = policy.days_in_status(access_request)
            context["waiting_too_long"] = policy.waiting_too_long(access_request)
    if own:
        context.update(_requestor_context(access_request))
    context.update(decision_panel(access_request, user, internal, context))
    if context["conflict"] and "vote" in context["actions"]:
        context.update(recusal_panel(access_request, user, bound))
    if internal:
        context.update(screening_panel(access_request, user, bound, context["application"]))
        context.update(committee_panel(access_request, user, context["actions"], bound))
    # Every other action the person may take gets its form from its row; a panel's own form
    # (with its initial values) stands.
    unbuilt = [n for n in context["actions"] if f"{n}_form" not in context]
    context.update(action_forms(access_request, user, unbuilt, bound))
    return render(request, "requests_app/application/detail.html", context, status=status)


def _requestor_context(access_request):
    """What the requesting organization is told: what comes next and, when the request is back
    with them, staff's question."""
    return {
        "next_step": Status.NEXT_FOR_REQUESTOR[access_request.status].format(
            committee=settings.COMMITTEE_NAME
        ),
        "question": latest_question(access_request),
        "resume_url": resume_url(access_request),
    }


def latest_question(access_request):
    """Staff's question, when the request is back with the requestor: the latest return's note
    (asked for itself, as the history shows only its newest page)."""
    if access_request.status != Status.RETURNED:
        return None
    returned = access_request.events.filter(kind=Event.Kind.RETURNED).select_related("actor")
    return returned.order_by("-created_at", "-pk").first()


def step_url(access_request, slug):
    return reverse("application_step", args=[access_request.reference, slug])


def resume_url(access_request):
    """Where a person coming back to a draft or a returned request picks it up."""
    step = access_request.last_step if access_request.last_step in STEP_BY_SLUG else STEPS[0].slug
    return step_url(access_request, step)


PAGES[REQUEST] = Page(
    find=visible_request,
    show=lambda request, access_request, bound, status: request_page(
        request, access_request, bound=bound, status=status
    ),
    back=lambda access_request: access_request.get_absolute_url(),
)
