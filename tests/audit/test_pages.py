"""The read log's pages: who has seen a request (CCEH staff and administrators), and the audit
page with its filters, pages and CSV (administrators); a 404 for everyone else. Each costs a
fixed number of queries, however long the log."""

import csv
import datetime
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from requests_app.audit import views as audit_views
from requests_app.audit.filters import ReadLogFilter
from requests_app.models import ReadLogEntry
from tests.support.factories import MembershipFactory
from tests.support.pages import pages_of, parsed
from tests.support.personas import PERSONA_NAMES
from tests.support.plans import plan

KIND = ReadLogEntry.Kind
# 9 a.m. in Hartford on March 7, 2026 (the site's time zone), and a read every hour before it.
NINE_AM = datetime.datetime(2026, 3, 7, 14, 0, tzinfo=datetime.UTC)


def log(reader, subject, *, hours_before=0, kind=KIND.ATTACHMENT, request=None, address=None):
    return ReadLogEntry(
        reader=reader,
        kind=kind,
        request=request,
        reference=request.reference if request else "",
        subject=subject,
        address=address or "192.0.2.1",
        created_at=NINE_AM - datetime.timedelta(hours=hours_before),
    )


def write(*entries):
    ReadLogEntry.objects.bulk_create(entries)


def listed(response):
    """The subjects the page's table lists, in its order (the Detail column)."""
    table = parsed(response).find("table", cls="reads")
    if table is None:
        return []
    headers = [th.text for th in table.find("thead").find_all("th")]
    detail = headers.index("Detail")
    return [row.find_all("td")[detail].text for row in table.find("tbody").find_all("tr")]


def sign_in(client, personas, persona):
    if persona != "anonymous":
        client.force_login(personas.by_name(persona))


# Who may see what: the nine personas.

WHO_HAS_SEEN = {"sam": 200, "alex": 200}
AUDIT = {"alex": 200}


@pytest.fixture
def vetting(journey, personas):
    return journey.vetting(cans=[personas.hartford])


def pages(request):
    return {
        "who-has-seen": (reverse("request_reads", args=[request.reference]), WHO_HAS_SEEN),
        "audit": (reverse("audit"), AUDIT),
        "audit-csv": (reverse("audit_export"), AUDIT),
    }


@pytest.mark.parametrize("page", ["who-has-seen", "audit", "audit-csv"])
@pytest.mark.parametrize("persona", PERSONA_NAMES)
def test_each_persona_sees_the_read_log_only_as_the_table_says(
    client, personas, vetting, page, persona
):
    url, allowed = pages(vetting)[page]
    sign_in(client, personas, persona)

    response = client.get(url)

    if persona == "anonymous":
        assert (response.status_code, response["Location"]) == (
            302,
            f"{reverse('account_login')}?next={url}",
        )
    else:
        assert response.status_code == allowed.get(persona, 404)


def test_staff_do_not_see_who_read_a_request_of_their_own_organization(client, personas, vetting):
    MembershipFactory(organization=personas.harbor, user=personas.sam)
    client.force_login(personas.sam)

    response = client.get(reverse("request_reads", args=[vetting.reference]))

    assert response.status_code == 404


def test_who_has_seen_a_draft_is_not_there_for_staff(client, journey, personas):
    draft = journey.draft()
    client.force_login(personas.sam)

    assert client.get(reverse("request_reads", args=[draft.reference])).status_code == 404


@pytest.mark.parametrize("persona", ["riley", "sam", "morgan", "casey", "lee", "alex"])
def test_the_request_page_links_to_who_has_seen_it_for_staff_and_administrators_only(
    client, personas, vetting, persona
):
    client.force_login(personas.by_name(persona))

    page = parsed(client.get(vetting.get_absolute_url()))

    link = page.find("a", href=reverse("request_reads", args=[vetting.reference]))
    shown = link is not None and link.text == "Who has seen this request"
    assert shown is (persona in WHO_HAS_SEEN)


@pytest.mark.parametrize("persona", ["anonymous", "riley", "sam", "morgan", "lee", "alex"])
def test_the_navigation_offers_the_read_log_to_administrators_only(client, personas, persona):
    sign_in(client, personas, persona)

    page = client.get(reverse("notices"), follow=True).content.decode()

    assert (f'href="{reverse("audit")}"' in page) is (persona in AUDIT)


