"""Keeping access current once it is active (agreement/due.py): training expires, each person
signs their own user agreement yearly, the MOU's review falls due; reminders before each due
date; the daily job suspends whoever is past due by more than the grace and resumes whoever is
current again; whatever makes a person current resumes them at once."""

import datetime
import hashlib

import pytest
import time_machine
from django.core.management import call_command
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from requests_app import workflow
from requests_app.agreement import due
from requests_app.core.actions import ActionRefused
from requests_app.core.states import AccessEnd, AgreementStatus
from requests_app.models import (
    Event,
    Notification,
    PersonAccess,
    Recertification,
    UserAgreement,
)
from requests_app.notifications import services as notifications
from tests.support import clock
from tests.support.factories import MembershipFactory
from tests.support.journey import ADA, BO, COURSE, account_of, agree, fresh
from tests.support.pages import day, parsed, tree

Kind = Notification.Kind
TEXT_FILE = due.USER_AGREEMENT_DIR / f"v{due.USER_AGREEMENT_VERSION}.txt"


@pytest.fixture(autouse=True)
def private_files(settings, tmp_path):
    settings.PRIVATE_FILES_ROOT = tmp_path / "private"


def refused(call):
    with pytest.raises(ActionRefused) as caught:
        call()
    return caught.value.problems


def told(request, kind):
    return sorted(n.recipient.name for n in Notification.objects.filter(request=request, kind=kind))


def events(request, kind):
    return request.events.filter(kind=kind).count()


# Training expiry.


def test_training_is_current_for_the_valid_months_after_its_latest_completion(stage, settings):
    settings.TRAINING_VALID_MONTHS = 12
    agreement = stage.executed()
    ada = agreement.request.people.get()
    old = timezone.localdate() - datetime.timedelta(days=400)
    stage.train(agreement, ada, on=old)

    [(access, ready)] = workflow.readiness(fresh(agreement))
    assert (access.dues.training, ready) == (workflow.add_months(old, 12), False)

    stage.train(agreement, ada, sign=False)

    [(access, ready)] = workflow.readiness(fresh(agreement))
    assert (access.dues.training, ready) == (
        workflow.add_months(timezone.localdate(), 12),
        True,
    )


# Training before access: both the training and the person's own agreement.


def test_activation_is_refused_until_both_training_and_the_user_agreement_stand(stage, personas):
    agreement = stage.executed(people=(ADA, BO))
    ada, bo = agreement.request.people.all()
    stage.train(agreement, ada, sign=False)
    agree(bo)

    assert refused(lambda: workflow.activate_access(fresh(agreement), personas.sam)) == [
        "Nobody is ready to activate: record each person's training and have each sign the "
        "user agreement."
    ]

    agree(ada)
    assert refused(lambda: workflow.activate_access(fresh(agreement), personas.sam)) == [
        "Not everyone is ready (Bo Builder needs current training): write a note to activate "
        "those who are."
    ]

    stage.train(agreement, bo, sign=False)
    activated = workflow.activate_access(fresh(agreement), personas.sam)

    assert [a.person.name for a in activated] == ["Ada Analyst", "Bo Builder"]


# The user agreement: the person's own, with the text's version and SHA-256.


def header_links(response):
    return [a.text for a in tree(response).find("header").find_all("a")]


@pytest.mark.parametrize(
    ("status", "offered"),
    [
        ("issued", True),
        ("signed", True),
        ("executed", True),
        ("active", True),
        ("expired", False),
        ("revoked", False),
    ],
)
def test_the_header_offers_my_user_agreement_while_the_mou_naming_the_person_is_live(
    client, stage, status, offered
):
    agreement = getattr(stage, status)()
    client.force_login(account_of(agreement.request.people.get()))

    links = header_links(client.get(reverse("help")))

    assert ("My user agreement" in links) == offered


