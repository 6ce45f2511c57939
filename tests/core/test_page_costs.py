"""A request's page costs the same number of queries for every role, whatever the request's size
(its history, its messages, the people it names) and however many other requests there are
(docs/performance.md): the history is read a page at a time, everything else in one query per
kind of thing."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from requests_app.models import Comment, Event, NamedPerson
from tests.support.journey import FULL

# Per role, on a request in vetting (one in its own organization for the requestor); each
# with the one INSERT recording the read (requests_app/audit/services.py).
PAGE_QUERIES = {"riley": 15, "sam": 26, "morgan": 26, "casey": 30, "lee": 28}


def grow(request, personas, size):
    """`size` more events, messages and named people on `request`, written directly: only
    their number matters here."""
    events = [
        Event(
            request=request,
            kind=Event.Kind.ANSWERS_CHANGED,
            actor=personas.sam,
            data={"changed": [f"Answer {n}"]},
            visible_to_requestor=bool(n % 2),
        )
        for n in range(size)
    ]
    Event.objects.bulk_create(Event.linked(request, events))
    Comment.objects.bulk_create(
        Comment(
            request=request,
            author=personas.sam,
            visibility=Comment.Visibility.INTERNAL if n % 2 else Comment.Visibility.REQUESTOR,
            body=f"Comment {n}.",
        )
        for n in range(size // 4)
    )
    NamedPerson.objects.bulk_create(
        NamedPerson(
            request=request,
            name=f"Person {n}",
            title="Analyst",
            email=f"person{n}@harbor.example",
            requested_level=FULL,
        )
        for n in range(size // 20)
    )


@pytest.mark.parametrize("persona", sorted(PAGE_QUERIES))
def test_the_request_page_costs_the_same_for_a_small_and_a_large_request(
    client, journey, personas, persona
):
    small = journey.vetting(cans=[personas.hartford])
    large = journey.vetting(cans=[personas.hartford])
    grow(large, personas, 200)
    for _ in range(5):  # other requests, which no page of this one should read
        grow(journey.vetting(cans=[personas.hartford]), personas, 40)
    client.force_login(personas.by_name(persona))
    client.get(small.get_absolute_url())  # the session is read once, as on any later page

    counts = []
    for request in (small, large):
        with CaptureQueriesContext(connection) as captured:
            assert client.get(request.get_absolute_url()).status_code == 200
        counts.append(len(captured))

    assert counts == [PAGE_QUERIES[persona]] * 2
