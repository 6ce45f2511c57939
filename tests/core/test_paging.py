"""Pages of a list by keyset (requests_app/core/paging.py): every ordering, up and down, across
a relation and with NULLs, pages through exactly the rows one ORDER BY gives, forward and back;
a cursor that is not the site's own gives the first page; the other parameters of the address
survive paging; the count stops at its bound; and a deep page reads no more than the first."""

import datetime
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from requests_app.core import paging
from requests_app.core.paging import REQUESTS, paginate
from requests_app.models import AccessRequest
from tests.support.factories import AccessRequestFactory, OrganizationFactory, UserFactory

PATH = "/list/"
SIZE = 4


def page_at(queryset, url=PATH, params=None, **options):
    options = {"size": SIZE, "noun": REQUESTS, **options}
    return paginate(RequestFactory().get(url, params or {}), queryset, **options)


def walk(queryset, **options):
    """Every page from the first, by Next, then back from the last, by Previous: (the pages'
    rows going forward, the pages' rows coming back, the positions in words going forward)."""
    page = page_at(queryset, **options)
    forward, positions = [page.rows], [page.position]
    while page.has_next:
        page = page_at(queryset, page.next_url, **options)
        forward.append(page.rows)
        positions.append(page.position)
    back = [page.rows]
    while page.has_previous:
        page = page_at(queryset, page.previous_url, **options)
        back.append(page.rows)
    return forward, back[::-1], positions


@pytest.fixture
def requests(db):
    """Eleven requests with ties in every field and NULLs where a field can have them: three
    organizations, two staff members and nobody as assignees, four moments in status."""
    organizations = [OrganizationFactory(name=n) for n in ("Birch", "Alder", "Cedar")]
    staff = [UserFactory(name=n) for n in ("Jo Staff", "Al Staff")]
    start = timezone.now() - datetime.timedelta(days=30)
    made = []
    for i in range(11):
        made.append(
            AccessRequestFactory(
                organization=organizations[i % 3],
                assignee=[staff[0], None, staff[1], None][i % 4],
                people=0,
            )
        )
        AccessRequest.objects.filter(pk=made[-1].pk).update(
            status_changed_at=start + datetime.timedelta(days=i % 4)
        )
    return AccessRequest.objects.select_related("organization", "assignee")


def value(row, path):
    for part in path.split("__"):
        row = getattr(row, part) if row is not None else None
    return row


def in_order(rows, ordering):
    """`rows` as the ordering puts them, worked out here rather than by the database: NULL after
    every value (last going up, first going down), the primary key the tie-break in the last
    field's direction."""
    names = [*ordering, ("-pk" if ordering[-1].startswith("-") else "pk")]
    for name in reversed(names):
        path = name.removeprefix("-")
        rows = sorted(
            rows,
            key=lambda r, path=path: (value(r, path) is None, value(r, path)),
            reverse=name.startswith("-"),
        )
    return rows


ORDERINGS = [
    ["status_changed_at"],
    ["-status_changed_at"],
    ["organization__name"],
    ["-organization__name"],
    ["assignee__name"],
    ["-assignee__name"],
    ["organization__name", "-assignee__name"],
    ["-assignee__name", "status_changed_at"],
    ["pk"],
    ["-pk"],
]


@pytest.mark.parametrize("ordering", ORDERINGS, ids=",".join)
def test_every_ordering_pages_through_exactly_its_rows_forward_and_back(requests, ordering):
    expected = in_order(list(requests), ordering)

    forward, back, positions = walk(requests, ordering=ordering)

    assert forward == [expected[0:4], expected[4:8], expected[8:11]]
    assert back == forward
    assert positions == [
        "Requests 1 to 4 of 11",
        "Requests 5 to 8 of 11",
        "Requests 9 to 11 of 11",
    ]


def test_without_an_ordering_a_page_takes_the_querysets_own(requests):
    ordered = requests.order_by("-organization__name")

    forward, _, _ = walk(ordered)

    assert [row for rows in forward for row in rows] == in_order(
        list(requests), ["-organization__name"]
    )


def test_the_first_page_links_only_onward_and_the_last_only_back(requests):
    first = page_at(requests, ordering=["pk"])
    middle = page_at(requests, first.next_url, ordering=["pk"])
    last = page_at(requests, middle.next_url, ordering=["pk"])

    assert [(p.has_previous, p.has_next) for p in (first, middle, last)] == [
        (False, True),
        (True, True),
        (True, False),
    ]
    assert (first.previous_url, last.next_url) == ("", "")
    assert (middle.first_url, last.first_url) == (PATH, PATH)