def test_the_header_offers_my_user_agreement_only_by_a_verified_e_mail(client, stage):
    agreement = stage.issued()
    user = account_of(agreement.request.people.get())
    client.force_login(user)
    before = header_links(client.get(reverse("help")))
    user.emailaddress_set.update(verified=False)

    after = header_links(client.get(reverse("help")))

    assert ("My user agreement" in before, "My user agreement" in after) == (True, False)


def test_the_stored_sha256_is_the_hash_of_the_text_the_page_showed(client, stage):
    agreement = stage.executed()
    ada = agreement.request.people.get()
    user = account_of(ada)
    client.force_login(user)
    shown_bytes = TEXT_FILE.read_bytes()

    page = client.get(reverse("my_agreement"))

    text = parsed(page).find(cls="user-agreement-text").text
    paragraphs = [" ".join(p.split()) for p in shown_bytes.decode().split("\n\n") if p.strip()]
    assert text == " ".join(paragraphs)
    sha = parsed(page).find("input", name=f"acknowledge-{ada.pk}-text_sha256").attrs["value"]
    assert sha == hashlib.sha256(shown_bytes).hexdigest()

    response = client.post(
        reverse("my_agreement_sign", args=[ada.pk]),
        {
            f"acknowledge-{ada.pk}-full_name": "Ada Analyst",
            f"acknowledge-{ada.pk}-affirmed": "on",
            f"acknowledge-{ada.pk}-text_sha256": sha,
        },
    )

    assert response.status_code == 302
    signed = UserAgreement.objects.get()
    assert (
        signed.person,
        signed.signed_by,
        signed.full_name,
        signed.text_version,
        signed.text_sha256,
    ) == (ada, user, "Ada Analyst", "1", hashlib.sha256(shown_bytes).hexdigest())
    event = agreement.request.events.get(kind=Event.Kind.USER_AGREEMENT_SIGNED)
    assert (event.actor, event.data) == (
        user,
        {"people": ["Ada Analyst"], "version": "1", "sha256": signed.text_sha256},
    )
    assert told(agreement.request, Kind.USER_AGREEMENT_SIGNED) == [
        "Riley Requestor",
        "Sam Staff",
    ]


def test_a_signature_of_a_text_other_than_the_current_one_is_refused_with_the_name_kept(
    client, stage
):
    agreement = stage.executed()
    ada = agreement.request.people.get()
    client.force_login(account_of(ada))

    response = client.post(
        reverse("my_agreement_sign", args=[ada.pk]),
        {
            f"acknowledge-{ada.pk}-full_name": "Ada Analyst",
            f"acknowledge-{ada.pk}-affirmed": "on",
            f"acknowledge-{ada.pk}-text_sha256": "0" * 64,
        },
    )

    assert response.status_code == 400
    form = parsed(response).find("form", action=reverse("my_agreement_sign", args=[ada.pk]))
    assert [li.text for li in form.find(cls="alert-danger").find_all("li")] == [
        "The user agreement changed while you were reading it: read it again and sign."
    ]
    assert form.find("input", name=f"acknowledge-{ada.pk}-full_name").attrs["value"] == (
        "Ada Analyst"
    )
    assert UserAgreement.objects.count() == 0


def test_a_current_agreement_is_not_signed_twice(stage):
    agreement = stage.executed()
    ada = agreement.request.people.get()
    agree(ada)

    assert refused(lambda: agree(ada)) == [
        "Your user agreement is current; sign it again from "
        f"{day(workflow.add_months(timezone.localdate(), 12) - datetime.timedelta(days=30))}."
    ]
    assert UserAgreement.objects.count() == 1


def _persona(p, name, person):
    if name == "person":
        return account_of(person)
    if name == "other_member":
        return MembershipFactory(organization=p.harbor, user__name="Olive Other").user
    # Riley, the member who applied and signed the MOU, stands for the authorized signatory.
    return {
        "signatory": p.riley,
        "staff": p.sam,
        "committee": p.morgan,
        "can_leader": p.lee,
        "another_organization": p.quinn,
        "anonymous": p.anonymous,
    }[name]


