"""The requestor's pages: start an application, fill it in step by step, review and submit,
answer a return, withdraw, delete a draft, download the draft MOU, and the list of an organization's
requests. Thin function views: parse a form, call one service, redirect."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from requests_app import policy, workflow
from requests_app.accounts import idle
from requests_app.agreement import mou
from requests_app.application import record as application_record
from requests_app.application.forms import (
    STEP_BY_SLUG,
    STEPS,
    AttachmentForm,
    ResubmitForm,
    StartForm,
    WithdrawForm,
    people_formset,
    step_form,
)
from requests_app.application.page import latest_question, resume_url, step_url
from requests_app.application.queries import SHOWN_IN_LISTS, visible_request
from requests_app.audit.models import ReadLogEntry
from requests_app.audit.services import record_read
from requests_app.core.actions import ActionRefused, available, refusals, version
from requests_app.core.paging import REQUESTS, paginate
from requests_app.core.states import Status
from requests_app.core.visibility import (
    active_organization_ids,
    requests_visible_to,
)
from requests_app.core.web import page_out_of_date, perform_if_current
from requests_app.decision import grants
from requests_app.models import Membership, Organization


@login_required
def request_new(request):
    organizations = Organization.objects.filter(pk__in=active_organization_ids(request.user))
    if not organizations:
        messages.info(
            request,
            "Set up your organization, or join it, before you start a request: the request is "
            "made in its name.",
        )
        return redirect("organization")
    form = StartForm(request.POST or None, organizations=organizations)
    if request.method == "POST" and form.is_valid():
        try:
            access_request = workflow.start_request(form.cleaned_data["organization"], request.user)
        except ActionRefused as refused:
            for problem in refused.problems:
                form.add_error(None, problem)
        else:
            messages.success(
                request,
                f"Your application {access_request.reference} is started. Every step is saved "
                "as you go; you can stop and come back at any time.",
            )
            return redirect(resume_url(access_request))
    status = 400 if form.errors else 200
    return render(
        request,
        "requests_app/application/start.html",
        {"form": form, "steps": STEPS},
        status=status,
    )


def _progress(access_request, current):
    """The steps with what each still misses, for the step indicator."""
    missing = {}
    for section, label in policy.missing_answers(access_request):
        missing.setdefault(section, []).append(label)
    return [
        {
            "step": step,
            "number": number,
            "current": step.slug == current,
            "missing": missing.get(step.slug, []),
            "url": step_url(access_request, step.slug),
        }
        for number, step in enumerate(STEPS, start=1)
    ]


def _field_id(field):
    """The id a link to `field` should target: a group of radios or checkboxes has none of its
    own, so its first option's."""
    return field.id_for_label or field.subwidgets[0].id_for_label


def _error_summary(*forms):
    """Every error on the page, each linked to its field, for the summary at the top."""
    summary = []
    for form in forms:
        if form is None:
            continue
        members = form.forms if hasattr(form, "forms") else [form]
        if hasattr(form, "non_form_errors"):
            summary += [("", error) for error in form.non_form_errors()]
        for member in members:
            for name, errors in member.errors.items():
                field = member[name] if name != "__all__" else None
                anchor = f"#{_field_id(field)}" if field is not None else ""
                label = f"{field.label}: " if field is not None else ""
                if hasattr(form, "forms"):
                    label = f"Person {members.index(member) + 1}, {label}"
                summary += [(anchor, f"{label}{error}") for error in errors]
    return summary


def _kept_step_page(request, access_request, step, kept):
    """The answers posted on this step after the person's session ended for inactivity
    (IdleLogoutMiddleware kept them), shown again unsaved, with the version of the answers the
    person was editing: saving them is refused, not silently applied, if a colleague changed
    the step in between."""
    messages.warning(
        request,
        "These are the answers you typed before you were signed out. They are not saved yet: "
        "check them and save."
        + (" Choose the file again: files are not kept." if kept.had_files else ""),
    )
    return _step_page(
        request,
        access_request,
        step,
        step_form(step, access_request, kept),
        people=people_formset(access_request, kept) if step.slug == "people" else None,
        files=_files_form(access_request, kept) if step.slug == "research" else None,
        edit_seen=kept.get("edit_seen", ""),
    )


def _step_page(
    request, access_request, step, form, people=None, files=None, status=200, edit_seen=None
):
    context = {
        "access_request": access_request,
        "step": step,
        "number": STEPS.index(step) + 1,
        "total": len(STEPS),
        "progress": _progress(access_request, step.slug),
        "previous": STEPS[STEPS.index(step) - 1] if STEPS.index(step) else None,
        "form": form,
        "people": people,
        "files": files,
        "errors": _error_summary(form, people, files),
        "question": latest_question(access_request),
        "edit_seen": workflow.edit_version(access_request) if edit_seen is None else edit_seen,
        "refusals": refusals(access_request, request.user, "edit"),
    }
    return render(request, "requests_app/application/step.html", context, status=status)


