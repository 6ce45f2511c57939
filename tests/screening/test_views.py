"""The staff's pages: the queue with its filters, search, sorting, pagination and CSV
export; the request page as staff, CAN leaders and requestors see it; each outcome and comment
posted through the views with its refusals; and the number of SQL queries each page runs, which
must not grow with the number of rows, CANs, people, assessments, comments or events.

Pages are read as a person reads them: the HTML is parsed (html.parser, no extra dependency)
and compared as text, so a test fails when what is shown changes, not when markup moves."""

import csv
import datetime
import io
import re
from collections import Counter

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import dateformat, timezone

from requests_app import policy, workflow
from requests_app.core.states import AccessLevel, Status
from requests_app.models import (
    CAN,
    AccessRequest,
    Assessment,
    CANRecommendation,
    Comment,
    Criterion,
    Decision,
    Event,
)
from requests_app.screening import views as screening_views
from tests.support.clock import days_ago, working_days_ago
from tests.support.factories import (
    AccessRequestFactory,
    MembershipFactory,
    NamedPersonFactory,
    OrganizationFactory,
    RevocationFactory,
    UserFactory,
)
from tests.support.pages import field_name, form_data, pages_of, parsed

FULL, VIEW, REPORTING = AccessLevel.FULL, AccessLevel.VIEW, AccessLevel.REPORTING
MET, NOT_MET = Assessment.Outcome.MET, Assessment.Outcome.NOT_MET
CODES = ["1.1", "1.2", "1.3", "1.4", "1.5", "1.6", "1.7", "1.8", "1.9", "1.10", "2.1", "2.2"]
COMMITTEE = "HMIS Steering Committee sub-committee"
QUEUE_HEADER = [
    "Reference",
    "Organization",
    "CANs",
    "Requested levels",
    "Status",
    "Stage",
    "Decision due",
    "Decision clock",
    "Assignee",
    "In status since",
    "Days in status",
    "Past the threshold",
]


# Reading pages: tests/support/pages.py.


def section(main, heading_id):
    return main.find("section", aria_labelledby=heading_id)


def offered(response, access_request):
    """The forms on the page, by what they post to: "take", "approve", "checklist" ..."""
    prefix = f"/r/{access_request.reference}/"
    return [
        form.attrs["action"].removeprefix(prefix)
        for form in parsed(response).find_all("form")
        if form.attrs["action"].startswith(prefix)
    ]


OUTCOME_FORMS = {"approve", "deny", "escalate", "return"}


def outcome_forms(response, access_request):
    return {action for action in offered(response, access_request) if action in OUTCOME_FORMS}


def form_posting_to(response, access_request, action):
    forms = [
        form
        for form in parsed(response).find_all("form")
        if form.attrs["action"] == f"/r/{access_request.reference}/{action}"
    ]
    assert len(forms) == 1, f"{len(forms)} forms post to {action}"
    return forms[0]


def field_errors(form):
    """The error sentences shown under the fields of `form`."""
    return [
        p.text
        for p in form.find_all("p")
        if p.attrs.get("id", "").startswith("error_") or p.attrs.get("id", "").endswith("_error")
    ]


def typed(form, name):
    """What a text box of `form` holds."""
    return form.find("textarea", name=field_name(form, name)).text


def problems_shown(response):
    """The refusals the page shows in its red alerts, one sentence each."""
    sentences = []
    for alert in parsed(response).find_all(cls="alert-danger"):
        items = alert.find_all("li")
        sentences += [li.text for li in items] if items else [alert.text]
    return sentences


def status_message(response):
    box = parsed(response).find("div", role="status")
    return box.text if box else None


def outcome_cards(response):
    """{heading: card} of the outcome panels."""
    outcomes = section(parsed(response), "outcome-heading")
    if outcomes is None:
        return {}
    return {card.find("h3").text: card for card in outcomes.find_all("div", cls="card")}


def checklist_cards(response):
    """{criterion code: its card} of the screening checklist."""
    checklist = section(parsed(response), "checklist-heading")
    return {
        card.find("h3").text.split(":")[0].split(" ")[0]: card
        for card in checklist.find_all("article")
    }


def comments_in(response, heading_id):
    """[(author, body)] of one list of comments, in the order shown."""
    listed = section(parsed(response), heading_id)
    return [
        (entry.find("p").text.split(",")[0], entry.find("p", cls="mb-0").text)
        for entry in listed.find_all("div", cls="border-start")
    ]


def queue_rows(response):
    """Each row's cells as text; the first is the reference alone (its flags: `row_flags`)."""
    assert response.status_code == 200
    body = parsed(response).find("tbody")
    if body is None:
        return []
    return [
        [tr.find("td").find("a").text] + [td.text for td in tr.find_all("td")[1:]]
        for tr in body.find_all("tr")
    ]


def row_flags(response):
    """{reference: the words that flag its row}, for the flagged rows of the queue."""
    flagged = {}
    for tr in parsed(response).find("tbody").find_all("tr"):
        words = [badge.text for badge in tr.find_all("span", cls="flag")]
        if words:
            flagged[tr.find("td").find("a").text] = words
    return flagged


def listed(client, **params):
    """The references the queue lists for `params`, in order."""
    return [row[0] for row in queue_rows(client.get(reverse("queue"), params))]


def refs(*requests):
    return [r.reference for r in requests]


def shown_at(moment):
    """A moment as the pages print it, in Connecticut's time."""
    return dateformat.format(timezone.localtime(moment), "M j, Y, g:i a")


# Building requests. Status only ever changes through the workflow; only answers, people and
# the time a status was entered are set directly.


def draft_naming(journey, people, organization=None, **answers):
    """A draft naming `people`: [(name, email, level)]; of the personas' organization, or of
    a new organization of the given name, whose requestor is returned with the draft."""
    if organization is None:
        draft, requestor = journey.draft(people=0, **answers), journey.p.riley
    else:
        org = OrganizationFactory(name=organization)
        requestor = MembershipFactory(organization=org).user
        draft = AccessRequestFactory(organization=org, created_by=requestor, people=0, **answers)
    for name, email, level in people:
        NamedPersonFactory(request=draft, name=name, email=email, requested_level=level)
    return draft, requestor


def submitted_naming(journey, people, organization=None, **answers):
    draft, requestor = draft_naming(journey, people, organization, **answers)
    return workflow.submit(draft, requestor)


def submitted_by(name, **answers):
    """A submitted request of a new organization called `name`."""
    org = OrganizationFactory(name=name)
    requestor = MembershipFactory(organization=org).user
    draft = AccessRequestFactory(organization=org, created_by=requestor, **answers)
    return workflow.submit(draft, requestor)


def screened(journey, request, staff=None):
    """Take `request` (submitted) and assess every criterion as passing."""
    staff = staff or journey.p.sam
    return journey.assess_all(workflow.start_screening(request, staff))


def denied_citing(journey, request, *codes):
    """Take `request` (submitted) through screening to a denial citing `codes`."""
    screening = workflow.start_screening(request, journey.p.sam)
    journey.assess_all(screening, failing=codes)
    cited = [criterion(code) for code in codes]
    return workflow.deny(screening, journey.p.sam, cited, "See the criteria cited.")


def criterion(code):
    return Criterion.objects.get(code=code, policy_version=policy.POLICY_VERSION)


def other_staff(name="Jo Staff"):
    return UserFactory(name=name, is_cceh_staff=True)


def long_day(day):
    """A date as the pages print it: "Dec 11, 2026"."""
    return dateformat.format(day, "M j, Y")


def in_status_since(request, moment):
    # Only the status is protected; when it was entered may be set to stage a waiting time.
    AccessRequest.objects.filter(pk=request.pk).update(status_changed_at=moment)
    request.refresh_from_db()
    return request


@pytest.fixture
def staff_client(client, personas):
    client.force_login(personas.sam)
    return client


# The queue: what it lists by default.


def test_the_queue_lists_staff_work_oldest_status_first_and_never_drafts_or_closed_ones(
    staff_client, journey
):
    vetting, submitted = journey.vetting(), journey.submitted()
    returned, screening = journey.returned(), journey.screening()
    # Approved, its MOU waiting for the organization's signature: still work to follow.
    approved = journey.approved()
    closed = [journey.draft(), journey.denied(), journey.withdrawn()]
    for days, request in enumerate([screening, returned, submitted, vetting, approved], start=1):
        in_status_since(request, days_ago(days))
    # Closed requests waiting longest would come first if they leaked into the list.
    for request in closed:
        in_status_since(request, days_ago(30))

    assert listed(staff_client) == refs(approved, vetting, submitted, returned, screening)


def test_each_status_filter_lists_only_that_status_including_decided_and_withdrawn(
    staff_client, journey
):
    requests = {
        status: journey.at(status)
        for status in [
            Status.DRAFT,
            Status.SUBMITTED,
            Status.SCREENING,
            Status.RETURNED,
            Status.VETTING,
            Status.APPROVED,
            Status.DENIED,
            Status.WITHDRAWN,
        ]
    }
    choices = [s for s in requests if s != Status.DRAFT]

    assert {status: listed(staff_client, status=status) for status in choices} == {
        status: [requests[status].reference] for status in choices
    }