# Only the named person signs their own agreement: everyone else is told nothing is there.
SIGNING = [
    ("person", 302, 1),
    ("signatory", 404, 0),
    ("other_member", 404, 0),
    ("staff", 404, 0),
    ("committee", 404, 0),
    ("can_leader", 404, 0),
    ("another_organization", 404, 0),
    ("anonymous", 302, 0),
]


@pytest.mark.parametrize(("who", "status", "signed"), SIGNING)
def test_only_the_named_person_signs_their_own_user_agreement(
    client, stage, personas, who, status, signed
):
    agreement = stage.executed()
    ada = agreement.request.people.get()
    account_of(ada)
    user = _persona(personas, who, ada)
    if who != "anonymous":
        client.force_login(user)
    sha = workflow.user_agreement_text().sha256

    page = client.get(reverse("my_agreement"))
    response = client.post(
        reverse("my_agreement_sign", args=[ada.pk]),
        {
            f"acknowledge-{ada.pk}-full_name": "Ada Analyst",
            f"acknowledge-{ada.pk}-affirmed": "on",
            f"acknowledge-{ada.pk}-text_sha256": sha,
        },
    )

    assert response.status_code == status
    assert UserAgreement.objects.count() == signed
    if who == "anonymous":
        assert response.url.startswith(reverse("account_login"))
        assert page.status_code == 302
    else:
        rows = parsed(page).find_all("tr")[1:]
        assert len(rows) == (1 if who == "person" else 0)


@pytest.mark.parametrize("who", [name for name, _, _ in SIGNING[1:-1]])
def test_the_service_refuses_anyone_but_the_named_person(stage, personas, who):
    agreement = stage.executed()
    ada = agreement.request.people.get()
    user = _persona(personas, who, ada)
    sha = workflow.user_agreement_text().sha256

    assert refused(lambda: workflow.sign_user_agreement(user, ada, "Ada", True, sha)) == [
        "Only Ada Analyst can sign their own user agreement, signed in with the e-mail address "
        "the MOU names."
    ]


def test_the_mou_page_shows_each_persons_due_dates(client, stage, personas):
    agreement = stage.active()
    today = timezone.localdate()
    in_a_year = workflow.add_months(today, 12)
    client.force_login(personas.riley)

    page = parsed(client.get(reverse("agreement", args=[agreement.request.reference])))

    row = page.find("table", cls="mou-people").find_all("tr")[1]
    assert row.find(cls="training-state").text == (
        f"{COURSE}, {today:%b} {today.day}, {today:%Y} Current until {in_a_year:%b} "
        f"{in_a_year.day}, {in_a_year:%Y}"
    )
    assert row.find(cls="agreement-state").text == (
        f"Signed {today:%b} {today.day}, {today:%Y} Current until {in_a_year:%b} "
        f"{in_a_year.day}, {in_a_year:%Y}"
    )
    assert page.find(cls="review-due").text == day(in_a_year)


def test_the_user_agreement_page_reads_the_same_queries_for_one_mou_as_for_three(
    client, stage, django_assert_num_queries
):
    agreements = [stage.executed() for _ in range(3)]
    ada = agreements[0].request.people.get()
    user = account_of(ada)
    client.force_login(user)
    client.get(reverse("my_agreement"))  # the session's first read

    with django_assert_num_queries(MY_AGREEMENT_QUERIES):
        client.get(reverse("my_agreement"))
    assert len(parsed(client.get(reverse("my_agreement"))).find_all("form")) == 3
    for later in agreements[1:]:
        later.request.people.update(email="someone.else@harbor.example")
    with django_assert_num_queries(MY_AGREEMENT_QUERIES):
        page = client.get(reverse("my_agreement"))
    assert len(parsed(page).find_all("form")) == 1


MY_AGREEMENT_QUERIES = 4


# Reminders before each due date, once per due date.


