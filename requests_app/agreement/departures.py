"""A person leaves their organization: their access ends that day and they are on the
deprovisioning list at once (docs/design.md, the life of access). HUD's practice is notice
within 24 hours; the organization's pages ask for it within one business day."""

from django.db import transaction
from django.utils import timezone

from requests_app.agreement.access import end_access
from requests_app.core.actions import lock, require
from requests_app.core.dates import long_date
from requests_app.core.events import record_event
from requests_app.core.states import AccessEnd
from requests_app.models import Event

# Said wherever the organization reports a departure (the MOU page, its register).
REPORT_WITHIN = "Report a departure within one business day (HUD practice is 24 hours)."


def still_holding(agreement):
    """The MOU's people whose access has not ended: whom a departure can be reported for."""
    return [
        access
        for access in agreement.people.select_related("person").order_by("person__name", "pk")
        if not access.ended_on and not access.revoked_at
    ]


def nobody_to_depart(agreement):
    if any(not a.ended_on and not a.revoked_at for a in agreement.people.all()):
        return []
    return ["Everyone's access under this MOU has already ended."]


@transaction.atomic
def report_departure(agreement, user, access, left_on):
    """`access` (a PersonAccess of `agreement`) ends on `left_on` because the person left:
    one transaction holds the MOU's lock, the end, and the event that tells staff and the
    organization."""
    action = "depart"
    locked = lock(agreement, user, action)
    current = (
        locked.people.select_for_update(of=("self",))
        .filter(pk=access.pk)
        .select_related("person")
        .first()
    )
    require(action, (current is None, "Choose a person this MOU names."))
    require(
        action,
        (
            bool(current.ended_on or current.revoked_at),
            f"{current.person.name}'s access has already ended: nothing was recorded twice.",
        ),
    )
    began = timezone.localtime(current.activated_at).date() if current.activated_at else None
    require(
        action,
        (left_on > timezone.localdate(), "The date they left cannot be in the future."),
        (
            began is not None and left_on < began,
            f"The date they left cannot be before their access began "
            f"({long_date(began) if began else ''}).",
        ),
    )
    end_access([current], AccessEnd.DEPARTED, left_on)
    record_event(
        locked.request,
        user,
        Event.Kind.PERSON_DEPARTED,
        note=f"Access ended on {long_date(left_on)}.",
        data={"people": [current.person.name], "ended_on": left_on.isoformat()},
        public=True,
    )
    return current
