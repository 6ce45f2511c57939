"""Access once active, as staff and the organization keep it true: the register of who holds
access now (staff's and the organization's own), a departure reported in one transaction, and
the deprovisioning list that every ended access reaches until staff close the HMIS account."""

import csv
import datetime
import io

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from requests_app import workflow
from requests_app.agreement import departures, deprovisioning, life, people_views, register
from requests_app.core import actions
from requests_app.core.actions import ActionRefused
from requests_app.core.states import AccessEnd, AccessLevel
from requests_app.models import AccessRequest, Event, Notification, PersonAccess, ReadLogEntry
from tests.support.factories import MembershipFactory
from tests.support.journey import ADA, BO, CY, fresh
from tests.support.pages import pages_of, parsed

FULL, VIEW, REPORTING = AccessLevel.FULL, AccessLevel.VIEW, AccessLevel.REPORTING


def access_of(agreement, name):
    return agreement.people.select_related("person").get(person__name=name)


def downloaded(response):
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def depart(client, agreement, access, left_on, seen=True):
    fields = {"depart-access": access.pk, "depart-left_on": left_on}
    if seen:
        fields["seen"] = actions.version(fresh(agreement))
    return client.post(reverse("depart", args=[agreement.request.reference]), fields)


# Departures, through the service.


def test_a_departure_ends_access_and_is_on_the_deprovisioning_list_in_the_same_transaction(
    stage, personas
):
    agreement = stage.active(people=(ADA, BO))
    ada = access_of(agreement, "Ada Analyst")
    today = timezone.localdate()

    with transaction.atomic():
        departures.report_departure(agreement, personas.riley, ada, today)
        listed = list(deprovisioning.deprovisioning_list(personas.sam))

    assert listed == [ada]
    ada.refresh_from_db()
    assert (ada.ended_on, ada.end_reason) == (today, AccessEnd.DEPARTED)
    event = Event.objects.get(kind=Event.Kind.PERSON_DEPARTED)
    assert (event.actor, event.data, event.visible_to_requestor, event.headline()) == (
        personas.riley,
        {"people": ["Ada Analyst"], "ended_on": today.isoformat()},
        True,
        "Left the organization: Ada Analyst",
    )
    assert list(register.staff_register(personas.sam).values_list("person__name", flat=True)) == [
        "Bo Builder"
    ]


def test_a_departure_tells_staff_and_the_organizations_other_members(stage, personas):
    agreement = stage.active(people=(ADA,))
    MembershipFactory(organization=personas.harbor, user__name="Robin Colleague")

    departures.report_departure(
        agreement, personas.riley, access_of(agreement, "Ada Analyst"), timezone.localdate()
    )

    told = Notification.objects.filter(kind=Notification.Kind.DEPARTED)
    assert sorted(told.values_list("recipient__name", flat=True)) == [
        "Robin Colleague",
        "Sam Staff",
    ]


@pytest.mark.parametrize(
    ("days", "problem"),
    [
        (1, "The date they left cannot be in the future."),
        (-40, "The date they left cannot be before their access began ({began})."),
    ],
    ids=["future", "before-access-began"],
)
def test_a_departure_date_in_the_future_or_before_access_began_is_refused(
    stage, personas, days, problem
):
    agreement = stage.active(people=(ADA,))
    ada = access_of(agreement, "Ada Analyst")
    began = timezone.localtime(ada.activated_at).date()

    with pytest.raises(ActionRefused) as refused:
        departures.report_departure(
            agreement, personas.riley, ada, timezone.localdate() + datetime.timedelta(days=days)
        )

    assert refused.value.problems == [problem.format(began=f"{began:%B} {began.day}, {began:%Y}")]
    assert PersonAccess.objects.get(pk=ada.pk).ended_on is None