def test_asking_the_queue_for_drafts_shows_the_open_requests_and_no_draft(staff_client, journey):
    journey.draft()
    submitted = journey.submitted()

    assert listed(staff_client, status=Status.DRAFT) == refs(submitted)


def test_the_can_filter_lists_requests_naming_that_can(staff_client, journey, personas):
    hartford = journey.submitted(cans=[personas.hartford])
    eastern = journey.submitted(cans=[personas.eastern])
    both = journey.submitted(cans=[personas.hartford, personas.eastern])
    journey.submitted(cans=[])  # statewide: names no CAN
    central = CAN.objects.get(slug="central")

    assert {
        "hartford": listed(staff_client, can=personas.hartford.pk),
        "eastern": listed(staff_client, can=personas.eastern.pk),
        "central": listed(staff_client, can=central.pk),
    } == {
        "hartford": refs(hartford, both),
        "eastern": refs(eastern, both),
        "central": [],
    }


def test_a_filter_nothing_matches_says_so(staff_client, journey):
    journey.submitted(cans=[])
    central = CAN.objects.get(slug="central")

    response = staff_client.get(reverse("queue"), {"can": central.pk})

    assert queue_rows(response) == []
    assert parsed(response).find("p", cls="empty-state").text == (
        "No request matches these filters."
    )


def test_the_assignee_filter_finds_mine_nobodys_and_a_named_staff_members(
    staff_client, journey, personas
):
    jo = other_staff()
    unassigned = journey.submitted()
    sams = journey.screening()
    sams_returned = journey.returned()  # returning keeps the assignee
    jos = workflow.start_screening(journey.submitted(), jo)

    assert {
        "mine": listed(staff_client, assignee="mine"),
        "unassigned": listed(staff_client, assignee="unassigned"),
        "jo": listed(staff_client, assignee=jo.pk),
        "sam": listed(staff_client, assignee=personas.sam.pk),
    } == {
        "mine": refs(sams, sams_returned),
        "unassigned": refs(unassigned),
        "jo": refs(jos),
        "sam": refs(sams, sams_returned),
    }


def test_the_researcher_filter_separates_researchers_from_the_others(staff_client, journey):
    researcher = journey.submitted(is_researcher=True, aggregated_data_sufficient=True)
    other = journey.submitted(is_researcher=False)

    assert {
        "yes": listed(staff_client, researcher="true"),
        "no": listed(staff_client, researcher="false"),
    } == {"yes": refs(researcher), "no": refs(other)}


def test_search_finds_a_reference_an_organization_or_a_named_person_whatever_the_case(
    staff_client, journey
):
    reyes = submitted_naming(
        journey,
        [
            ("Dana Reyes", "dana.reyes@example.org", FULL),
            ("Luis Reyes", "lreyes@example.org", VIEW),
        ],
    )
    elm = submitted_naming(
        journey,
        [("Kim Park", "kim.park@elmclinic.org", FULL)],
        organization="Elm Street Clinic",
    )
    lopez = submitted_naming(journey, [("Ana Lopez", "alopez@county.gov", REPORTING)])
    # A draft naming the same person is never found: staff do not see drafts.
    draft_naming(journey, [("Dana Reyes", "dana.reyes@example.org", FULL)])
    queries = {
        elm.reference: refs(elm),
        elm.reference.lower(): refs(elm),
        "elm street": refs(elm),
        "HARBOR": refs(reyes, lopez),
        # Two people match: the request is listed once.
        "reyes": refs(reyes),
        "Kim Park": refs(elm),
        "ALOPEZ@COUNTY": refs(lopez),
        "county.gov": refs(lopez),
        # The contact is not a named person: not searched.
        "Jamie Contact": [],
        "nobody at all": [],
    }

    assert {q: listed(staff_client, q=q) for q in queries} == queries


def test_a_search_shorter_than_three_characters_says_so_and_keeps_what_was_typed(
    staff_client, journey
):
    journey.submitted()

    page = parsed(staff_client.get(reverse("queue"), {"q": "ar"}))

    form = page.find("form", cls="queue-filters")
    assert field_errors(form) == ["Type at least 3 characters to search."]
    assert form.find("input", name="q").attrs["value"] == "ar"


@pytest.fixture
def three_to_sort(journey):
    """Three requests that each sort order puts in a different order: created X, Y, Z."""
    avery, blake, drew = (other_staff(n) for n in ("Avery Staff", "Blake Staff", "Drew Staff"))
    x = workflow.start_screening(submitted_by("Cedar Services"), avery)
    y = workflow.escalate(
        workflow.start_screening(submitted_by("Alder Clinic"), drew), drew, "Unclear."
    )
    z = workflow.return_for_information(
        workflow.start_screening(submitted_by("Birch Housing"), blake), blake, "Who?"
    )
    in_status_since(y, days_ago(3))
    in_status_since(x, days_ago(2))
    in_status_since(z, days_ago(1))
    return x, y, z


@pytest.mark.parametrize(
    ("sort", "order"),
    [
        ("reference", "XYZ"),
        ("organization", "YZX"),  # Alder, Birch, Cedar
        ("status", "ZXY"),  # returned, screening, vetting
        ("assignee", "XZY"),  # Avery, Blake, Drew
        ("waiting", "YXZ"),  # in their status for 3, 2, 1 days
    ],
)
def test_each_sort_orders_the_queue_and_a_minus_reverses_it(
    staff_client, three_to_sort, sort, order
):
    named = dict(zip("XYZ", three_to_sort, strict=True))
    expected = refs(*(named[letter] for letter in order))

    assert {
        sort: listed(staff_client, sort=sort),
        f"-{sort}": listed(staff_client, sort=f"-{sort}"),
    } == {sort: expected, f"-{sort}": expected[::-1]}


def waiting_in_turn(requests):
    """Each request in its status a day less than the one before: the queue lists them in
    this order, the longest waiting first."""
    for days, request in enumerate(reversed(requests), start=1):
        in_status_since(request, days_ago(days))
    return requests


def pages_read(response):
    """(the references listed, where the page is in words, its links' texts)."""
    nav = pages_of(response)
    return [row[0] for row in queue_rows(response)], nav[0], list(nav[1])


# The columns of the answers: text the queue never shows, so never reads.
ANSWERS = [
    f'"{field.column}"'
    for field in AccessRequest._meta.concrete_fields
    if field.get_internal_type() == "TextField"
]


def test_the_queue_pages_25_requests_at_a_time_each_page_as_cheap_as_the_first(
    staff_client, journey
):
    requests = waiting_in_turn([journey.submitted() for _ in range(60)])

    with CaptureQueriesContext(connection) as queries:
        first = staff_client.get(reverse("queue"))
    # Read now: the next request empties the connection's log that `queries` reads from.
    reading_rows = [
        q["sql"]
        for q in queries.captured_queries
        if 'FROM "requests_app_accessrequest"' in q["sql"] and "COUNT(" not in q["sql"]
    ]
    costs = [len(queries)]
    pages = [first]
    for link in ("Next", "Next", "Previous", "First"):
        with CaptureQueriesContext(connection) as queries:
            pages.append(staff_client.get(pages_of(pages[-1])[1][link]))
        costs.append(len(queries))

    assert [pages_read(page) for page in pages] == [
        (refs(*requests[:25]), "Requests 1 to 25 of 60", ["Next"]),
        (refs(*requests[25:50]), "Requests 26 to 50 of 60", ["First", "Previous", "Next"]),
        (refs(*requests[50:]), "Requests 51 to 60 of 60", ["First", "Previous"]),
        (refs(*requests[25:50]), "Requests 26 to 50 of 60", ["First", "Previous", "Next"]),
        (refs(*requests[:25]), "Requests 1 to 25 of 60", ["Next"]),
    ]
    assert [parsed(page).find("p", aria_live="polite").text for page in pages] == [
        "60 requests found."
    ] * 5
    # A deep page costs what the first does.
    assert costs == [QUEUE_QUERIES] * 5
    # The rows' keys are read 25 at a time (and one more, to know whether there is a next
    # page), never the whole list; then those rows by key, without the answers' columns.
    keys, rows = reading_rows
    assert keys.endswith("LIMIT 26")
    assert '"requests_app_accessrequest"."id" IN (' in rows
    assert [column for column in ANSWERS if column in rows] == []


