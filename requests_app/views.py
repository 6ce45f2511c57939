"""Thin function views: parse a form, call one action, redirect."""

import csv

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import DatabaseError, connection, transaction
from django.db.models import Prefetch
from django.http import FileResponse, Http404, JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from . import application_record, decisions, grants, policy, rules, workflow
from .application_forms import STEP_BY_SLUG, STEPS
from .choices import Status
from .filters import QueueFilter
from .forms import (
    ApproveForm,
    AssessmentForm,
    CommentForm,
    CommitteeDecisionForm,
    DenyForm,
    EscalateForm,
    JoinOrganizationForm,
    MessageForm,
    OrganizationForm,
    RecommendationForm,
    ReturnForm,
    VoteForm,
)
from .models import (
    AccessRequest,
    Agreement,
    Assessment,
    Attachment,
    CANRecommendation,
    Comment,
    Event,
    Membership,
    Organization,
    Vote,
    latest_per,
)
from .visibility import (
    active_organization_ids,
    comments_visible_to,
    events_visible_to,
    requests_seen_internally_by,
    requests_visible_to,
)


def leads_a_can(user):
    return user.is_authenticated and user.led_cans.exists()


# Where each role starts, most demanding first: the first role a person holds wins.
HOME_PAGES = [
    (rules.is_cceh_staff, "queue"),
    (rules.is_committee_member, "docket"),
    (leads_a_can, "can_requests"),
    (lambda user: user.is_staff, "admin:index"),
]


def role_required(predicate):
    def decorator(view):
        @login_required
        def wrapped(request, *args, **kwargs):
            if not predicate(request.user):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        wrapped.__name__ = view.__name__
        return wrapped

    return decorator


