"""The queue over a request's whole life (requests_app/core/stages.py): each stage's filter
lists exactly the requests in that stage, the default lists every stage with staff work, "Any"
lists every stage, each row and CSV line names its stage, and the page runs the same number of
queries whatever the stage filter and the number of rows."""

import csv
import datetime
import io
from dataclasses import dataclass

import pytest
from django.db import connection, transaction
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from requests_app.core.stages import Stage, stage_annotation, stage_of, stage_q, work_q
from requests_app.models import AccessRequest, Agreement
from tests.support.journey import Stage as Agreements
from tests.support.journey import staged_journey
from tests.support.pages import parsed

# Every test is a database test, so each runs in a rolled-back savepoint of the module's data.
pytestmark = pytest.mark.django_db

# The queue's queries whatever its filter and size: the count tests/screening/test_views.py
# pins for its default list (the session, the person, the header, the assignee choices, the
# page's keys and rows, the count, CANs and people prefetched).
QUEUE_QUERIES = 10


def renewal_due(agreements):
    """An active MOU ending inside the renewal window (GRANT_RENEWAL_WINDOW_DAYS, 60 days)."""
    agreement = agreements.active()
    ends = timezone.localdate() + datetime.timedelta(days=30)
    Agreement.objects.filter(pk=agreement.pk).update(ends_on=ends)
    return agreement.request


# How a request comes to each stage, through the workflow.
BUILD = {
    Stage.INTAKE: lambda j, a: j.submitted(),
    Stage.SCREENING: lambda j, a: j.screening(),
    Stage.RETURNED: lambda j, a: j.returned(),
    Stage.COMMITTEE: lambda j, a: j.vetting(),
    Stage.ORGANIZATION_SIGNATURE: lambda j, a: a.issued().request,
    Stage.COUNTERSIGNATURE: lambda j, a: a.signed().request,
    Stage.TRAINING: lambda j, a: a.executed().request,
    Stage.ACTIVE: lambda j, a: a.active().request,
    Stage.RENEWAL_DUE: lambda j, a: renewal_due(a),
    Stage.DENIED: lambda j, a: j.denied(),
    Stage.WITHDRAWN: lambda j, a: j.withdrawn(),
    Stage.ENDED: lambda j, a: a.expired().request,
}


@dataclass
class Staged:
    personas: object
    journey: object
    agreements: object
    references: dict  # {Stage: [references]}


def build(journey, agreements, stage):
    return BUILD[stage](journey, agreements).reference


@pytest.fixture(scope="module")
def staged(django_db_setup, django_db_blocker):
    """One request in every stage, a revoked MOU's request too (also ended), and a draft."""
    with django_db_blocker.unblock(), transaction.atomic():
        journey = staged_journey()
        agreements = Agreements(journey, TestCase.captureOnCommitCallbacks)
        # Expiring one MOU expires every MOU active until then: the ended ones come first.
        references = {Stage.ENDED: [build(journey, agreements, Stage.ENDED)]}
        references[Stage.ENDED].append(agreements.revoked().request.reference)
        for stage in Stage:
            if stage != Stage.ENDED:
                references[stage] = [build(journey, agreements, stage)]
        journey.draft()
        yield Staged(journey.p, journey, agreements, references)
        transaction.set_rollback(True)


@pytest.fixture
def staff_client(client, staged):
    client.force_login(staged.personas.sam)
    return client


def rows(response):
    """{reference: (stage, decision clock)} of the queue's rows."""
    assert response.status_code == 200
    body = parsed(response).find("tbody")
    if body is None:
        return {}
    found = {}
    for tr in body.find_all("tr"):
        cells = tr.find_all("td")
        found[cells[0].find("a").text] = (
            cells[2].find("span", cls="stage-name").text,
            cells[3].text,
        )
    return found


def listed(client, **params):
    body = parsed(client.get(reverse("queue"), params)).find("tbody")
    if body is None:
        return set()
    return {tr.find("td").find("a").text for tr in body.find_all("tr")}


def references(staged, stages):
    return {ref for stage in stages for ref in staged.references[stage]}


@pytest.mark.parametrize("stage", list(Stage), ids=[s.value for s in Stage])
def test_each_stage_filter_lists_exactly_the_requests_in_that_stage(staff_client, staged, stage):
    assert listed(staff_client, stage=stage.value) == set(staged.references[stage])


