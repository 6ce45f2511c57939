"""The MOU's page and the life of the access it grants: sign, countersign, correct, record
training, activate, revoke, renew; and staff's provisioning list. Thin function views, as in
views.py: parse a form, call one workflow action, redirect."""

import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from . import grants, rules, workflow
from .agreement_forms import (
    ActivateForm,
    AmendForm,
    PrepareForm,
    RevokeForm,
    SignForm,
    TrainingForm,
)
from .choices import AccessLevel
from .models import Agreement, StoredFileAltered, Training
from .views import _visible_request, csv_download, role_required, run_form

logger = logging.getLogger(__name__)


def _agreement(request, reference):
    """The MOU of a request the person sees, or 404."""
    access_request = _visible_request(request, reference)
    agreement = Agreement.objects.filter(request=access_request).first()
    if agreement is None:
        raise Http404("This request has no MOU: it has not been approved.")
    agreement.request = access_request
    return agreement


def _url(agreement):
    return reverse("agreement", args=[agreement.request.reference])


def _forms(agreement, user, actions, bound, current):
    people = list(agreement.request.people.all())
    organization = agreement.request.organization.name
    forms = {
        "sign": lambda: SignForm(
            statement=workflow.SIGNING_STATEMENT.format(organization=organization),
            prefix="sign",
            initial={"full_name": user.name},
            mou=current,
        ),
        "countersign": lambda: SignForm(
            statement=workflow.COUNTERSIGNING_STATEMENT,
            prefix="countersign",
            initial={"full_name": user.name},
            mou=current,
        ),
        "amend": lambda: AmendForm(
            people=people,
            granted=workflow.current_levels(agreement.request),
            decided=workflow.decided_levels(agreement.request),
            prefix="amend",
        ),
        "training": lambda: TrainingForm(people=people, prefix="training"),
        "activate": lambda: ActivateForm(prefix="activate"),
        "revoke": lambda: RevokeForm(
            people=[
                a.person for a in agreement.people.select_related("person") if not a.revoked_at
            ],
            prefix="revoke",
        ),
        "prepare": lambda: PrepareForm(prefix="prepare"),
    }
    needs = {
        "sign": "sign_mou",
        "countersign": "countersign_mou",
        "amend": "amend_mou",
        "training": "record_training",
        "activate": "activate_access",
        "revoke": "revoke_access",
        "prepare": "prepare_mou",
    }
    return {
        f"{name}_form": bound.get(name) or make()
        for name, make in forms.items()
        if needs[name] in actions
    }


def _page(request, agreement, bound=None, status=200):
    bound = bound or {}
    user = request.user
    actions = set(workflow.available_agreement_actions(agreement, user))
    trainings = {}
    for row in Training.objects.filter(person__request=agreement.request).order_by("pk"):
        trainings.setdefault(row.person_id, []).append(row)
    granted = workflow.current_levels(agreement.request)
    people = [
        {
            "access": access,
            "ready": ready,
            "granted_label": AccessLevel(granted[access.person_id]).label
            if access.person_id in granted
            else "None",
            "trainings": trainings.get(access.person_id, []),
        }
        for access, ready in workflow.readiness(agreement)
    ]
    mous = list(agreement.mous.select_related("created_by"))
    current = mous[-1] if mous else None
    viewer = grants.viewer_of(user, agreement.request)
    context = {
        "agreement": agreement,
        "access_request": agreement.request,
        # Where the access stands, in words, with the reader's next step.
        "grant": grants.grant_state(agreement.request, viewer, agreement=agreement),
        "revocations": list(agreement.request.revocations.order_by("revoked_at", "pk")),
        "mous": mous,
        "pending_version": agreement.pending_version(current.version if current else 0),
        # Staff see a stored file that no longer matches its SHA-256 (it is never served).
        "altered": [m.version for m in mous if not m.matches_its_hash()]
        if rules.is_cceh_staff(user)
        and not rules.belongs_to_requesting_org(user, agreement.request)
        else [],
        "signatures": list(agreement.signatures.select_related("mou")),
        "people": people,
        "actions": actions,
        "seen": workflow.agreement_version(agreement),
        "renewal_opens_on": workflow.renewal_opens_on(agreement),
        "renewals": list(agreement.request.renewals.all()),
        "refusals": [e for form in bound.values() for e in form.non_field_errors()],
        "has_errors": any(form.errors for form in bound.values()),
        **_forms(agreement, user, actions, bound, current),
    }
    return render(request, "requests_app/agreement/agreement.html", context, status=status)


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
    return FileResponse(
        stored,
        as_attachment=True,
        filename=f"{agreement.request.reference}-MOU-v{mou.version}.pdf",
        content_type="application/pdf",
    )


def _client_ip(request):
    # Behind the proxy the deployment section describes, REMOTE_ADDR is the proxy's; the
    # proxy's own header is trusted only when the settings say a proxy is there.
    return request.META.get("REMOTE_ADDR")


def _perform(request, agreement, name, form, perform, done):
    seen = request.POST.get("seen")
    return run_form(
        request,
        form,
        perform,
        done,
        stale=lambda: workflow.lock_agreement_seen(agreement, request.user, seen),
        again=lambda form: _page(request, agreement, bound={name: form}, status=400),
        back=_url(agreement),
    )


