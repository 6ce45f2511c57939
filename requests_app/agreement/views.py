"""The MOU's page, its stored versions, the renewal's start and staff's provisioning list. The
page's forms post to the one action view (core/web.py); each is a row of requests_app/actions.py."""

import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from requests_app import workflow
from requests_app.accounts import roles
from requests_app.agreement import amendments, due
from requests_app.agreement.access import awaiting_signature
from requests_app.agreement.departures import REPORT_WITHIN
from requests_app.agreement.forms import ProvisionForm, ReviewForm, UserAgreementForm
from requests_app.application.queries import visible_request
from requests_app.application.record import scope_words
from requests_app.audit.models import ReadLogEntry
from requests_app.audit.services import record_read
from requests_app.core import permissions
from requests_app.core.actions import (
    AGREEMENT,
    ActionRefused,
    available,
    refusals,
    version,
)
from requests_app.core.files import csv_download
from requests_app.core.paging import paginate
from requests_app.core.states import AccessLevel
from requests_app.core.web import (
    PAGES,
    Page,
    action_forms,
    mark_ticked,
    page_out_of_date,
    role_required,
    run_form,
)
from requests_app.decision import grants
from requests_app.models import Agreement, StoredFileAltered, Training

logger = logging.getLogger(__name__)


def _agreement(request, reference):
    """The MOU of a request the person sees, or 404."""
    access_request = visible_request(request, reference)
    agreement = Agreement.objects.filter(request=access_request).first()
    if agreement is None:
        raise Http404("This request has no MOU: it has not been approved.")
    agreement.request = access_request
    return agreement


def _url(agreement):
    return reverse("agreement", args=[agreement.request.reference])


def _page(request, agreement, bound=None, status=200):
    bound = bound or {}
    user = request.user
    # Who signs for the organization, and its security officer (docs/design.md section 2,
    # "Organization roles"): read once, for the page's facts and for who may sign.
    organization = agreement.request.organization
    held = roles.current_roles([organization.pk])
    signatory = held.get((organization.pk, roles.Role.SIGNATORY))
    permissions.known_signatory(agreement.request, signatory.person if signatory else None)
    actions = set(available(agreement, user))
    trainings = {}
    for row in Training.objects.filter(person__request=agreement.request).order_by("pk"):
        trainings.setdefault(row.person_id, []).append(row)
    granted = workflow.current_levels(agreement.request)
    unsigned = awaiting_signature(agreement)
    people = [
        {
            "access": access,
            "ready": ready,
            "granted_label": AccessLevel(granted[access.person_id]).label
            if access.person_id in granted
            else "None",
            "trainings": trainings.get(access.person_id, []),
            # Added by an amendment the organization has not signed yet.
            "unsigned": access.person_id in unsigned,
            "dues": access.dues,
        }
        for access, ready in workflow.readiness(agreement)
    ]
    # The additions waiting for CCEH's decision, for staff and the organization alike.
    pending = amendments.pending_list(agreement)
    # The MOU's yearly review falls due for all its people alike (agreement/due.py).
    review_due = next((p["dues"].review for p in people if p["dues"].review), None)
    mous = list(agreement.mous.select_related("created_by"))
    current = mous[-1] if mous else None
    viewer = grants.viewer_of(user, agreement.request)
    context = {
        "agreement": agreement,
        "access_request": agreement.request,
        "signatory": signatory,
        "security_officer": held.get((organization.pk, roles.Role.SECURITY_OFFICER)),
        "of_the_organization": permissions.belongs_to_requesting_org(user, agreement.request),
        # Where the access stands, in words, with the reader's next step.
        "grant": grants.grant_state(agreement.request, viewer, agreement=agreement),
        "revocations": list(agreement.request.revocations.order_by("revoked_at", "pk")),
        "mous": mous,
        "pending_version": agreement.pending_version(current.version if current else 0),
        # Staff see when the newest version's file no longer matches its SHA-256: the version
        # read and signed now, worth reading one file per view. Any version's file is checked
        # whenever it is served (`mou_download`), so an altered one is never handed out, and no
        # view reads every version's file.
        "altered": [current.version]
        if current
        and permissions.is_cceh_staff(user)
        and not permissions.belongs_to_requesting_org(user, agreement.request)
        and not current.matches_its_hash()
        else [],
        "signatures": list(agreement.signatures.select_related("mou")),
        "people": people,
        "review_due": review_due,
        "actions": actions,
        "seen": version(agreement),
        "renewal_opens_on": workflow.renewal_opens_on(agreement),
        "renewals": list(agreement.request.renewals.all()),
        "pending_additions": pending,
        "amending": bool(actions & {"add", "remove", "lower", "review"}),
        "refusals": [e for form in bound.values() for e in form.non_field_errors()],
        "has_errors": any(form.errors for form in bound.values()),
        **action_forms(agreement, user, actions, bound, current=current),
    }
    if "depart_form" in context and not context["depart_form"].is_bound:
        # The register's "Report a departure" link names the person: the form comes chosen.
        context["depart_form"].initial["access"] = request.GET.get("depart", "")
    context["report_within"] = REPORT_WITHIN
    response = render(request, "requests_app/agreement/agreement.html", context, status=status)
    # The page lists the people given access, their levels and trainings: a read, recorded
    # once the page is drawn.
    record_read(request, ReadLogEntry.Kind.MOU_PAGE, access_request=agreement.request)
    return response