def test_a_second_report_of_the_same_departure_records_nothing_twice(stage, personas):
    agreement = stage.active(people=(ADA, BO))
    ada = access_of(agreement, "Ada Analyst")
    departures.report_departure(agreement, personas.riley, ada, timezone.localdate())

    with pytest.raises(ActionRefused) as refused:
        departures.report_departure(fresh(agreement), personas.sam, ada, timezone.localdate())

    assert refused.value.problems == [
        "Ada Analyst's access has already ended: nothing was recorded twice."
    ]
    assert Event.objects.filter(kind=Event.Kind.PERSON_DEPARTED).count() == 1


# The deprovisioning list.


def test_revoked_expired_and_departed_people_are_on_the_deprovisioning_list(stage, personas):
    stage.revoked(people=(ADA,))
    expired = stage.expired(people=(BO,))
    left = stage.active(people=(CY,))
    cy = access_of(left, "Cy Clinician")
    departures.report_departure(left, personas.riley, cy, timezone.localdate())
    # Never activated: no HMIS account to close, so not listed once its MOU is revoked.
    never_active = stage.executed(people=(("Di Draft", "di@harbor.example", VIEW),))
    workflow.revoke_access(never_active, personas.sam, "Shared a login.")

    listed = deprovisioning.deprovisioning_list(personas.sam)

    # The longest waiting first: the expired MOU's people ended on its last day, later.
    today = timezone.localdate()
    assert [(a.person.name, a.end_reason, a.ended_on) for a in listed] == [
        ("Ada Analyst", AccessEnd.REVOKED, today),
        ("Cy Clinician", AccessEnd.DEPARTED, today),
        ("Bo Builder", AccessEnd.EXPIRED, expired.ends_on),
    ]
    assert list(deprovisioning.deprovisioning_list(personas.quinn)) == []


def test_marking_accounts_closed_takes_people_off_the_list_once(stage, personas, django_user_model):
    agreement = stage.revoked(people=(ADA, BO))
    ada = access_of(agreement, "Ada Analyst")
    colleague = django_user_model.objects.create_user(
        email="kim@cceh.example", password="x", name="Kim Staff", is_cceh_staff=True
    )

    done = deprovisioning.deprovision_access(personas.sam, [ada])
    with pytest.raises(ActionRefused) as refused:
        deprovisioning.deprovision_access(colleague, [ada])

    assert done == [ada]
    ada.refresh_from_db()
    closed_at = timezone.localtime(ada.deprovisioned_at)
    assert refused.value.problems == [
        f"Already marked as closed by Sam Staff at {closed_at:%-I:%M %p}: nothing was marked twice."
    ]
    assert [a.person.name for a in deprovisioning.deprovisioning_list(personas.sam)] == [
        "Bo Builder"
    ]
    event = Event.objects.get(kind=Event.Kind.ACCESS_DEPROVISIONED)
    assert (event.actor, event.headline()) == (personas.sam, "HMIS accounts closed: Ada Analyst")


@pytest.mark.parametrize(
    ("ended", "today", "words"),
    [
        # Friday to Monday: one working day, not yet flagged.
        (datetime.date(2026, 11, 20), datetime.date(2026, 11, 23), ("1 working day", False)),
        (datetime.date(2026, 11, 23), datetime.date(2026, 11, 23), ("0 working days", False)),
        (
            datetime.date(2026, 11, 20),
            datetime.date(2026, 11, 24),
            ("Overdue: 2 working days", True),
        ),
    ],
)
def test_ageing_is_said_in_working_days_and_flagged_past_one(ended, today, words):
    _days, said, flagged = deprovisioning.ageing(ended, today)
    assert (said, flagged) == words


# The pages.


def elsewheres(stage, personas, people):
    """An active MOU of another organization: staged as Harbor's, then moved (only an MOU's
    status is protected)."""
    agreement = stage.active(people=people)
    AccessRequest.objects.filter(pk=agreement.request_id).update(organization=personas.elsewhere)
    return fresh(agreement)


