"""Who sees what. Every list and lookup of requests, votes, comments and events goes through
these functions, so no view can forget a rule (docs/design.md section 6).

Each rule is written once, as a condition on a request reached through a path (`""` from a
request itself, `"request__"` from a row that belongs to one), and tested with joins and EXISTS
on that row: asking "which events may this person see" then reads the request the event belongs
to, by its key, instead of listing every request the person may see (docs/performance.md)."""

from django.db.models import Exists, OuterRef, Q

from requests_app.core.states import Status
from requests_app.models import AccessRequest, Comment, Event, Membership, Vote


def active_organization_ids(user):
    return Membership.objects.filter(user=user, state=Membership.State.ACTIVE).values_list(
        "organization_id", flat=True
    )


def _key(path):
    """The column holding the request's id, as seen from the row the path starts at."""
    return f"{path}id" if path else "pk"


def _own(user, path):
    return Q(**{f"{path}organization_id__in": active_organization_ids(user)})


def _voted_on(user, path):
    """IN the requests the member voted on, read once per query (a hashed subplan), not an
    EXISTS probed for every request: on the dashboard's counts over 100,000 requests the probes
    took half a second."""
    return Q(**{f"{_key(path)}__in": Vote.objects.filter(voter=user).values("request_id")})


def _internal(user, path):
    """What a person sees in an internal role: staff and administrators everything submitted,
    CAN leaders what names their CAN, members what is in vetting or what they voted on. Never
    their own organization's requests: a conflict of interest hides as well as blocks, so
    there they see only what its requestors see."""
    submitted = _submitted(path)
    if user.is_cceh_staff or user.is_superuser:
        return submitted & ~_own(user, path)
    scope = _names_led_can(user, path) & submitted
    if user.is_committee_member:
        scope |= Q(**{f"{path}status": Status.VETTING}) | Q(_voted_on(user, path))
    return scope & ~_own(user, path)


def _submitted(path):
    """Status.AFTER_SUBMISSION, written as "not a draft": PostgreSQL proves a partial index
    (open_requests_waiting) against every list of statuses in a query, and with this rule
    repeated in ORs the proof of a seven-value list took 10 ms of planning per query."""
    return ~Q(**{f"{path}status": Status.DRAFT})


def _names_led_can(user, path):
    """False for someone who leads no CAN, without a query of its own on every check."""
    return Q(
        Exists(
            AccessRequest.cans.through.objects.filter(
                accessrequest_id=OuterRef(_key(path)), can__leaders=user
            )
        )
    )


def _seen(user, path):
    return _own(user, path) | _internal(user, path)


def _active(user):
    return user.is_authenticated and user.is_active


def requests_visible_to(user):
    if not _active(user):
        return AccessRequest.objects.none()
    return AccessRequest.objects.filter(_seen(user, ""))


def requests_seen_internally_by(user):
    """Requests on which `user` takes part in the internal discussion."""
    if not _active(user):
        return AccessRequest.objects.none()
    return AccessRequest.objects.filter(seen_internally(user, ""))


def naming_cans_led_by(user):
    """The requests naming a CAN `user` leads that they see inside: the CAN leader's list.
    The CAN leader's part of `_internal` alone, as whatever else a person sees inside is
    submitted too; its EXISTS written once, so the database reads the CAN's rows once."""
    if not _active(user):
        return AccessRequest.objects.none()
    return AccessRequest.objects.filter(_names_led_can(user, "") & _submitted("") & ~_own(user, ""))


def seen_internally(user, path):
    """The condition of `requests_seen_internally_by`, on the request reached through `path`
    ("agreement__request__") from the rows of another table."""
    return _internal(user, path) if _active(user) else Q(pk__in=[])


def seen_internally_by_key(user, key):
    """The condition of `requests_seen_internally_by` on the rows of a large table that hold a
    request's id in `key` ("request_id", "agreement__request_id"), for counting many of them
    (the dashboard): tested against sets of requests, each read once by its own index, not by
    joining each row to its request. Anyone's is NOT IN the requests they never see inside
    (drafts, their own organization's); for anyone but staff, also IN those they may see (the
    requests naming a CAN they lead, and for members those in vetting and those they voted
    on). The same rule as `_internal`, written as sets (docs/performance.md): a request in
    vetting or voted on is never a draft, so the drafts leave the union as they leave each
    part."""
    if not _active(user):
        return Q(pk__in=[])
    # Each side of a UNION reads its own index (an OR of the two read every request); each
    # `order_by()` because SQLite refuses an ORDER BY inside a compound query.
    drafts = AccessRequest.objects.exclude(_submitted("")).order_by().values("pk")
    own = AccessRequest.objects.filter(_own(user, "")).order_by().values("pk")
    unseen = ~Q(**{f"{key}__in": drafts.union(own)})
    if user.is_cceh_staff or user.is_superuser:
        return unseen
    seen = (
        AccessRequest.cans.through.objects.filter(can__leaders=user)
        .order_by()
        .values("accessrequest_id")
    )
    if user.is_committee_member:
        vetting = AccessRequest.objects.filter(status=Status.VETTING).order_by().values("pk")
        voted = Vote.objects.filter(voter=user).order_by().values("request_id")
        seen = seen.union(vetting, voted)
    return Q(**{f"{key}__in": seen}) & unseen


def comments_visible_to(user):
    """Internal comments to those inside; messages with the requestor to everyone who sees
    the request."""
    if not _active(user):
        return Comment.objects.none()
    return Comment.objects.filter(
        _internal(user, "request__")
        | Q(visibility=Comment.Visibility.REQUESTOR) & _seen(user, "request__")
    )


def events_visible_to(user):
    """Internal history to those inside, the requestor's part to the requestor; a vote's event
    only to those who may see that request's votes."""
    if not _active(user):
        return Event.objects.none()
    return Event.objects.filter(
        _internal(user, "request__") | Q(visible_to_requestor=True) & _seen(user, "request__")
    ).exclude(Q(kind=Event.Kind.VOTED) & ~_sees_votes(user, "request__"))


def _sees_votes(user, path):
    """Staff and chairs see every vote of a request they see inside. A member sees them once
    they have voted on it themselves. Requestors and CAN leaders see none."""
    if user.is_cceh_staff or user.is_committee_chair or user.is_superuser:
        return _internal(user, path)
    if user.is_committee_member:
        return Q(_voted_on(user, path)) & _internal(user, path)
    return Q(pk__in=[])


def votes_visible_to(user):
    if not _active(user):
        return Vote.objects.none()
    return Vote.objects.filter(_sees_votes(user, "request__"))
