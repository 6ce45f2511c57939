"""The dashboard's page and CSVs: who may open them, the range and its mistakes, the charts'
accessible parts, and a fixed number of queries whatever the data size."""

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from requests_app.audit.models import ReadLogEntry
from requests_app.dashboard.figures import KEYS
from requests_app.models import CAN
from tests.support.pages import parsed, tree

pytestmark = pytest.mark.django_db

DASHBOARD = reverse("dashboard")
# The session, the person, whether they may see it (a CAN leader's CANs: one more for someone
# who is neither staff nor a member), the page's one header query, and one query per figure
# (requests_app/dashboard/figures.py: seven, the decisions' three tables from one).
STAFF_QUERIES = 10
LEADER_QUERIES = 12


@pytest.mark.parametrize("persona", ["sam", "morgan", "casey", "lee", "pat"])
def test_staff_the_committee_and_can_leaders_open_the_dashboard(client, personas, persona):
    client.force_login(personas.by_name(persona))

    assert client.get(DASHBOARD).status_code == 200


@pytest.mark.parametrize("page", [DASHBOARD, reverse("dashboard_export", args=["stages"])])
@pytest.mark.parametrize("persona", ["riley", "quinn", "alex"])
def test_the_dashboard_and_its_csvs_are_refused_to_everyone_else(client, personas, persona, page):
    client.force_login(personas.by_name(persona))

    assert client.get(page).status_code == 403


def test_the_dashboard_sends_anonymous_visitors_to_sign_in(client, db):
    response = client.get(DASHBOARD)

    assert (response.status_code, response["Location"]) == (
        302,
        f"/accounts/login/?next={DASHBOARD}",
    )


@pytest.mark.parametrize(
    ("persona", "linked"),
    [("sam", True), ("morgan", True), ("lee", True), ("riley", False), ("alex", False)],
)
def test_the_navigation_links_the_dashboard_for_those_who_may_open_it(
    client, personas, persona, linked
):
    client.force_login(personas.by_name(persona))

    nav = tree(client.get(reverse("notices"))).find("nav")
    links = [a.attrs["href"] for a in nav.find_all("a")]

    assert (DASHBOARD in links) == linked


def test_every_chart_is_an_image_with_a_title_a_description_a_caption_and_its_table(
    client, personas, journey
):
    journey.submitted()
    client.force_login(personas.sam)

    page = parsed(client.get(DASHBOARD))
    figures = page.find_all("figure")

    assert len(figures) == len(KEYS)
    for figure in figures:
        svg = figure.find("svg")
        title, desc = svg.find("title"), svg.find("desc")
        assert svg.attrs["role"] == "img"
        assert svg.attrs["aria-labelledby"] == f"{title.attrs['id']} {desc.attrs['id']}"
        assert figure.find("figcaption").text != ""
        assert figure.find("table").find("caption").text == title.text
    # The Content-Security-Policy allows no inline style and no script.
    assert [e.tag for e in everything(page) if "style" in e.attrs or e.tag == "script"] == []
    stages = page.find("svg", aria_labelledby="chart-stages-title chart-stages-desc")
    assert stages.find("desc").text.startswith("Intake: 1 requests; Screening: 0 requests;")


def everything(element):
    yield element
    for child in element.children:
        if not isinstance(child, str):
            yield from everything(child)


def test_each_table_downloads_as_csv_over_the_same_range_and_is_recorded_as_read(
    client, personas, journey
):
    journey.submitted()
    client.force_login(personas.sam)
    query = "since=2025-01-01&until=2025-03-31"

    page = parsed(client.get(DASHBOARD + "?" + query))
    links = [a.attrs["href"] for f in page.find_all("figcaption") for a in f.find_all("a")]
    assert links == [reverse("dashboard_export", args=[key]) + "?" + query for key in KEYS]

    response = client.get(links[0])
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        'attachment; filename="hmis-dashboard-stages-2025-01-01-to-2025-03-31.csv"'
    )
    assert rows[:3] == [["Stage", "Requests"], ["Intake", "1"], ["Screening", "0"]]
    entry = ReadLogEntry.objects.get(kind=ReadLogEntry.Kind.CSV_EXPORT)
    assert (entry.reader, entry.subject) == (
        personas.sam,
        f"hmis-dashboard-stages-2025-01-01-to-2025-03-31.csv?{query}",
    )


@pytest.mark.parametrize("key", KEYS)
def test_every_table_has_its_csv(client, personas, key):
    client.force_login(personas.lee)

    response = client.get(reverse("dashboard_export", args=[key]))

    assert (response.status_code, response["Content-Type"]) == (200, "text/csv; charset=utf-8")


def test_a_table_that_does_not_exist_is_not_found(client, personas):
    client.force_login(personas.sam)

    assert client.get(reverse("dashboard_export", args=["nothing"])).status_code == 404


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ({"since": "2025-13-01"}, "since", "Enter a valid date."),
        (
            {"since": "2025-03-01", "until": "2025-02-01"},
            "until",
            "The last day comes on or after the first day.",
        ),
        ({"until": "2999-01-01"}, "until", "Choose today or a day before it"),
        ({"since": "1999-12-31"}, "since", "Choose a day on or after 1 January 2000."),
    ],
)
def test_a_range_that_cannot_be_read_says_why_and_keeps_what_was_typed(
    client, personas, query, field, message
):
    client.force_login(personas.sam)

    response = client.get(DASHBOARD, query)
    page = parsed(response)

    assert response.status_code == 400
    assert message in page.find(id=f"id_{field}_error").text
    for name, value in query.items():
        assert page.find(id=f"id_{name}").attrs["value"] == value
    assert page.find_all("figure") == []
    csv_response = client.get(reverse("dashboard_export", args=["stages"]), query)
    assert csv_response.status_code == 400


def test_the_page_says_whose_requests_it_counts(client, personas):
    client.force_login(personas.lee)

    lead = parsed(client.get(DASHBOARD)).find("p", cls="lead").text

    assert lead == (
        "How the caseload is doing. The figures count requests naming a CAN you lead, "
        "except your own organization's."
    )


# A fixed number of queries whatever the data size.


def _grow(journey, personas, stage):
    central = CAN.objects.get(slug="central")
    cans = [personas.hartford, personas.eastern, central]
    for _ in range(6):
        journey.submitted(cans=cans, people=3)
    led = [personas.hartford]
    journey.vetting(cans=led)
    journey.denied(cans=led)
    journey.withdrawn(cans=cans)
    stage.active(cans=led)
    stage.revoked(cans=[personas.hartford])


@pytest.mark.parametrize(("persona", "expected"), [("sam", STAFF_QUERIES), ("lee", LEADER_QUERIES)])
def test_the_dashboard_runs_as_many_queries_for_many_requests_as_for_one(
    client, journey, personas, stage, django_assert_num_queries, persona, expected
):
    journey.submitted()
    client.force_login(personas.by_name(persona))

    with django_assert_num_queries(expected):
        assert client.get(DASHBOARD).status_code == 200

    _grow(journey, personas, stage)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(DASHBOARD, {"since": "2020-01-01"}).status_code == 200
    assert len(captured.captured_queries) == expected