def listed_people(response, table="register"):
    """Each row's person; none when the page shows no table."""
    found = parsed(response).find("table", cls=table)
    rows = found.find("tbody").find_all("tr") if found else []
    return [row.find_all("td")[0 if table == "register" else 1].text for row in rows]


def test_the_staff_register_shows_each_person_holding_access_with_its_columns(
    client, stage, personas
):
    agreement = stage.active(people=(ADA, CY), granted={"Cy Clinician": VIEW})
    statewide = elsewheres(stage, personas, (BO,))
    AccessRequest.objects.filter(pk=statewide.request_id).update(statewide=True)
    stage.revoked(people=(("Ed Ended", "ed@harbor.example", VIEW),))
    client.force_login(personas.sam)
    today = timezone.localdate()

    response = client.get(reverse("register"))

    table = parsed(response).find("table", cls="register")
    cells = [[td.text for td in tr.find_all("td")][:8] for tr in table.find("tbody").find_all("tr")]
    ref, sref = agreement.request.reference, statewide.request.reference
    since = f"{today:%b} {today.day}, {today:%Y}"
    ends = f"{agreement.ends_on:%b} {agreement.ends_on.day}, {agreement.ends_on:%Y}"
    expires = workflow.add_months(today, 12)
    training = f"{since} expires {expires:%b} {expires.day}, {expires:%Y}"
    assert cells == [
        [
            "Bo Builder bo@harbor.example",
            "Elsewhere Services",
            "Reporting only",
            "Statewide",
            since,
            ends,
            f"{sref} v3",
            training,
        ],
        [
            "Ada Analyst ada@harbor.example",
            "Harbor Health Partners",
            "View only",
            "Greater Hartford",
            since,
            ends,
            f"{ref} v3",
            training,
        ],
        [
            "Cy Clinician cy@harbor.example",
            "Harbor Health Partners",
            "View only",
            "Greater Hartford",
            since,
            ends,
            f"{ref} v3",
            training,
        ],
    ]
    main = parsed(response)
    assert [li.text for li in main.find("ul", cls="by-level").find_all("li")] == [
        "Reporting only: 1",
        "View only: 2",
    ]
    assert [li.text for li in main.find("ul", cls="by-can").find_all("li")] == [
        "Greater Hartford: 2",
        "Statewide: 1",
    ]


REGISTER_COLUMNS = [
    "Name",
    "E-mail",
    "Organization",
    "Access level",
    "CAN scope",
    "Since",
    "Until",
    "MOU",
    "Trained on",
    "Training expires",
    "User agreement signed",
    "User agreement due",
]


def test_the_register_csv_holds_the_filtered_rows(client, stage, personas):
    agreement = stage.active(people=(ADA, CY), granted={"Cy Clinician": VIEW})
    stage.active(people=(BO,), cans=[])
    client.force_login(personas.sam)
    today = timezone.localdate()

    response = client.get(reverse("register_export"), {"q": "ada"})

    assert response["Content-Disposition"] == (f'attachment; filename="hmis-register-{today}.csv"')
    expires = workflow.add_months(today, 12)
    assert downloaded(response) == [
        REGISTER_COLUMNS,
        [
            "Ada Analyst",
            "ada@harbor.example",
            "Harbor Health Partners",
            "View only",
            "Greater Hartford",
            f"{today:%Y-%m-%d}",
            f"{agreement.ends_on:%Y-%m-%d}",
            f"{agreement.request.reference} v3",
            f"{today:%Y-%m-%d}",
            f"{expires:%Y-%m-%d}",
            f"{today:%Y-%m-%d}",
            f"{expires:%Y-%m-%d}",
        ],
    ]
    exports = ReadLogEntry.objects.filter(kind=ReadLogEntry.Kind.CSV_EXPORT)
    assert list(exports.values_list("subject", flat=True)) == [f"hmis-register-{today}.csv?q=ada"]