def test_a_can_filter_and_a_search_survive_next_and_previous(
    staff_client, journey, personas, monkeypatch
):
    monkeypatch.setattr(screening_views, "QUEUE_PAGE_SIZE", 2)
    wanted = waiting_in_turn(
        [
            submitted_naming(
                journey,
                [(f"Dana Reyes {n}", f"dana{n}@example.org", FULL)],
                cans=[personas.hartford],
            )
            for n in range(5)
        ]
    )
    # Each would be listed but for one of the two: another CAN, or nobody named Reyes.
    submitted_naming(journey, [("Dana Reyes", "d@example.org", FULL)], cans=[personas.eastern])
    submitted_naming(journey, [("Kim Park", "kim@example.org", FULL)], cans=[personas.hartford])
    filters = {"can": str(personas.hartford.pk), "q": "reyes"}

    first = staff_client.get(reverse("queue"), filters)
    second = staff_client.get(pages_of(first)[1]["Next"])
    back = staff_client.get(pages_of(second)[1]["Previous"])

    assert [pages_read(page) for page in (first, second, back)] == [
        (refs(*wanted[:2]), "Requests 1 to 2 of 5", ["Next"]),
        (refs(*wanted[2:4]), "Requests 3 to 4 of 5", ["First", "Previous", "Next"]),
        (refs(*wanted[:2]), "Requests 1 to 2 of 5", ["Next"]),
    ]
    for page in (second, back):
        assert {k: page.wsgi_request.GET[k] for k in filters} == filters
    # The filters' form shows them, and the CSV link carries them, on every page.
    assert [
        parsed(page).find("input", name="q").attrs["value"] for page in (first, second, back)
    ] == ["reyes"] * 3
    assert parsed(second).find("a", cls="btn-outline-primary").attrs["href"] == (
        f"{reverse('queue_export')}?can={personas.hartford.pk}&q=reyes"
    )


@pytest.fixture
def seven_to_page(journey, personas):
    """Seven open requests with ties in every column the queue sorts by, and two unassigned."""
    avery, blake = other_staff("Avery Staff"), other_staff("Blake Staff")
    organizations = {
        name: OrganizationFactory(name=name)
        for name in ("Cedar Services", "Alder Clinic", "Birch Housing")
    }
    made = []
    for n, (name, staff) in enumerate(
        [
            ("Cedar Services", avery),
            ("Alder Clinic", None),
            ("Cedar Services", blake),
            ("Birch Housing", avery),
            ("Alder Clinic", blake),
            ("Birch Housing", None),
            ("Cedar Services", avery),
        ]
    ):
        organization = organizations[name]
        requestor = MembershipFactory(organization=organization).user
        request = workflow.submit(
            AccessRequestFactory(organization=organization, created_by=requestor), requestor
        )
        if staff is not None:
            request = workflow.start_screening(request, staff)
        if n == 4:
            request = workflow.return_for_information(request, staff, "Who?")
        made.append(in_status_since(request, days_ago(n % 3)))
    return made


@pytest.mark.parametrize(
    "sort",
    [
        "reference",
        "organization",
        "status",
        "assignee",
        "waiting",
        *(f"-{s}" for s in ("reference", "organization", "status", "assignee", "waiting")),
    ],
)
def test_each_sort_pages_exactly_as_it_orders_and_back(
    staff_client, seven_to_page, monkeypatch, sort
):
    whole = listed(staff_client, sort=sort)
    monkeypatch.setattr(screening_views, "QUEUE_PAGE_SIZE", 3)

    pages = [staff_client.get(reverse("queue"), {"sort": sort})]
    while "Next" in pages_of(pages[-1])[1]:
        pages.append(staff_client.get(pages_of(pages[-1])[1]["Next"]))
    back = [pages[-1]]
    while "Previous" in pages_of(back[-1])[1]:
        back.append(staff_client.get(pages_of(back[-1])[1]["Previous"]))
    read = [[row[0] for row in queue_rows(page)] for page in pages]

    assert len(whole) == 7
    assert read == [whole[0:3], whole[3:6], whole[6:7]]
    assert [[row[0] for row in queue_rows(page)] for page in back[::-1]] == read
    assert [pages_of(page)[0] for page in pages] == [
        "Requests 1 to 3 of 7",
        "Requests 4 to 6 of 7",
        "Request 7 of 7",
    ]
    # Sorting again starts at the first page: the headers' links hold no cursor.
    header = parsed(pages[1]).find("thead").find_all("a")
    assert [a for a in header if "after=" in a.attrs["href"]] == []


@pytest.mark.parametrize(
    "cursor",
    ["after=nonsense", "before=%00", "after=W10:bad", "after=1&before=2", "page=2"],
)
def test_a_malformed_cursor_gives_the_queues_first_page(staff_client, journey, monkeypatch, cursor):
    monkeypatch.setattr(screening_views, "QUEUE_PAGE_SIZE", 2)
    requests = waiting_in_turn([journey.submitted() for _ in range(3)])

    response = staff_client.get(f"{reverse('queue')}?{cursor}")

    assert pages_read(response) == (refs(*requests[:2]), "Requests 1 to 2 of 3", ["Next"])


def test_the_waiting_too_long_badge_starts_at_10_working_days(staff_client, journey):
    ten = in_status_since(journey.submitted(cans=[]), working_days_ago(10))
    nine = in_status_since(journey.submitted(cans=[]), working_days_ago(9))
    today = timezone.localdate()
    calendar_days = {
        r.reference: (today - timezone.localtime(r.status_changed_at).date()).days
        for r in (ten, nine)
    }

    response = staff_client.get(reverse("queue"))

    assert [(row[0], row[7]) for row in queue_rows(response)] == [
        (ten.reference, f"{calendar_days[ten.reference]}"),
        (nine.reference, f"{calendar_days[nine.reference]}"),
    ]
    assert row_flags(response) == {ten.reference: ["Waiting too long"]}


def test_a_queue_row_shows_the_scope_the_levels_the_status_and_the_assignee(
    staff_client, journey, personas
):
    request = workflow.start_screening(
        submitted_naming(
            journey,
            [("Dana Reyes", "dana@example.org", FULL), ("Kim Park", "kim@example.org", VIEW)],
            cans=[personas.hartford, personas.eastern],
        ),
        personas.sam,
    )
    statewide = submitted_naming(journey, [("Ana Lopez", "ana@example.org", REPORTING)], cans=[])
    in_status_since(request, days_ago(3))
    in_status_since(statewide, days_ago(0))
    # Submitted 3 working days ago: 7 of CCEH's 10 working days are left.
    AccessRequest.objects.filter(pk=request.pk).update(submitted_at=working_days_ago(3))
    due = {
        r.reference: policy.deadline(AccessRequest.objects.get(pk=r.pk)).due
        for r in (request, statewide)
    }

    assert queue_rows(staff_client.get(reverse("queue"))) == [
        [
            request.reference,
            "Harbor Health Partners",
            "Screening",
            f"Due in 7 working days by {long_day(due[request.reference])}",
            "Eastern, Greater Hartford",
            "Dana Reyes: Full access Kim Park: View only",
            "Sam Staff",
            "3",
        ],
        [
            statewide.reference,
            "Harbor Health Partners",
            "Intake",
            f"Due in 10 working days by {long_day(due[statewide.reference])}",
            "Statewide",
            "Ana Lopez: Reporting only",
            "Nobody",
            "0",
        ],
    ]


# The queue as CSV.


def exported(client, **params):
    response = client.get(reverse("queue_export"), params)
    assert response.status_code == 200
    content = b"".join(response.streaming_content).decode()
    return response, list(csv.reader(io.StringIO(content)))


def test_the_csv_export_has_one_row_per_request_in_the_filtered_queue(
    staff_client, journey, personas
):
    late = workflow.start_screening(
        submitted_naming(
            journey,
            [("Dana Reyes", "dana@example.org", FULL), ("Kim Park", "kim@example.org", VIEW)],
            cans=[personas.hartford, personas.eastern],
        ),
        personas.sam,
    )
    recent = submitted_naming(
        journey, [("Ana Lopez", "ana@example.org", REPORTING)], "Elm Street Clinic"
    )
    journey.draft()
    in_status_since(late, working_days_ago(12))
    in_status_since(recent, days_ago(1))
    AccessRequest.objects.filter(pk=late.pk).update(submitted_at=working_days_ago(12))
    due = {
        r.reference: policy.deadline(AccessRequest.objects.get(pk=r.pk)).due for r in (late, recent)
    }
    today = timezone.localdate()
    late_day = timezone.localtime(late.status_changed_at).date()
    recent_day = today - datetime.timedelta(days=1)
    late_row = [
        late.reference,
        "Harbor Health Partners",
        "Eastern; Greater Hartford",
        "Dana Reyes: Full access; Kim Park: View only",
        "In screening",
        "Screening",
        f"{due[late.reference]:%Y-%m-%d}",
        "2 working days overdue",
        "Sam Staff",
        f"{late_day:%Y-%m-%d}",
        str((today - late_day).days),
        "yes",
    ]
    recent_row = [
        recent.reference,
        "Elm Street Clinic",
        "Statewide",
        "Ana Lopez: Reporting only",
        "Submitted",
        "Intake",
        f"{due[recent.reference]:%Y-%m-%d}",
        "Due in 10 working days",
        "",
        f"{recent_day:%Y-%m-%d}",
        "1",
        "no",
    ]

    response, everything = exported(staff_client)
    _, screening = exported(staff_client, status=Status.SCREENING)
    _, sorted_by_org = exported(staff_client, sort="organization")

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="hmis-queue-{today}.csv"'
    assert everything == [QUEUE_HEADER, late_row, recent_row]
    assert screening == [QUEUE_HEADER, late_row]
    assert sorted_by_org == [QUEUE_HEADER, recent_row, late_row]  # Elm Street before Harbor