# Who has seen a request.


def test_who_has_seen_lists_the_reads_of_this_request_alone_the_newest_first(
    client, journey, personas, vetting
):
    other = journey.vetting()
    write(
        log(personas.riley, "riley's", hours_before=3, kind=KIND.REQUEST_PAGE, request=vetting),
        log(personas.lee, "lee's", hours_before=2, request=vetting, address="203.0.113.9"),
        log(personas.sam, "of another", hours_before=1, request=other),
        log(personas.sam, "a list", hours_before=1, kind=KIND.CSV_EXPORT),
    )
    client.force_login(personas.sam)

    response = client.get(reverse("request_reads", args=[vetting.reference]))

    rows = parsed(response).find("table", cls="reads").find("tbody").find_all("tr")
    assert [row.text for row in rows] == [
        f"Mar 7, 2026, 7:00:00 a.m. Lee Leader {personas.lee.email} Attachment lee's",
        f"Mar 7, 2026, 6:00:00 a.m. Riley Requestor {personas.riley.email} Request page riley's",
    ]


def test_who_has_seen_comes_a_page_at_a_time(client, personas, vetting, monkeypatch):
    monkeypatch.setattr(audit_views, "READS_PAGE_SIZE", 2)
    write(*(log(personas.sam, f"read {n}", hours_before=n, request=vetting) for n in range(5)))
    client.force_login(personas.sam)
    url = reverse("request_reads", args=[vetting.reference])

    first = client.get(url)
    second = client.get(pages_of(first)[1]["Older"])

    assert (listed(first), pages_of(first)[0]) == (["read 0", "read 1"], "Reads 1 to 2 of 5")
    assert (listed(second), pages_of(second)[0]) == (["read 2", "read 3"], "Reads 3 to 4 of 5")


def test_nobody_has_read_it_yet(client, personas, vetting):
    client.force_login(personas.alex)

    response = client.get(reverse("request_reads", args=[vetting.reference]))

    assert parsed(response).find("p", cls="empty-state").text == (
        "Nobody has read this request yet."
    )


# The audit page: its filters.


@pytest.fixture
def logbook(journey, personas):
    """Six reads, an hour apart, the newest at 9 a.m. on March 7 in Hartford; the oldest on
    the evening of March 6 there (already March 7 in UTC)."""
    first, second = journey.vetting(), journey.vetting()
    write(
        log(personas.sam, "six", hours_before=0, kind=KIND.REQUEST_PAGE, request=first),
        log(personas.lee, "five", hours_before=1, request=first, address="2001:db8::1"),
        log(personas.sam, "four", hours_before=2, kind=KIND.CSV_EXPORT),
        log(personas.morgan, "three", hours_before=3, request=second),
        log(personas.sam, "two", hours_before=4, kind=KIND.MOU_VERSION, request=second),
        log(personas.riley, "one", hours_before=11, kind=KIND.REQUEST_PAGE, request=first),
    )
    return first, second


def audit(client, personas, params=None):
    client.force_login(personas.alex)
    return client.get(reverse("audit"), params or {})


FILTERS = [
    pytest.param({}, ["six", "five", "four", "three", "two", "one"], id="none"),
    pytest.param({"person": "  Sam@"}, [], id="a-part-of-an-address-is-no-one"),
    pytest.param({"kind": KIND.REQUEST_PAGE}, ["six", "one"], id="kind"),
    pytest.param({"address": "2001:DB8:0::1"}, ["five"], id="address-ipv6-as-written"),
    pytest.param({"address": "192.0.2.1"}, ["six", "four", "three", "two", "one"], id="address"),
    pytest.param({"since": "2026-03-07"}, ["six", "five", "four", "three", "two"], id="since"),
    pytest.param({"until": "2026-03-06"}, ["one"], id="until-the-evening-before-in-hartford"),
    pytest.param(
        {"since": "2026-03-07", "until": "2026-03-07"},
        ["six", "five", "four", "three", "two"],
        id="one-day",
    ),
    pytest.param({"since": "2026-03-08"}, [], id="nothing-after"),
]