def _files_form(access_request, data=None, files=None):
    return AttachmentForm(data, files, attachments=list(access_request.attachments.all()))


@login_required
def application_step(request, reference, step):
    access_request = visible_request(request, reference)
    if step not in STEP_BY_SLUG:
        return redirect(resume_url(access_request))
    step = STEP_BY_SLUG[step]
    if step.slug == "review":
        return application_review(request, access_request)
    if refusals(access_request, request.user, "edit"):
        messages.info(
            request,
            f"{access_request.reference} is {access_request.get_status_display().lower()}: its "
            "answers can no longer be changed here.",
        )
        return redirect(access_request)
    if request.method != "POST":
        kept = idle.take_kept(request)
        if kept is not None:
            return _kept_step_page(request, access_request, step, kept)
        return _step_page(
            request,
            access_request,
            step,
            step_form(step, access_request),
            people=people_formset(access_request, add="add" in request.GET)
            if step.slug == "people"
            else None,
            files=_files_form(access_request) if step.slug == "research" else None,
        )
    return _save_step(request, access_request, step)


def _save_step(request, access_request, step):
    form = step_form(step, access_request, request.POST)
    people = people_formset(access_request, request.POST) if step.slug == "people" else None
    files = (
        _files_form(access_request, request.POST, request.FILES)
        if step.slug == "research"
        else None
    )
    valid = [f.is_valid() for f in (form, people, files) if f is not None]
    if all(valid):
        try:
            _save(request, access_request, step, form, people, files)
        except ActionRefused as refused:
            for problem in refused.problems:
                form.add_error(None, problem)
            # The page now shows the newest answers' version: saving again means "I checked".
            access_request.refresh_from_db()
        else:
            return _after_save(request, access_request, step)
    return _step_page(request, access_request, step, form, people, files, status=400)


@transaction.atomic
def _save(request, access_request, step, form, people, files):
    """The step's answers and its files together, or nothing."""
    # A page always carries the time it was read: none at all is refused, not let through.
    user, seen = request.user, request.POST.get("edit_seen", "")
    workflow.save_answers(
        access_request,
        user,
        step.slug,
        form.answers(),
        organization=form.organization() if hasattr(form, "organization") else None,
        people=people.people() if people is not None else None,
        seen=seen,
    )
    if files is not None:
        for attachment in files.cleaned_data.get("remove", []):
            workflow.remove_attachment(access_request, user, attachment)
        upload = files.cleaned_data.get("file")
        if upload:
            workflow.attach_file(
                access_request, user, upload, files.content_type, files.cleaned_data["description"]
            )


def _after_save(request, access_request, step):
    go = request.POST.get("go", "next")
    index = STEPS.index(step)
    if go == "add_person":
        return redirect(f"{step_url(access_request, step.slug)}?add=1#people-heading")
    if go == "stay":
        messages.success(request, "Saved.")
        return redirect(step_url(access_request, step.slug))
    if go == "later":
        messages.success(
            request,
            f"{access_request.reference} is saved. Pick it up from My requests whenever you "
            "are ready; your colleagues in the organization can work on it too.",
        )
        return redirect("my_requests")
    if go == "back" and index:
        return redirect(step_url(access_request, STEPS[index - 1].slug))
    return redirect(step_url(access_request, STEPS[index + 1].slug))


def application_review(request, access_request, resubmit_form=None, refusals=None, status=200):
    """Every answer and the attestations, what is still missing with a link to its step, and
    what the policy counts against the request, before the person submits."""
    missing = [
        (label, step_url(access_request, section))
        for section, label in policy.missing_answers(access_request)
    ]
    points = [
        (text, step_url(access_request, section))
        for section, text in policy.points_to_raise(access_request)
    ]
    actions = set(available(access_request, request.user))
    context = {
        "access_request": access_request,
        # The review shows what would be submitted: the draft as it stands.
        "application": application_record.as_it_stands(access_request),
        "step": STEP_BY_SLUG["review"],
        "number": len(STEPS),
        "total": len(STEPS),
        "progress": _progress(access_request, "review"),
        "previous": STEPS[-2],
        "missing": missing,
        "points": points,
        "actions": actions,
        "can_edit": "edit" in actions,
        "question": latest_question(access_request),
        "resubmit_form": resubmit_form or ResubmitForm(),
        "refusals": refusals or [],
        "seen": version(access_request),
    }
    return render(request, "requests_app/application/review.html", context, status=status)


def _refused_at_review(request, access_request, problems, resubmit_form=None):
    return application_review(
        request, access_request, resubmit_form=resubmit_form, refusals=problems, status=400
    )