@login_required
@require_GET
def agreement(request, reference):
    return _page(request, _agreement(request, reference))


@login_required
@require_GET
def mou_download(request, reference, version):
    """A stored MOU version, streamed as it was stored, to whoever sees the request."""
    agreement = _agreement(request, reference)
    mou = get_object_or_404(agreement.mous, version=version)
    try:
        stored = mou.open_verified()
    except StoredFileAltered:
        logger.error("Refused to serve %s: its file does not match its SHA-256.", mou)
        return render(
            request,
            "requests_app/agreement/altered.html",
            {"access_request": agreement.request, "mou": mou},
            status=409,
        )
    record_read(
        request,
        ReadLogEntry.Kind.MOU_VERSION,
        access_request=agreement.request,
        subject=f"Version {mou.version}",
    )
    return FileResponse(
        stored,
        as_attachment=True,
        filename=f"{agreement.request.reference}-MOU-v{mou.version}.pdf",
        content_type="application/pdf",
    )


def _review_page(request, agreement, form, status=200):
    context = {
        "agreement": agreement,
        "access_request": agreement.request,
        "form": form,
        "seen": version(agreement),
        "refusals": form.non_field_errors(),
        "has_errors": bool(form.errors),
    }
    response = render(request, "requests_app/agreement/review.html", context, status=status)
    record_read(request, ReadLogEntry.Kind.MOU_PAGE, access_request=agreement.request)
    return response


@login_required
@require_http_methods(["GET", "POST"])
def review(request, reference):
    """The yearly review: every person who holds access, kept, lowered or removed, submitted
    once (amendments.review_access). Refused in words, with what was chosen kept; a page read
    before someone changed the MOU is told so."""
    agreement = _agreement(request, reference)
    problems = refusals(agreement, request.user, "review")
    if problems:
        for problem in problems:
            messages.error(request, problem)
        return redirect(_url(agreement))

    def form_for(data=None):
        return ReviewForm(
            data,
            people=[a.person for a in amendments.holders(agreement)],
            granted=workflow.current_levels(agreement.request),
            prefix="review",
        )

    if request.method != "POST":
        return _review_page(request, agreement, form_for())
    return run_form(
        request,
        form_for(request.POST),
        lambda form: amendments.review_access(
            agreement, request.user, form.choices(), form.cleaned_data["note"]
        ),
        "The review is recorded. CCEH staff are told of any change.",
        stale=page_out_of_date(request, agreement),
        again=lambda form: _review_page(request, agreement, form, status=400),
        back=_url(agreement),
    )


PAGES[AGREEMENT] = Page(
    find=_agreement,
    show=lambda request, agreement, bound, status: _page(
        request, agreement, bound=bound, status=status
    ),
    back=_url,
)


@login_required
@require_POST
def renewal_start(request, reference):
    agreement = _agreement(request, reference)
    try:
        renewal = workflow.start_renewal(agreement, request.user)
    except ActionRefused as refused:
        for problem in refused.problems:
            messages.error(request, problem)
        return redirect(_url(agreement))
    messages.success(
        request,
        f"The renewal {renewal.reference} is started from {agreement.request.reference}'s "
        "answers. Check each step and submit it.",
    )
    return redirect(reverse("application_step", args=[renewal.reference, "organization"]))


PROVISIONING_PAGE_SIZE = 25