def test_a_list_on_one_page_says_how_many_and_links_nowhere(requests):
    page = page_at(requests.filter(assignee__name="Jo Staff"), ordering=["pk"])

    assert (len(page.rows), page.has_other_pages, page.position, page.count_text) == (
        3,
        False,
        "3 requests",
        "3 requests",
    )


def test_one_row_is_said_in_the_singular(requests):
    page = page_at(requests.filter(pk=requests.order_by("pk").first().pk), ordering=["pk"])

    assert (page.count, page.count_text, page.position) == (1, "1 request", "1 request")


def token(page, direction):
    url = page.next_url if direction == "after" else page.previous_url
    return parse_qs(urlsplit(url).query)[direction][0]


def tampered(text):
    middle = len(text) // 2
    return text[:middle] + ("A" if text[middle] != "A" else "B") + text[middle + 1 :]


def signed(payload):
    # Signed as the site signs a cursor: a cursor the site could have made, with bad values.
    return paging._SIGNER.sign_object(payload)


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage",
        "",
        "%00",
        "tampered after",
        "tampered before",
        "another ordering's",
        "after and before",
        "two afters",
        "signed, a value of the wrong type",
        "signed, too few values",
        "signed, no position",
        "signed, a position of zero",
        "signed, NULL for a field that is never NULL",
    ],
)
def test_a_cursor_that_is_not_the_sites_own_gives_the_first_page(requests, cursor):
    ordering = ["status_changed_at"]
    first = page_at(requests, ordering=ordering)
    second = page_at(requests, first.next_url, ordering=ordering)
    after, before = token(first, "after"), token(second, "before")
    keys = "status_changed_at,pk"
    moment = timezone.now().isoformat()
    params = {
        "garbage": {"after": "garbage"},
        "": {"after": ""},
        "%00": {"before": "\x00"},
        "tampered after": {"after": tampered(after)},
        "tampered before": {"before": tampered(before)},
        "another ordering's": {"after": token(page_at(requests, ordering=["-pk"]), "after")},
        "after and before": {"after": after, "before": before},
        "two afters": {"after": [after, after]},
        "signed, a value of the wrong type": {
            "after": signed({"k": keys, "v": ["not a moment", 3], "n": 4})
        },
        "signed, too few values": {"after": signed({"k": keys, "v": [moment], "n": 4})},
        "signed, no position": {"after": signed({"k": keys, "v": [moment, 3]})},
        "signed, a position of zero": {"after": signed({"k": keys, "v": [moment, 3], "n": 0})},
        "signed, NULL for a field that is never NULL": {
            "after": signed({"k": keys, "v": [None, 3], "n": 4})
        },
    }[cursor]

    page = page_at(requests, params=params, ordering=ordering)

    assert (page.rows, page.has_previous, page.position) == (
        first.rows,
        False,
        "Requests 1 to 4 of 11",
    )


def test_every_other_parameter_of_the_address_survives_paging(requests):
    filters = {"status": "draft", "q": "Birch & Co", "sort": "-waiting"}
    first = page_at(requests, params=filters, ordering=["pk"])
    second = page_at(requests, first.next_url, ordering=["pk"])

    def kept(url):
        query = parse_qs(urlsplit(url).query)
        return {k: v for k, v in query.items() if k not in ("after", "before")}

    assert [kept(url) for url in (first.next_url, second.previous_url, second.first_url)] == [
        {k: [v] for k, v in filters.items()}
    ] * 3
    assert second.filters == "status=draft&q=Birch+%26+Co&sort=-waiting"
    # Each link holds one cursor, its own: never the one it was reached by as well.
    assert [
        sorted(parse_qs(urlsplit(url).query))
        for url in (second.next_url, second.previous_url, second.first_url)
    ] == [
        ["after", "q", "sort", "status"],
        ["before", "q", "sort", "status"],
        ["q", "sort", "status"],
    ]


def test_links_go_to_the_path_and_anchor_given(requests):
    first = page_at(requests, url="/r/X/approve", ordering=["pk"], path="/r/X/", anchor="#h")
    second = page_at(requests, first.next_url, ordering=["pk"], path="/r/X/", anchor="#h")

    assert [
        (urlsplit(url).path, parse_qs(urlsplit(url).query), urlsplit(url).fragment)
        for url in (first.next_url, second.previous_url, second.first_url)
    ] == [
        ("/r/X/", {"after": [token(first, "after")]}, "h"),
        ("/r/X/", {"before": [token(second, "before")]}, "h"),
        ("/r/X/", {}, "h"),
    ]


