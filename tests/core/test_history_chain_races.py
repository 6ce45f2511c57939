"""Two transactions adding to one hash chain at the same moment, on PostgreSQL: the second waits
for the first and follows it, so the chain is never forked and nobody's action fails."""

import io
import json
import threading

from django.core.management import call_command
from django.db import connection, transaction

from requests_app.audit.models import ReadLogEntry
from requests_app.core import verify_history
from requests_app.models import Event
from tests.support.races import BLOCKED_FOR, RACES, Actor

pytestmark = RACES


def added_at_once(add):
    """`add()` in two transactions: the first pauses, uncommitted, after its row is in; the
    second starts meanwhile and must wait for it."""
    inserted, release = threading.Event(), threading.Event()

    def first():
        with transaction.atomic():
            row = add("first")
            inserted.set()
            release.wait(timeout=10)
        return row

    winner = Actor(first)
    winner.start()
    assert inserted.wait(timeout=10)
    loser = Actor(lambda: add("second"))
    loser.start()
    loser.join(timeout=BLOCKED_FOR)
    waited = loser.is_alive()
    release.set()
    winner.join(timeout=10)
    loser.join(timeout=10)
    return waited, winner, loser


def bundle(reference):
    out = io.StringIO()
    call_command("export_history", reference, stdout=out)
    return json.loads(out.getvalue())


def test_two_events_recorded_at_once_on_one_request_follow_each_other(journey):
    request = journey.submitted()

    def add(note):
        return Event.objects.create(request=request, kind=Event.Kind.ANSWERS_CHANGED, note=note)

    waited, first, second = added_at_once(add)

    assert (waited, first.error, second.error) == (True, None, None)
    assert second.result.prev_digest == first.result.digest
    assert list(request.events.order_by("pk").values_list("note", flat=True)) == [
        "",
        "first",
        "second",
    ]
    assert verify_history.verify(bundle(request.reference)).startswith(
        "verified: 1 chains, 3 entries"
    )


def test_two_reads_at_once_of_one_request_follow_each_other(journey, personas):
    request = journey.submitted()

    def add(subject):
        return ReadLogEntry.objects.create(
            reader=personas.sam,
            kind=ReadLogEntry.Kind.REQUEST_PAGE,
            request=request,
            reference=request.reference,
            subject=subject,
            address="192.0.2.1",
        )

    waited, first, second = added_at_once(add)

    assert (waited, first.error, second.error) == (True, None, None)
    assert second.result.prev_digest == first.result.digest
    assert verify_history.verify(bundle(request.reference)).startswith(
        "verified: 2 chains, 3 entries"
    )


def test_a_read_numbered_before_another_but_linked_after_it_does_not_fork_the_chain(
    journey, personas
):
    """The second read takes its number from the sequence, then waits for the chain's lock
    while the first, numbered after it, is linked and committed. The chain's order must be its
    numbers' order, or the next read would link to the wrong one and be refused: under load, two
    people opening one request at once lost a page (the benchmark's 5,000-event request)."""
    request = journey.submitted()

    def read(subject):
        return ReadLogEntry.objects.create(
            reader=personas.sam,
            kind=ReadLogEntry.Kind.REQUEST_PAGE,
            request=request,
            reference=request.reference,
            subject=subject,
            address="192.0.2.1",
        )

    locked, release = threading.Event(), threading.Event()

    def first():
        # Holds the chain's lock, as a read being linked does, before it has its number.
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))",
                [f"{ReadLogEntry._meta.db_table} {request.reference}"],
            )
            locked.set()
            release.wait(timeout=10)
            return read("first")

    winner = Actor(first)
    winner.start()
    assert locked.wait(timeout=10)
    loser = Actor(lambda: read("second"))
    loser.start()
    loser.join(timeout=BLOCKED_FOR)
    assert loser.is_alive(), "the second read did not wait for the chain's lock"
    release.set()
    winner.join(timeout=10)
    loser.join(timeout=10)
    third = read("third")

    assert (winner.error, loser.error) == (None, None)
    chain = list(
        ReadLogEntry.objects.filter(reference=request.reference)
        .order_by("pk")
        .values_list("subject", "prev_digest", "digest")
    )
    assert [subject for subject, _, _ in chain] == ["first", "second", "third"]
    assert [prev for _, prev, _ in chain[1:]] == [digest for _, _, digest in chain[:-1]]
    assert third.prev_digest == loser.result.digest
