"""Where each person starts, the health check, and the organization page: set one up, join one,
accept or decline who asks to join."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import DatabaseError, connection, transaction
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from requests_app.accounts import roles, sessions
from requests_app.accounts.forms import JoinOrganizationForm, OrganizationForm, ProposeRoleForm
from requests_app.core import permissions
from requests_app.core.paging import paginate
from requests_app.core.permissions import leads_a_can
from requests_app.core.visibility import (
    active_organization_ids,
)
from requests_app.models import (
    Membership,
)
from requests_app.pages.views import landing

# Where each role starts, most demanding first: the first role a person holds wins.
HOME_PAGES = [
    (permissions.is_cceh_staff, "queue"),
    (permissions.is_committee_member, "docket"),
    (leads_a_can, "can_requests"),
    (lambda user: user.is_staff, "admin:index"),
]


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


def home(request):
    """An anonymous visitor reads what the service is (the landing page); a signed-in person
    goes to the page their first role starts on."""
    if not request.user.is_authenticated:
        return landing(request)
    for predicate, page in HOME_PAGES:
        if predicate(request.user):
            return redirect(page)
    return redirect("my_requests")


# The organization page's lists, bounded: an organization may have many members, a page at a
# time; requests to join are a queue worked from its oldest, so the oldest are shown and the
# rest follow as these are accepted or declined.
MEMBERS_PAGE_SIZE = 25
PENDING_SHOWN = 25


def _pending_of(user):
    """Requests to join the organizations `user` is an active member of: the ones they may
    accept or decline (membership_accept, membership_decline)."""
    return Membership.objects.filter(
        state=Membership.State.PENDING,
        organization_id__in=active_organization_ids(user),
    )


def _roles_of(active, role_form=None):
    """Each organization's roles on the page: its signatory and security officer, the proposals
    waiting for CCEH staff, and the form to propose (the failed one, with what was typed). Two
    queries for the holders and one for the proposals, whatever the number of organizations;
    each organization's form lists its members when drawn."""
    ids = [m.organization_id for m in active]
    held = roles.current_roles(ids)
    waiting = {}
    for proposal in roles.pending_of(ids).select_related("person", "proposed_by").order_by("pk"):
        waiting.setdefault(proposal.organization_id, []).append(proposal)
    for m in active:
        organization = m.organization
        m.signatory = held.get((organization.pk, roles.Role.SIGNATORY))
        m.security_officer = held.get((organization.pk, roles.Role.SECURITY_OFFICER))
        m.waiting = waiting.get(organization.pk, [])
        m.role_form = (
            role_form
            if role_form is not None and role_form.organization.pk == organization.pk
            else ProposeRoleForm(organization=organization)
        )
    return held


def _role_words(held, membership):
    """A member's roles in their organization, in words."""
    words = [
        proposal.get_role_display()
        for (organization_id, _role), proposal in sorted(held.items())
        if (organization_id, proposal.person_id) == (membership.organization_id, membership.user_id)
    ]
    return ", ".join(words) or "Member"


def _organization_page(request, create_form=None, join_form=None, status=200, role_form=None):
    """For a member: their organizations' details, members and roles, who asks to join, and the
    forms to set up or join another folded below. For someone in none yet: the two forms."""
    # In the organizations' alphabetical order, as their members are listed; without an order
    # the database may give them in any.
    memberships = list(
        Membership.objects.filter(user=request.user)
        .select_related("organization")
        .order_by("organization__name", "pk")
    )
    active = [m for m in memberships if m.state == Membership.State.ACTIVE]
    held = _roles_of(active, role_form)
    for m in active:
        m.role_words = _role_words(held, m)
    context = {
        "active": active,
        "asked": [m for m in memberships if m.state == Membership.State.PENDING],
        "create_form": create_form or OrganizationForm(),
        "join_form": join_form or JoinOrganizationForm(user=request.user),
        # A form that failed is shown open, with its errors and what was typed.
        "forms_open": bool(create_form or join_form),
    }
    if active:
        context["members"] = paginate(
            request,
            Membership.objects.filter(
                organization_id__in=[m.organization_id for m in active],
                state=Membership.State.ACTIVE,
            ).select_related("user", "organization"),
            ordering=["organization__name", "user__name"],
            size=MEMBERS_PAGE_SIZE,
            noun=("member", "members"),
            anchor="#members-heading",
        )
        for m in context["members"].rows:
            m.role_words = _role_words(held, m)
        pending = list(
            _pending_of(request.user)
            .select_related("user", "organization")
            .order_by("created_at", "pk")[: PENDING_SHOWN + 1]
        )
        context["pending"] = pending[:PENDING_SHOWN]
        context["more_pending"] = len(pending) > PENDING_SHOWN
    return render(request, "requests_app/accounts/organization.html", context, status=status)


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
    # A new role: the person's other sessions have ended, and this one takes a new key.
    sessions.rotate(request)
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
    return get_object_or_404(_pending_of(user), pk=pk)


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