def test_the_queue_links_its_export_with_the_same_filters(staff_client):
    response = staff_client.get(reverse("queue"), {"status": "screening", "q": "Harbor"})
    links = [a.attrs["href"] for a in parsed(response).find_all("a") if "export" in a.attrs["href"]]

    assert links == ["/queue/export.csv?status=screening&q=Harbor"]


@pytest.mark.parametrize("page", ["queue", "queue_export"])
@pytest.mark.parametrize("persona", ["riley", "quinn", "morgan", "casey", "lee", "pat", "alex"])
def test_the_queue_and_its_export_are_refused_to_everyone_but_staff(
    client, personas, page, persona
):
    client.force_login(personas.by_name(persona))

    assert client.get(reverse(page)).status_code == 403


@pytest.mark.parametrize("page", ["queue", "queue_export"])
def test_the_queue_and_its_export_send_anonymous_visitors_to_sign_in(client, db, page):
    response = client.get(reverse(page))

    assert (response.status_code, response["Location"]) == (
        302,
        f"/accounts/login/?next={reverse(page)}",
    )


# The flagged filter: a database condition that must agree with policy.suggestions.


def flagged_in_queue(client, flagged):
    """Every request the queue lists as flagged (or not), whatever its status."""
    return set(listed(client, stage="any", flagged=flagged))


def raises_a_concern(request):
    return any(s.concern for s in policy.suggestions(request))


def test_the_flagged_filter_agrees_with_the_suggestions_staff_see(staff_client, journey, personas):
    of_revoked_org = submitted_by("Revoked Org")
    RevocationFactory(organization=of_revoked_org.organization, recorded_by=personas.sam)
    RevocationFactory(person_email="Revoked.Person@example.org", recorded_by=personas.sam)
    abused = denied_citing(journey, submitted_by("Abuse Denied Org"), "2.2")
    person_abused = denied_citing(
        journey,
        submitted_naming(
            journey, [("Sol Risk", "sol.risk@example.org", FULL)], organization="Pine Org"
        ),
        "2.2",
    )
    flagged = {
        "one-time": journey.submitted(need_type=AccessRequest.NeedType.ONE_TIME),
        "identified data": journey.submitted(
            is_researcher=True,
            aggregated_data_sufficient=False,
            identified_data_justification="Matching records.",
        ),
        "says revoked": journey.submitted(had_prior_access=True, prior_access_revoked=True),
        "organization revoked": of_revoked_org,
        "person revoked": submitted_naming(
            journey, [("Rae Voked", "revoked.person@example.org", VIEW)]
        ),
        "organization denied for abuse": workflow.submit(
            AccessRequestFactory(organization=abused.organization, created_by=abused.created_by),
            abused.created_by,
        ),
        "person denied for abuse": submitted_naming(
            journey, [("Sol Risk", "Sol.Risk@example.org", FULL)], organization="Oak Org"
        ),
        "decided and one-time": journey.denied(need_type=AccessRequest.NeedType.ONE_TIME),
    }
    clear = {
        "plain": journey.submitted(),
        "names a CAN (a reminder, not a concern)": journey.screening(cans=[personas.hartford]),
        "researcher content with aggregated data": journey.submitted(
            is_researcher=True, aggregated_data_sufficient=True
        ),
        "earlier access not revoked": journey.submitted(
            had_prior_access=True, prior_access_revoked=False
        ),
        # Denied for one-time need (2.1): says nothing of the organization's standing.
        "harbor denied for 2.1": journey.denied(),
        "the abuse denial itself": abused,
        "the person's abuse denial itself": person_abused,
        "withdrawn": journey.withdrawn(),
    }
    # The suggestions themselves say which requests raise a concern: the test's premise.
    assert {name: raises_a_concern(r) for name, r in {**flagged, **clear}.items()} == {
        **dict.fromkeys(flagged, True),
        **dict.fromkeys(clear, False),
    }
    seen_by_staff = AccessRequest.objects.exclude(status=Status.DRAFT)

    assert flagged_in_queue(staff_client, "true") == {
        r.reference for r in seen_by_staff if raises_a_concern(r)
    }
    assert flagged_in_queue(staff_client, "false") == {
        r.reference for r in seen_by_staff if not raises_a_concern(r)
    }


def test_two_abuse_denials_naming_the_same_person_flag_each_other_in_the_queue_too(
    staff_client, journey
):
    # Each denial is an earlier denial for possible abuse naming a person the other names:
    # the suggestions flag both, so the flagged filter must list both.
    first = denied_citing(
        journey,
        submitted_naming(journey, [("Sol Risk", "sol@example.org", FULL)], "Pine Org"),
        "2.2",
    )
    second = denied_citing(
        journey,
        submitted_naming(journey, [("Sol Risk", "sol@example.org", FULL)], "Oak Org"),
        "2.2",
    )
    assert [raises_a_concern(first), raises_a_concern(second)] == [True, True]

    assert set(listed(staff_client, status=Status.DENIED, flagged="true")) == {
        first.reference,
        second.reference,
    }


# The request page, as staff see it.


def test_the_request_page_shows_staff_every_answer(staff_client, journey, personas):
    request = submitted_naming(
        journey,
        [
            ("Dana Reyes", "dana.reyes@example.org", FULL),
            ("Kim Park", "kim.park@example.org", VIEW),
        ],
        cans=[personas.hartford, personas.eastern],
        contact_phone="860-555-0100",
        usage_frequency="Weekly",
        is_researcher=True,
        aggregated_data_sufficient=False,
        identified_data_justification="Matching to hospital discharge records.",
        had_prior_access=True,
        prior_access_details="2019 to 2021, under a pilot.",
        prior_access_revoked=False,
    )
    answers = section(parsed(staff_client.get(request.get_absolute_url())), "answers-heading")
    terms = [dt.text for dt in answers.find_all("dt")]
    descriptions = [dd.text for dd in answers.find_all("dd")]

    assert dict(zip(terms, descriptions, strict=True)) == {
        "Organization": "Harbor Health Partners (Nonprofit) 1 Main Street, Hartford, CT 06103",
        "Program or department, and contact (3.3)": (
            "Medical respite Jamie Contact, jamie@example.org, 860-555-0100"
        ),
        "People who will use HMIS (3.3, 1.6)": (
            "Dana Reyes, Analyst (dana.reyes@example.org): Full access "
            "Kim Park, Analyst (kim.park@example.org): View only"
        ),
        "Scope (1.5, 4.2)": "Eastern, Greater Hartford",
        "Purpose (3.1)": "Coordinate discharge planning.",
        "How access contributes to ending homelessness (3.2, 1.8)": (
            "Fewer discharges to the street."
        ),
        "Why existing reporting does not meet the need (1.1)": (
            "Published reports are aggregate and monthly."
        ),
        "Ongoing or one-time, and how often (1.2, 2.1)": "Ongoing; Weekly",
        "Funding requirement or provider it relates to (1.3)": "State-funded respite contract.",
        "Working relationship with people experiencing homelessness (1.4)": (
            "We serve 300 people a year."
        ),
        "Research (1.9)": (
            "A researcher. Asks for identified data: Matching to hospital discharge records."
        ),
        "Earlier HMIS access (1.10)": "Had access before. 2019 to 2021, under a pilot.",
        "Attestations (1.7)": (
            "Every named person will complete HMIS training. The answers are accurate."
        ),
    }


def test_the_checklist_shows_the_12_criteria_in_the_policys_words(staff_client, journey):
    request = journey.screening()
    cards = checklist_cards(staff_client.get(request.get_absolute_url()))
    texts = {code: card.find("p", cls="criterion-text").text for code, card in cards.items()}

    assert list(cards) == CODES
    assert [card.find("h3").text for card in cards.values()] == [
        *(f"{code}: Not assessed" for code in CODES[:10]),
        "2.1 (disqualifier): Not assessed",
        "2.2 (disqualifier): Not assessed",
    ]
    assert texts == {c.code: c.text for c in Criterion.objects.order_by("order")}
    assert texts["1.2"] == (
        "The request must be for on-going access. One-time access will not be considered."
    )
    assert texts["2.1"] == "Requesting one-time access only."


def test_a_one_time_request_shows_its_suggestion_next_to_2_1(staff_client, journey, personas):
    request = journey.screening(need_type=AccessRequest.NeedType.ONE_TIME, cans=[personas.hartford])
    cards = checklist_cards(staff_client.get(request.get_absolute_url()))
    notes = {
        code: [p.text for p in card.find_all("p", cls="alert")]
        for code, card in cards.items()
        if card.find_all("p", cls="alert")
    }

    assert notes == {
        "1.5": [
            "Reminder: It names Greater Hartford: their leadership is to be informed and "
            "involved (1.5, 4.2)."
        ],
        "2.1": ["Suggestion: The requestor says the need is one-time only."],
    }


@pytest.mark.parametrize(
    ("state", "take", "checklist_forms"),
    [
        ("submitted", True, 0),
        ("screening", False, 1),
        ("returned", False, 0),
        ("vetting", False, 0),
        ("approved", False, 0),
    ],
)
def test_take_appears_only_when_submitted_and_the_checklist_forms_only_in_screening(
    staff_client, journey, state, take, checklist_forms
):
    request = getattr(journey, state)()
    response = staff_client.get(request.get_absolute_url())
    forms = offered(response, request)

    assert {
        "take": "take" in forms,
        "button": "Take it for screening" in parsed(response).text,
        "checklist forms": forms.count("checklist"),
    } == {"take": take, "button": take, "checklist forms": checklist_forms}


