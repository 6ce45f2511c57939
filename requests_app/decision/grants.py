"""The state of an approval's grant in words, and what happens next, for whoever reads it: the
requesting organization, CCEH staff, or anyone else who sees the request (committee members,
CAN leaders). Every page and list that shows a request asks here, so they all say the same."""

from dataclasses import dataclass

from django.db.models import OuterRef, Subquery
from django.urls import reverse
from django.utils import timezone

from requests_app import workflow
from requests_app.core.dates import long_date
from requests_app.core.permissions import belongs_to_requesting_org, is_cceh_staff
from requests_app.core.states import AccessLevel, AgreementStatus, Status
from requests_app.decision.models import level_now
from requests_app.models import Agreement, NamedPerson, Revocation, Training

# Who reads the state: each is told what is theirs to do.
REQUESTOR, STAFF, OTHER = "requestor", "staff", "other"


@dataclass(frozen=True)
class GrantState:
    words: str  # the state, e.g. "Waiting for your signature"
    next_step: str  # what happens next, in a sentence
    action: str = ""  # the reader's own next action, when there is one...
    url: str = ""  # ...and where they take it
    ended: bool = False  # access is over: expired or revoked


def with_grant_state(queryset):
    """A list of requests with all that grant_state reads in the list's own query: the
    agreement, the newest revocation's reason and whether anyone's training is recorded. So a
    list runs the same number of queries whatever its number of rows."""
    newest_revocation = Revocation.objects.filter(request=OuterRef("pk")).order_by(
        "-revoked_at", "-pk"
    )
    trained = Training.objects.filter(
        person__request=OuterRef("pk"), person__access__revoked_at__isnull=True
    )
    return queryset.select_related("agreement").annotate(
        revocation_reason=Subquery(newest_revocation.values("reason")[:1]),
        # A training's id, not EXISTS: PostgreSQL may answer an EXISTS by hashing every trained
        # person first (120 ms at 100,000 requests, whatever the page's 25 rows); a scalar
        # subquery is asked of the page's rows alone (docs/performance.md).
        a_training=Subquery(trained.values("pk")[:1]),
    )


def _agreement(access_request):
    try:
        return access_request.agreement
    except Agreement.DoesNotExist:
        return None


def _revocation_reason(access_request):
    if hasattr(access_request, "revocation_reason"):
        return access_request.revocation_reason or ""
    newest = (
        Revocation.objects.filter(request=access_request).order_by("-revoked_at", "-pk").first()
    )
    return newest.reason if newest else ""


def _anyone_trained(access_request):
    if hasattr(access_request, "a_training"):
        return access_request.a_training is not None
    return Training.objects.filter(
        person__request=access_request, person__access__revoked_at__isnull=True
    ).exists()


def viewer_of(user, access_request):
    """Which reader `user` is of this request's grant: a member of the requesting organization
    reads it as a requestor, whatever else they are (a conflict of interest). Staff from outside
    it see every request once submitted, so they read any grant as staff."""
    if belongs_to_requesting_org(user, access_request):
        return REQUESTOR
    if is_cceh_staff(user):
        return STAFF
    return OTHER


def people_with_granted_level():
    """Named people, each with the level granted now (`granted_level`, None before an approval)
    in the same query: a list shows it beside the level requested."""
    return NamedPerson.objects.annotate(granted_level=level_now("pk"))


def mark(access_request, viewer):
    """A listed request, ready for its row: `grant`, the grant's state for `viewer`, and each
    prefetched person's `granted_label` (empty when nothing is granted to them)."""
    access_request.grant = grant_state(access_request, viewer)
    for person in access_request.people.all():
        level = getattr(person, "granted_level", None)
        person.granted_label = AccessLevel(level).label if level else ""
    return access_request


def grant_state(access_request, viewer, today=None, agreement=None):
    """The grant's state and the next step for `viewer` (REQUESTOR, STAFF or OTHER), or None
    when the request is not approved (nothing is granted) or its MOU is not issued yet.
    `agreement`: the request's, when the caller has it already."""
    if access_request.status != Status.APPROVED:
        return None
    agreement = agreement or _agreement(access_request)
    if agreement is None:
        return None
    today = today or timezone.localdate()
    mou = reverse("agreement", args=[access_request.reference])
    status = agreement.status
    requestor, staff = viewer == REQUESTOR, viewer == STAFF

    if status == AgreementStatus.ISSUED:
        if requestor:
            return GrantState(
                "Waiting for your signature",
                "Read the MOU and sign it for your organization. CCEH staff countersign it "
                "next; access starts after that and each person's HMIS training.",
                "Sign the MOU",
                f"{mou}#sign-heading",
            )
        return GrantState(
            "Waiting for the organization's signature",
            "The organization signs the MOU next; CCEH staff then countersign it.",
        )
    if status == AgreementStatus.SIGNED:
        if staff:
            return GrantState(
                "Waiting for CCEH's countersignature",
                "Countersign the MOU for CCEH.",
                "Countersign the MOU",
                f"{mou}#countersign-heading",
            )
        return GrantState(
            "Waiting for CCEH's countersignature",
            "CCEH staff countersign the MOU next. Nothing is needed from "
            f"{'you' if requestor else 'the organization'} until then.",
        )
    if status == AgreementStatus.EXECUTED:
        if staff and _anyone_trained(access_request):
            return GrantState(
                "Waiting for training",
                "Activate access for each person whose HMIS training is recorded; record the "
                "others' training as they complete it.",
                "Activate access",
                f"{mou}#activate-heading",
            )
        if staff:
            return GrantState(
                "Waiting for training",
                "Record each named person's HMIS training, then activate their access.",
                "Record training",
                f"{mou}#training-heading",
            )
        return GrantState(
            "Waiting for training",
            "Each named person completes the CT HMIS training; CCEH staff record it and then "
            "activate their access.",
        )
    if status == AgreementStatus.ACTIVE:
        ends_on = agreement.ends_on
        opens = workflow.renewal_opens_on(agreement)
        if opens is not None and today >= opens:
            if requestor:
                return GrantState(
                    f"Renewal open: active until {long_date(ends_on)}",
                    f"Access ends on {long_date(ends_on)}. Start the renewal so it can be decided "
                    "before then.",
                    "Start the renewal",
                    mou,
                )
            return GrantState(
                f"Renewal open: active until {long_date(ends_on)}",
                f"The organization can start the renewal; access ends on {long_date(ends_on)}.",
            )
        return GrantState(
            f"Active until {long_date(ends_on)}",
            "Access is granted. The MOU states each person's access level"
            + (f"; a renewal can be started from {long_date(opens)}." if opens else "."),
        )
    if status == AgreementStatus.EXPIRED:
        ended = timezone.localdate(agreement.ended_at) if agreement.ended_at else agreement.ends_on
        return GrantState(
            f"Expired on {long_date(ended)}",
            "Access ended with its term. "
            + (
                "To use HMIS again, start a new request."
                if requestor
                else "The organization can apply again with a new request."
            ),
            "Start a new request" if requestor else "",
            reverse("request_new") if requestor else "",
            ended=True,
        )
    # Revoked.
    ended = timezone.localdate(agreement.ended_at) if agreement.ended_at else today
    reason = _revocation_reason(access_request)
    words = f"Revoked on {long_date(ended)}" + (f": {reason}" if reason else "")
    return GrantState(
        words,
        "CCEH revoked this access; nobody uses HMIS under this MOU any more. The revocation "
        "counts against the organization's good standing in any later request (1.10).",
        ended=True,
    )