@pytest.mark.parametrize(
    ("filters", "names"),
    [
        # By organization (Elsewhere Services, then Harbor Health Partners), then name.
        ({}, ["Bo Builder", "Ada Analyst", "Cy Clinician"]),
        ({"level": FULL}, ["Cy Clinician"]),
        ({"q": "BO@harbor"}, ["Bo Builder"]),
        # Statewide access counts in every CAN.
        ({"can": "eastern"}, ["Bo Builder"]),
        ({"can": "greater-hartford"}, ["Bo Builder", "Ada Analyst", "Cy Clinician"]),
        # A part of the organization's name, in any case.
        ({"organization": "HARBOR"}, ["Ada Analyst", "Cy Clinician"]),
        ({"organization": "nowhere"}, []),
    ],
    ids=["none", "level", "search", "can-statewide", "can", "organization", "no-organization"],
)
def test_the_register_filters_by_level_can_organization_and_search(
    client, stage, personas, filters, names
):
    stage.active(people=(ADA, CY))
    statewide = stage.active(people=(BO,), cans=[])
    AccessRequest.objects.filter(pk=statewide.request_id).update(organization=personas.elsewhere)
    client.force_login(personas.sam)
    if "can" in filters:
        slug = filters["can"]
        filters = {"can": (personas.eastern if slug == "eastern" else personas.hartford).pk}

    response = client.get(reverse("register"), filters)

    # Each row's person: their name, then their e-mail.
    assert [row.rsplit(" ", 1)[0] for row in listed_people(response)] == names


def test_the_organization_register_lists_its_own_people_alone(client, stage, personas):
    stage.active(people=(ADA,))
    elsewheres(stage, personas, (BO,))

    client.force_login(personas.riley)
    ours = client.get(reverse("organization_register"))
    client.force_login(personas.quinn)
    theirs = client.get(reverse("organization_register"))
    export = downloaded(client.get(reverse("organization_register_export")))

    assert listed_people(ours) == ["Ada Analyst ada@harbor.example"]
    assert parsed(ours).find("p", cls="report-within").text == (
        "Report a departure within one business day (HUD practice is 24 hours). Use “Report a "
        "departure” on the person's row."
    )
    assert listed_people(theirs) == ["Bo Builder bo@harbor.example"]
    assert [row[0] for row in export] == ["Name", "Bo Builder"]


# A departure, as the organization reports it: the register's link, the form, the button.


def test_a_member_reports_a_departure_in_two_clicks_from_the_register(client, stage, personas):
    agreement = stage.active(people=(ADA, BO))
    bo = access_of(agreement, "Bo Builder")
    client.force_login(personas.riley)

    register_page = parsed(client.get(reverse("organization_register")))
    link = [a for a in register_page.find_all("a") if a.text.startswith("Report a departure")][1]
    mou_page = client.get(link.attrs["href"])
    form = parsed(mou_page).find(
        "form", action=reverse("depart", args=[agreement.request.reference])
    )
    chosen = form.find("option", selected="")
    left_on = form.find("input", name="depart-left_on").attrs["value"]
    response = depart(client, agreement, bo, left_on)

    assert (chosen.text, left_on) == ("Bo Builder", timezone.localdate().isoformat())
    assert (
        parsed(mou_page)
        .find("p", cls="report-within")
        .text.startswith("Report a departure within one business day (HUD practice is 24 hours).")
    )
    assert response.status_code == 302
    bo.refresh_from_db()
    assert (bo.end_reason, bo.ended_on) == (AccessEnd.DEPARTED, timezone.localdate())
    assert listed_people(client.get(reverse("organization_register"))) == [
        "Ada Analyst ada@harbor.example"
    ]


def test_a_departure_dated_in_the_future_is_refused_with_what_was_typed_kept(
    client, stage, personas
):
    agreement = stage.active(people=(ADA,))
    ada = access_of(agreement, "Ada Analyst")
    client.force_login(personas.riley)
    tomorrow = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()

    response = depart(client, agreement, ada, tomorrow)

    assert response.status_code == 400
    form = parsed(response).find(
        "form", action=reverse("depart", args=[agreement.request.reference])
    )
    assert form.find("input", name="depart-left_on").attrs["value"] == tomorrow
    assert "The date they left cannot be in the future." in form.text
    assert PersonAccess.objects.get(pk=ada.pk).ended_on is None


