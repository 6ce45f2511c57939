"""The access an executed MOU grants (1.6, 1.7, 1.10): training, activation, the provisioning list,
revocation, expiry and renewal."""

import calendar
import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, Subquery
from django.utils import timezone

from requests_app import policy
from requests_app.agreement.services import move_agreement
from requests_app.application import record as application_record
from requests_app.core.actions import (
    ActionRefused,
    lock,
    require,
)
from requests_app.core.dates import long_date, time_of_day
from requests_app.core.events import record_event
from requests_app.core.exports import joined, label
from requests_app.core.inputs import text
from requests_app.core.states import AccessEnd, AccessLevel, AgreementStatus, Status
from requests_app.core.visibility import seen_internally
from requests_app.decision.levels import current_levels
from requests_app.decision.models import level_now
from requests_app.models import (
    CAN,
    AccessRequest,
    Agreement,
    AmendmentDecision,
    Event,
    MOUVersion,
    NamedPerson,
    PersonAccess,
    Revocation,
    Signature,
    Training,
)


def nobody_to_activate(agreement):
    if any(ready and not a.activated_at for a, ready in readiness(agreement)):
        return []
    return [
        "Nobody is ready to activate: record each person's training and have each sign the "
        "user agreement."
    ]


def renewal_opens_on(agreement):
    if agreement.ends_on is None:
        return None
    return agreement.ends_on - datetime.timedelta(days=settings.GRANT_RENEWAL_WINDOW_DAYS)


def renewal_problems(agreement):
    opens = renewal_opens_on(agreement)
    if opens and timezone.localdate() < opens:
        return [f"A renewal can be started from {long_date(opens)}."]
    under_way = agreement.request.renewals.exclude(status__in=Status.CLOSED).first()
    if under_way is not None:
        return [f"A renewal is already under way: {under_way.reference}."]
    return []