@require_GET
@never_cache
def healthz(request):
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return JsonResponse({"status": "error", "database": "unavailable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


@login_required
def home(request):
    for predicate, page in HOME_PAGES:
        if predicate(request.user):
            return redirect(page)
    return redirect("my_requests")


def _listed(queryset):
    return queryset.select_related("organization", "assignee").prefetch_related(
        "cans", Prefetch("people", queryset=grants.people_with_granted_level())
    )


def _with_attachments(queryset):
    return queryset.prefetch_related(
        Prefetch("attachments", queryset=Attachment.objects.select_related("uploaded_by"))
    )


@login_required
def my_requests(request):
    if not Membership.objects.filter(user=request.user).exists():
        return redirect("organization")
    organizations = Organization.objects.filter(pk__in=active_organization_ids(request.user))
    own = requests_visible_to(request.user).filter(organization__in=organizations)
    rows = []
    for r in grants.with_grant_state(own.select_related("organization")).order_by("-updated_at"):
        r.grant = grants.grant_state(r, grants.REQUESTOR)
        next_step = (
            r.grant.next_step
            if r.grant
            else Status.NEXT_FOR_REQUESTOR[r.status].format(committee=settings.COMMITTEE_NAME)
        )
        editable = r.status in Status.EDITABLE
        rows.append((r, next_step, resume_url(r) if editable else None))
    return render(
        request,
        "requests_app/requestor/my_requests.html",
        {
            "rows": rows,
            "organizations": [o.name for o in organizations],
            "can_start": bool(organizations),
        },
    )


QUEUE_PAGE_SIZE = 25


def _queue(request):
    return QueueFilter(
        request.GET or None,
        # Staff's lists hold what staff see as staff: never their own organization's requests.
        queryset=_listed(requests_seen_internally_by(request.user)),
        user=request.user,
    )


@role_required(rules.is_cceh_staff)
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
        "requests_app/staff/queue.html",
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


@role_required(rules.is_cceh_staff)
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


def csv_download(rows, filename):
    """`rows` as a CSV attachment, streamed: it never holds every row at once. Every CSV the
    site writes goes through here, so every cell is made safe to open in a spreadsheet."""
    writer = csv.writer(Echo())
    response = StreamingHttpResponse(
        (writer.writerow([spreadsheet_safe(cell) for cell in row]) for row in rows),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# A spreadsheet runs a cell that starts with one of these as a formula (OWASP's CSV injection):
# a name typed as =HYPERLINK("http://x","click") would run when staff open the file.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(cell):
    """The cell as text a spreadsheet shows as typed: a leading quote where it would start a
    formula (the quote itself is not shown)."""
    if isinstance(cell, str) and cell.startswith(FORMULA_STARTS):
        return f"'{cell}"
    return cell


class Echo:
    """A file-like object whose write returns the line, for streaming CSV."""

    def write(self, value):
        return value


def _vote_this_round(access_request, votes):
    """The newest of a member's votes (oldest first) cast since the request was escalated."""
    opened = access_request.voting_opened_at
    in_round = [v for v in votes if opened is None or v.cast_at >= opened]
    return in_round[-1] if in_round else None


@role_required(rules.is_committee_member)
def docket(request):
    past = request.GET.get("tab") == "past"
    visible = requests_seen_internally_by(request.user)
    if past:
        voted_on = Vote.objects.filter(voter=request.user).values("request_id")
        found = visible.filter(status__in=Status.DECIDED, pk__in=voted_on)
        found = found.select_related("decision").order_by("-status_changed_at")
    else:
        found = visible.filter(status=Status.VETTING).order_by("voting_deadline", "pk")
    mine = Prefetch(
        "votes", queryset=Vote.objects.filter(voter=request.user).order_by("pk"), to_attr="my_votes"
    )
    rows = [
        (grants.mark(r, grants.OTHER), _vote_this_round(r, r.my_votes))
        for r in grants.with_grant_state(_listed(found)).prefetch_related(mine)
    ]
    return render(request, "requests_app/committee/docket.html", {"rows": rows, "past": past})


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
    listed = grants.with_grant_state(_listed(naming)).prefetch_related(heard)
    for r in listed.order_by("status_changed_at", "pk"):
        grants.mark(r, grants.OTHER)
        said = {rec.can_id: rec for rec in r.my_cans_say}  # the newest per CAN wins
        rows.append((r, list(said.values()), r.status in Status.OPEN and not said))
    return render(request, "requests_app/can/can_requests.html", {"rows": rows, "cans": led})


def _visible_request(request, reference):
    return get_object_or_404(
        _with_attachments(_listed(requests_visible_to(request.user))), reference=reference
    )


@login_required
@require_GET
def attachment(request, reference, pk):
    """A file of a request, to whoever may see the request, always as a download."""
    access_request = _visible_request(request, reference)
    attached = get_object_or_404(access_request.attachments, pk=pk)
    return FileResponse(
        attached.file.open("rb"),
        as_attachment=True,
        filename=attached.original_name,
        content_type=attached.content_type,
    )


@login_required
def request_detail(request, reference):
    return _request_page(request, _visible_request(request, reference))


def _outcome_state(access_request, user, action):
    """None when the action is not this person's to take now; else the sentences that block
    it (empty when it can be taken)."""
    if workflow.refusals(access_request, user, action, check_conditions=False):
        return None
    if action == "approve":
        # Unheard CANs are waived in the approval form itself, so only the other guards block
        # it: the criteria, and a one-time need (2.1).
        return [
            problem
            for guard in (policy.criteria_all_pass, policy.need_is_ongoing)
            for problem in guard.problems(access_request)
        ]
    return workflow.refusals(access_request, user, action)


def _request_page(request, access_request, bound=None, status=200):
    """The request page, with forms for what the person may do. `bound` holds a form that
    failed, by name, so the page shows it again with its errors and everything typed."""
    user, bound = request.user, bound or {}
    internal = requests_seen_internally_by(user).filter(pk=access_request.pk).exists()
    comments = list(
        comments_visible_to(user).filter(request=access_request).select_related("author")
    )
    own = rules.belongs_to_requesting_org(user, access_request)
    versions = list(access_request.versions.select_related("submitted_by"))
    context = {
        "access_request": access_request,
        # What the organization stated, as submitted: never the live draft or organization.
        "application": application_record.application_of(access_request, versions),
        "versions": versions,
        "seen": version(access_request),
        "internal": internal,
        "own": own,
        # Someone who would see inside the request but for belonging to its organization.
        "conflict": own
        and (
            rules.is_cceh_staff(user)
            or rules.is_committee_member(user)
            or rules.leads_a_named_can(user, access_request)
        ),
        "agreement": Agreement.objects.filter(request=access_request).first()
        if access_request.status == Status.APPROVED
        else None,
        "actions": set(workflow.available_actions(access_request, user)),
        "events": list(
            events_visible_to(user).filter(request=access_request).select_related("actor")
        ),
        "internal_comments": [c for c in comments if c.visibility == Comment.Visibility.INTERNAL],
        "messages_with_requestor": [
            c for c in comments if c.visibility == Comment.Visibility.REQUESTOR
        ],
        "internal_comment_form": bound.get("internal_comment", CommentForm(prefix="internal")),
        "message_form": bound.get("message", MessageForm(prefix="message")),
        # Why the posted action was refused, at the top: its form's panel may be gone by now.
        "refusals": [error for form in bound.values() for error in form.non_field_errors()],
    }
    if internal:
        # Staff read a resubmission against what they returned, field by field.
        context["version_changes"] = application_record.changes_in(versions)
    if own:
        context.update(_requestor_context(access_request, context["events"]))
    context.update(_decision_context(access_request, user, internal, context))
    if context["conflict"] and "cast_vote" in context["actions"]:
        context.update(_recusal_context(access_request, user, bound))
    if internal:
        context.update(_screening_context(access_request, user, bound))
        context.update(_committee_context(access_request, user, context["actions"], bound))
        context.update(_can_context(access_request, user, context["actions"], bound))
    return render(request, "requests_app/requests/detail.html", context, status=status)


def _decision_context(access_request, user, internal, context):
    """The decision, at the detail this person may see, and the state of what it granted; for
    the requesting organization, what comes next once it is approved is the grant's next step."""
    # The tally is the votes counted: shown to those who may see votes (votes_visible_to), not
    # to CAN leaders, who see none, nor to the requesting organization.
    sees_tally = internal and (
        rules.is_cceh_staff(user) or rules.is_committee_member(user) or user.is_superuser
    )
    found = decisions.decision_context(access_request, sees_tally)
    viewer = grants.viewer_of(user, access_request)
    grant = grants.grant_state(access_request, viewer, agreement=context["agreement"])
    found["grant"] = grant
    if grant and context["own"]:
        found["next_step"] = grant.next_step
    return found


def _requestor_context(access_request, events):
    """What the requesting organization is told: what comes next and, when the request is back
    with them, staff's question."""
    returned = [e for e in events if e.kind == Event.Kind.RETURNED]
    return {
        "next_step": Status.NEXT_FOR_REQUESTOR[access_request.status].format(
            committee=settings.COMMITTEE_NAME
        ),
        "question": returned[-1] if access_request.status == Status.RETURNED and returned else None,
        "resume_url": resume_url(access_request),
    }


def step_url(access_request, slug):
    return reverse("application_step", args=[access_request.reference, slug])


def resume_url(access_request):
    """Where a person coming back to a draft or a returned request picks it up."""
    step = access_request.last_step if access_request.last_step in STEP_BY_SLUG else STEPS[0].slug
    return step_url(access_request, step)


def _committee_context(access_request, user, actions, bound):
    """Votes, quorum and the chair's decision, once a request has gone to the committee.
    A member sees the others' votes and the tally only after casting their own."""
    if access_request.voting_opened_at is None:
        return {}
    count = policy.tally(access_request)
    # The votes that count: current members' (the tally ignores those who left).
    current = list(
        policy.current_votes(access_request).filter(voter__in=policy.committee_members())
    )
    mine = next((v for v in current if v.voter_id == user.pk), None)
    sees_votes = mine is not None or rules.is_committee_chair(user) or rules.is_cceh_staff(user)
    context = {
        "committee": True,
        "tally": count,
        "my_vote": mine,
        "sees_votes": sees_votes,
        "votes": current if sees_votes else [],
        "decision_state": _outcome_state(access_request, user, "record_committee_decision"),
        # The chair may still deny; only an approval is blocked by a one-time need (2.1).
        "approval_blocked": policy.need_is_ongoing.problems(access_request),
    }
    if "cast_vote" in actions:
        context["vote_form"] = bound.get("vote") or VoteForm(
            access_request=access_request, current=mine
        )
    if context["decision_state"] == []:
        context["decision_form"] = bound.get("decide") or CommitteeDecisionForm(
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


def _recusal_context(access_request, user, bound):
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


def _can_context(access_request, user, actions, bound):
    if "recommend_for_can" not in actions:
        return {}
    return {
        "recommendation_form": bound.get("recommend")
        or RecommendationForm(cans=access_request.cans.filter(leaders=user))
    }


def _screening_context(access_request, user, bound):
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
        form = bound.get(f"assess_{criterion.pk}") or AssessmentForm(
            criterion=criterion,
            initial={"outcome": current.outcome, "note": current.note} if current else None,
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
            for action in ("approve", "deny", "escalate", "return_for_information")
            if (state := _outcome_state(access_request, user, action)) is not None
        },
        "approve_form": bound.get("approve")
        or ApproveForm(
            access_request=access_request, unheard_cans=policy.unheard_cans(access_request)
        ),
        "deny_form": bound.get("deny") or DenyForm(failing=policy.failing_criteria(access_request)),
        "escalate_form": bound.get("escalate") or EscalateForm(),
        "return_form": bound.get("return") or ReturnForm(),
    }


def version(access_request):
    """What a page records of the request it showed, so a post can tell if it moved on since.
    Every action on the request changes it."""
    return workflow.request_version(access_request)


def run_form(request, form, perform, done, *, stale, again, back):
    """Run one action from a posted form: on success say so and go back; on bad input, a page
    out of date or a refusal show the page again (`again(form)`) with the form, its errors and
    what was typed. `stale()` is as for perform_if_current."""
    if form.is_valid():
        problems = perform_if_current(stale, lambda: perform(form))
        if not problems:
            messages.success(request, done)
            return redirect(back)
    else:
        # Bad input on an out-of-date page: say both.
        with transaction.atomic():
            problems = [problem for problem in [stale()] if problem]
    for problem in problems:
        form.add_error(None, problem)
    return again(form)


def perform_if_current(stale, perform):
    """Run `perform()` once `stale()`, which takes the aggregate's row lock, finds the page the
    post came from current; both in one transaction, so nothing changes in between. The
    sentences that stopped it (the page out of date, or the action's refusals), or [] when it
    was done."""
    try:
        with transaction.atomic():
            if problem := stale():
                return [problem]
            perform()
    except workflow.ActionRefused as refused:
        return refused.problems
    return []


def page_out_of_date(request, access_request):
    """For run_form: the request's row lock, and the sentence for a post from a page showing an
    earlier version of the request, or None when the page was current (or carried no version)."""
    return lambda: workflow.lock_request_seen(
        access_request, request.user, request.POST.get("seen")
    )


def _perform(request, access_request, name, form, perform, done):
    return run_form(
        request,
        form,
        perform,
        done,
        stale=page_out_of_date(request, access_request),
        again=lambda form: _request_page(request, access_request, bound={name: form}, status=400),
        back=access_request,
    )


@login_required
@require_POST
def take_request(request, reference):
    access_request = _visible_request(request, reference)
    return _perform(
        request,
        access_request,
        "take",
        forms.Form(request.POST),
        lambda form: workflow.start_screening(access_request, request.user),
        f"You took {access_request.reference} for screening.",
    )


@login_required
@require_POST
def return_request(request, reference):
    access_request = _visible_request(request, reference)
    return _perform(
        request,
        access_request,
        "return",
        ReturnForm(request.POST),
        lambda form: workflow.return_for_information(
            access_request, request.user, form.cleaned_data["message"]
        ),
        f"{access_request.reference} went back to the requestor with your question.",
    )


@login_required
@require_POST
def assess(request, reference, criterion_id):
    access_request = _visible_request(request, reference)
    criterion = get_object_or_404(policy.catalogue(), pk=criterion_id)
    return _perform(
        request,
        access_request,
        f"assess_{criterion.pk}",
        AssessmentForm(request.POST, criterion=criterion),
        lambda form: workflow.assess_criterion(
            access_request,
            request.user,
            criterion,
            form.cleaned_data["outcome"],
            form.cleaned_data["note"],
        ),
        f"Your assessment of {criterion.code} is saved.",
    )


@login_required
@require_POST
def approve(request, reference):
    access_request = _visible_request(request, reference)
    form = ApproveForm(
        request.POST,
        access_request=access_request,
        unheard_cans=policy.unheard_cans(access_request),
    )
    return _perform(
        request,
        access_request,
        "approve",
        form,
        lambda form: workflow.approve(
            access_request,
            request.user,
            form.levels(),
            form.cleaned_data["conditions"],
            form.waivers(),
        ),
        f"{access_request.reference} is approved.",
    )


@login_required
@require_POST
def deny(request, reference):
    access_request = _visible_request(request, reference)
    form = DenyForm(request.POST, failing=policy.failing_criteria(access_request))
    return _perform(
        request,
        access_request,
        "deny",
        form,
        lambda form: workflow.deny(
            access_request,
            request.user,
            [c.pk for c in form.cleaned_data["cited"]],
            form.cleaned_data["reason"],
        ),
        f"{access_request.reference} is denied.",
    )


@login_required
@require_POST
def escalate(request, reference):
    access_request = _visible_request(request, reference)
    return _perform(
        request,
        access_request,
        "escalate",
        EscalateForm(request.POST),
        lambda form: workflow.escalate(access_request, request.user, form.cleaned_data["note"]),
        f"{access_request.reference} went to the {settings.COMMITTEE_NAME}.",
    )


@login_required
@require_POST
def vote(request, reference):
    access_request = _visible_request(request, reference)
    own_org = rules.belongs_to_requesting_org(request.user, access_request)
    form = VoteForm(request.POST, access_request=access_request, recuse_only=own_org)
    return _perform(
        request,
        access_request,
        "vote",
        form,
        lambda form: workflow.cast_vote(
            access_request,
            request.user,
            form.cleaned_data["choice"],
            form.cleaned_data["reason"],
            form.levels(),
            form.cleaned_data["replaces"],
        ),
        "Your vote is recorded. You can change it until the chair records the decision.",
    )


@login_required
@require_POST
def decide(request, reference):
    access_request = _visible_request(request, reference)
    form = CommitteeDecisionForm(
        request.POST,
        access_request=access_request,
        suggested_levels={},
        catalogue=policy.catalogue(),
    )

    def record(form):
        approving = form.cleaned_data["outcome"] == Status.APPROVED
        return workflow.record_committee_decision(
            access_request,
            request.user,
            form.cleaned_data["outcome"],
            form.cleaned_data["reason"],
            levels=form.levels() if approving else None,
            conditions=form.cleaned_data["conditions"],
            cited=[c.pk for c in form.cleaned_data["cited"]],
            departs_reason=form.cleaned_data["departs_reason"],
        )

    return _perform(
        request,
        access_request,
        "decide",
        form,
        record,
        f"The committee's decision on {access_request.reference} is recorded.",
    )


@login_required
@require_POST
def recommend(request, reference):
    access_request = _visible_request(request, reference)
    form = RecommendationForm(request.POST, cans=access_request.cans.filter(leaders=request.user))
    return _perform(
        request,
        access_request,
        "recommend",
        form,
        lambda form: workflow.recommend_for_can(
            access_request,
            request.user,
            form.cleaned_data["can"],
            form.cleaned_data["position"],
            form.cleaned_data["reason"],
        ),
        "The CAN's recommendation is recorded. It can be changed until the decision.",
    )


COMMENT_KINDS = {
    Comment.Visibility.INTERNAL: (
        "internal_comment",
        CommentForm,
        "internal",
        "Your comment is posted.",
    ),
    Comment.Visibility.REQUESTOR: ("message", MessageForm, "message", "Your message is sent."),
}


@login_required
@require_POST
def comment(request, reference, visibility):
    access_request = _visible_request(request, reference)
    if visibility not in COMMENT_KINDS:
        raise Http404
    name, form_class, prefix, done = COMMENT_KINDS[visibility]
    return _perform(
        request,
        access_request,
        name,
        form_class(request.POST, prefix=prefix),
        lambda form: workflow.add_comment(
            access_request, request.user, form.cleaned_data["body"], visibility
        ),
        done,
    )


def _organization_page(request, create_form=None, join_form=None, status=200):
    memberships = Membership.objects.filter(user=request.user).select_related("organization")
    pending = Membership.objects.filter(
        organization_id__in=active_organization_ids(request.user),
        state=Membership.State.PENDING,
    ).select_related("user", "organization")
    return render(
        request,
        "requests_app/organization/organization.html",
        {
            "memberships": memberships,
            "pending": pending,
            "create_form": create_form or OrganizationForm(),
            "join_form": join_form or JoinOrganizationForm(user=request.user),
        },
        status=status,
    )


@login_required
def organization(request):
    return _organization_page(request)


@login_required
@require_POST
def organization_create(request):
    form = OrganizationForm(request.POST)
    if not form.is_valid():
        return _organization_page(request, create_form=form, status=400)
    with transaction.atomic():
        organization = form.save()
        Membership.objects.create(
            user=request.user, organization=organization, state=Membership.State.ACTIVE
        )
    messages.success(request, f"{organization.name} is set up. You can now start a request.")
    return redirect("my_requests")


@login_required
@require_POST
def organization_join(request):
    form = JoinOrganizationForm(request.POST, user=request.user)
    if not form.is_valid():
        return _organization_page(request, join_form=form, status=400)
    organization = form.organization
    Membership.objects.create(user=request.user, organization=organization)
    messages.success(
        request,
        f"You asked to join {organization.name}. One of its members will "
        "accept you; until then you will not see its requests.",
    )
    return redirect("organization")


def _pending_for(user, pk):
    """A pending membership of one of `user`'s own organizations, or 404."""
    return get_object_or_404(
        Membership,
        pk=pk,
        state=Membership.State.PENDING,
        organization_id__in=active_organization_ids(user),
    )


@login_required
@require_POST
def membership_accept(request, pk):
    membership = _pending_for(request.user, pk)
    membership.state = Membership.State.ACTIVE
    membership.accepted_by = request.user
    membership.save(update_fields=["state", "accepted_by"])
    messages.success(request, f"{membership.user} is now a member of {membership.organization}.")
    return redirect("organization")


@login_required
@require_POST
def membership_decline(request, pk):
    membership = _pending_for(request.user, pk)
    membership.delete()
    messages.success(request, f"You declined {membership.user}'s request to join.")
    return redirect("organization")
