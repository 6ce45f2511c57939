"""The deprovisioning list: everyone whose access ended (left, removed, expired, revoked,
suspended) once it was active, so who may still hold an HMIS account, until staff close it.
With the provisioning list (agreement/access.py) it accounts for every change of access: one
gives accounts, the other takes them away (docs/design.md, the life of access)."""

from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from requests_app import policy
from requests_app.core.actions import ActionRefused, lock
from requests_app.core.dates import time_of_day
from requests_app.core.events import record_event
from requests_app.core.exports import label
from requests_app.core.states import AccessEnd
from requests_app.core.visibility import seen_internally
from requests_app.models import Agreement, Event, MOUVersion, PersonAccess

# Staff close an account within a working day of the access ending (HUD practice: 24 hours);
# older entries are flagged in words.
FLAGGED_AFTER_WORKING_DAYS = 1


def deprovisioning_list(user):
    """People whose access ended after it was active and whose HMIS account is not closed yet,
    across every request `user` sees as staff (never their own organization's): the longest
    waiting first."""
    return (
        PersonAccess.objects.filter(
            seen_internally(user, "agreement__request__"),
            ended_on__isnull=False,
            activated_at__isnull=False,
            deprovisioned_at__isnull=True,
        )
        .select_related("person", "agreement__request__organization")
        .annotate(
            mou_version=Subquery(
                MOUVersion.objects.filter(agreement=OuterRef("agreement"))
                .order_by("-version")
                .values("version")[:1]
            ),
        )
        .order_by("ended_on", "pk")
    )


def ageing(ended_on, today=None):
    """(working days since access ended, the words for it, whether it is flagged)."""
    today = today or timezone.localdate()
    days = policy.working_days_between(ended_on, today)
    words = f"{days} working day{'' if days == 1 else 's'}"
    flagged = days > FLAGGED_AFTER_WORKING_DAYS
    if flagged:
        words = f"Overdue: {words}"
    return days, words, flagged


def deprovisioning_table(user):
    """The deprovisioning list as plain values, in one query whatever its length: what its CSV
    holds (requests_app/core/exports.py)."""
    return (
        deprovisioning_list(user)
        .select_related(None)
        .annotate(why=label("end_reason", AccessEnd.choices))
        .values_list(
            "person__name",
            "person__email",
            "agreement__request__organization__name",
            "why",
            "ended_on",
            "agreement__request__reference",
            "mou_version",
            named=True,
        )
    )


@transaction.atomic
def deprovision_access(user, accesses):
    """Mark people's HMIS accounts as closed: `accesses`, PersonAccess rows of the
    deprovisioning list. Each agreement's rows are read again under its lock, so people a
    colleague marked meanwhile are marked once, by whoever was first."""
    chosen = [access.pk for access in accesses]
    rows = list(deprovisioning_list(user).filter(pk__in=chosen))
    if not rows:
        raise ActionRefused("deprovision", [_none_left(user, chosen)])
    done = []
    for agreement_id in sorted({r.agreement_id for r in rows}):
        locked = lock(Agreement.objects.get(pk=agreement_id), user, "deprovision")
        mine = list(
            locked.people.select_for_update(of=("self",))
            .filter(
                pk__in=chosen,
                ended_on__isnull=False,
                activated_at__isnull=False,
                deprovisioned_at__isnull=True,
            )
            .select_related("person")
        )
        if not mine:
            continue
        now = timezone.now()
        for access in mine:
            access.deprovisioned_at, access.deprovisioned_by = now, user
            access.save(update_fields=["deprovisioned_at", "deprovisioned_by"])
        record_event(
            locked.request,
            user,
            Event.Kind.ACCESS_DEPROVISIONED,
            data={"people": [a.person.name for a in mine]},
            public=True,
        )
        done += mine
    if not done:
        raise ActionRefused("deprovision", [_none_left(user, chosen)])
    return done


def _none_left(user, ids):
    closed = PersonAccess.objects.filter(
        seen_internally(user, "agreement__request__"),
        pk__in=ids,
        deprovisioned_at__isnull=False,
    )
    first = closed.select_related("deprovisioned_by").order_by("deprovisioned_at").first()
    if first is None:
        return "Choose at least one person from the list."
    return (
        f"Already marked as closed by {first.deprovisioned_by.name} at "
        f"{time_of_day(first.deprovisioned_at)}: nothing was marked twice."
    )
