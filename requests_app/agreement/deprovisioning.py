"""The deprovisioning list: everyone whose access ended (left, removed, expired, revoked,
suspended) once it was active, so who may still hold an HMIS account, until staff close it.
With the provisioning list (agreement/access.py) it accounts for every change of access: one
gives accounts, the other takes them away (docs/design.md, the life of access)."""

from django.db import transaction
from django.db.models import OuterRef, Q, Subquery
from django.utils import timezone

from requests_app import policy
from requests_app.agreement.access import mark_accounts
from requests_app.core.exports import label
from requests_app.core.states import AccessEnd
from requests_app.core.visibility import seen_internally
from requests_app.models import Event, MOUVersion, PersonAccess

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
    deprovisioning list (access.mark_accounts, as the provisioning list does)."""
    return mark_accounts(
        user,
        accesses,
        action="deprovision",
        listed=deprovisioning_list,
        pending=Q(
            ended_on__isnull=False, activated_at__isnull=False, deprovisioned_at__isnull=True
        ),
        done_as="deprovisioned",
        kind=Event.Kind.ACCESS_DEPROVISIONED,
        already="closed",
    )
