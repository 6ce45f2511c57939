"""Who hears what: each event's notices and e-mails go to exactly the right people,
each e-mail with a link to the page where its reader acts; preferences; a rolled-back action
sends nothing."""

import datetime
import re

import pytest
from django.conf import settings
from django.core import mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from requests_app import workflow
from requests_app.core.states import Status
from requests_app.models import (
    Agreement,
    Criterion,
    Event,
    MOUVersion,
    Notification,
    NotificationPreference,
    Vote,
)
from requests_app.notifications import services as notifications
from tests.support.factories import UserFactory
from tests.support.journey import Journey, agree
from tests.support.personas import make_personas

Kind = Notification.Kind
ABSTAIN = Vote.Choice.ABSTAIN
LINK = re.compile(r"https?://\S+")


def before_submit(j):
    return j.draft()


def do_submit(j, r):
    return workflow.submit(r, j.p.riley)


def do_return(j, r):
    return workflow.return_for_information(r, j.p.sam, "Which staff will use it?")


def do_resubmit(j, r):
    return workflow.resubmit(r, j.p.riley, "Two analysts, weekly.")


def do_escalate(j, r):
    return workflow.escalate(r, j.p.sam, "Is 1.9 met?")


def do_first_vote(j, r):
    return workflow.cast_vote(r, j.p.morgan, ABSTAIN)


def before_quorum(j):
    request = j.vetting()
    workflow.cast_vote(request, j.p.morgan, ABSTAIN)
    return request


def do_quorum_vote(j, r):
    return workflow.cast_vote(r, j.p.casey, ABSTAIN)


def do_approve(j, r):
    return workflow.approve(r, j.p.sam, j.levels(r))


def do_deny(j, r):
    two_one = Criterion.objects.get(code="2.1")
    return workflow.deny(r, j.p.sam, [two_one], "One-time access (2.1).")


def do_committee_decision(j, r):
    return workflow.record_committee_decision(
        r, j.p.casey, Status.APPROVED, "Agreed.", levels=j.levels(r)
    )


def do_withdraw(j, r):
    return workflow.withdraw(r, j.p.riley, "No longer needed.")


def before_resubmit_unassigned(j):
    # Returned straight from intake: nobody took it, so every staff member hears of the answer.
    return workflow.return_for_information(j.submitted(), j.p.sam, "Which staff?")


# Each event, the request it acts on, and who hears of it (the request names Greater Hartford,
# which Lee leads; Pat leads Eastern, which it does not name; Morgan and Casey are the
# committee). Everyone else in the personas, Quinn and Alex included, hears nothing.
EVENTS = {
    "submitted": (
        before_submit,
        do_submit,
        [("Lee Leader", Kind.SUBMITTED), ("Sam Staff", Kind.SUBMITTED)],
    ),
    "returned": (Journey.screening, do_return, [("Riley Requestor", Kind.RETURNED)]),
    "resubmitted to the assignee": (
        Journey.returned,
        do_resubmit,
        [("Sam Staff", Kind.RESUBMITTED)],
    ),
    "resubmitted, nobody assigned": (
        before_resubmit_unassigned,
        do_resubmit,
        [("Sam Staff", Kind.RESUBMITTED)],
    ),
    "escalated": (
        Journey.screening,
        do_escalate,
        [
            ("Casey Chair", Kind.ESCALATED),
            ("Lee Leader", Kind.ESCALATED),
            ("Morgan Member", Kind.ESCALATED),
        ],
    ),
    "a vote cast": (Journey.vetting, do_first_vote, [("Casey Chair", Kind.VOTE_CAST)]),
    "the vote that makes quorum": (
        before_quorum,
        do_quorum_vote,
        [("Casey Chair", Kind.QUORUM_REACHED)],
    ),
    # An approval's MOU is rendered after the decision commits; the organization then hears
    # that it is ready to sign.
    "approved by staff": (
        Journey.ready_to_approve,
        do_approve,
        [
            ("Lee Leader", Kind.DECIDED),
            ("Riley Requestor", Kind.DECIDED),
            ("Riley Requestor", Kind.MOU_READY),
        ],
    ),
    "denied by staff": (
        Journey.ready_to_deny,
        do_deny,
        [("Lee Leader", Kind.DECIDED), ("Riley Requestor", Kind.DECIDED)],
    ),
    "decided by the committee": (
        Journey.with_quorum,
        do_committee_decision,
        [
            ("Lee Leader", Kind.DECIDED),
            ("Morgan Member", Kind.DECIDED),
            ("Riley Requestor", Kind.DECIDED),
            ("Riley Requestor", Kind.MOU_READY),
        ],
    ),
    "withdrawn": (Journey.submitted, do_withdraw, [("Sam Staff", Kind.WITHDRAWN)]),
}


