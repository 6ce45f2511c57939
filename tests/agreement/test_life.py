"""Access once active, as staff and the organization keep it true: the register of who holds
access now (staff's and the organization's own), a departure reported in one transaction, and
the deprovisioning list that every ended access reaches until staff close the HMIS account."""

import csv
import datetime
import io

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from requests_app import workflow
from requests_app.agreement import departures, deprovisioning, register
from requests_app.core import actions
from requests_app.core.actions import ActionRefused
from requests_app.core.states import AccessEnd, AccessLevel
from requests_app.models import Event, Notification, PersonAccess
from tests.support.factories import MembershipFactory
from tests.support.journey import ADA, BO, CY, fresh
from tests.support.pages import pages_of, parsed

FULL, VIEW, REPORTING = AccessLevel.FULL, AccessLevel.VIEW, AccessLevel.REPORTING


def access_of(agreement, name):
    return agreement.people.select_related("person").get(person__name=name)


def downloaded(response):
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def depart(client, agreement, access, left_on, seen=True):
    fields = {"depart-access": access.pk, "depart-left_on": left_on}
    if seen:
        fields["seen"] = actions.version(fresh(agreement))
    return client.post(reverse("depart", args=[agreement.request.reference]), fields)


# Departures, through the service.


def test_a_departure_ends_access_and_is_on_the_deprovisioning_list_in_the_same_transaction(
    stage, personas
):
    agreement = stage.active(people=(ADA, BO))
    ada = access_of(agreement, "Ada Analyst")
    today = timezone.localdate()

    with transaction.atomic():
        departures.report_departure(agreement, personas.riley, ada, today)
        listed = list(deprovisioning.deprovisioning_list(personas.sam))

    assert listed == [ada]
    ada.refresh_from_db()
    assert (ada.ended_on, ada.end_reason) == (today, AccessEnd.DEPARTED)
    event = Event.objects.get(kind=Event.Kind.PERSON_DEPARTED)
    assert (event.actor, event.data, event.visible_to_requestor, event.headline()) == (
        personas.riley,
        {"people": ["Ada Analyst"], "ended_on": today.isoformat()},
        True,
        "Left the organization: Ada Analyst",
    )
    assert list(register.staff_register(personas.sam).values_list("person__name", flat=True)) == [
        "Bo Builder"
    ]


def test_a_departure_tells_staff_and_the_organizations_other_members(stage, personas):
    agreement = stage.active(people=(ADA,))
    MembershipFactory(organization=personas.harbor, user__name="Robin Colleague")

    departures.report_departure(
        agreement, personas.riley, access_of(agreement, "Ada Analyst"), timezone.localdate()
    )

    told = Notification.objects.filter(kind=Notification.Kind.DEPARTED)
    assert sorted(told.values_list("recipient__name", flat=True)) == [
        "Robin Colleague",
        "Sam Staff",
    ]


@pytest.mark.parametrize(
    ("days", "problem"),
    [
        (1, "The date they left cannot be in the future."),
        (-40, "The date they left cannot be before their access began ({began})."),
    ],
    ids=["future", "before-access-began"],
)
def test_a_departure_date_in_the_future_or_before_access_began_is_refused(
    stage, personas, days, problem
):
    agreement = stage.active(people=(ADA,))
    ada = access_of(agreement, "Ada Analyst")
    began = timezone.localtime(ada.activated_at).date()

    with pytest.raises(ActionRefused) as refused:
        departures.report_departure(
            agreement, personas.riley, ada, timezone.localdate() + datetime.timedelta(days=days)
        )

    assert refused.value.problems == [
        problem.format(began=f"{began:%B} {began.day}, {began:%Y}")
    ]
    assert PersonAccess.objects.get(pk=ada.pk).ended_on is None


def test_a_second_report_of_the_same_departure_records_nothing_twice(stage, personas):
    agreement = stage.active(people=(ADA, BO))
    ada = access_of(agreement, "Ada Analyst")
    departures.report_departure(agreement, personas.riley, ada, timezone.localdate())

    with pytest.raises(ActionRefused) as refused:
        departures.report_departure(fresh(agreement), personas.sam, ada, timezone.localdate())

    assert refused.value.problems == [
        "Ada Analyst's access has already ended: nothing was recorded twice."
    ]
    assert Event.objects.filter(kind=Event.Kind.PERSON_DEPARTED).count() == 1


# The deprovisioning list.


def test_revoked_expired_and_departed_people_are_on_the_deprovisioning_list(stage, personas):
    stage.revoked(people=(ADA,))
    expired = stage.expired(people=(BO,))
    left = stage.active(people=(CY,))
    cy = access_of(left, "Cy Clinician")
    departures.report_departure(left, personas.riley, cy, timezone.localdate())
    # Never activated: no HMIS account to close, so not listed once its MOU is revoked.
    never_active = stage.executed(people=(("Di Draft", "di@harbor.example", VIEW),))
    workflow.revoke_access(never_active, personas.sam, "Shared a login.")

    listed = deprovisioning.deprovisioning_list(personas.sam)

    # The longest waiting first: the expired MOU's people ended on its last day, later.
    today = timezone.localdate()
    assert [(a.person.name, a.end_reason, a.ended_on) for a in listed] == [
        ("Ada Analyst", AccessEnd.REVOKED, today),
        ("Cy Clinician", AccessEnd.DEPARTED, today),
        ("Bo Builder", AccessEnd.EXPIRED, expired.ends_on),
    ]
    assert list(deprovisioning.deprovisioning_list(personas.quinn)) == []


def test_marking_accounts_closed_takes_people_off_the_list_once(stage, personas, django_user_model):
    agreement = stage.revoked(people=(ADA, BO))
    ada = access_of(agreement, "Ada Analyst")
    colleague = django_user_model.objects.create_user(
        email="kim@cceh.example", password="x", name="Kim Staff", is_cceh_staff=True
    )

    done = deprovisioning.deprovision_access(personas.sam, [ada])
    with pytest.raises(ActionRefused) as refused:
        deprovisioning.deprovision_access(colleague, [ada])

    assert done == [ada]
    ada.refresh_from_db()
    closed_at = timezone.localtime(ada.deprovisioned_at)
    assert refused.value.problems == [
        f"Already marked as closed by Sam Staff at {closed_at:%-I:%M %p}: nothing was "
        "marked twice."
    ]
    assert [a.person.name for a in deprovisioning.deprovisioning_list(personas.sam)] == [
        "Bo Builder"
    ]
    event = Event.objects.get(kind=Event.Kind.ACCESS_DEPROVISIONED)
    assert (event.actor, event.headline()) == (personas.sam, "HMIS accounts closed: Ada Analyst")


@pytest.mark.parametrize(
    ("ended", "today", "words"),
    [
        # Friday to Monday: one working day, not yet flagged.
        (datetime.date(2026, 11, 20), datetime.date(2026, 11, 23), ("1 working day", False)),
        (datetime.date(2026, 11, 23), datetime.date(2026, 11, 23), ("0 working days", False)),
        (datetime.date(2026, 11, 20), datetime.date(2026, 11, 24), ("Overdue: 2 working days", True)),
    ],
)
def test_ageing_is_said_in_working_days_and_flagged_past_one(ended, today, words):
    _days, said, flagged = deprovisioning.ageing(ended, today)
    assert (said, flagged) == words