# Who may: the departure, the pages and their CSVs (signatory = an ordinary member until the
# organization roles are merged; `colleague` is another member of the organization).

PAGES = ["register", "register_export", "deprovisioning", "deprovisioning_export"]
ORGANIZATION_PAGES = ["organization_register", "organization_register_export"]


def persona(personas, name):
    if name == "colleague":
        return MembershipFactory(organization=personas.harbor, user__name="Robin Colleague").user
    return personas.by_name(name)


@pytest.mark.parametrize(
    ("name", "status"),
    [
        ("riley", 302),
        ("colleague", 302),
        ("sam", 302),
        # Sees the request as the named CAN's leader, but may not report for it.
        ("lee", 400),
        ("morgan", 404),
        ("pat", 404),
        ("quinn", 404),
        ("anonymous", 302),
    ],
)
def test_who_may_report_a_departure(client, stage, personas, name, status):
    agreement = stage.active(people=(ADA,))
    ada = access_of(agreement, "Ada Analyst")
    user = persona(personas, name)
    if name != "anonymous":
        client.force_login(user)

    response = depart(client, agreement, ada, timezone.localdate().isoformat())

    assert response.status_code == status
    ended = PersonAccess.objects.get(pk=ada.pk).ended_on is not None
    assert ended == (name in ("riley", "colleague", "sam"))
    if name == "anonymous":
        assert response["Location"].startswith(reverse("account_login"))


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize(
    ("name", "status"),
    [
        ("riley", 403),
        ("colleague", 403),
        ("sam", 200),
        ("morgan", 403),
        ("lee", 403),
        ("quinn", 403),
        ("anonymous", 302),
    ],
)
def test_only_staff_reach_the_register_and_the_deprovisioning_list(
    client, stage, personas, page, name, status
):
    agreement = stage.revoked(people=(ADA,))
    user = persona(personas, name)
    if name != "anonymous":
        client.force_login(user)

    assert client.get(reverse(page)).status_code == status
    posted = client.post(reverse("deprovisioning"), {"access": [agreement.people.get().pk]})
    assert posted.status_code == (302 if name in ("sam", "anonymous") else 403)
    closed = PersonAccess.objects.filter(deprovisioned_at__isnull=False).count()
    assert closed == (1 if name == "sam" else 0)


@pytest.mark.parametrize("page", ORGANIZATION_PAGES)
@pytest.mark.parametrize(
    ("name", "status", "listed"),
    [
        ("riley", 200, True),
        ("colleague", 200, True),
        # Staff, the committee and CAN leaders belong to no organization here: no such page.
        ("sam", 404, False),
        ("morgan", 404, False),
        ("lee", 404, False),
        # Another organization's member sees their own (nobody), never Harbor's.
        ("quinn", 200, False),
        ("anonymous", 302, False),
    ],
)
def test_an_organizations_register_is_its_own_members_alone(
    client, stage, personas, page, name, status, listed
):
    stage.active(people=(ADA,))
    user = persona(personas, name)
    if name != "anonymous":
        client.force_login(user)

    response = client.get(reverse(page))

    assert response.status_code == status
    if status == 200:
        text = (
            b"".join(response.streaming_content).decode()
            if page.endswith("export")
            else response.content.decode()
        )
        assert ("ada@harbor.example" in text) == listed


# The deprovisioning page and its CSV.

DEPROVISIONING_COLUMNS = [
    "Name",
    "E-mail",
    "Organization",
    "Why access ended",
    "Access ended",
    "Working days since",
    "Overdue",
    "MOU",
]