@login_required
@require_POST
def application_submit(request, reference):
    access_request = visible_request(request, reference)
    if problems := perform_if_current(
        page_out_of_date(request, access_request),
        lambda: workflow.submit(access_request, request.user),
    ):
        return _refused_at_review(request, access_request, problems)
    messages.success(
        request,
        f"{access_request.reference} is submitted. CCEH staff will take it up; you will see "
        "each step here.",
    )
    return redirect(access_request)


@login_required
@require_POST
def application_resubmit(request, reference):
    access_request = visible_request(request, reference)
    form = ResubmitForm(request.POST)
    if not form.is_valid():
        return _refused_at_review(request, access_request, [], form)
    if problems := perform_if_current(
        page_out_of_date(request, access_request),
        lambda: workflow.resubmit(access_request, request.user, form.cleaned_data["response"]),
    ):
        return _refused_at_review(request, access_request, problems, form)
    messages.success(
        request, f"{access_request.reference} is back with CCEH staff, with your answer."
    )
    return redirect(access_request)


def _confirm_page(request, access_request, template, form, problems=(), status=200):
    return render(
        request,
        f"requests_app/application/{template}",
        {
            "access_request": access_request,
            "form": form,
            "refusals": list(problems),
            "seen": version(access_request),
        },
        status=status,
    )


@login_required
def application_withdraw(request, reference):
    """Withdrawing asks first: it cannot be undone."""
    access_request = visible_request(request, reference)
    form = WithdrawForm(request.POST or None)
    problems = refusals(access_request, request.user, "withdraw")
    if request.method == "POST":
        if form.is_valid():
            problems = perform_if_current(
                page_out_of_date(request, access_request),
                lambda: workflow.withdraw(
                    access_request, request.user, form.cleaned_data["reason"]
                ),
            )
            if not problems:
                messages.success(request, f"{access_request.reference} is withdrawn.")
                return redirect(access_request)
        return _confirm_page(request, access_request, "withdraw.html", form, problems, 400)
    return _confirm_page(request, access_request, "withdraw.html", form, problems)


@login_required
def draft_delete(request, reference):
    access_request = visible_request(request, reference)
    problems = refusals(access_request, request.user, "delete")
    if request.method == "POST":
        try:
            gone = workflow.delete_draft(access_request, request.user)
        except ActionRefused as refused:
            return _confirm_page(
                request, access_request, "delete.html", None, refused.problems, 400
            )
        messages.success(request, f"The draft {gone} is deleted.")
        return redirect("my_requests")
    return _confirm_page(request, access_request, "delete.html", None, problems)


@login_required
def mou_draft(request, reference):
    """The application as a draft MOU (policy 4.1), as it stands: rendered again only once a
    save changed what it says (`mou.draft_pdf`). Once the request is decided or withdrawn there
    is no draft any more."""
    access_request = visible_request(request, reference)
    if not access_request.has_draft_mou:
        raise Http404("A decided or withdrawn request has no draft MOU.")
    filename = f"{access_request.reference}-draft-mou.pdf"
    response = HttpResponse(mou.draft_pdf(access_request), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    record_read(
        request, ReadLogEntry.Kind.DRAFT_MOU, access_request=access_request, subject=filename
    )
    return response


@login_required
@require_GET
def application_version(request, reference, number):
    """A submitted version of the application, byte for byte as frozen: its SHA-256 is the one
    the request page shows, so anyone can check the file against the record."""
    access_request = visible_request(request, reference)
    frozen = get_object_or_404(access_request.versions, number=number)
    record_read(
        request,
        ReadLogEntry.Kind.APPLICATION_VERSION,
        access_request=access_request,
        subject=f"Version {frozen.number}",
    )
    response = HttpResponse(frozen.content.encode(), content_type="application/json")
    response["Content-Disposition"] = (
        f'attachment; filename="{access_request.reference}-application-v{frozen.number}.json"'
    )
    return response


MY_REQUESTS_PAGE_SIZE = 25


@login_required
def my_requests(request):
    if not Membership.objects.filter(user=request.user).exists():
        return redirect("organization")
    organizations = list(Organization.objects.filter(pk__in=active_organization_ids(request.user)))
    # By their ids, not a subquery: the database then walks requests_of_organization in the
    # list's order and stops at a page, however many requests the organization has.
    own = requests_visible_to(request.user).filter(
        organization__in=[organization.pk for organization in organizations]
    )
    page = paginate(
        request,
        grants.with_grant_state(own.select_related("organization")).only(*SHOWN_IN_LISTS),
        ordering=["-updated_at", "-pk"],  # the latest changed first
        size=MY_REQUESTS_PAGE_SIZE,
        noun=REQUESTS,
        newest_first=True,
    )
    rows = []
    for r in page.rows:
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
        "requests_app/application/my_requests.html",
        {
            "rows": rows,
            "page": page,
            "organizations": [o.name for o in organizations],
            "can_start": bool(organizations),
        },
    )