@pytest.mark.parametrize(
    ("state", "forms", "cards"),
    [
        ("submitted", {"return"}, ["Return for information"]),
        (
            "screening",
            {"escalate", "return"},
            ["Approve", "Deny", f"Escalate to the {COMMITTEE}", "Return for information"],
        ),
        (
            "ready_to_approve",
            {"approve", "escalate", "return"},
            ["Approve", "Deny", f"Escalate to the {COMMITTEE}", "Return for information"],
        ),
        (
            "ready_to_deny",
            {"deny", "escalate", "return"},
            ["Approve", "Deny", f"Escalate to the {COMMITTEE}", "Return for information"],
        ),
        ("returned", set(), []),
        ("vetting", {"return"}, ["Return for information"]),
        ("approved", set(), []),
        ("denied", set(), []),
    ],
)
def test_each_outcome_form_appears_only_where_the_workflow_allows_it(
    staff_client, journey, state, forms, cards
):
    request = getattr(journey, state)()
    response = staff_client.get(request.get_absolute_url())

    assert outcome_forms(response, request) == forms
    assert list(outcome_cards(response)) == cards


def test_an_unassessed_request_says_in_words_why_it_cannot_be_approved_or_denied(
    staff_client, journey
):
    request = journey.screening()
    response = staff_client.get(request.get_absolute_url())
    cards = outcome_cards(response)

    # Beside each choice of the outcome panel, in short; under it, every reason.
    assert {
        span.attrs["id"]: span.text for span in parsed(response).find_all(cls="outcome-blocked")
    } == {
        "outcome-blocked-approve": (
            "Not possible yet: 1.1 is not assessed yet. (11 more reasons when chosen)"
        ),
        "outcome-blocked-deny": (
            "Not possible yet: No criterion is assessed as unmet and no disqualifier as "
            "applying, so there is nothing to cite for a denial."
        ),
    }
    assert [li.text for li in cards["Approve"].find_all("li")] == [
        f"{code} is not assessed yet." for code in CODES
    ]
    assert cards["Approve"].find("button") is None
    assert [li.text for li in cards["Deny"].find_all("li")] == [
        "No criterion is assessed as unmet and no disqualifier as applying, so there is "
        "nothing to cite for a denial."
    ]
    assert cards["Deny"].find("button") is None


def test_a_partly_assessed_request_lists_each_criterion_that_blocks_approval(
    staff_client, journey, personas
):
    request = journey.screening()
    outcomes = {"1.1": Assessment.Outcome.UNCLEAR, "2.1": MET}
    for c in Criterion.objects.exclude(code="1.3"):
        passing = NOT_MET if c.is_disqualifier else MET
        workflow.assess_criterion(request, personas.sam, c, outcomes.get(c.code, passing))
    cards = outcome_cards(staff_client.get(request.get_absolute_url()))

    assert [li.text for li in cards["Approve"].find_all("li")] == [
        "1.1 is assessed as unclear.",
        "1.3 is not assessed yet.",
        "2.1 applies, and it prevents granting access.",
    ]
    assert cards["Approve"].find("form") is None


def test_the_deny_form_offers_only_the_failing_criteria(staff_client, journey):
    request = journey.ready_to_deny()
    form = form_posting_to(staff_client.get(request.get_absolute_url()), request, "deny")

    assert [label.text for label in form.find_all("label", cls="form-check-label")] == [
        "2.1 One-time access only"
    ]


def test_a_requestor_sees_no_checklist_no_internal_comments_and_no_outcomes(
    client, journey, personas
):
    request = journey.screening()
    workflow.add_comment(request, personas.sam, "Looks like a one-off.")
    workflow.add_comment(request, personas.sam, "Please send the IRB letter.", "requestor")
    client.force_login(personas.riley)
    response = client.get(request.get_absolute_url())
    main = parsed(response)

    assert response.status_code == 200
    assert [
        section(main, heading) is None
        for heading in ("checklist-heading", "outcome-heading", "internal-heading")
    ] == [True, True, True]
    assert main.find("p", cls="criterion-text") is None
    assert offered(response, request) == ["message"]
    assert "Looks like a one-off." not in response.content.decode()
    assert comments_in(response, "messages-heading") == [
        ("Sam Staff", "Please send the IRB letter.")
    ]


# Each side names the other: the requesting organization writes to CCEH, staff to the requestor.
# (persona, the messages' heading, the message box's label with its required star; None: no box,
# as they write none).
MESSAGES_WORDING = [
    ("riley", "Messages with CCEH", "Message to CCEH staff*"),
    ("sam", "Messages with the requestor", "Message to the requestor*"),
    ("lee", "Messages with the requestor", None),
]


@pytest.mark.parametrize(("persona", "heading", "label"), MESSAGES_WORDING)
def test_the_messages_are_named_for_who_reads_the_page(
    client, journey, personas, persona, heading, label
):
    request = journey.screening(cans=[personas.hartford])
    client.force_login(personas.by_name(persona))

    messages = section(parsed(client.get(request.get_absolute_url())), "messages-heading")

    assert messages.find("h2").text == heading
    box = messages.find("label", for_="id_message-body")
    assert (None if box is None else box.text) == label


@pytest.mark.parametrize(
    ("persona", "label"),
    [("riley", "Message to CCEH staff*"), ("sam", "Message to the requestor*")],
)
def test_an_empty_message_comes_back_with_the_same_words(client, journey, personas, persona, label):
    request = journey.screening()
    client.force_login(personas.by_name(persona))

    response = client.post(
        reverse("message", args=[request.reference]), form_data("message", {"body": ""})
    )

    assert response.status_code == 400
    messages = section(parsed(response), "messages-heading")
    assert messages.find("label", for_="id_message-body").text == label


# Each outcome through the views.


def test_taking_a_request_assigns_it_and_starts_screening(staff_client, journey, personas):
    request = journey.submitted()

    response = staff_client.post(reverse("take", args=[request.reference]))

    assert (response.status_code, response["Location"]) == (302, request.get_absolute_url())
    request.refresh_from_db()
    assert (request.status, request.assignee) == (Status.SCREENING, personas.sam)
    assert status_message(staff_client.get(response["Location"])) == (
        f"You took {request.reference} for screening."
    )


def test_returning_a_request_shows_the_question_to_the_requestor(client, journey, personas):
    request = journey.screening()
    client.force_login(personas.sam)

    response = client.post(
        reverse("return", args=[request.reference]),
        form_data("return", {"message": "Which programs will use the data?"}),
    )

    assert (response.status_code, response["Location"]) == (302, request.get_absolute_url())
    request.refresh_from_db()
    assert request.status == Status.RETURNED
    client.force_login(personas.riley)
    assert comments_in(client.get(request.get_absolute_url()), "messages-heading") == [
        ("Sam Staff", "Which programs will use the data?")
    ]


def checklist_post(request, seen, rows):
    """What the checklist form posts: {code: (outcome, note)} for the rows given, every other
    criterion left as the page showed it (unassessed here: blank)."""
    data = {"seen": seen}
    for code, (outcome, note) in rows.items():
        data[f"checklist-{code}-outcome"] = outcome
        data[f"checklist-{code}-note"] = note
    return data


def seen_of(client, request):
    return client.get(request.get_absolute_url()).context["seen"]


def test_a_second_assessment_keeps_the_first_in_the_earlier_assessments(staff_client, journey):
    request = journey.screening()
    url = reverse("checklist", args=[request.reference])

    first = staff_client.post(
        url, checklist_post(request, seen_of(staff_client, request), {"1.1": (MET, "Monthly.")})
    )
    second = staff_client.post(
        url,
        checklist_post(
            request, seen_of(staff_client, request), {"1.1": (NOT_MET, "They need daily data.")}
        ),
    )

    assert [first.status_code, second.status_code] == [302, 302]
    rows = list(Assessment.objects.filter(request=request).order_by("pk"))
    assert [(a.outcome, a.note, a.assessed_by.name) for a in rows] == [
        (MET, "Monthly.", "Sam Staff"),
        (NOT_MET, "They need daily data.", "Sam Staff"),
    ]
    card = checklist_cards(staff_client.get(request.get_absolute_url()))["1.1"]
    assert card.find("h3").text == "1.1: Not met"
    # The current note is in the form's note box, not repeated.
    assert [p.text for p in card.find_all("p") if p.text.startswith("Assessed by")] == [
        f"Assessed by Sam Staff on {shown_at(rows[1].assessed_at)}"
    ]
    assert card.find("textarea", name="checklist-1.1-note").text == "They need daily data."
    earlier = card.find("details")
    assert earlier.find("summary").text == "Earlier assessments of 1.1 (1)"
    assert [li.text for li in earlier.find_all("li")] == [
        f"{shown_at(rows[0].assessed_at)}, Sam Staff: Met: Monthly."
    ]


