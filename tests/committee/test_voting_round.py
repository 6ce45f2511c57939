"""Voting rounds: an escalation opens one, a vote belongs to the round it was cast in, and only
the current round's votes count, wherever votes are counted (the tally, the docket, the
reminders). The quorum notice goes once per round. Migration 0012 builds the rounds of the
requests escalated before rounds were rows."""

import datetime

import pytest
from django.db import connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from requests_app import policy, workflow
from requests_app.models import AccessRequest, Notification, Vote, VotingRound
from requests_app.notifications import services as notifications
from tests.support.pages import parsed

APPROVE, ABSTAIN, RECUSE = Vote.Choice.APPROVE, Vote.Choice.ABSTAIN, Vote.Choice.RECUSE


def escalated_again(request, personas, note="Is 1.9 met now?"):
    """Back from the committee to the requestor, resubmitted, screened and escalated again:
    the path a request takes to a second voting round."""
    request = workflow.return_for_information(request, personas.sam, "Which programs?")
    request = workflow.resubmit(request, personas.riley, "Only the respite program.")
    request = workflow.start_screening(request, personas.sam)
    return workflow.escalate(request, personas.sam, note)


def quorum_notices(request):
    return Notification.objects.filter(
        request=request, kind=Notification.Kind.QUORUM_REACHED
    ).count()


def docket_rows(client):
    response = client.get(reverse("docket"))
    assert response.status_code == 200
    body = parsed(response).find("tbody")
    return [[td.text for td in tr.find_all("td")] for tr in body.find_all("tr")] if body else []


# Rounds and the votes that count.


def test_escalating_opens_a_round_and_escalating_again_opens_another(journey, personas):
    before = timezone.now()
    first = journey.vetting()

    second = escalated_again(first, personas, note="Still unclear on 1.9.")

    rounds = list(VotingRound.objects.filter(request=first))
    assert [(r.note, r.opened_by) for r in rounds] == [
        ("Is 1.9 met?", personas.sam),
        ("Still unclear on 1.9.", personas.sam),
    ]
    assert before <= rounds[0].opened_at < rounds[1].opened_at <= timezone.now()
    assert AccessRequest.objects.get(pk=first.pk).voting_round == rounds[1] == second.voting_round


def test_a_vote_cast_in_an_earlier_round_does_not_count_after_a_second_escalation(
    client, journey, personas, settings
):
    request = journey.vetting()
    earlier = workflow.cast_vote(request, personas.morgan, APPROVE, levels=journey.levels(request))
    workflow.cast_vote(request, personas.casey, APPROVE, levels=journey.levels(request))
    first_round = request.voting_round
    assert policy.tally(request)["quorum"] is True

    request = escalated_again(request, personas)

    # The earlier votes stay with their round; the new round has none.
    assert (earlier.round, first_round.votes.count()) == (first_round, 2)
    assert list(policy.current_votes(request)) == []
    assert (policy.tally(request)["voted"], policy.quorum_reached(request)) == (0, False)
    # The docket and the reminders read the same rule: Morgan has not voted in this round.
    client.force_login(personas.morgan)
    assert [row[-1] for row in docket_rows(client)] == ["Not voted yet"]
    VotingRound.objects.filter(pk=request.voting_round_id).update(
        deadline=timezone.now() + datetime.timedelta(days=1)
    )
    due = [
        (due_request.pk, sorted(p.name for p in people))
        for due_request, kind, people in notifications.reminders_due(
            timezone.localdate(), timezone.now()
        )
        if kind == Notification.Kind.VOTE_REMINDER
    ]
    assert due == [(request.pk, ["Casey Chair", "Morgan Member"])]
    # A first vote in the new round replaces nothing, and is the one that counts.
    vote = workflow.cast_vote(request, personas.morgan, ABSTAIN)
    assert (vote.round_id, list(policy.current_votes(request))) == (request.voting_round_id, [vote])


def test_which_votes_count_is_the_rounds_not_the_time_they_were_cast(journey, personas):
    request = journey.vetting()
    first_round = request.voting_round
    request = escalated_again(request, personas)
    # A vote of the first round recorded after the second round opened (a clock that went
    # wrong, a vote typed in by hand) still belongs to the first round: it does not count.
    Vote.objects.create(request=request, round=first_round, voter=personas.morgan, choice=APPROVE)

    assert list(policy.current_votes(request)) == []


def test_a_vote_recorded_without_a_round_belongs_to_its_requests_current_round(journey, personas):
    request = escalated_again(journey.vetting(), personas)

    vote = Vote.objects.create(request=request, voter=personas.morgan, choice=ABSTAIN)

    assert (vote.round_id, list(policy.current_votes(request))) == (
        request.voting_round_id,
        [vote],
    )