def add_months(day, months):
    """The same day `months` later, or the month's last day when it has no such day."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    last = calendar.monthrange(year, month)[1]
    return day.replace(year=year, month=month, day=min(day.day, last))


@transaction.atomic
def record_training(agreement, user, person, completed_on, course):
    """`person`: the NamedPerson trained, one of those the MOU names."""
    locked = lock(agreement, user, "training")
    course = text(course)
    require(
        "training",
        (
            person is None or person.request_id != locked.request_id,
            "Choose a person this MOU names.",
        ),
        (not course, "Name the training course."),
        (completed_on is None, "Give the date the training was completed."),
        (
            completed_on is not None and completed_on > timezone.localdate(),
            "The training date cannot be in the future.",
        ),
    )
    training = Training.objects.create(
        person=person, completed_on=completed_on, course=course, recorded_by=user
    )
    record_event(
        locked.request,
        user,
        Event.Kind.TRAINING_RECORDED,
        note=f"{course}, {long_date(completed_on)}",
        data={"people": [person.name]},
        public=True,
    )
    # A suspended person whom this training makes current returns to active at once.
    from requests_app.agreement.due import bring_current

    bring_current(locked, user)
    return training


def awaiting_signature(agreement):
    """The ids of the people added by an amendment whose organization has not signed the
    amended MOU yet: a signature for the organization on the version that added them, or on
    any later one (agreement/amendments.py). One query, kept on the agreement object for as
    long as it lives (one page, or one action under its lock)."""
    memo = agreement.__dict__.setdefault("_amending", {})
    if "unsigned" not in memo:
        signed = Signature.objects.filter(
            agreement=OuterRef("amendment__agreement"),
            party=Signature.Party.ORGANIZATION,
            mou__version__gte=OuterRef("mou_version"),
        )
        memo["unsigned"] = set(
            AmendmentDecision.objects.filter(amendment__agreement=agreement, approved=True)
            .exclude(Exists(signed))
            .values_list("person_id", flat=True)
        )
    return memo["unsigned"]


def readiness(agreement):
    """Each named person's access, and whether they are ready for it: the MOU executed (and
    for a person added since, the amendment signed), their training current and their own user
    agreement signed and current (1.7; training before access, agreement/due.py). Each access
    carries its due dates as `dues`."""
    from requests_app.agreement import due

    executed = agreement.status in AgreementStatus.EXECUTED_OR_ACTIVE
    unsigned = awaiting_signature(agreement)
    today = timezone.localdate()
    states = []
    for access in due.with_dues(agreement.people.select_related("person")):
        access.dues = due.dues_of(access, agreement)
        access.unsigned = access.person_id in unsigned
        states.append(
            (
                access,
                executed
                and due.ready_for_access(access, agreement, today)
                and not access.revoked_at
                and not access.ended_on
                and not access.unsigned,
            )
        )
    return states


def missing_for_access(access, today=None):
    """What a person (an access from `readiness`) still needs before activation, in words."""
    today = today or timezone.localdate()
    missing = []
    if access.unsigned:
        missing.append("the amended MOU signed by the organization")
    if access.trained_on is None or access.dues.training <= today:
        missing.append("current training")
    if access.agreed_at is None or access.dues.agreement <= today:
        missing.append("a signed user agreement")
    return " and ".join(missing)


def end_access(accesses, reason, on):
    """End each person's access (PersonAccess rows of one agreement, whose lock the caller
    holds) on the date `on`, for `reason` (AccessEnd). They leave the provisioning list and,
    once activated, are on the deprovisioning list until staff close their HMIS account
    (docs/design.md). Access already ended stays as it ended, except that a final end replaces
    a suspension. The caller records the event. Returns those ended now."""
    reason = AccessEnd(reason)
    ended = []
    for access in accesses:
        if access.ended_on and not (
            access.end_reason == AccessEnd.SUSPENDED and reason in AccessEnd.FINAL
        ):
            continue
        access.ended_on, access.end_reason = on, reason
        access.save(update_fields=["ended_on", "end_reason"])
        ended.append(access)
    return ended


def resume_access(access):
    """A suspended person is current again: active once more without a new application. Their
    HMIS account is to be given again, so they return to the provisioning list. The caller
    holds the agreement's lock and records the event."""
    if access.end_reason != AccessEnd.SUSPENDED:
        raise ValueError("Only a suspension is undone.")
    access.ended_on, access.end_reason = None, ""
    access.provisioned_at = access.provisioned_by = None
    access.deprovisioned_at = access.deprovisioned_by = None
    access.save(
        update_fields=[
            "ended_on",
            "end_reason",
            "provisioned_at",
            "provisioned_by",
            "deprovisioned_at",
            "deprovisioned_by",
        ]
    )
    return access


@transaction.atomic
def activate_access(agreement, user, note=""):
    """Access starts for everyone ready. When some are not ready yet, a note says why the
    others start without them; they are activated later the same way."""
    locked = lock(agreement, user, "activate")
    note = text(note)
    states = readiness(locked)
    ready = [a for a, is_ready in states if is_ready and not a.activated_at]
    waiting = [
        f"{a.person.name} needs {missing_for_access(a)}"
        for a, is_ready in states
        if not is_ready and not a.revoked_at and not a.ended_on
    ]
    require(
        "activate",
        (
            bool(waiting) and not note,
            f"Not everyone is ready ({'; '.join(waiting)}): write a note to activate those "
            "who are.",
        ),
    )
    now = timezone.now()
    for access in ready:
        access.activated_at = now
        access.save(update_fields=["activated_at"])
    if locked.status == AgreementStatus.EXECUTED:
        ends_on = add_months(timezone.localdate(), settings.GRANT_TERM_MONTHS)
        move_agreement(locked, "activate", ends_on)
    record_event(
        locked.request,
        user,
        Event.Kind.ACCESS_ACTIVATED,
        note=note,
        data={"people": [a.person.name for a in ready]},
        public=True,
    )
    return ready


