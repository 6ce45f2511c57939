"""A notice's title says what happened and to which request ("HMIS-2026-0004 approved"), and is
its e-mail's subject: the Notices page, the failed e-mails page and the e-mail read the same."""

import pytest
from django.conf import settings
from django.urls import reverse

from requests_app.core.states import Status
from requests_app.models import Event, Notification
from requests_app.notifications import services as notifications
from tests.support.pages import parsed

Kind = Notification.Kind
ORG = "Harbor Health Partners"
COMMITTEE = settings.COMMITTEE_NAME
# The event each kind of notice is told of (notifications.AUDIENCES); reminders have none.
EVENT_OF = {kind: event for event, (kind, _) in reversed(notifications.AUDIENCES.items())}

# kind, the status the event led to, the title ({ref}: the request's reference).
TITLES = [
    (Kind.SUBMITTED, Status.SUBMITTED, f"{{ref}} submitted by {ORG}"),
    (Kind.RETURNED, Status.RETURNED, "{ref} returned for information"),
    (Kind.RESUBMITTED, Status.SUBMITTED, f"{{ref}} resubmitted by {ORG}"),
    (Kind.ESCALATED, Status.VETTING, f"{{ref}} escalated to the {COMMITTEE}"),
    (Kind.VOTE_CAST, "", "Vote cast on {ref}"),
    (Kind.QUORUM_REACHED, "", "Quorum reached on {ref}"),
    (Kind.DECIDED, Status.APPROVED, "{ref} approved"),
    (Kind.DECIDED, Status.DENIED, "{ref} denied"),
    (Kind.WITHDRAWN, Status.WITHDRAWN, f"{{ref}} withdrawn by {ORG}"),
    (Kind.MOU_READY, "", "MOU for {ref} ready to sign"),
    (Kind.COUNTERSIGNED, "", "MOU for {ref} countersigned"),
    (Kind.SIGNED, "", "MOU for {ref} signed: countersign it"),
    (Kind.ACCESS_ACTIVE, "", "Access under {ref} active"),
    (Kind.RENEWAL_DUE, None, "Access under {ref} due for renewal"),
    (Kind.EXPIRED, "", "Access under {ref} expired"),
    (Kind.REVOKED, "", "Access under {ref} revoked"),
    (Kind.DEPARTED, "", f"A person left {ORG} ({{ref}})"),
    (Kind.VOTE_REMINDER, None, "Reminder: your vote on {ref} is due"),
    (Kind.WAITING_REMINDER, None, "Reminder: {ref} waits for CCEH staff"),
    (Kind.RETURN_REMINDER, None, "Reminder: {ref} waits for your answer"),
    (Kind.ADDITION_ASKED, "", "Addition to decide under {ref}"),
    (Kind.ADDITION_DECIDED, "", "Addition under {ref} approved"),
    (Kind.AMENDMENT_SIGNED, "", "MOU amendment for {ref} signed"),
    (Kind.ACCESS_AMENDED, "", "Access under {ref} lowered"),
    (Kind.RECERTIFIED, "", "Access under {ref} reviewed"),
    (Kind.USER_AGREEMENT_SIGNED, "", "User agreement signed under {ref}"),
    (Kind.SUSPENDED, "", "Access under {ref} suspended"),
    (Kind.RESUMED, "", "Access under {ref} resumed"),
    (Kind.TRAINING_DUE, None, "Reminder: HMIS training due under {ref}"),
    (Kind.USER_AGREEMENT_DUE, None, "Reminder: HMIS user agreement due under {ref}"),
    (Kind.REVIEW_DUE, None, "Reminder: yearly review of access due under {ref}"),
]


def test_the_table_names_every_kind():
    # The kinds of an organization's roles name no request: tests/accounts/test_roles.py.
    assert sorted({kind for kind, _, _ in TITLES}) == sorted(
        set(Kind.values) - notifications.ROLE_KINDS
    )


@pytest.fixture
def notice_of(journey, personas):
    """A notice to Sam of `kind`, of an event by Riley that led to `outcome`; None: a reminder,
    of no event."""
    request = journey.submitted(cans=[])
    Notification.objects.all().delete()

    def make(kind, outcome):
        event = None
        if outcome is not None:
            event = Event.objects.create(
                request=request,
                kind=EVENT_OF.get(kind, Event.Kind.ANSWERS_CHANGED),
                actor=personas.riley,
                from_status=Status.SUBMITTED,
                to_status=outcome,
            )
        return Notification.objects.create(
            recipient=personas.sam, request=request, event=event, kind=kind
        )

    return make


@pytest.mark.parametrize(("kind", "outcome", "title"), TITLES)
def test_a_notice_is_titled_with_what_happened_and_the_reference_as_its_email_is(
    client, personas, notice_of, kind, outcome, title
):
    notice = notice_of(kind, outcome)
    expected = title.format(ref=notice.request.reference)

    assert notifications.title(notice) == expected
    assert notifications.email_for(notice).subject == (
        f"{settings.ACCOUNT_EMAIL_SUBJECT_PREFIX}{expected}"
    )
    client.force_login(personas.sam)
    listed = parsed(client.get(reverse("notices"))).find("tbody").find("a").text
    assert listed == expected + (", by Riley Requestor" if outcome is not None else "")