def test_a_newest_first_list_says_older_and_newer(requests):
    page = page_at(requests, ordering=["-pk"], newest_first=True)
    old = page_at(requests, ordering=["pk"])

    assert (page.next_label, page.previous_label) == ("Older", "Newer")
    assert (old.next_label, old.previous_label) == ("Next", "Previous")


def test_a_list_not_counted_says_where_it_is_without_a_total(requests):
    uncounted = {"ordering": ["pk"], "count": False, "noun": ("draft", "drafts")}
    page = page_at(requests, **uncounted)

    with CaptureQueriesContext(connection) as queries:
        second = page_at(requests, page.next_url, **uncounted)

    assert (page.count, page.count_text, page.position) == (None, "", "Drafts 1 to 4")
    assert second.position == "Drafts 5 to 8"
    assert len(queries) == 2  # the page's keys, then its rows by key


def test_the_count_stops_past_its_bound(requests, monkeypatch):
    monkeypatch.setattr(paging, "COUNT_BOUND", 5)

    with CaptureQueriesContext(connection) as queries:
        page = page_at(requests.filter(organization__name__gt=""), ordering=["organization__name"])
    count = next(q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"])

    assert (page.count, page.count_text, page.position) == (
        6,
        "more than 5 requests",
        "Requests 1 to 4 of more than 5",
    )
    # Counted inside a LIMIT, over the ids alone: no ORDER BY, no columns but the id.
    assert count.endswith("LIMIT 6) subquery")
    assert "ORDER BY" not in count
    assert '"requests_app_accessrequest"."id" AS "pk" FROM' in count


def test_ten_thousand_is_said_as_a_number_and_one_more_as_more_than(requests, monkeypatch):
    monkeypatch.setattr(paging, "COUNT_BOUND", 11)
    at_bound = page_at(requests, ordering=["pk"])
    monkeypatch.setattr(paging, "COUNT_BOUND", 10)
    past_it = page_at(requests, ordering=["pk"])

    assert (at_bound.count_text, past_it.count_text) == ("11 requests", "more than 10 requests")


def test_a_deep_page_reads_from_its_cursor_never_through_an_offset(requests):
    page = page_at(requests, ordering=["-assignee__name", "status_changed_at"])
    page = page_at(requests, page.next_url, ordering=["-assignee__name", "status_changed_at"])

    with CaptureQueriesContext(connection) as queries:
        deep = page_at(requests, page.next_url, ordering=["-assignee__name", "status_changed_at"])
    keys, rows = [q["sql"] for q in queries.captured_queries if "COUNT(" not in q["sql"]]

    assert deep.rows
    assert "OFFSET" not in keys
    assert keys.endswith(f"LIMIT {SIZE + 1}")
    # The rows themselves by key: no order, no limit to walk.
    assert '"requests_app_accessrequest"."id" IN (' in rows
    assert "ORDER BY" not in rows


@pytest.mark.parametrize("never_null", [(), ("reference",)])
def test_a_field_never_null_here_is_read_from_its_cursor_on_as_an_index_reads_it(
    requests, never_null
):
    options = {"ordering": ["reference"], "count": False, "never_null": never_null}
    first = page_at(requests, **options)

    with CaptureQueriesContext(connection) as queries:
        second = page_at(requests, first.next_url, **options)
    read, _ = [q["sql"] for q in queries.captured_queries]  # the keys, then the rows by key

    assert [r.reference for r in first.rows + second.rows] == sorted(r.reference for r in requests)[
        :8
    ]
    # The schema lets a reference be NULL (until its row is saved once), and NULLs come last:
    # unless told otherwise, a next page must look for them too.
    assert ('"reference" >= ' in read, '"reference" IS NULL' in read) == (
        (True, False) if never_null else (False, True)
    )


def test_a_page_whose_rows_are_gone_starts_the_list_again(requests):
    first = page_at(requests, ordering=["pk"])
    second = page_at(requests, first.next_url, ordering=["pk"])
    last = page_at(requests, second.next_url, ordering=["pk"])
    AccessRequest.objects.filter(pk__in=[r.pk for r in last.rows]).delete()

    again = page_at(requests, second.next_url, ordering=["pk"])

    assert (again.rows, again.has_previous) == (first.rows, False)


@pytest.mark.parametrize(
    "ordering", [["cans__name"], ["organization"], ["nothing"], ["status__name"], ["?"]]
)
def test_an_ordering_that_is_not_single_values_of_fields_is_refused(requests, ordering):
    with pytest.raises(ValueError, match="order"):
        page_at(requests, ordering=ordering)
