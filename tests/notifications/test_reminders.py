"""`manage.py send_reminders`: members who have not voted near the deadline, requests
waiting past the staff threshold, returns unanswered for 14 days; once a day, however often
cron runs it."""

import datetime
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from requests_app import workflow
from requests_app.models import AccessRequest, Notification, User, Vote, VotingRound
from requests_app.notifications import services as notifications
from tests.support import clock
from tests.support.factories import UserFactory

Kind = Notification.Kind


def days_ago(request, days):
    """The request entered its status `days` days ago."""
    AccessRequest.objects.filter(pk=request.pk).update(
        status_changed_at=timezone.now() - datetime.timedelta(days=days)
    )


def submitted_working_days_ago(request, count):
    """The request was first submitted `count` Monday-to-Friday days ago (the policy's count:
    not the day itself, today included), and entered its status then: CCEH's decision target
    (CCEH_DECISION_TARGET_WORKING_DAYS, 10) is 10 - `count` working days away."""
    moment = clock.working_days_ago(count)
    AccessRequest.objects.filter(pk=request.pk).update(
        submitted_at=moment, status_changed_at=moment
    )


def escalated_days_ago(request, days):
    """Escalated `days` days ago, its vote closed since: the committee's decision target
    (COMMITTEE_DECISION_TARGET_DAYS, 30) is 30 - `days` days away."""
    VotingRound.objects.filter(pk=request.voting_round_id).update(
        opened_at=clock.days_ago(days),
        deadline=clock.days_ago(days - 14),
    )


def deadline_in(request, days):
    VotingRound.objects.filter(pk=request.voting_round_id).update(
        deadline=timezone.now() + datetime.timedelta(days=days)
    )


def setup_notices_went_out():
    """In these tests the setup's actions never commit, so their e-mails were never sent; in
    life they went after commit. Mark them sent, or the sweep in send_reminders sends them."""
    Notification.objects.update(delivery=Notification.Delivery.SENT)


def run():
    out = StringIO()
    call_command("send_reminders", stdout=out)
    return out.getvalue()


def reminded():
    return sorted(
        Notification.objects.filter(reminder_day__isnull=False).values_list(
            "recipient__name", "kind", "request__reference"
        )
    )


def vote_due_with_morgan_voted(journey, personas, days=2):
    request = journey.vetting()
    workflow.cast_vote(request, personas.morgan, Vote.Choice.ABSTAIN)
    deadline_in(request, days)
    return request


def vote_due_far_off(journey, personas):
    return vote_due_with_morgan_voted(journey, personas, days=4)


def waiting_unassigned(journey, personas):
    request = journey.submitted()
    submitted_working_days_ago(request, 14)
    return request


def waiting_assigned(journey, personas):
    request = journey.screening()
    submitted_working_days_ago(request, 14)
    return request


def waiting_not_long(journey, personas):
    request = journey.submitted()
    submitted_working_days_ago(request, 2)
    return request


def two_working_days_before_the_target(journey, personas):
    request = journey.screening()
    submitted_working_days_ago(request, 8)
    return request


def three_working_days_before_the_target(journey, personas):
    request = journey.screening()
    submitted_working_days_ago(request, 7)
    return request


def committee_target_in_2_days(journey, personas):
    request = journey.vetting()
    workflow.cast_vote(request, personas.morgan, Vote.Choice.ABSTAIN)
    escalated_days_ago(request, 28)
    return request


def committee_target_in_3_days(journey, personas):
    request = journey.vetting()
    escalated_days_ago(request, 27)
    return request


def committee_target_passed(journey, personas):
    request = journey.vetting()
    escalated_days_ago(request, 40)
    return request


def returned_long_ago(journey, personas):
    request = journey.returned()
    days_ago(request, 15)
    return request


def returned_recently(journey, personas):
    request = journey.returned()
    days_ago(request, 13)
    return request