def names_by_email():
    from requests_app.models import User

    return dict(User.objects.values_list("email", "name"))


def path_of(url):
    assert url.startswith(settings.SITE_URL), url
    return url[len(settings.SITE_URL) :]


@pytest.mark.parametrize(("before", "action", "expected"), EVENTS.values(), ids=EVENTS.keys())
def test_each_event_tells_exactly_the_right_people_by_notice_and_email_with_a_working_link(
    client, journey, personas, django_capture_on_commit_callbacks, before, action, expected
):
    request = before(journey)
    seen = list(Event.objects.values_list("pk", flat=True))
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        action(journey, request)

    new_events = Event.objects.exclude(pk__in=seen)
    notices = Notification.objects.filter(event__in=new_events)
    assert sorted(notices.values_list("recipient__name", "kind")) == expected
    assert sorted(notices.values_list("delivery", flat=True)) == ["sent"] * len(expected)
    emails = names_by_email()
    assert sorted((emails[m.to[0]], len(m.to)) for m in mail.outbox) == [
        (name, 1) for name, _ in expected
    ]
    for message in mail.outbox:
        # Which notice an e-mail carries: its Message-ID says.
        notice_pk = int(message.extra_headers["Message-ID"].split("-")[1].split("@")[0])
        reader = notices.get(pk=notice_pk, recipient__email=message.to[0])
        assert message.subject.startswith(settings.ACCOUNT_EMAIL_SUBJECT_PREFIX)
        assert request.reference in message.subject
        links = LINK.findall(message.body)
        target = f"{settings.SITE_URL}{notifications.action_path(reader)}"
        assert links[0] == target
        html, mimetype = message.alternatives[0]
        assert (mimetype, f'href="{target}"' in html) == ("text/html", True)
        client.force_login(reader.recipient)
        assert client.get(path_of(links[0])).status_code == 200


# After an approval: the MOU's events. Each `before` renders the MOU's versions itself, as the
# task after each step's commit would.


def _render_next(request, kind):
    agreement = Agreement.objects.get(request=request)
    assert agreement.mou_kind == kind
    workflow.render_mou_version(agreement.pk, agreement.mou_version)
    return Agreement.objects.get(pk=agreement.pk)


def mou_issued(j):
    request = j.approved()
    _render_next(request, MOUVersion.Kind.ISSUED)
    return request


def mou_signed(j):
    request = mou_issued(j)
    agreement = Agreement.objects.get(request=request)
    workflow.sign_mou(agreement, j.p.riley, "Riley Requestor", "Director", True)
    _render_next(request, MOUVersion.Kind.SIGNED)
    return request


def mou_executed(j):
    request = mou_signed(j)
    agreement = Agreement.objects.get(request=request)
    workflow.countersign_mou(agreement, j.p.sam, "Sam Staff", "HMIS Administrator", True)
    agreement = _render_next(request, MOUVersion.Kind.EXECUTED)
    for person in request.people.all():
        workflow.record_training(
            agreement, j.p.sam, person, timezone.localdate(), "CT HMIS new user training"
        )
        agree(person)
    return request


def mou_active(j):
    request = mou_executed(j)
    workflow.activate_access(Agreement.objects.get(request=request), j.p.sam)
    return request


def agreement_of(r):
    return Agreement.objects.get(request=r)