def test_the_deprovisioning_page_and_csv_say_why_when_and_how_long(client, stage, personas):
    agreement = stage.active(people=(ADA, BO))
    ada, bo = access_of(agreement, "Ada Analyst"), access_of(agreement, "Bo Builder")
    # Access began long ago; Ada left a week ago (five working days whatever today is).
    PersonAccess.objects.filter(agreement=agreement).update(
        activated_at=timezone.now() - datetime.timedelta(days=30)
    )
    week_ago = timezone.localdate() - datetime.timedelta(days=7)
    departures.report_departure(fresh(agreement), personas.riley, ada, week_ago)
    departures.report_departure(fresh(agreement), personas.riley, bo, timezone.localdate())
    client.force_login(personas.sam)
    ref = agreement.request.reference

    page = parsed(client.get(reverse("deprovisioning")))
    rows = [
        [td.text for td in tr.find_all("td")][1:]
        for tr in page.find("table", cls="deprovisioning").find("tbody").find_all("tr")
    ]
    export = downloaded(client.get(reverse("deprovisioning_export")))

    assert rows == [
        [
            "Ada Analyst ada@harbor.example",
            "Harbor Health Partners",
            "Left the organization",
            f"{week_ago:%b} {week_ago.day}, {week_ago:%Y}",
            "Overdue: 5 working days",
            f"{ref} v3",
        ],
        [
            "Bo Builder bo@harbor.example",
            "Harbor Health Partners",
            "Left the organization",
            f"{timezone.localdate():%b} {timezone.localdate().day}, {timezone.localdate():%Y}",
            "0 working days",
            f"{ref} v3",
        ],
    ]
    assert export == [
        DEPROVISIONING_COLUMNS,
        [
            "Ada Analyst",
            "ada@harbor.example",
            "Harbor Health Partners",
            "Left the organization",
            f"{week_ago:%Y-%m-%d}",
            "5",
            "Yes",
            f"{ref} v3",
        ],
        [
            "Bo Builder",
            "bo@harbor.example",
            "Harbor Health Partners",
            "Left the organization",
            f"{timezone.localdate():%Y-%m-%d}",
            "0",
            "No",
            f"{ref} v3",
        ],
    ]


def test_staff_tick_several_and_mark_their_accounts_closed(client, stage, personas):
    agreement = stage.revoked(people=(ADA, BO, CY))
    ada, cy = access_of(agreement, "Ada Analyst"), access_of(agreement, "Cy Clinician")
    client.force_login(personas.sam)

    response = client.post(reverse("deprovisioning"), {"access": [ada.pk, cy.pk]}, follow=True)

    main = parsed(response)
    assert main.find("div", role="status").text == ("Marked 2 people's HMIS accounts as closed.")
    assert listed_people(response, "deprovisioning") == ["Bo Builder bo@harbor.example"]


def test_closing_nobody_is_refused_in_words(client, stage, personas):
    stage.revoked()
    client.force_login(personas.sam)

    response = client.post(reverse("deprovisioning"), {}, follow=True)

    assert parsed(response).find("div", role="status").text == (
        "Choose at least one person from the list."
    )


# Queries: a fixed number whatever the number of people (2 or 20).


def people(count, start=0):
    return tuple(
        (f"Person {n:02}", f"p{n}@harbor.example", VIEW if n % 2 else REPORTING)
        for n in range(start, start + count)
    )


def staged(stage, personas, count, ended=False):
    """`count` people over two active MOUs (one statewide); `ended`: each has left."""
    half = count // 2
    agreements = [
        stage.active(people=people(half)),
        stage.active(people=people(count - half, start=half), cans=[]),
    ]
    if ended:
        for agreement in agreements:
            for access in agreement.people.all():
                departures.report_departure(
                    fresh(agreement), personas.riley, access, timezone.localdate()
                )
    return agreements