# The quorum notice.


def test_the_quorum_notice_is_sent_once_per_round(journey, personas):
    request = journey.vetting()
    workflow.cast_vote(request, personas.morgan, ABSTAIN)
    workflow.cast_vote(request, personas.casey, ABSTAIN)
    # Morgan recuses (quorum lost), then abstains again (quorum back): no second notice.
    mine = policy.current_votes(request).get(voter=personas.morgan)
    recusal = workflow.cast_vote(request, personas.morgan, RECUSE, "Conflict.", replaces=mine.pk)
    workflow.cast_vote(request, personas.morgan, ABSTAIN, replaces=recusal.pk)
    first_round = VotingRound.objects.get(pk=request.voting_round_id)
    assert (quorum_notices(request), first_round.quorum_announced_at is not None) == (1, True)

    request = escalated_again(request, personas)
    assert request.voting_round.quorum_announced_at is None
    workflow.cast_vote(request, personas.morgan, ABSTAIN)
    workflow.cast_vote(request, personas.casey, ABSTAIN)

    # The new round's quorum is news again; the first round's record is as it was.
    second_round = VotingRound.objects.get(pk=request.voting_round_id)
    assert quorum_notices(request) == 2
    assert second_round.quorum_announced_at > first_round.quorum_announced_at
    assert (
        VotingRound.objects.get(pk=first_round.pk).quorum_announced_at
        == first_round.quorum_announced_at
    )


def test_the_round_records_the_announcement_in_the_notices_transaction(journey, personas):
    request = journey.vetting()
    workflow.cast_vote(request, personas.morgan, ABSTAIN)

    # The vote that makes quorum, rolled back: neither the notice nor the record stays.
    with pytest.raises(RuntimeError), transaction.atomic():
        workflow.cast_vote(request, personas.casey, ABSTAIN)
        raise RuntimeError("Something after the vote failed.")
    unannounced = VotingRound.objects.get(pk=request.voting_round_id).quorum_announced_at
    assert (quorum_notices(request), unannounced) == (0, None)

    before = timezone.now()
    workflow.cast_vote(request, personas.casey, ABSTAIN)

    announced = VotingRound.objects.get(pk=request.voting_round_id).quorum_announced_at
    assert quorum_notices(request) == 1
    assert before <= announced <= timezone.now()


# The docket reads each request's round in the one query that lists them.


def test_the_docket_runs_the_same_queries_for_five_escalated_requests_as_for_one(
    client, journey, personas
):
    journey.vetting()
    client.force_login(personas.morgan)
    with CaptureQueriesContext(connection) as captured:
        assert len(docket_rows(client)) == 1
    one = len(captured.captured_queries)

    for i in range(4):
        request = journey.vetting(cans=[personas.hartford, personas.eastern], people=2)
        workflow.cast_vote(request, personas.morgan, APPROVE, levels=journey.levels(request))
        if i % 2:
            # A second round, whose docket row reads the new round and none of its votes.
            escalated_again(request, personas, note=f"Round two of request {i}.")
    with CaptureQueriesContext(connection) as captured:
        rows = docket_rows(client)
    five = len(captured.captured_queries)

    assert (len(rows), sorted(row[-1] for row in rows)) == (
        5,
        ["Approve", "Approve", "Not voted yet", "Not voted yet", "Not voted yet"],
    )
    assert sorted(row[4] for row in rows if row[4].startswith("Round two")) == [
        "Round two of request 1.",
        "Round two of request 3.",
    ]
    assert five == one


# Migration 0012: the rounds of requests escalated before rounds were rows.

BEFORE = ("requests_app", "0011_frozen_application_versions")
AFTER = ("requests_app", "0012_voting_rounds")


def migrate(targets):
    """Migrate the test database to `targets`; the models as they are there."""
    MigrationExecutor(connection).migrate(targets)
    return MigrationExecutor(connection).loader.project_state(targets).apps


def latest():
    executor = MigrationExecutor(connection)
    return executor.loader.graph.leaf_nodes()