MOU_EVENTS = {
    "MOU issued (its first version stored)": (
        lambda j: j.approved(),
        lambda j, r: _render_next(r, MOUVersion.Kind.ISSUED),
        [("Riley Requestor", Kind.MOU_READY)],
    ),
    "MOU corrected": (
        mou_issued,
        lambda j, r: workflow.amend_mou(
            agreement_of(r),
            j.p.sam,
            "The name was misspelt.",
            names={p: p.name + " Jr." for p in r.people.all()},
        ),
        [("Riley Requestor", Kind.MOU_READY)],
    ),
    "MOU signed by the organization": (
        mou_issued,
        lambda j, r: workflow.sign_mou(agreement_of(r), j.p.riley, "Riley R", "Director", True),
        [("Sam Staff", Kind.SIGNED)],
    ),
    "MOU countersigned": (
        mou_signed,
        lambda j, r: workflow.countersign_mou(agreement_of(r), j.p.sam, "Sam S", "Admin", True),
        [("Riley Requestor", Kind.COUNTERSIGNED)],
    ),
    "access activated": (
        mou_executed,
        lambda j, r: workflow.activate_access(agreement_of(r), j.p.sam),
        [("Riley Requestor", Kind.ACCESS_ACTIVE)],
    ),
    "access revoked": (
        mou_active,
        lambda j, r: workflow.revoke_access(agreement_of(r), j.p.sam, "Shared a password."),
        [("Riley Requestor", Kind.REVOKED)],
    ),
    "access expired": (
        mou_active,
        lambda j, r: workflow.expire_agreements(
            agreement_of(r).ends_on + datetime.timedelta(days=1)
        ),
        [("Riley Requestor", Kind.EXPIRED)],
    ),
}


@pytest.mark.parametrize(
    ("before", "action", "expected"), MOU_EVENTS.values(), ids=MOU_EVENTS.keys()
)
def test_each_event_of_the_mou_tells_exactly_the_right_people_with_a_link_to_the_mou(
    client,
    journey,
    personas,
    django_capture_on_commit_callbacks,
    settings,
    tmp_path,
    before,
    action,
    expected,
):
    settings.PRIVATE_FILES_ROOT = tmp_path
    request = before(journey)
    seen = list(Event.objects.values_list("pk", flat=True))
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        action(journey, request)

    notices = Notification.objects.filter(event__in=Event.objects.exclude(pk__in=seen))
    assert sorted(notices.values_list("recipient__name", "kind")) == expected
    emails = names_by_email()
    assert sorted(emails[m.to[0]] for m in mail.outbox) == [name for name, _ in expected]
    target = f"{settings.SITE_URL}{reverse('agreement', args=[request.reference])}"
    for message in mail.outbox:
        assert LINK.findall(message.body)[0] == target
        client.force_login(notices.get(recipient__email=message.to[0]).recipient)
        assert client.get(path_of(target)).status_code == 200


def test_a_request_naming_no_can_tells_no_can_leader(
    journey, personas, django_capture_on_commit_callbacks
):
    draft = journey.draft(cans=[])
    with django_capture_on_commit_callbacks(execute=True):
        workflow.submit(draft, personas.riley)

    assert [m.to for m in mail.outbox] == [[personas.sam.email]]


# After an approval, the MOU's kinds link to the MOU's page, where one signs or renews. The
# kinds of an organization's roles name no request: tests/accounts/test_roles.py.
@pytest.mark.parametrize("kind", sorted(set(Kind.values) - notifications.ROLE_KINDS))
def test_every_kind_has_a_subject_text_and_html_email_linking_where_one_acts(
    client, journey, personas, kind
):
    request = journey.approved()
    notice = Notification.objects.create(recipient=personas.riley, request=request, kind=kind)

    message = notifications.email_for(notice)

    assert message.subject.startswith(f"{settings.ACCOUNT_EMAIL_SUBJECT_PREFIX}")
    assert request.reference in message.subject
    assert "\n" not in message.subject
    page = (
        reverse("agreement", args=[request.reference])
        if kind in notifications.AGREEMENT_KINDS
        else request.get_absolute_url()
    )
    target = f"{settings.SITE_URL}{page}"
    assert LINK.findall(message.body)[0] == target
    assert message.body.startswith("Hello Riley,")
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert f'<a href="{target}">' in html
    assert message.extra_headers["Message-ID"] == f"<notice-{notice.pk}@127.0.0.1>"
    client.force_login(personas.riley)
    assert client.get(path_of(target)).status_code == 200


