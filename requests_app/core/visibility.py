"""Who sees what. Every list and lookup of requests, votes, comments and events goes through
these functions, so no view can forget a rule (docs/design.md section 6)."""

from django.db.models import Q

from requests_app.core.states import Status
from requests_app.models import AccessRequest, Comment, Event, Membership, Vote


def active_organization_ids(user):
    return Membership.objects.filter(user=user, state=Membership.State.ACTIVE).values_list(
        "organization_id", flat=True
    )


def _own_requests(user):
    return Q(organization_id__in=active_organization_ids(user))


def _internal_requests(user):
    """What a person sees in an internal role: staff and administrators everything submitted,
    CAN leaders what names their CAN, members what is in vetting or what they voted on. Never
    their own organization's requests: a conflict of interest hides as well as blocks, so
    there they see only what its requestors see."""
    if user.is_cceh_staff or user.is_superuser:
        scope = Q(status__in=Status.AFTER_SUBMISSION)
    else:
        # Empty for someone who leads no CAN: a subquery, not a query of its own on every check.
        naming_my_can = AccessRequest.cans.through.objects.filter(can__leaders=user).values(
            "accessrequest_id"
        )
        scope = Q(pk__in=naming_my_can, status__in=Status.AFTER_SUBMISSION)
        if user.is_committee_member:
            scope |= Q(status=Status.VETTING) | Q(
                pk__in=Vote.objects.filter(voter=user).values("request_id")
            )
    return scope & ~_own_requests(user)


def _active(user):
    return user.is_authenticated and user.is_active


def requests_visible_to(user):
    if not _active(user):
        return AccessRequest.objects.none()
    return AccessRequest.objects.filter(_own_requests(user) | _internal_requests(user))


def requests_seen_internally_by(user):
    """Requests on which `user` takes part in the internal discussion."""
    if not _active(user):
        return AccessRequest.objects.none()
    return AccessRequest.objects.filter(_internal_requests(user))


def comments_visible_to(user):
    """Internal comments to those inside; messages with the requestor to everyone who sees
    the request."""
    if not _active(user):
        return Comment.objects.none()
    return Comment.objects.filter(
        Q(request__in=requests_seen_internally_by(user))
        | Q(visibility=Comment.Visibility.REQUESTOR, request__in=requests_visible_to(user))
    )


def events_visible_to(user):
    """Internal history to those inside, the requestor's part to the requestor; a vote's event
    only to those who may see that request's votes."""
    if not _active(user):
        return Event.objects.none()
    return Event.objects.filter(
        Q(request__in=requests_seen_internally_by(user))
        | Q(visible_to_requestor=True, request__in=requests_visible_to(user))
    ).exclude(
        Q(kind=Event.Kind.VOTED) & ~Q(request__in=votes_visible_to(user).values("request_id"))
    )


def votes_visible_to(user):
    """Staff and chairs see every vote. A member sees their own, and the others' on a request
    only once they have voted on it themselves. Requestors and CAN leaders see none."""
    if not _active(user):
        return Vote.objects.none()
    if user.is_cceh_staff or user.is_committee_chair or user.is_superuser:
        return Vote.objects.filter(request__in=requests_seen_internally_by(user))
    if user.is_committee_member:
        return Vote.objects.filter(
            Q(voter=user) | Q(request__in=Vote.objects.filter(voter=user).values("request_id")),
            request__in=requests_seen_internally_by(user),
        )
    return Vote.objects.none()