# As the provisioning list's (tests/agreement/test_views.py) without its CAN scopes: the
# session, the person, the page's people, their bounded count and the header's.
DEPROVISIONING_QUERIES = 6
# The session, the person, the export's record in the read log (core/files.py), and every row
# in one query (core/exports.py).
DEPROVISIONING_EXPORT_QUERIES = 4
# The deprovisioning list's, the people's CAN scopes, the filter's CANs, and the counts by level
# and by CAN; the organization's own, whether the person is a member.
REGISTER_QUERIES = {"register": 10, "organization_register": 11}
REGISTER_EXPORT_QUERIES = {"register_export": 4, "organization_register_export": 5}


@pytest.mark.parametrize("count", [2, 20])
@pytest.mark.parametrize(
    ("page", "name"), [("register", "sam"), ("organization_register", "riley")]
)
def test_the_register_runs_as_many_queries_for_20_people_as_for_2(
    client, stage, personas, django_assert_num_queries, count, page, name
):
    staged(stage, personas, count)
    client.force_login(personas.by_name(name))

    with django_assert_num_queries(REGISTER_QUERIES[page]):
        response = client.get(reverse(page), {"level": VIEW})
    assert response.status_code == 200
    export = page.replace("register", "register_export")
    with django_assert_num_queries(REGISTER_EXPORT_QUERIES[export]):
        lines = b"".join(client.get(reverse(export)).streaming_content).decode().splitlines()
    assert len(lines) == count + 1


@pytest.mark.parametrize("count", [2, 20])
def test_the_deprovisioning_list_runs_as_many_queries_for_20_people_as_for_2(
    client, stage, personas, django_assert_num_queries, count
):
    staged(stage, personas, count, ended=True)
    client.force_login(personas.sam)

    with django_assert_num_queries(DEPROVISIONING_QUERIES):
        response = client.get(reverse("deprovisioning"))
    assert response.status_code == 200
    with django_assert_num_queries(DEPROVISIONING_EXPORT_QUERIES):
        lines = b"".join(client.get(reverse("deprovisioning_export")).streaming_content)
    assert len(lines.decode().splitlines()) == count + 1


# Pages: first, middle and last, the filter kept.


def walk(client, start, query, table):
    seen, response = [], None
    for link in (None, "Next", "Next", "Previous", "First"):
        address = start if link is None else pages_of(response)[1][link]
        response = client.get(address, query if link is None else None)
        position, links = pages_of(response)
        assert all(
            query_kept in href
            for href in links.values()
            for query_kept in [f"{k}={v}" for k, v in query.items()]
        )
        seen.append((listed_people(response, table), position, list(links)))
    return seen


def test_the_register_pages_a_filtered_list_first_middle_last(client, stage, personas, monkeypatch):
    monkeypatch.setattr(people_views, "REGISTER_PAGE_SIZE", 2)
    stage.active(people=people(10))  # five at each level
    client.force_login(personas.sam)
    view = [f"Person {n:02} p{n}@harbor.example" for n in range(1, 10, 2)]

    assert walk(client, reverse("register"), {"level": VIEW}, "register") == [
        (view[:2], "People 1 to 2 of 5", ["Next"]),
        (view[2:4], "People 3 to 4 of 5", ["First", "Previous", "Next"]),
        (view[4:], "Person 5 of 5", ["First", "Previous"]),
        (view[2:4], "People 3 to 4 of 5", ["First", "Previous", "Next"]),
        (view[:2], "People 1 to 2 of 5", ["Next"]),
    ]


def test_the_deprovisioning_list_pages_first_middle_last(client, stage, personas, monkeypatch):
    monkeypatch.setattr(people_views, "DEPROVISIONING_PAGE_SIZE", 2)
    agreement = stage.revoked(people=people(5))
    client.force_login(personas.sam)
    ended = [
        f"{a.person.name} {a.person.email}"
        for a in agreement.people.select_related("person").order_by("pk")
    ]

    assert walk(client, reverse("deprovisioning"), {}, "deprovisioning") == [
        (ended[:2], "People 1 to 2 of 5", ["Next"]),
        (ended[2:4], "People 3 to 4 of 5", ["First", "Previous", "Next"]),
        (ended[4:], "Person 5 of 5", ["First", "Previous"]),
        (ended[2:4], "People 3 to 4 of 5", ["First", "Previous", "Next"]),
        (ended[:2], "People 1 to 2 of 5", ["Next"]),
    ]