def test_reminders_go_once_per_due_date_to_the_person_and_the_organization(stage, personas):
    agreement = stage.active()
    request = agreement.request
    due = workflow.add_months(timezone.localdate(), 12)
    ada_user = account_of(request.people.get())
    soon = clock.local_noon(due - datetime.timedelta(days=20))

    notifications.remind(now=soon)
    notifications.remind(now=soon)
    notifications.remind(now=soon + datetime.timedelta(days=1))

    both = sorted(["Ada Analyst", "Riley Requestor"])
    assert (
        told(request, Kind.TRAINING_DUE),
        told(request, Kind.USER_AGREEMENT_DUE),
        told(request, Kind.REVIEW_DUE),
    ) == (both, both, ["Riley Requestor"])
    assert set(
        Notification.objects.filter(
            kind__in=notifications.DUE_DATE_KINDS, request=request
        ).values_list("reminder_day", flat=True)
    ) == {due}
    # The person acts on their own page; the organization on the MOU's.
    theirs = Notification.objects.get(recipient=ada_user, kind=Kind.USER_AGREEMENT_DUE)
    ours = Notification.objects.get(recipient=personas.riley, kind=Kind.USER_AGREEMENT_DUE)
    assert (notifications.action_path(theirs), notifications.action_path(ours)) == (
        reverse("my_agreement"),
        reverse("agreement", args=[request.reference]),
    )
    assert f"falls due on {day(due)}" in notifications.email_for(theirs).body


def test_no_reminder_before_the_window(stage):
    agreement = stage.active()
    due = workflow.add_months(timezone.localdate(), 12)
    early = clock.local_noon(due - datetime.timedelta(days=31))

    notifications.remind(now=early)

    assert (
        Notification.objects.filter(
            request=agreement.request, kind__in=notifications.DUE_DATE_KINDS
        ).count()
        == 0
    )


# Suspension past the grace, and return once current.


@pytest.fixture
def overdue(stage, settings):
    """An MOU of a two-year term activated 400 days ago: its training, user agreement and
    review fell due 35 days ago, past the 30 days' grace."""
    settings.GRANT_TERM_MONTHS = 24
    with time_machine.travel(timezone.now() - datetime.timedelta(days=400), tick=False):
        agreement = stage.active()
        access = PersonAccess.objects.get(agreement=agreement)
        workflow.provision_access(stage.p.sam, [access])
    return fresh(agreement)


def deprovisioning(agreement):
    """The condition of the deprovisioning list's index (agreement/models.py)."""
    return list(
        PersonAccess.objects.filter(
            agreement=agreement,
            ended_on__isnull=False,
            activated_at__isnull=False,
            deprovisioned_at__isnull=True,
        ).values_list("person__name", "end_reason")
    )


def test_the_daily_job_run_twice_suspends_once_with_one_event_and_one_notice_each(
    overdue, personas, capsys
):
    request = overdue.request

    call_command("expire_agreements")
    call_command("expire_agreements")

    access = PersonAccess.objects.get(agreement=overdue)
    assert (access.ended_on, access.end_reason) == (timezone.localdate(), AccessEnd.SUSPENDED)
    assert fresh(overdue).status == AgreementStatus.ACTIVE
    assert events(request, Event.Kind.ACCESS_SUSPENDED) == 1
    event = request.events.get(kind=Event.Kind.ACCESS_SUSPENDED)
    assert (event.actor, event.note) == (
        None,
        "Ada Analyst: training, user agreement, review overdue",
    )
    assert told(request, Kind.SUSPENDED) == ["Ada Analyst", "Riley Requestor", "Sam Staff"]
    assert deprovisioning(overdue) == [("Ada Analyst", AccessEnd.SUSPENDED)]
    assert list(workflow.provisioning_list(personas.sam)) == []
    assert capsys.readouterr().out == (
        f"0 expired.\nSuspended Ada Analyst under {request.reference}.\n"
        "1 suspended, 0 resumed.\n0 expired.\n0 suspended, 0 resumed.\n"
    )