def test_names_in_an_email_text_are_not_html_escaped(journey, personas):
    personas.harbor.name = "Harbor Health & Partners"
    personas.harbor.save()
    request = journey.submitted()
    notice = Notification.objects.filter(request=request, recipient=personas.sam).get()

    message = notifications.email_for(notice)

    assert "Harbor Health & Partners submitted" in message.body
    assert "Harbor Health &amp; Partners submitted" in message.alternatives[0][0]


def test_who_turns_off_an_emails_kind_keeps_the_notice_and_gets_no_email(
    journey, personas, django_capture_on_commit_callbacks
):
    notifications.set_email_choices(personas.riley, {Kind.RETURNED: False})
    request = journey.screening()

    with django_capture_on_commit_callbacks(execute=True):
        workflow.return_for_information(request, personas.sam, "Which staff?")

    notice = Notification.objects.get(request=request, kind=Kind.RETURNED)
    assert (notice.recipient, notice.delivery, notice.read_at) == (personas.riley, "skipped", None)
    assert mail.outbox == []


@pytest.mark.parametrize("kind", sorted(notifications.MANDATORY_FOR_STAFF))
def test_staff_cannot_turn_off_the_emails_of_what_they_must_act_on(personas, kind):
    notifications.set_email_choices(personas.sam, {kind: False})

    assert NotificationPreference.objects.filter(user=personas.sam).count() == 0
    # Even a preference written past the form does not stop the e-mail.
    NotificationPreference.objects.create(user=personas.sam, kind=kind, email=False)
    assert notifications.wants_email(personas.sam, kind) is True
    assert notifications.email_choices(personas.sam)[kind] is True


def test_staff_can_turn_off_what_they_need_not_act_on(personas):
    notifications.set_email_choices(personas.sam, {Kind.DECIDED: False, Kind.SUBMITTED: False})

    assert notifications.wants_email(personas.sam, Kind.DECIDED) is False
    assert notifications.wants_email(personas.sam, Kind.SUBMITTED) is True
    # For anyone else, submitted is a choice like any other.
    notifications.set_email_choices(personas.lee, {Kind.SUBMITTED: False})
    assert notifications.wants_email(personas.lee, Kind.SUBMITTED) is False


def test_an_action_rolled_back_after_it_ran_sends_nothing(
    journey, personas, django_capture_on_commit_callbacks
):
    draft = journey.draft()

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        workflow.submit(draft, personas.riley)
        raise RuntimeError("Something after the action failed.")

    assert (callbacks, Notification.objects.count(), mail.outbox) == ([], 0, [])


@pytest.mark.django_db(transaction=True)
def test_an_action_rolled_back_in_a_real_transaction_sends_nothing(catalogue):
    personas = make_personas()
    draft = Journey(personas).draft()

    with pytest.raises(RuntimeError), transaction.atomic():
        workflow.submit(draft, personas.riley)
        raise RuntimeError("Something after the action failed.")

    assert (Notification.objects.count(), mail.outbox) == (0, [])
    # And the same action committed does send.
    workflow.submit(draft, personas.riley)
    assert sorted(m.to[0] for m in mail.outbox) == sorted([personas.lee.email, personas.sam.email])


def test_quorum_is_announced_once_per_round_even_if_lost_and_won_back(journey, personas):
    request = journey.vetting()
    workflow.cast_vote(request, personas.morgan, ABSTAIN)
    workflow.cast_vote(request, personas.casey, ABSTAIN)
    first = Vote.objects.get(request=request, voter=personas.morgan)
    # Morgan recuses (quorum lost), then abstains again (quorum back).
    recusal = workflow.cast_vote(
        request, personas.morgan, Vote.Choice.RECUSE, "Conflict.", replaces=first.pk
    )
    workflow.cast_vote(request, personas.morgan, ABSTAIN, replaces=recusal.pk)

    assert Notification.objects.filter(request=request, kind=Kind.QUORUM_REACHED).count() == 1


def test_an_inactive_recipient_is_not_told(journey, personas):
    gone = UserFactory(name="Gone Staff", is_cceh_staff=True, is_active=False)
    request = journey.submitted(cans=[])

    assert list(
        Notification.objects.filter(request=request).values_list("recipient", flat=True)
    ) == [personas.sam.pk]
    assert gone.notifications.count() == 0