def test_saving_the_checklist_records_only_the_changed_criteria_each_with_its_event(
    staff_client, journey, personas
):
    request = journey.screening()
    workflow.assess_criterion(request, personas.sam, criterion("1.1"), MET, "Monthly.")
    workflow.assess_criterion(request, personas.sam, criterion("1.2"), MET, "Weekly use.")
    page = staff_client.get(request.get_absolute_url())
    before = history(request)

    response = staff_client.post(
        reverse("checklist", args=[request.reference]),
        checklist_post(
            request,
            page.context["seen"],
            {
                "1.1": (MET, "Monthly."),  # as it was: nothing written
                "1.2": (MET, "Weekly use, confirmed by phone."),  # the note changed
                "1.3": (NOT_MET, "No funding named."),  # new
                "2.1": (NOT_MET, ""),  # new, no note
            },
        ),
    )

    assert (response.status_code, response["Location"]) == (302, request.get_absolute_url())
    assert status_message(staff_client.get(request.get_absolute_url())) == (
        "The checklist is saved: 3 new assessments (1.2, 1.3, 2.1)."
    )
    rows = Assessment.objects.filter(request=request).order_by("pk")
    assert [(a.criterion.code, a.outcome, a.note) for a in rows] == [
        ("1.1", MET, "Monthly."),
        ("1.2", MET, "Weekly use."),
        ("1.2", MET, "Weekly use, confirmed by phone."),
        ("1.3", NOT_MET, "No funding named."),
        ("2.1", NOT_MET, ""),
    ]
    added = Event.objects.filter(request=request).exclude(pk__in=before).order_by("pk")
    assert [(e.kind, e.data["criterion"], e.data["outcome"], e.note) for e in added] == [
        (Event.Kind.ASSESSED, "1.2", MET, "Weekly use, confirmed by phone."),
        (Event.Kind.ASSESSED, "1.3", NOT_MET, "No funding named."),
        (Event.Kind.ASSESSED, "2.1", NOT_MET, ""),
    ]


def test_saving_an_unchanged_checklist_writes_nothing(staff_client, journey):
    request = journey.ready_to_approve()
    page = staff_client.get(request.get_absolute_url())
    form = form_posting_to(page, request, "checklist")
    # What the browser posts: every radio checked and every note as the page shows them.
    posted = {"seen": page.context["seen"]}
    for box in form.find_all("input", type="radio"):
        if "checked" in box.attrs:
            posted[box.attrs["name"]] = box.attrs["value"]
    for note in form.find_all("textarea"):
        posted[note.attrs["name"]] = note.text
    request.refresh_from_db()
    before, revision = history(request), request.revision

    response = staff_client.post(reverse("checklist", args=[request.reference]), posted)

    assert response.status_code == 302
    assert status_message(staff_client.get(request.get_absolute_url())) == (
        "Nothing changed in the checklist."
    )
    request.refresh_from_db()
    assert (history(request), request.revision, Assessment.objects.count()) == (
        before,
        revision,
        12,
    )


def test_a_checklist_from_a_page_out_of_date_is_refused_and_keeps_what_was_typed(
    staff_client, journey, personas
):
    request = journey.screening()
    page = staff_client.get(request.get_absolute_url())
    # A colleague assesses a criterion meanwhile.
    jo = other_staff()
    workflow.assess_criterion(request, jo, criterion("1.4"), MET, "Known partner.")
    before = history(request)

    response = staff_client.post(
        reverse("checklist", args=[request.reference]),
        checklist_post(request, page.context["seen"], {"1.1": (MET, "Monthly reports only.")}),
    )

    assert response.status_code == 400
    assert problems_shown(response) == [
        STALE.format(now="in screening"),
        STALE.format(now="in screening"),
    ]
    form = form_posting_to(response, request, "checklist")
    assert typed(form, "1.1-note") == "Monthly reports only."
    assert history(request) == before
    assert list(Assessment.objects.values_list("criterion__code", "assessed_by__name")) == [
        ("1.4", "Jo Staff")
    ]


def test_an_assessment_with_an_unknown_outcome_is_refused_and_shown(staff_client, journey):
    request = journey.screening()

    response = staff_client.post(
        reverse("checklist", args=[request.reference]),
        checklist_post(
            request,
            seen_of(staff_client, request),
            {"1.1": ("excellent", "Keep me."), "1.2": (MET, "Weekly.")},
        ),
    )

    assert response.status_code == 400
    form = form_posting_to(response, request, "checklist")
    assert field_errors(form) == [
        "Select a valid choice. excellent is not one of the available choices."
    ]
    # The summary at the top links to the criterion's first choice.
    summary = form.find("div", cls="checklist-errors")
    assert [(a.text, a.attrs["href"]) for a in summary.find_all("a")] == [
        (
            "Select a valid choice. excellent is not one of the available choices.",
            "#id_checklist-1.1-outcome_0",
        )
    ]
    assert (typed(form, "1.1-note"), typed(form, "1.2-note")) == ("Keep me.", "Weekly.")
    assert not Assessment.objects.filter(request=request).exists()


def test_a_note_without_an_outcome_is_refused_next_to_its_criterion(staff_client, journey):
    request = journey.screening()

    response = staff_client.post(
        reverse("checklist", args=[request.reference]),
        checklist_post(request, seen_of(staff_client, request), {"1.9": ("", "Ask about IRB.")}),
    )

    assert response.status_code == 400
    form = form_posting_to(response, request, "checklist")
    assert field_errors(form) == ["Choose an outcome for 1.9."]
    assert form.find("p", id="id_checklist-1.9-outcome_error").text == "Choose an outcome for 1.9."
    assert not Assessment.objects.filter(request=request).exists()


def test_each_criterion_shows_the_answers_that_speak_to_it(staff_client, journey):
    request = journey.screening(
        existing_reporting_gap="Published reports are aggregate and monthly.",
        need_type=AccessRequest.NeedType.ONGOING,
        usage_frequency="Weekly",
    )
    cards = checklist_cards(staff_client.get(request.get_absolute_url()))

    def answers(code):
        return [
            (dt.text, dd.text)
            for dt, dd in zip(cards[code].find_all("dt"), cards[code].find_all("dd"), strict=True)
        ]

    assert answers("1.1") == [
        ("Why existing reporting does not serve", "Published reports are aggregate and monthly.")
    ]
    assert (
        answers("2.1")
        == answers("1.2")
        == [
            ("Ongoing or one-time need", "Ongoing"),
            ("How often the data will be used", "Weekly"),
        ]
    )
    assert {code for code in cards if not answers(code)} == set()


def ready_to_approve_naming(journey, people, **answers):
    draft, requestor = draft_naming(journey, people, **answers)
    request = screened(journey, workflow.submit(draft, requestor))
    for can in request.cans.all():
        workflow.recommend_for_can(request, journey.p.lee, can, "support", "A known partner.")
    return request


def test_approving_grants_each_person_a_level_up_to_what_they_asked_with_conditions(
    staff_client, journey
):
    request = ready_to_approve_naming(
        journey,
        [("Dana Reyes", "dana@example.org", FULL), ("Kim Park", "kim@example.org", VIEW)],
    )
    dana, kim = request.people.all()

    response = staff_client.post(
        reverse("approve", args=[request.reference]),
        form_data(
            "approve",
            {
                f"level_{dana.pk}": VIEW,  # lower than asked
                f"level_{kim.pk}": VIEW,  # as asked
                "conditions": "Aggregated, de-identified data only.",
            },
        ),
    )

    assert (response.status_code, response["Location"]) == (302, request.get_absolute_url())
    request.refresh_from_db()
    decision = request.decision
    assert (request.status, decision.outcome, decision.conditions, decision.decided_by.name) == (
        Status.APPROVED,
        Status.APPROVED,
        "Aggregated, de-identified data only.",
        "Sam Staff",
    )
    assert {g.person.name: g.level for g in decision.grants.all()} == {
        "Dana Reyes": VIEW,
        "Kim Park": VIEW,
    }
    assert status_message(staff_client.get(request.get_absolute_url())) == (
        f"{request.reference} is approved."
    )


def test_a_level_higher_than_asked_is_not_a_choice(staff_client, journey):
    request = ready_to_approve_naming(journey, [("Kim Park", "kim@example.org", VIEW)])
    kim = request.people.get()
    page = staff_client.get(request.get_absolute_url())
    form = form_posting_to(page, request, "approve")
    choices = form.find("select", name=field_name(form, f"level_{kim.pk}"))

    response = staff_client.post(
        reverse("approve", args=[request.reference]),
        form_data("approve", {f"level_{kim.pk}": FULL, "conditions": "Keep me."}),
    )

    assert [option.text for option in choices.find_all("option")] == [
        "View only",
        "Reporting only",
    ]
    assert response.status_code == 400
    form = form_posting_to(response, request, "approve")
    assert field_errors(form) == [
        "Select a valid choice. full is not one of the available choices."
    ]
    assert typed(form, "conditions") == "Keep me."
    request.refresh_from_db()
    assert request.status == Status.SCREENING
    assert not Decision.objects.exists()