def test_nobody_is_suspended_within_the_grace(overdue, settings):
    settings.ACCESS_GRACE_DAYS = 40

    assert workflow.settle_access() == ([], [])
    assert PersonAccess.objects.get(agreement=overdue).ended_on is None


def test_a_suspended_person_returns_at_once_when_the_last_missing_thing_arrives(overdue, personas):
    workflow.settle_access()
    request = overdue.request
    ada = request.people.get()

    workflow.record_training(fresh(overdue), personas.sam, ada, timezone.localdate(), COURSE)
    agree(ada)
    assert PersonAccess.objects.get(agreement=overdue).end_reason == AccessEnd.SUSPENDED

    # The review screen records the review and brings the MOU current in its transaction.
    Recertification.objects.create(agreement=overdue, reviewed_by=personas.riley)
    workflow.bring_current(fresh(overdue), personas.riley)

    access = PersonAccess.objects.get(agreement=overdue)
    assert (access.ended_on, access.end_reason, access.provisioned_at) == (None, "", None)
    assert events(request, Event.Kind.ACCESS_RESUMED) == 1
    assert told(request, Kind.RESUMED) == ["Ada Analyst", "Sam Staff"]
    assert [a.person.name for a in workflow.provisioning_list(personas.sam)] == ["Ada Analyst"]
    assert deprovisioning(overdue) == []
    assert workflow.settle_access() == ([], [])


def test_the_daily_job_resumes_whoever_is_current_again_once(overdue, personas, settings):
    workflow.settle_access()
    settings.TRAINING_VALID_MONTHS = 24
    settings.USER_AGREEMENT_VALID_MONTHS = 24
    settings.RECERTIFICATION_PERIOD_MONTHS = 24

    assert [len(changed) for changed in workflow.settle_access()] == [0, 1]
    assert workflow.settle_access() == ([], [])

    assert PersonAccess.objects.get(agreement=overdue).ended_on is None
    assert events(overdue.request, Event.Kind.ACCESS_RESUMED) == 1
    assert told(overdue.request, Kind.RESUMED) == ["Ada Analyst", "Riley Requestor", "Sam Staff"]
    assert [a.person.name for a in workflow.provisioning_list(personas.sam)] == ["Ada Analyst"]


def test_an_ended_access_is_neither_suspended_nor_resumed(overdue, personas):
    workflow.revoke_access(overdue, personas.sam, "Shared a login.")

    assert workflow.settle_access() == ([], [])
    assert PersonAccess.objects.filter(~Q(end_reason=AccessEnd.REVOKED)).count() == 0


def test_a_suspended_person_signs_again_from_their_own_page(client, overdue):
    workflow.settle_access()
    ada = overdue.request.people.get()
    client.force_login(account_of(ada))

    page = parsed(client.get(reverse("my_agreement")))

    assert (
        page.find(cls="access-state").text
        == "Suspended: training, user agreement or review overdue"
    )
    assert page.find("form", action=reverse("my_agreement_sign", args=[ada.pk])) is not None


def test_recording_the_overdue_training_resumes_the_person_at_once(overdue, personas, settings):
    settings.USER_AGREEMENT_VALID_MONTHS = 24
    settings.RECERTIFICATION_PERIOD_MONTHS = 24
    workflow.settle_access()
    request = overdue.request
    ada = request.people.get()
    assert PersonAccess.objects.get(agreement=overdue).end_reason == AccessEnd.SUSPENDED

    workflow.record_training(fresh(overdue), personas.sam, ada, timezone.localdate(), COURSE)

    assert PersonAccess.objects.get(agreement=overdue).ended_on is None
    event = request.events.get(kind=Event.Kind.ACCESS_RESUMED)
    assert (event.actor, event.data) == (personas.sam, {"people": ["Ada Analyst"]})
    assert told(request, Kind.RESUMED) == ["Ada Analyst", "Riley Requestor"]
    assert workflow.settle_access() == ([], [])