def provisioning_list(user):
    """People whose access is active and who have no HMIS account yet, across every request
    `user` sees as staff (never their own organization's): what staff export to create the
    accounts."""
    return (
        PersonAccess.objects.filter(
            seen_internally(user, "agreement__request__"),
            agreement__status=AgreementStatus.ACTIVE,
            activated_at__isnull=False,
            provisioned_at__isnull=True,
            revoked_at__isnull=True,
            ended_on__isnull=True,
        )
        .select_related("person", "agreement__request__organization")
        .prefetch_related("agreement__request__cans")
        # The level granted now (a correction adds a newer grant) and the MOU's newest
        # version, in the one query rather than two more per person.
        .annotate(
            level=level_now(),
            mou_version=Subquery(
                MOUVersion.objects.filter(agreement=OuterRef("agreement"))
                .order_by("-version")
                .values("version")[:1]
            ),
        )
        .order_by("activated_at", "pk")
    )


def provisioning_table(user):
    """The provisioning list as plain values, in one query whatever its length: what its CSV
    holds (requests_app/core/exports.py)."""
    return (
        provisioning_list(user)
        .select_related(None)
        .prefetch_related(None)
        .annotate(
            level_label=label("level", AccessLevel.choices),
            scope=joined(CAN.objects.all(), "name", by="requests", to="agreement__request"),
        )
        .values_list(
            "person__name",
            "person__email",
            "person__title",
            "agreement__request__organization__name",
            "level_label",
            "agreement__request__statewide",
            "scope",
            "agreement__request__reference",
            "mou_version",
            "activated_at",
            "agreement__ends_on",
            named=True,
        )
    )


def mark_accounts(user, accesses, *, action, listed, pending, done_as, kind, already):
    """Mark people of a staff list (`listed(user)`) as done in HMIS: `done_as` ("provisioned"
    or "deprovisioned") names the `<done_as>_at`/`_by` fields stamped, `pending` the filter of
    those still waiting, `kind` the event. Each agreement's rows are read again under its lock,
    so people a colleague marked meanwhile (or this person, in another tab) are marked once, by
    whoever was first; `already` says who did, in words."""
    chosen = [access.pk for access in accesses]
    stamped, by = f"{done_as}_at", f"{done_as}_by"
    rows = list(listed(user).filter(pk__in=chosen))
    done = []
    for agreement_id in sorted({r.agreement_id for r in rows}):
        locked = lock(Agreement.objects.get(pk=agreement_id), user, action)
        mine = list(
            locked.people.select_for_update(of=("self",))
            .filter(pending, pk__in=chosen)
            .select_related("person")
        )
        if not mine:
            continue
        now = timezone.now()
        for access in mine:
            setattr(access, stamped, now)
            setattr(access, by, user)
            access.save(update_fields=[stamped, by])
        record_event(
            locked.request, user, kind, data={"people": [a.person.name for a in mine]}, public=True
        )
        done += mine
    if not done:
        raise ActionRefused(action, [_none_left(user, chosen, stamped, by, already)])
    return done


def _none_left(user, ids, stamped, by, already):
    marked = PersonAccess.objects.filter(
        seen_internally(user, "agreement__request__"),
        pk__in=ids,
        **{f"{stamped}__isnull": False},
    )
    first = marked.select_related(by).order_by(stamped).first()
    if first is None:
        return "Choose at least one person from the list."
    return (
        f"Already marked as {already} by {getattr(first, by).name} at "
        f"{time_of_day(getattr(first, stamped))}: nothing was marked twice."
    )


@transaction.atomic
def provision_access(user, accesses):
    """Mark people as given their HMIS accounts: `accesses`, PersonAccess rows (or a queryset)
    of the provisioning list."""
    return mark_accounts(
        user,
        accesses,
        action="provision",
        listed=provisioning_list,
        pending=Q(provisioned_at__isnull=True, revoked_at__isnull=True, ended_on__isnull=True),
        done_as="provisioned",
        kind=Event.Kind.ACCESS_PROVISIONED,
        already="given an HMIS account",
    )