def test_approving_without_the_named_cans_recommendation_needs_a_written_waiver(
    staff_client, journey, personas
):
    request = screened(journey, journey.submitted(cans=[personas.hartford]))
    person = request.people.get()
    url = reverse("approve", args=[request.reference])
    page = staff_client.get(request.get_absolute_url())
    waiver = f"waive_{personas.hartford.pk}"
    label = form_posting_to(page, request, "approve").find("label", for_=f"id_approve-{waiver}")

    without = staff_client.post(
        url, form_data("approve", {f"level_{person.pk}": VIEW, "conditions": "Yearly review."})
    )

    assert label.text == "Why decide without Greater Hartford's recommendation*"
    assert without.status_code == 400
    form = form_posting_to(without, request, "approve")
    assert field_errors(form) == ["This field is required."]
    assert typed(form, "conditions") == "Yearly review."
    assert form.find("select", name=field_name(form, f"level_{person.pk}")).find(
        "option", selected=""
    ).text == ("View only")
    request.refresh_from_db()
    assert (request.status, CANRecommendation.objects.count(), Decision.objects.count()) == (
        Status.SCREENING,
        0,
        0,
    )

    with_waiver = staff_client.post(
        url,
        form_data(
            "approve",
            {
                f"level_{person.pk}": VIEW,
                "conditions": "Yearly review.",
                waiver: "Greater Hartford did not answer within 30 days.",
            },
        ),
    )

    assert with_waiver.status_code == 302
    request.refresh_from_db()
    assert request.status == Status.APPROVED
    assert [
        (r.can.name, r.position, r.reason, r.author.name)
        for r in CANRecommendation.objects.filter(request=request)
    ] == [
        (
            "Greater Hartford",
            CANRecommendation.Position.WAIVED,
            "Greater Hartford did not answer within 30 days.",
            "Sam Staff",
        )
    ]


def test_denying_cites_the_failing_criterion_and_gives_the_reason(staff_client, journey):
    request = journey.ready_to_deny()

    response = staff_client.post(
        reverse("deny", args=[request.reference]),
        form_data(
            "deny", {"cited": [criterion("2.1").pk], "reason": "The need is one-time only (2.1)."}
        ),
    )

    assert (response.status_code, response["Location"]) == (302, request.get_absolute_url())
    request.refresh_from_db()
    decision = request.decision
    assert (
        request.status,
        decision.outcome,
        [c.code for c in decision.cited_criteria.all()],
        decision.reason,
    ) == (Status.DENIED, Status.DENIED, ["2.1"], "The need is one-time only (2.1).")


def test_escalating_sends_the_request_to_the_committee_with_the_note(staff_client, journey):
    request = journey.screening()

    response = staff_client.post(
        reverse("escalate", args=[request.reference]),
        form_data("escalate", {"note": "Is 1.9 met by the IRB approval?"}),
    )

    assert (response.status_code, response["Location"]) == (302, request.get_absolute_url())
    request.refresh_from_db()
    assert (request.status, request.voting_round.note) == (
        Status.VETTING,
        "Is 1.9 met by the IRB approval?",
    )
    page = parsed(staff_client.get(request.get_absolute_url()))
    assert page.find("div", cls="alert-info").text == (
        "Escalated because: Is 1.9 met by the IRB approval?"
    )


# Refusals.


def history(request):
    return list(Event.objects.filter(request=request).values_list("pk", flat=True))


@pytest.mark.parametrize(
    ("action", "posted", "field"),
    [
        ("return", {"message": "   "}, "message"),
        ("escalate", {"note": ""}, "note"),
    ],
)
def test_an_empty_text_is_refused_with_the_error_next_to_it(
    staff_client, journey, action, posted, field
):
    request = journey.screening()
    before = history(request)

    response = staff_client.post(
        reverse(action, args=[request.reference]), form_data(action, posted)
    )

    assert response.status_code == 400
    form = form_posting_to(response, request, action.removesuffix("_request"))
    assert field_errors(form) == ["This field is required."]
    request.refresh_from_db()
    assert (request.status, history(request)) == (Status.SCREENING, before)


def test_a_denial_without_a_reason_is_refused_and_keeps_the_criteria_ticked(staff_client, journey):
    request = journey.ready_to_deny()
    two_one = criterion("2.1")

    response = staff_client.post(
        reverse("deny", args=[request.reference]),
        form_data("deny", {"cited": [two_one.pk], "reason": "  "}),
    )

    assert response.status_code == 400
    form = form_posting_to(response, request, "deny")
    assert field_errors(form) == ["This field is required."]
    assert [
        box.attrs["value"]
        for box in form.find_all("input", name=field_name(form, "cited"))
        if "checked" in box.attrs
    ] == [str(two_one.pk)]
    request.refresh_from_db()
    assert request.status == Status.SCREENING


def test_a_denial_citing_a_criterion_that_is_not_failing_is_refused(staff_client, journey):
    request = journey.ready_to_deny()
    one_one = criterion("1.1")

    response = staff_client.post(
        reverse("deny", args=[request.reference]),
        form_data("deny", {"cited": [one_one.pk], "reason": "Reports would do."}),
    )

    assert response.status_code == 400
    form = form_posting_to(response, request, "deny")
    assert field_errors(form) == [
        f"Select a valid choice. {one_one.pk} is not one of the available choices."
    ]
    assert typed(form, "reason") == "Reports would do."
    request.refresh_from_db()
    assert (request.status, Decision.objects.count()) == (Status.SCREENING, 0)


STALE = (
    "Someone else changed this request while you were looking at it: it is now {now}. "
    "Reload the page to see what changed."
)


@pytest.mark.parametrize(
    ("start", "meanwhile", "action", "posted", "now"),
    [
        (
            "submitted",
            lambda p, r: workflow.start_screening(r, other_staff()),
            "take",
            {},
            "in screening",
        ),
        (
            "ready_to_approve",
            lambda p, r: workflow.approve(
                r, other_staff(), {person: REPORTING for person in r.people.all()}
            ),
            "escalate",
            {"note": "Is 1.9 met?"},
            "approved",
        ),
    ],
    ids=["take-after-a-colleague-took-it", "escalate-after-a-colleague-approved"],
)
def test_acting_on_a_page_someone_else_changed_meanwhile_says_so(
    staff_client, journey, personas, start, meanwhile, action, posted, now
):
    request = getattr(journey, start)()
    # Sam opens the page; a colleague acts; Sam then posts from the page as it was, which
    # carries the version of the request it showed.
    page = staff_client.get(request.get_absolute_url())
    assert page.status_code == 200
    meanwhile(personas, AccessRequest.objects.get(pk=request.pk))
    changed = history(request)

    response = staff_client.post(
        reverse(action, args=[request.reference]),
        form_data(action, {**posted, "seen": page.context["seen"]}),
    )

    assert response.status_code == 400
    assert problems_shown(response) == [STALE.format(now=now)]
    assert history(request) == changed


@pytest.mark.parametrize(
    ("persona", "status_code", "problems"),
    [
        # They can see the request but may not decide it: told why.
        (
            "riley",
            400,
            [
                "Only CCEH staff can do this.",
                "You belong to the requesting organization, so you cannot act on its request "
                "(a conflict of interest).",
            ],
        ),
        ("lee", 400, ["Only CCEH staff can do this."]),
        # They cannot see the request at all: it does not exist for them.
        ("quinn", 404, None),
        ("pat", 404, None),
        ("morgan", 404, None),
        ("casey", 404, None),
    ],
)
def test_someone_who_is_not_staff_cannot_approve(
    client, journey, personas, persona, status_code, problems
):
    request = journey.ready_to_approve()
    before = history(request)
    client.force_login(personas.by_name(persona))

    response = client.post(
        reverse("approve", args=[request.reference]),
        form_data("approve", {f"level_{p.pk}": REPORTING for p in request.people.all()}),
    )

    assert response.status_code == status_code
    if problems is not None:
        assert problems_shown(response) == problems
    request.refresh_from_db()
    assert (request.status, history(request)) == (Status.SCREENING, before)


def test_an_anonymous_post_is_sent_to_sign_in(client, journey):
    request = journey.submitted()
    url = reverse("take", args=[request.reference])

    response = client.post(url)

    assert (response.status_code, response["Location"]) == (302, f"/accounts/login/?next={url}")
    request.refresh_from_db()
    assert request.status == Status.SUBMITTED


@pytest.mark.parametrize(
    ("name", "extra"),
    [
        ("take", []),
        ("return", []),
        ("checklist", []),
        ("approve", []),
        ("deny", []),
        ("escalate", []),
        ("comment", []),
        ("message", []),
    ],
)
def test_a_get_on_an_action_changes_nothing_and_is_not_allowed(staff_client, journey, name, extra):
    request = journey.submitted()

    response = staff_client.get(reverse(name, args=[request.reference, *extra]))

    assert response.status_code == 405
    request.refresh_from_db()
    assert request.status == Status.SUBMITTED


def test_an_action_posted_without_the_csrf_token_is_refused(journey, personas):
    request = journey.submitted()
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(personas.sam)

    response = browser.post(reverse("take", args=[request.reference]))

    assert response.status_code == 403
    request.refresh_from_db()
    assert (request.status, request.assignee) == (Status.SUBMITTED, None)