@login_required
@require_POST
def mou_sign(request, reference):
    agreement = _agreement(request, reference)
    statement = workflow.SIGNING_STATEMENT.format(organization=agreement.request.organization.name)
    return _perform(
        request,
        agreement,
        "sign",
        SignForm(request.POST, statement=statement, prefix="sign"),
        lambda f: workflow.sign_mou(
            agreement,
            request.user,
            f.cleaned_data["full_name"],
            f.cleaned_data["title"],
            f.cleaned_data["affirmed"],
            _client_ip(request),
            given=f.given(),
        ),
        "You signed the MOU. CCEH staff countersign it next.",
    )


@login_required
@require_POST
def mou_countersign(request, reference):
    agreement = _agreement(request, reference)
    return _perform(
        request,
        agreement,
        "countersign",
        SignForm(request.POST, statement=workflow.COUNTERSIGNING_STATEMENT, prefix="countersign"),
        lambda f: workflow.countersign_mou(
            agreement,
            request.user,
            f.cleaned_data["full_name"],
            f.cleaned_data["title"],
            f.cleaned_data["affirmed"],
            _client_ip(request),
            given=f.given(),
        ),
        "You countersigned the MOU. Record each person's training to activate their access.",
    )


@login_required
@require_POST
def mou_amend(request, reference):
    agreement = _agreement(request, reference)
    people = list(agreement.request.people.all())
    form = AmendForm(
        request.POST,
        people=people,
        granted=workflow.current_levels(agreement.request),
        decided=workflow.decided_levels(agreement.request),
        prefix="amend",
    )
    return _perform(
        request,
        agreement,
        "amend",
        form,
        lambda f: workflow.amend_mou(
            agreement, request.user, f.cleaned_data["reason"], f.names(), f.levels()
        ),
        "The MOU is corrected; a new version is on its way and the organization signs again.",
    )


@login_required
@require_POST
def training_record(request, reference):
    agreement = _agreement(request, reference)
    form = TrainingForm(
        request.POST, people=list(agreement.request.people.all()), prefix="training"
    )
    return _perform(
        request,
        agreement,
        "training",
        form,
        lambda f: workflow.record_training(
            agreement,
            request.user,
            f.cleaned_data["person"],
            f.cleaned_data["completed_on"],
            f.cleaned_data["course"],
        ),
        "The training is recorded.",
    )


@login_required
@require_POST
def access_activate(request, reference):
    agreement = _agreement(request, reference)
    return _perform(
        request,
        agreement,
        "activate",
        ActivateForm(request.POST, prefix="activate"),
        lambda f: workflow.activate_access(agreement, request.user, f.cleaned_data["note"]),
        "Access is active for everyone ready. They appear on the provisioning list.",
    )


@login_required
@require_POST
def access_revoke(request, reference):
    agreement = _agreement(request, reference)
    people = [a.person for a in agreement.people.select_related("person") if not a.revoked_at]
    return _perform(
        request,
        agreement,
        "revoke",
        RevokeForm(request.POST, people=people, prefix="revoke"),
        lambda f: workflow.revoke_access(
            agreement, request.user, f.cleaned_data["reason"], f.person_id()
        ),
        "Access is revoked. The organization is told, and later requests show it (1.10).",
    )


@login_required
@require_POST
def mou_prepare(request, reference):
    agreement = _agreement(request, reference)
    return _perform(
        request,
        agreement,
        "prepare",
        PrepareForm(request.POST, prefix="prepare"),
        lambda f: workflow.prepare_mou(agreement, request.user),
        "The MOU is being prepared again.",
    )


@login_required
@require_POST
def renewal_start(request, reference):
    agreement = _agreement(request, reference)
    try:
        renewal = workflow.start_renewal(agreement, request.user)
    except workflow.ActionRefused as refused:
        for problem in refused.problems:
            messages.error(request, problem)
        return redirect(_url(agreement))
    messages.success(
        request,
        f"The renewal {renewal.reference} is started from {agreement.request.reference}'s "
        "answers. Check each step and submit it.",
    )
    return redirect(reverse("application_step", args=[renewal.reference, "organization"]))


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


def _provisioning_rows(user):
    rows = []
    for access in workflow.provisioning_list(user):
        r = access.agreement.request
        rows.append(
            {
                "access": access,
                "level": AccessLevel(access.level).label,
                "scope": "Statewide" if r.statewide else "; ".join(c.name for c in r.cans.all()),
                "mou": f"{r.reference} v{access.mou_version}",
            }
        )
    return rows


@role_required(rules.is_cceh_staff)
def provisioning(request):
    if request.method == "POST":
        try:
            done = workflow.provision_access(request.user, request.POST.getlist("access"))
        except workflow.ActionRefused as refused:
            for problem in refused.problems:
                messages.error(request, problem)
        else:
            messages.success(
                request,
                f"Marked {len(done)} {'person' if len(done) == 1 else 'people'} as given an "
                "HMIS account.",
            )
        return redirect("provisioning")
    return render(
        request, "requests_app/staff/provisioning.html", {"rows": _provisioning_rows(request.user)}
    )


@role_required(rules.is_cceh_staff)
def provisioning_export(request):
    today = timezone.localdate()

    def rows():
        yield PROVISIONING_COLUMNS
        for row in _provisioning_rows(request.user):
            a = row["access"]
            yield [
                a.person.name,
                a.person.email,
                a.person.title,
                a.agreement.request.organization.name,
                row["level"],
                row["scope"],
                row["mou"],
                f"{timezone.localtime(a.activated_at):%Y-%m-%d}",
                f"{a.agreement.ends_on:%Y-%m-%d}",
            ]

    return csv_download(rows(), f"hmis-provisioning-{today}.csv")