def test_the_audit_page_shows_who_read_what_of_which_request_and_from_where(
    client, personas, logbook
):
    first, _second = logbook

    response = audit(client, personas, {"person": personas.lee.email})

    rows = parsed(response).find("table", cls="reads").find("tbody").find_all("tr")
    assert [row.text for row in rows] == [
        f"Mar 7, 2026, 8:00:00 a.m. Lee Leader {personas.lee.email} Attachment "
        f"{first.reference}: who has seen it five 2001:db8::1"
    ]


@pytest.mark.parametrize(("params", "expected"), FILTERS)
def test_the_audit_page_filters(client, personas, logbook, params, expected):
    assert listed(audit(client, personas, params)) == expected


def test_the_audit_page_finds_a_person_by_e_mail_in_any_case(client, personas, logbook):
    response = audit(client, personas, {"person": f" {personas.sam.email.upper()} "})

    assert listed(response) == ["six", "four", "two"]


def test_the_audit_page_finds_a_request_by_its_reference(client, personas, logbook):
    first, second = logbook

    by_reference = audit(client, personas, {"reference": second.reference.lower()})
    combined = audit(client, personas, {"reference": first.reference, "kind": KIND.ATTACHMENT})

    assert (listed(by_reference), listed(combined)) == (["three", "two"], ["five"])


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"address": "not-an-address"}, "address", "Enter a valid IPv4 or IPv6 address."),
        (
            {"since": "2026-03-08", "until": "2026-03-07"},
            "until",
            ("The last day comes on or after the first day."),
        ),
        ({"since": "March 7"}, "since", "Enter a valid date."),
    ],
    ids=["address", "days-reversed", "date"],
)
def test_a_filter_that_cannot_be_read_lists_nothing_and_says_why(
    client, personas, logbook, params, field, message
):
    response = audit(client, personas, params)

    page = parsed(response)
    typed = {name: page.find("input", name=name).attrs.get("value") for name in params}
    assert response.status_code == 200
    assert listed(response) == []
    assert page.find(id=f"id_{field}_error").text == message
    assert typed == params


# Its pages.


def test_the_audit_page_walks_its_pages_newest_first_keeping_the_filter(
    client, personas, monkeypatch
):
    monkeypatch.setattr(audit_views, "AUDIT_PAGE_SIZE", 2)
    write(
        *(log(personas.sam, f"page read {n}", hours_before=n) for n in range(5)),
        *(log(personas.sam, f"export {n}", kind=KIND.CSV_EXPORT, hours_before=n) for n in range(3)),
    )
    client.force_login(personas.alex)

    first = client.get(reverse("audit"), {"kind": KIND.ATTACHMENT})
    middle = client.get(pages_of(first)[1]["Older"])
    last = client.get(pages_of(middle)[1]["Older"])
    back = client.get(pages_of(last)[1]["Newer"])
    again = client.get(pages_of(last)[1]["First"])

    assert [(listed(r), pages_of(r)[0], sorted(pages_of(r)[1])) for r in (first, middle, last)] == [
        (["page read 0", "page read 1"], "Reads 1 to 2 of 5", ["Older"]),
        (["page read 2", "page read 3"], "Reads 3 to 4 of 5", ["First", "Newer", "Older"]),
        (["page read 4"], "Read 5 of 5", ["First", "Newer"]),
    ]
    assert (listed(back), listed(again)) == (listed(middle), listed(first))
    assert all("kind=attachment" in link for link in pages_of(middle)[1].values())


# What it costs: the session, the person, the header, the bounded count, the page's keys and
# its rows with their readers. The same for a short log as for a long one, filtered or not.
AUDIT_QUERIES = 6