# Each situation and who is reminded of it, as what. Jo is a second CCEH staff member.
SITUATIONS = {
    "vote due in 2 days, Casey has not voted": (
        vote_due_with_morgan_voted,
        [("Casey Chair", Kind.VOTE_REMINDER)],
    ),
    "vote due in 4 days": (vote_due_far_off, []),
    "past CCEH's target, nobody took it": (
        waiting_unassigned,
        [("Jo Staff", Kind.WAITING_REMINDER), ("Sam Staff", Kind.WAITING_REMINDER)],
    ),
    "past CCEH's target in Sam's screening": (
        waiting_assigned,
        [("Sam Staff", Kind.WAITING_REMINDER)],
    ),
    "submitted 2 working days ago": (waiting_not_long, []),
    "CCEH's target in 2 working days": (
        two_working_days_before_the_target,
        [("Sam Staff", Kind.WAITING_REMINDER)],
    ),
    "CCEH's target in 3 working days": (three_working_days_before_the_target, []),
    "the committee's target in 2 days, its vote closed, Casey has not voted": (
        committee_target_in_2_days,
        [("Casey Chair", Kind.VOTE_REMINDER)],
    ),
    "the committee's target in 3 days, its vote closed": (committee_target_in_3_days, []),
    "the committee's target passed": (
        committee_target_passed,
        [("Casey Chair", Kind.VOTE_REMINDER), ("Morgan Member", Kind.VOTE_REMINDER)],
    ),
    "returned 15 days ago": (returned_long_ago, [("Riley Requestor", Kind.RETURN_REMINDER)]),
    "returned 13 days ago": (returned_recently, []),
}


@pytest.mark.parametrize(("situation", "expected"), SITUATIONS.values(), ids=SITUATIONS.keys())
def test_each_reminder_goes_to_exactly_the_right_people_once_a_day(
    client, journey, personas, situation, expected
):
    UserFactory(name="Jo Staff", is_cceh_staff=True)
    request = situation(journey, personas)
    setup_notices_went_out()

    run()
    run()

    assert reminded() == [(name, kind, request.reference) for name, kind in expected]
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        Notification.objects.filter(reminder_day__isnull=False).values_list(
            "recipient__email", flat=True
        )
    )
    for message in mail.outbox:
        client.force_login(User.objects.get(email=message.to[0]))
        link = message.body.split("http://127.0.0.1:8000", 1)[1].split()[0]
        assert link == request.get_absolute_url()
        assert client.get(link).status_code == 200


def test_run_twice_the_same_day_sends_once_and_again_the_next_day(journey, personas):
    returned_long_ago(journey, personas)
    setup_notices_went_out()

    assert run() == (
        "1 reminder recorded; 0 e-mails queued for a retry; 0 interrupted sends taken back; "
        "0 MOU versions queued to render again.\n"
    )
    assert run().startswith("0 reminders recorded;")
    assert len(mail.outbox) == 1

    tomorrow = timezone.now() + datetime.timedelta(days=1)
    assert notifications.remind(now=tomorrow) == 1
    assert len(mail.outbox) == 2
    assert Notification.objects.filter(kind=Kind.RETURN_REMINDER).count() == 2


def test_a_reminder_whose_email_failed_is_not_resent_the_same_day_but_retried(
    journey, personas, settings
):
    returned_long_ago(journey, personas)
    setup_notices_went_out()
    settings.EMAIL_BACKEND = "tests.support.mail_backends.SMTPDown"
    run()
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

    run()  # the retry is not due yet: nothing is sent, nothing new recorded

    notice = Notification.objects.get(kind=Kind.RETURN_REMINDER)
    assert (notice.delivery, notice.attempts, mail.outbox) == ("pending", 1, [])


def test_a_member_who_recused_is_not_reminded_to_vote(journey, personas):
    request = journey.vetting()
    workflow.cast_vote(request, personas.morgan, Vote.Choice.RECUSE, "Conflict.")
    deadline_in(request, 1)
    setup_notices_went_out()

    run()

    assert reminded() == [("Casey Chair", Kind.VOTE_REMINDER, request.reference)]


def test_a_vote_past_its_deadline_is_not_reminded(journey, personas):
    request = journey.vetting()
    deadline_in(request, -1)
    setup_notices_went_out()

    run()

    assert reminded() == []