# The life drawn in docs/access.svg (agreement/life.py) is the one the services walk.


def test_each_service_moves_a_persons_access_as_the_drawn_life_says(stage, personas):
    executed = stage.executed(people=(ADA, BO, CY))
    ada, bo, cy = (access_of(executed, n) for n in ("Ada Analyst", "Bo Builder", "Cy Clinician"))
    walked = []

    def step(access, action, move):
        before = life.state_of(access)
        move()
        access.refresh_from_db()
        walked.append((before, action, life.state_of(access)))

    agreement = stage.train(executed, ada.person, bo.person)
    step(ada, "activate", lambda: stage.activate(agreement, note="Cy trains later."))
    bo.refresh_from_db()
    step(ada, "provision", lambda: workflow.provision_access(personas.sam, [ada]))
    step(
        cy,
        "depart",
        lambda: departures.report_departure(
            fresh(agreement), personas.riley, cy, timezone.localdate()
        ),
    )
    step(
        ada,
        "depart",
        lambda: departures.report_departure(
            fresh(agreement), personas.riley, ada, timezone.localdate()
        ),
    )
    step(ada, "deprovision", lambda: deprovisioning.deprovision_access(personas.sam, [ada]))
    step(
        bo,
        "revoke",
        lambda: workflow.revoke_access(
            fresh(agreement), personas.sam, "Shared a login.", bo.person
        ),
    )

    assert walked == [
        (life.NAMED, "activate", life.ACTIVE),
        (life.ACTIVE, "provision", life.PROVISIONED),
        (life.NAMED, "depart", life.UNUSED),
        (life.PROVISIONED, "depart", AccessEnd.DEPARTED),
        (AccessEnd.DEPARTED, "deprovision", life.CLOSED),
        (life.ACTIVE, "revoke", AccessEnd.REVOKED),
    ]
    # Each step is a move the table draws (a move before activation names several actions).
    drawn = {(source, target): set() for source, _, target in life.MOVES}
    for source, words, target in life.MOVES:
        drawn[source, target] |= set(words.replace(" or ", ", ").split(", "))
    assert [action in drawn[source, target] for source, action, target in walked] == [True] * 6


# A conflict of interest hides as well as blocks: staff who belong to an organization see its
# people on neither staff list, only on their organization's own register.


def test_staff_never_see_their_own_organizations_people_on_the_staff_lists(client, stage, personas):
    stage.active(people=(ADA,))
    stage.revoked(people=(BO,))
    MembershipFactory(organization=personas.harbor, user=personas.sam)
    client.force_login(personas.sam)

    register_page = client.get(reverse("register"))
    ended = client.get(reverse("deprovisioning"))
    register_csv = downloaded(client.get(reverse("register_export")))
    ended_csv = downloaded(client.get(reverse("deprovisioning_export")))
    own = client.get(reverse("organization_register"))
    bo = PersonAccess.objects.get(person__name="Bo Builder")
    refused = client.post(reverse("deprovisioning"), {"access": [bo.pk]}, follow=True)

    assert parsed(register_page).find("table", cls="register") is None
    assert parsed(ended).find("table", cls="deprovisioning") is None
    assert (register_csv, ended_csv) == ([REGISTER_COLUMNS], [DEPROVISIONING_COLUMNS])
    assert listed_people(own) == ["Ada Analyst ada@harbor.example"]
    assert parsed(refused).find("div", role="status").text == "Choose people from the list."
    assert PersonAccess.objects.get(pk=bo.pk).deprovisioned_at is None