@pytest.mark.parametrize("by_person", [False, True], ids=["all", "by-person"])
def test_the_audit_page_costs_the_same_for_a_short_and_a_long_log(
    client, personas, journey, by_person
):
    params = {"person": personas.sam.email} if by_person else {}
    request = journey.vetting()
    client.force_login(personas.alex)
    client.get(reverse("audit"))  # the session is read once, as on any later page
    counts = []
    for size in (3, 120):
        write(
            *(log(personas.sam, f"read {n}", hours_before=n, request=request) for n in range(size))
        )
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("audit"), params).status_code == 200
        counts.append(len(captured))

    assert counts == [AUDIT_QUERIES] * 2


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's plans")
@pytest.mark.parametrize(
    ("params", "index"),
    [
        ({"person": "sam@cceh.example"}, "reads_by_person"),
        ({"kind": ReadLogEntry.Kind.CSV_EXPORT}, "reads_by_kind"),
        ({"address": "10.0.0.1"}, "reads_from_address"),
        ({"reference": "HMIS-2026-0042"}, "reads_by_reference"),
    ],
    ids=["person", "kind", "address", "reference"],
)
@pytest.mark.django_db
def test_each_filter_of_the_audit_page_reads_its_own_index(params, index):
    found = ReadLogFilter(params, queryset=ReadLogEntry.objects.all()).qs
    page = found.order_by(*audit_views.NEWEST_FIRST)[:26]
    # Which index serves the filter in the newest-first order, as at the size the log reaches.
    planned = plan(page.values("pk"))

    assert f" using {index} on " in planned.lower(), planned


# The session, the person, the header, the request, the bounded count, the keys and the rows.
WHO_HAS_SEEN_QUERIES = 7


def test_who_has_seen_costs_the_same_for_few_and_many_reads(client, personas, vetting):
    client.force_login(personas.sam)
    url = reverse("request_reads", args=[vetting.reference])
    client.get(url)
    counts = []
    for size in (2, 120):
        write(
            *(log(personas.lee, f"read {n}", hours_before=n, request=vetting) for n in range(size))
        )
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        counts.append(len(captured))

    assert counts == [WHO_HAS_SEEN_QUERIES] * 2


# The CSV.


def csv_rows(response):
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_the_csv_holds_the_filtered_entries_and_is_itself_recorded(client, personas, logbook):
    first, _second = logbook
    client.force_login(personas.alex)

    response = client.get(
        reverse("audit_export"), {"reference": first.reference}, REMOTE_ADDR="198.51.100.4"
    )

    assert response["Content-Disposition"] == (
        f'attachment; filename="hmis-read-log-{timezone.localdate()}.csv"'
    )
    assert csv_rows(response) == [
        ["When", "Person", "E-mail", "What", "Request", "Detail", "Address"],
        [
            "2026-03-07T09:00:00-05:00",
            "Sam Staff",
            personas.sam.email,
            "Request page",
            first.reference,
            "six",
            "192.0.2.1",
        ],
        [
            "2026-03-07T08:00:00-05:00",
            "Lee Leader",
            personas.lee.email,
            "Attachment",
            first.reference,
            "five",
            "2001:db8::1",
        ],
        [
            "2026-03-06T22:00:00-05:00",
            "Riley Requestor",
            personas.riley.email,
            "Request page",
            first.reference,
            "one",
            "192.0.2.1",
        ],
    ]
    recorded = ReadLogEntry.objects.latest("pk")
    assert (
        recorded.reader,
        recorded.kind,
        recorded.request,
        recorded.subject,
        recorded.address,
    ) == (
        personas.alex,
        KIND.CSV_EXPORT,
        None,
        f"hmis-read-log-{timezone.localdate()}.csv?reference={first.reference}",
        "198.51.100.4",
    )


def test_the_csv_writes_a_formula_as_text(client, personas, vetting):
    write(log(personas.riley, '=HYPERLINK("http://x","click")', request=vetting))
    client.force_login(personas.alex)

    response = client.get(reverse("audit_export"), {"kind": KIND.ATTACHMENT})

    assert [row[5] for row in csv_rows(response)] == ["Detail", '\'=HYPERLINK("http://x","click")']


def test_the_audit_page_links_to_the_csv_of_what_it_shows(client, personas, logbook):
    response = audit(client, personas, {"kind": KIND.ATTACHMENT})

    link = parsed(response).find("a", href=f"{reverse('audit_export')}?kind=attachment")
    assert link.text == "Download these entries as CSV"