@pytest.mark.django_db(transaction=True)
def test_the_migration_builds_each_requests_rounds_and_puts_each_vote_in_its_round():
    old = migrate([BEFORE])
    try:
        User = old.get_model("requests_app", "User")
        Organization = old.get_model("requests_app", "Organization")
        OldRequest = old.get_model("requests_app", "AccessRequest")
        Event = old.get_model("requests_app", "Event")
        OldVote = old.get_model("requests_app", "Vote")
        OldNotification = old.get_model("requests_app", "Notification")
        sam = User.objects.create(email="sam@example.org", name="Sam Staff")
        morgan = User.objects.create(email="morgan@example.org", name="Morgan Member")
        casey = User.objects.create(email="casey@example.org", name="Casey Chair")
        harbor = Organization.objects.create(name="Harbor", kind="nonprofit")
        t0 = timezone.now() - datetime.timedelta(days=30)
        hour, day = datetime.timedelta(hours=1), datetime.timedelta(days=1)

        def request(status="vetting", **fields):
            return OldRequest.objects.create(
                organization=harbor, created_by=sam, status=status, **fields
            )

        def escalation(of, at, note):
            Event.objects.create(
                request=of,
                kind="escalated",
                actor=sam,
                from_status="screening",
                to_status="vetting",
                note=note,
                data={"deadline": (at + 14 * day).isoformat()},
                created_at=at,
            )

        def vote(on, voter, at, choice="approve"):
            return OldVote.objects.create(request=on, voter=voter, choice=choice, cast_at=at)

        # Escalated twice: a vote and the quorum notice in each round.
        twice = request(
            voting_opened_at=t0 + 10 * day,
            voting_deadline=t0 + 24 * day,
            escalation_note="Still unclear.",
        )
        escalation(twice, t0, "Is 1.9 met?")
        escalation(twice, t0 + 10 * day, "Still unclear.")
        first_votes = [vote(twice, morgan, t0 + hour), vote(twice, casey, t0 + 2 * hour)]
        second_votes = [vote(twice, morgan, t0 + 10 * day + hour, "deny")]
        for at in (t0 + 2 * hour, t0 + 10 * day + 2 * hour):
            OldNotification.objects.create(
                recipient=casey, request=twice, kind="quorum_reached", created_at=at
            )
        # Escalated before voting_opened_at was kept (migration 0003): every vote counted.
        before_0003 = request(voting_deadline=t0 + 14 * day, escalation_note="One-time need?")
        escalation(before_0003, t0, "One-time need?")
        old_votes = [vote(before_0003, morgan, t0 - hour), vote(before_0003, casey, t0 + hour)]
        # A vote typed in before the recorded opening, which did not count.
        stray = request(voting_opened_at=t0, voting_deadline=t0 + 14 * day, escalation_note="Why?")
        early, counted = vote(stray, morgan, t0 - day), vote(stray, morgan, t0 + hour)
        # Never escalated: no round.
        screening = request(status="screening")

        migrate([AFTER])

        def rounds(of):
            return [
                (r.note, r.opened_at, r.deadline, r.opened_by_id, r.quorum_announced_at)
                for r in VotingRound.objects.filter(request_id=of.pk)
            ]

        def current_round(of):
            return AccessRequest.objects.get(pk=of.pk).voting_round

        def counted_ids(of):
            return sorted(v.pk for v in policy.current_votes(AccessRequest.objects.get(pk=of.pk)))

        assert rounds(twice) == [
            ("Is 1.9 met?", t0, t0 + 14 * day, sam.pk, t0 + 2 * hour),
            ("Still unclear.", t0 + 10 * day, t0 + 24 * day, sam.pk, t0 + 10 * day + 2 * hour),
        ]
        first, second = VotingRound.objects.filter(request_id=twice.pk)
        assert current_round(twice) == second
        assert [sorted(v.pk for v in r.votes.all()) for r in (first, second)] == [
            [v.pk for v in first_votes],
            [v.pk for v in second_votes],
        ]
        assert counted_ids(twice) == [v.pk for v in second_votes]

        assert rounds(before_0003) == [("One-time need?", t0, t0 + 14 * day, sam.pk, None)]
        assert counted_ids(before_0003) == sorted(v.pk for v in old_votes)

        assert rounds(stray) == [
            ("", t0 - day, t0, None, None),
            ("Why?", t0, t0 + 14 * day, None, None),
        ]
        assert (current_round(stray).note, counted_ids(stray)) == ("Why?", [counted.pk])
        assert Vote.objects.get(pk=early.pk).round.note == ""

        assert (rounds(screening), current_round(screening)) == ([], None)

        # Backwards, the request's own fields take its current round's values again.
        old = migrate([BEFORE])
        OldRequest = old.get_model("requests_app", "AccessRequest")
        assert OldRequest.objects.filter(pk=twice.pk).values_list(
            "escalation_note", "voting_opened_at", "voting_deadline"
        ).get() == ("Still unclear.", t0 + 10 * day, t0 + 24 * day)
    finally:
        migrate(latest())
