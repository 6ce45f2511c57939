"""The admin's lists and a request's page in it cost the same number of queries however many
records there are (docs/performance.md): each list joins what its rows' names read, and a
request's history is a link to the events' own list, not rows of its page."""

import pytest
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from requests_app import workflow
from requests_app.core import paging
from requests_app.models import (
    CAN,
    AccessRequest,
    Assessment,
    CANRecommendation,
    Comment,
    Criterion,
    Decision,
    Event,
    Notification,
    Organization,
    ReadLogEntry,
    Revocation,
    User,
    Vote,
    VotingRound,
)
from tests.support.factories import RevocationFactory

# The admin's lists of what the site records: these grow with its use.
RECORDS = [
    AccessRequest,
    Assessment,
    CANRecommendation,
    Comment,
    Decision,
    Event,
    Notification,
    ReadLogEntry,
    Revocation,
    Vote,
    VotingRound,
]


def more_records(client, journey, personas, count):
    """`count` more of each record: a request denied (assessments, a decision, their history
    and notices), one voted on, one its CAN recommends, a comment, a read and a revocation."""
    for n in range(count):
        denied = journey.denied(cans=[personas.hartford])
        journey.with_quorum(cans=[personas.hartford])
        journey.ready_to_approve(cans=[personas.hartford])
        workflow.add_comment(denied, personas.sam, f"Comment {n}.")
        RevocationFactory(person_email=f"gone{n}@example.org", recorded_by=personas.sam)
        client.get(denied.get_absolute_url())  # a read, in the read log


def changelist(model):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


def queries(client, url):
    client.get(url)  # the session and the admin's own first reads, as on any later page
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


@pytest.mark.parametrize("model", RECORDS, ids=[m.__name__ for m in RECORDS])
def test_each_admin_list_costs_the_same_for_few_and_many_records(client, journey, personas, model):
    client.force_login(personas.alex)
    more_records(client, journey, personas, 1)
    few, rows = queries(client, changelist(model)), model.objects.count()
    more_records(client, journey, personas, 5)

    assert (queries(client, changelist(model)), model.objects.count() > rows > 0) == (few, True)


def test_every_list_of_records_is_measured():
    registered = {
        m
        for m in admin.site._registry
        if not m._meta.app_label.startswith(("auth", "mfa", "account", "django"))
    }
    assert registered - set(RECORDS) == {CAN, Criterion, Organization, User}


def test_a_request_in_the_admin_costs_the_same_for_a_short_and_a_long_history(
    client, journey, personas
):
    client.force_login(personas.alex)
    short, long = journey.vetting(), journey.vetting()
    events = [
        Event(request=long, kind=Event.Kind.ANSWERS_CHANGED, actor=personas.riley, data={})
        for _ in range(40)
    ]
    Event.objects.bulk_create(Event.linked(long, events))
    url = "admin:requests_app_accessrequest_change"

    short_queries = queries(client, reverse(url, args=[short.pk]))

    assert queries(client, reverse(url, args=[long.pk])) == short_queries
    page = client.get(reverse(url, args=[long.pk])).content.decode()
    events_list = reverse("admin:requests_app_event_changelist")
    assert f'href="{events_list}?request__id__exact={long.pk}"' in page


def test_a_list_of_records_counts_as_far_as_the_sites_lists_and_says_there_are_more(
    client, journey, personas, monkeypatch
):
    monkeypatch.setattr(paging, "COUNT_BOUND", 4)
    monkeypatch.setattr(admin.site._registry[Event], "list_per_page", 2)
    client.force_login(personas.alex)
    journey.vetting()
    request = journey.vetting()  # three events each
    newest = list(Event.objects.order_by("-pk").values_list("pk", flat=True)[:4])
    url = changelist(Event)

    client.get(url)  # each request empties the log of queries the capture reads
    with CaptureQueriesContext(connection) as captured:
        first = client.get(url)
    # Read before the next request empties the log.
    counts = [q["sql"] for q in captured.captured_queries if "COUNT(" in q["sql"]]
    second, beyond = client.get(f"{url}?p=2"), client.get(f"{url}?p=3")
    one_request = client.get(f"{url}?request__id__exact={request.pk}")
    searched = client.get(f"{url}?q=HMIS-")  # both requests' references

    assert (len(counts), "LIMIT 5" in counts[0]) == (1, True)
    assert Event.objects.count() == 6
    assert [e.pk for e in first.context["cl"].result_list] == newest[:2]
    assert [e.pk for e in second.context["cl"].result_list] == newest[2:]
    assert (beyond.status_code, beyond["Location"]) == (302, f"{url}?e=1")
    assert "more than 4 events: these pages show the first 4" in first.content.decode()
    assert ">more than 4 results (<" in searched.content.decode().replace("\n", "")
    shown = request.events.count()
    assert (shown, one_request.context["cl"].paginator.bounded) == (3, False)
    assert f"\n{shown} events\n" in one_request.content.decode()