# Comments.


def post_comment(client, request, visibility, body):
    name = "comment" if visibility == "internal" else "message"
    return client.post(reverse(name, args=[request.reference]), {f"{name}-body": body})


def test_an_internal_comment_reaches_staff_and_the_cans_leaders_never_the_requestor(
    client, journey, personas
):
    request = journey.screening(cans=[personas.hartford])
    client.force_login(personas.sam)

    response = post_comment(client, request, "internal", "Check their 2021 revocation.")

    assert response.status_code == 302
    seen = {}
    for persona in ("sam", "lee", "riley"):
        client.force_login(personas.by_name(persona))
        page = client.get(request.get_absolute_url())
        seen[persona] = (
            comments_in(page, "internal-heading")
            if section(parsed(page), "internal-heading")
            else None,
            "Check their 2021 revocation." in page.content.decode(),
        )
    internal = [("Sam Staff", "Check their 2021 revocation.")]
    assert seen == {"sam": (internal, True), "lee": (internal, True), "riley": (None, False)}


def test_a_message_to_the_requestor_reaches_both_sides_and_the_requestor_can_answer(
    journey, personas
):
    request = journey.screening()
    # One browser each: the "sent" notice lives in the browser's cookies.
    sam, riley = Client(), Client()
    sam.force_login(personas.sam)
    riley.force_login(personas.riley)

    asked = post_comment(sam, request, "requestor", "Please send the IRB letter.")
    answered = post_comment(riley, request, "requestor", "Attached it just now.")

    assert [asked.status_code, answered.status_code] == [302, 302]
    conversation = [
        ("Sam Staff", "Please send the IRB letter."),
        ("Riley Requestor", "Attached it just now."),
    ]
    pages = {"sam": sam.get(asked["Location"]), "riley": riley.get(answered["Location"])}
    assert {name: comments_in(page, "messages-heading") for name, page in pages.items()} == {
        "sam": conversation,
        "riley": conversation,
    }
    assert {name: status_message(page) for name, page in pages.items()} == {
        "sam": "Your message is sent.",
        "riley": "Your message is sent.",
    }


@pytest.mark.parametrize(
    ("visibility", "form_action"),
    [("internal", "comment"), ("requestor", "message")],
)
def test_an_empty_comment_is_refused_with_the_error(staff_client, journey, visibility, form_action):
    request = journey.screening()

    response = post_comment(staff_client, request, visibility, "   ")

    assert response.status_code == 400
    assert field_errors(form_posting_to(response, request, form_action)) == [
        "This field is required."
    ]
    assert not Comment.objects.filter(request=request).exists()


def test_a_comment_of_an_unknown_kind_is_not_found(staff_client, journey):
    request = journey.screening()

    response = staff_client.post(f"/r/{request.reference}/comment/secret", {"secret-body": "Hi"})

    assert response.status_code == 404
    assert not Comment.objects.exists()


# SQL queries: a fixed number per page, whatever the size of what it shows.


def normalized(sql):
    return re.sub(r"\d+", "N", sql)


def extra_queries(small, large):
    """The queries the large page ran more often than the small one: the N+1 to look for."""
    counted_small = Counter(normalized(q["sql"]) for q in small)
    counted_large = Counter(normalized(q["sql"]) for q in large)
    return "\n".join(
        f"{counted_large[sql] - counted_small[sql]:+d} x {sql[:300]}"
        for sql in counted_large | counted_small
        if counted_large[sql] != counted_small[sql]
    )


def busy(request, authors, comments=1):
    """Assessments of every criterion and comments on `request`, written directly: they make
    the rows heavier, and only their number matters here."""
    staff = [a for a in authors if a.is_cceh_staff]
    Assessment.objects.bulk_create(
        Assessment(request=request, criterion=c, outcome=MET, assessed_by=staff[i % len(staff)])
        for i, c in enumerate(Criterion.objects.all())
    )
    Comment.objects.bulk_create(
        Comment(
            request=request,
            author=authors[i % len(authors)],
            visibility=Comment.Visibility.INTERNAL if i % 2 else Comment.Visibility.REQUESTOR,
            body=f"Comment {i}.",
        )
        for i in range(comments)
    )


# The header's unread-notice count is one query on every page; 50 until the rules
# remembered, per page, whether the person belongs to the organization.
QUEUE_QUERIES = 10
# The request page reads the application's submitted versions in one query, whatever their number;
# an outcome's form is built only when it is offered (a denial's failing criteria, one query);
# whether the person sees the request is asked once, when the page finds it, not again per action;
# the read is recorded in one INSERT (requests_app/audit).
REQUEST_PAGE_QUERIES = 25
# The session, the person, the assignee filter's choices, and every row with its CANs and people
# in one query (requests_app/core/exports.py): 6 and one more per 500 rows before. And the
# export's record in the read log (requests_app/core/files.py).
EXPORT_QUERIES = 5


def test_the_queue_runs_as_many_queries_for_30_busy_requests_as_for_2_plain_ones(
    staff_client, journey, personas, django_assert_num_queries
):
    for _ in range(2):
        journey.submitted(cans=[personas.hartford], people=1)

    with django_assert_num_queries(QUEUE_QUERIES) as captured:
        assert len(queue_rows(staff_client.get(reverse("queue")))) == 2
    small = list(captured.captured_queries)  # before the next request empties the log

    jo = other_staff()
    cans = [personas.hartford, personas.eastern, CAN.objects.get(slug="central")]
    for i in range(28):
        request = journey.submitted(cans=cans, people=4)
        if i % 2:
            request = workflow.start_screening(request, [personas.sam, jo][i % 4 // 2])
        busy(request, [personas.sam, jo, personas.riley], comments=4)
    with CaptureQueriesContext(connection) as captured:
        assert len(queue_rows(staff_client.get(reverse("queue")))) == 25
    large = list(captured.captured_queries)

    assert len(large) == len(small), extra_queries(small, large)


def test_the_export_runs_as_many_queries_for_30_busy_requests_as_for_2_plain_ones(
    staff_client, journey, personas, django_assert_num_queries
):
    for _ in range(2):
        journey.submitted(cans=[personas.hartford], people=1)

    with django_assert_num_queries(EXPORT_QUERIES) as captured:
        assert len(exported(staff_client)[1]) == 3
    small = list(captured.captured_queries)  # before the next request empties the log

    jo = other_staff()
    cans = [personas.hartford, personas.eastern, CAN.objects.get(slug="central")]
    for i in range(28):
        request = journey.submitted(cans=cans, people=4)
        if i % 2:
            request = workflow.start_screening(request, [personas.sam, jo][i % 4 // 2])
        busy(request, [personas.sam, jo, personas.riley], comments=4)
    with CaptureQueriesContext(connection) as captured:
        assert len(exported(staff_client)[1]) == 31
    large = list(captured.captured_queries)

    assert len(large) == len(small), extra_queries(small, large)


def test_the_request_page_runs_as_many_queries_for_a_busy_request_as_for_a_plain_one(
    staff_client, journey, personas, django_assert_num_queries
):
    plain = journey.ready_to_approve(cans=[personas.hartford], people=1)

    with django_assert_num_queries(REQUEST_PAGE_QUERIES) as captured:
        assert staff_client.get(plain.get_absolute_url()).status_code == 200
    small = list(captured.captured_queries)  # before the next request empties the log

    jo = other_staff()
    central = CAN.objects.get(slug="central")
    busy_request = journey.screening(cans=[personas.hartford, personas.eastern, central], people=8)
    # Two assessments of every criterion, by two people, through the workflow (events too).
    journey.assess_all(busy_request)
    for c in Criterion.objects.all():
        outcome = NOT_MET if c.is_disqualifier else MET
        workflow.assess_criterion(busy_request, jo, c, outcome, "Checked again.")
    workflow.recommend_for_can(busy_request, personas.lee, personas.hartford, "support", "Yes.")
    workflow.recommend_for_can(busy_request, personas.pat, personas.eastern, "support", "Yes.")
    for i in range(20):
        author = [personas.sam, jo, personas.lee][i % 3]
        workflow.add_comment(busy_request, author, f"Internal {i}.")
        author = [personas.sam, personas.riley][i % 2]
        workflow.add_comment(busy_request, author, f"Message {i}.", "requestor")
    # Standing concerns of the organization and of named people, each shown as a suggestion.
    RevocationFactory(organization=personas.harbor, recorded_by=personas.sam)
    for person in busy_request.people.all()[:2]:
        RevocationFactory(person_email=person.email, recorded_by=jo)

    with CaptureQueriesContext(connection) as captured:
        response = staff_client.get(busy_request.get_absolute_url())
    large = list(captured.captured_queries)

    assert response.status_code == 200
    assert outcome_forms(response, busy_request) == {"approve", "escalate", "return"}
    assert (
        len(comments_in(response, "internal-heading")),
        len(comments_in(response, "messages-heading")),
        Event.objects.filter(request=busy_request).count() > 25,
    ) == (20, 20, True)
    assert len(large) == len(small), extra_queries(small, large)
