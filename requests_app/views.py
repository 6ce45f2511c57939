"""Thin function views: parse a form, call one action, redirect."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError, connection, transaction
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from . import rules
from .choices import Status
from .forms import JoinOrganizationForm, OrganizationForm
from .models import Membership
from .visibility import (
    active_organization_ids,
    events_visible_to,
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
    return queryset.select_related("organization", "assignee").prefetch_related("cans", "people")


@login_required
def my_requests(request):
    organizations = active_organization_ids(request.user)
    if not Membership.objects.filter(user=request.user).exists():
        return redirect("organization")
    own = requests_visible_to(request.user).filter(organization_id__in=organizations)
    return render(
        request,
        "requests_app/requestor/my_requests.html",
        {"requests": _listed(own).order_by("-updated_at")},
    )


@role_required(rules.is_cceh_staff)
def queue(request):
    waiting = requests_visible_to(request.user).filter(status__in=Status.OPEN)
    return render(
        request,
        "requests_app/staff/queue.html",
        {"requests": _listed(waiting).order_by("status_changed_at")},
    )


@role_required(rules.is_committee_member)
def docket(request):
    vetting = requests_visible_to(request.user).filter(status=Status.VETTING)
    return render(
        request,
        "requests_app/committee/docket.html",
        {"requests": _listed(vetting).order_by("voting_deadline")},
    )


@role_required(leads_a_can)
def can_requests(request):
    naming = (
        requests_visible_to(request.user).filter(cans__in=request.user.led_cans.all()).distinct()
    )
    return render(
        request,
        "requests_app/can/can_requests.html",
        {
            "requests": _listed(naming).order_by("status_changed_at"),
            "cans": request.user.led_cans.all(),
        },
    )


@login_required
def request_detail(request, reference):
    access_request = get_object_or_404(
        _listed(requests_visible_to(request.user)), reference=reference
    )
    events = events_visible_to(request.user).filter(request=access_request).select_related("actor")
    return render(
        request,
        "requests_app/requests/detail.html",
        {"access_request": access_request, "events": events},
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