PROVISIONING_COLUMNS = [
    "Name",
    "E-mail",
    "Title",
    "Organization",
    "Access level",
    "CAN scope",
    "MOU",
    "Active since",
    "Access ends",
]


def _provisioning_rows(accesses):
    rows = []
    for access in accesses:
        r = access.agreement.request
        rows.append(
            {
                "access": access,
                "level": AccessLevel(access.level).label,
                "scope": scope_words(r.statewide, "; ".join(c.name for c in r.cans.all())),
                "mou": f"{r.reference} v{access.mou_version}",
            }
        )
    return rows


@role_required(permissions.is_cceh_staff)
def provisioning(request):
    if request.method == "POST":
        return mark_ticked(
            request,
            ProvisionForm(request.POST, user=request.user),
            "provision",
            workflow.provision_access,
            lambda n: f"Marked {n} {'person' if n == 1 else 'people'} as given an HMIS account.",
            "provisioning",
        )
    page = paginate(
        request,
        workflow.provisioning_list(request.user),
        ordering=["activated_at", "pk"],  # the longest waiting for an account first
        size=PROVISIONING_PAGE_SIZE,
        noun=("person", "people"),
    )
    return render(
        request,
        "requests_app/agreement/provisioning.html",
        {"rows": _provisioning_rows(page.rows), "page": page},
    )


@role_required(permissions.is_cceh_staff)
def provisioning_export(request):
    """The provisioning list as CSV, streamed, in one query whatever its length."""
    today = timezone.localdate()

    def rows():
        yield PROVISIONING_COLUMNS
        for a in workflow.provisioning_table(request.user).iterator(chunk_size=2000):
            yield [
                a.person__name,
                a.person__email,
                a.person__title,
                a.agreement__request__organization__name,
                a.level_label,
                scope_words(a.agreement__request__statewide, a.scope or ""),
                f"{a.agreement__request__reference} v{a.mou_version}",
                f"{timezone.localtime(a.activated_at):%Y-%m-%d}",
                f"{a.agreement__ends_on:%Y-%m-%d}",
            ]

    return csv_download(request, rows(), f"hmis-provisioning-{today}.csv")


# The signed-in person's own user agreement (agreement/due.py): each MOU that names them by a
# verified e-mail address of theirs, their due dates, and the text with a form to sign it.


def _my_agreement_page(request, bound=None, status=200):
    user = request.user
    today = timezone.localdate()
    shown = workflow.user_agreement_text()
    rows = []
    for access in workflow.my_accesses(user)[: due.MY_AGREEMENTS_SHOWN]:
        dues = workflow.dues_of(access, access.agreement)
        may_sign = due.signable(access, today)
        form = None
        if may_sign:
            form = (bound or {}).get(access.person_id) or UserAgreementForm(
                person=access.person, sha256=shown.sha256, initial={"full_name": user.name}
            )
        rows.append({"access": access, "dues": dues, "form": form})
    context = {
        "rows": rows,
        "text": shown,
        "signing": any(row["form"] for row in rows),
        "reminder_days": settings.ACCESS_REMINDER_DAYS_BEFORE,
        "has_errors": any(form.errors for form in (bound or {}).values()),
    }
    return render(request, "requests_app/agreement/my_agreement.html", context, status=status)


@login_required
@require_GET
def my_agreement(request):
    return _my_agreement_page(request)


@login_required
@require_POST
def my_agreement_sign(request, person_id):
    """Sign as one of the people `my_agreement` lists; anyone else's is a 404."""
    access = workflow.my_accesses(request.user).filter(person_id=person_id).first()
    if access is None:
        raise Http404("No user agreement of yours to sign here.")
    form = UserAgreementForm(
        request.POST, person=access.person, sha256=workflow.user_agreement_text().sha256
    )
    if form.is_valid():
        try:
            workflow.sign_user_agreement(
                request.user,
                access.person,
                form.cleaned_data["full_name"],
                form.cleaned_data["affirmed"],
                form.cleaned_data["text_sha256"],
            )
        except ActionRefused as refused:
            for problem in refused.problems:
                form.add_error(None, problem)
        else:
            messages.success(
                request,
                f"You signed the HMIS user agreement for "
                f"{access.agreement.request.organization.name}.",
            )
            return redirect("my_agreement")
    return _my_agreement_page(request, bound={access.person_id: form}, status=400)