def test_the_queue_lists_every_stage_with_staff_work_by_default_and_any_lists_every_stage(
    staff_client, staged
):
    assert listed(staff_client) == references(staged, Stage.WORK)
    assert listed(staff_client, stage="any") == references(staged, Stage)


def test_every_filter_offers_any_for_no_filter_and_the_sort_has_a_visible_label(staff_client):
    form = parsed(staff_client.get(reverse("queue"))).find("form", method="get")
    selects = {select.attrs["name"]: select for select in form.find_all("select")}
    first = {name: select.find("option").text for name, select in selects.items()}
    labels = {label.attrs["for"]: label.text for label in form.find_all("label")}

    assert first == {
        "stage": "Staff work (every stage but active and closed)",
        "status": "Any",
        "can": "Any",
        "assignee": "Any",
        "researcher": "Any",
        "flagged": "Any",
        "sort": "Longest waiting first",
    }
    assert [o.text for o in selects["stage"].find_all("option")][1:3] == ["Any", "Intake"]
    assert labels["id_sort"] == "Sort by"


def test_each_row_names_its_stage(staff_client, staged):
    shown = rows(staff_client.get(reverse("queue"), {"stage": "any"}))

    assert {ref: stage for ref, (stage, _clock) in shown.items()} == {
        ref: stage.label for stage, refs in staged.references.items() for ref in refs
    }


def test_the_stage_filter_and_the_default_agree_with_stage_of_and_the_annotation(staged):
    """Three ways to say a request's stage, one answer: the filter (stage_q, and work_q for
    the default), the column of a list (stage_annotation) and one request's (stage_of)."""
    today = timezone.localdate()
    seen = AccessRequest.objects.select_related("agreement")
    by_filter = {
        stage: set(seen.filter(stage_q(stage, today)).values_list("reference", flat=True))
        for stage in Stage
    }
    by_annotation = dict(
        seen.annotate(stage=stage_annotation(today)).values_list("reference", "stage")
    )
    by_request = {r.reference: stage_of(r, today) for r in seen}

    assert by_filter == {stage: set(refs) for stage, refs in staged.references.items()}
    assert by_annotation == by_request
    assert {ref: Stage(s) for ref, s in by_annotation.items() if s} == {
        ref: stage for stage, refs in staged.references.items() for ref in refs
    }
    assert set(seen.filter(work_q(today)).values_list("reference", flat=True)) == references(
        staged, Stage.WORK
    )


def test_the_csv_names_each_requests_stage(staff_client, staged):
    response = staff_client.get(reverse("queue_export"), {"stage": "any"})
    lines = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    column = lines[0].index("Stage")

    assert {line[0]: line[column] for line in lines[1:]} == {
        ref: stage.label for stage, refs in staged.references.items() for ref in refs
    }


def more_of_everything(staged):
    """Two more requests in each of several stages, busier than the first."""
    journey, agreements = staged.journey, staged.agreements
    for _ in range(2):
        for stage in (Stage.INTAKE, Stage.COMMITTEE, Stage.COUNTERSIGNATURE, Stage.RENEWAL_DUE):
            BUILD[stage](journey, agreements)
        journey.submitted(cans=[staged.personas.hartford, staged.personas.eastern], people=3)


@pytest.mark.parametrize(
    "filters",
    [{}, {"stage": "any"}, {"stage": "countersignature"}, {"stage": "committee", "q": "harbor"}],
    ids=["default", "any", "countersignature", "committee-searched"],
)
def test_the_queue_runs_the_same_queries_at_two_sizes_whatever_the_stage(
    staff_client, staged, filters
):
    with CaptureQueriesContext(connection) as small:
        small_rows = len(rows(staff_client.get(reverse("queue"), filters)))
    small_count = len(small)
    more_of_everything(staged)
    with CaptureQueriesContext(connection) as large:
        large_rows = len(rows(staff_client.get(reverse("queue"), filters)))

    assert large_rows > small_rows
    assert [small_count, len(large)] == [QUEUE_QUERIES, QUEUE_QUERIES]


def test_the_csv_runs_the_same_queries_at_two_sizes(staff_client, staged):
    def download():
        response = staff_client.get(reverse("queue_export"), {"stage": "any"})
        return len(b"".join(response.streaming_content).splitlines())

    with CaptureQueriesContext(connection) as small:
        small_lines = download()
    small_count = len(small)
    more_of_everything(staged)
    with CaptureQueriesContext(connection) as large:
        large_lines = download()

    assert large_lines > small_lines
    assert len(large) == small_count
