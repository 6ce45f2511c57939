"""An organization's roles on the web: a member proposes from the organization page; CCEH staff
confirm or decline from their list of proposals waiting (docs/design.md section 2,
"Organization roles"). The services ask the same predicates (core/permissions.py)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from requests_app.accounts import role_services, roles
from requests_app.accounts.forms import DeclineRoleForm, ProposeRoleForm
from requests_app.accounts.views import _organization_page
from requests_app.core import permissions
from requests_app.core.actions import ActionRefused
from requests_app.core.paging import paginate
from requests_app.core.visibility import active_organization_ids
from requests_app.core.web import role_required
from requests_app.models import Organization

PROPOSALS_PAGE_SIZE = 25


@login_required
@require_POST
def role_propose(request, pk):
    """A member proposes; an organization the person is not an active member of is not found."""
    organization = get_object_or_404(
        Organization.objects.filter(pk__in=active_organization_ids(request.user)), pk=pk
    )
    form = ProposeRoleForm(request.POST, organization=organization)
    if form.is_valid():
        try:
            proposal = role_services.propose_role(
                organization,
                request.user,
                form.cleaned_data["role"],
                form.person,
                form.cleaned_data["title"],
            )
        except ActionRefused as refused:
            for problem in refused.problems:
                form.add_error(None, problem)
        else:
            messages.success(
                request,
                f"You proposed {proposal.person.name} as {proposal.get_role_display().lower()} "
                f"of {organization.name}. CCEH staff confirm or decline it; the members are told.",
            )
            return redirect("organization")
    return _organization_page(request, role_form=form, status=400)


def _proposals_page(request, declined=None, refused=None, status=200):
    """The proposals waiting, oldest first, a page at a time; with each, whom it would replace,
    and either the viewer's buttons or why they may not answer it. A fixed number of queries."""
    page = paginate(
        request,
        roles.pending().select_related("organization", "person", "proposed_by"),
        ordering=["proposed_at", "pk"],
        size=PROPOSALS_PAGE_SIZE,
        noun=("proposal", "proposals"),
    )
    held = roles.current_roles({p.organization_id for p in page.rows})
    own = set(active_organization_ids(request.user))
    conflict = permissions.ROLE_DECIDER[1].message
    for proposal in page.rows:
        proposal.replaces = held.get((proposal.organization_id, proposal.role))
        proposal.conflict = conflict if proposal.organization_id in own else ""
        proposal.decline_form = (
            declined
            if declined is not None and declined.proposal_pk == proposal.pk
            else DeclineRoleForm(proposal=proposal)
        )
        proposal.refused = refused if refused and refused[0] == proposal.pk else None
    return render(
        request,
        "requests_app/accounts/organization_roles.html",
        {"page": page, "has_errors": status == 400},
        status=status,
    )


@role_required(permissions.is_cceh_staff)
@require_GET
def organization_roles(request):
    return _proposals_page(request)


def _waiting(pk):
    """A proposal still waiting for an answer, or 404 (one answered already is not listed)."""
    return get_object_or_404(roles.pending().select_related("organization", "person"), pk=pk)


@role_required(permissions.is_cceh_staff)
@require_POST
def role_confirm(request, pk):
    proposal = _waiting(pk)
    try:
        role_services.confirm_role(proposal, request.user)
    except ActionRefused as refused:
        return _proposals_page(request, refused=(proposal.pk, refused.problems), status=400)
    messages.success(
        request,
        f"{proposal.person.name} is now the {proposal.get_role_display().lower()} of "
        f"{proposal.organization.name}. Its members are told.",
    )
    return redirect("organization_roles")


@role_required(permissions.is_cceh_staff)
@require_POST
def role_decline(request, pk):
    proposal = _waiting(pk)
    form = DeclineRoleForm(request.POST, proposal=proposal)
    if form.is_valid():
        try:
            role_services.decline_role(proposal, request.user, form.cleaned_data["reason"])
        except ActionRefused as refused:
            for problem in refused.problems:
                form.add_error(None, problem)
        else:
            messages.success(
                request,
                f"You declined {proposal.person.name} as {proposal.get_role_display().lower()} "
                f"of {proposal.organization.name}. Its members are told why.",
            )
            return redirect("organization_roles")
    return _proposals_page(request, declined=form, status=400)