@transaction.atomic
def revoke_access(agreement, user, reason, person=None):
    """Take access away from one person (a NamedPerson the MOU names) or, with None, from the
    whole organization. It counts against their good standing in any later request (1.10)."""
    action = "revoke"
    locked = lock(agreement, user, action)
    request = locked.request
    reason = text(reason)
    require(action, (not reason, "Write the reason; the organization reads it."))
    now = timezone.now()
    if person is None:
        revoked = list(locked.people.filter(revoked_at__isnull=True).select_related("person"))
        Revocation.objects.create(
            organization=request.organization, request=request, reason=reason, recorded_by=user
        )
    else:
        access = locked.people.filter(person=person, revoked_at__isnull=True).first()
        require(action, (access is None, "That person has no access to revoke."))
        revoked = [access]
        Revocation.objects.create(
            person_email=access.person.email, request=request, reason=reason, recorded_by=user
        )
    for access in revoked:
        access.revoked_at = now
        access.save(update_fields=["revoked_at"])
    end_access(revoked, AccessEnd.REVOKED, timezone.localdate())
    if not locked.people.filter(revoked_at__isnull=True).exists():
        move_agreement(locked, "revoke")
    record_event(
        request,
        user,
        Event.Kind.ACCESS_REVOKED,
        note=reason,
        data={"people": [a.person.name for a in revoked], "whole": person is None},
        public=True,
    )
    return revoked


def expire_agreements(today=None):
    """End every active agreement whose term is over. Safe to run again: an expired agreement
    is no longer active, so a second run the same day finds nothing."""
    today = today or timezone.localdate()
    expired = []
    due = Agreement.objects.filter(status=AgreementStatus.ACTIVE, ends_on__lt=today)
    for pk in due.values_list("pk", flat=True):
        with transaction.atomic():
            locked = (
                Agreement.objects.select_for_update(skip_locked=True)
                .filter(pk=pk, status=AgreementStatus.ACTIVE, ends_on__lt=today)
                .select_related("request")
                .first()
            )
            if locked is None:
                continue
            move_agreement(locked, "expire")
            end_access(locked.people.all(), AccessEnd.EXPIRED, locked.ends_on)
            renewal = locked.request.renewals.filter(status=Status.APPROVED).first()
            record_event(
                locked.request,
                None,
                Event.Kind.ACCESS_EXPIRED,
                note=f"Renewed by {renewal.reference}." if renewal else "",
                data={"ended_on": locked.ends_on.isoformat()},
                public=True,
            )
            expired.append(locked)
    return expired


# A renewal carries the answers over; earlier access and the attestations are given again.
RENEWED_FIELDS = tuple(
    name
    for name in application_record.ANSWERS
    if name not in ("had_prior_access", "prior_access_details", "prior_access_revoked")
    and not name.startswith("attests_")
)


@transaction.atomic
def start_renewal(agreement, user):
    """A new request prefilled from the one it renews and linked to it; it goes through the same
    workflow. The attestations are given again, and the earlier access is now prior access."""
    locked = lock(agreement, user, "renew")
    old = locked.request
    renewal = AccessRequest.objects.create(
        organization=old.organization,
        created_by=user,
        renews=old,
        had_prior_access=True,
        prior_access_details=f"{old.reference}, active until {long_date(locked.ends_on)}.",
        prior_access_revoked=False,
        last_step=policy.SECTIONS[0],
        last_edited_by=user,
        **{name: getattr(old, name) for name in RENEWED_FIELDS},
    )
    renewal.cans.set(old.cans.all())
    granted = current_levels(old)
    NamedPerson.objects.bulk_create(
        [
            NamedPerson(
                request=renewal,
                name=p.name,
                title=p.title,
                email=p.email,
                requested_level=granted.get(p.pk, p.requested_level),
            )
            # Not those whose access ended for good (removed by an amendment, departed); a
            # suspension is not final.
            for p in old.people.filter(access__revoked_at__isnull=True).exclude(
                access__end_reason__in=AccessEnd.FINAL
            )
        ]
    )
    record_event(
        old, user, Event.Kind.RENEWAL_STARTED, data={"renewal": renewal.reference}, public=True
    )
    return renewal
