"""The committee's and the CAN leaders' pages: the docket, votes through the views with
their refusals, quorum as the page states it at its edges, the chair's decision with and against
the tally, the CAN's recommendation and who may give it, who reads votes and internal comments,
and the number of SQL queries the docket and the case page run, which must not grow with the
number of requests, votes or comments.

Pages are read as a person reads them: the HTML is parsed (html.parser, no extra dependency)
and compared as text, so a test fails when what is shown changes, not when markup moves."""

import datetime
import re
from collections import Counter
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import dateformat, timezone

from requests_app import workflow
from requests_app.committee import views as committee_views
from requests_app.core.states import AccessLevel, Status
from requests_app.models import (
    CAN,
    AccessRequest,
    CANRecommendation,
    Criterion,
    Decision,
    NamedPerson,
    Vote,
    VotingRound,
)
from requests_app.screening import views as screening_views
from tests.support import clock
from tests.support.factories import MembershipFactory, UserFactory
from tests.support.pages import field_name, form_data, pages_of, parsed

FULL, VIEW, REPORTING = AccessLevel.FULL, AccessLevel.VIEW, AccessLevel.REPORTING
APPROVE, DENY, ABSTAIN, RECUSE = (
    Vote.Choice.APPROVE,
    Vote.Choice.DENY,
    Vote.Choice.ABSTAIN,
    Vote.Choice.RECUSE,
)
HIDDEN = "Other members' votes and the tally appear once you have cast your own."
RECORDED = "Your vote is recorded. You can change it until the chair records the decision."
NEEDS_REASON = "Write the reason for this choice."
CHANGED_ELSEWHERE = (
    "Your vote on this request changed in another window while you were looking at it. "
    "Reload the page to see it before voting again."
)
DEPARTS = "The decision differs from the tally (or the vote is tied): write why."
CONFLICT_NOTE = (
    "You belong to Harbor Health Partners, the requesting organization, so you see this "
    "request as its requestors do: not its screening, internal discussion, votes or "
    "recommendations, and you take no part in deciding it (a conflict of interest)."
)
ASKED = "Asked of you: record your CAN's recommendation"


# Reading pages: tests/support/pages.py.


def section(response, heading_id):
    return parsed(response).find("section", aria_labelledby=heading_id)


def committee(response):
    return section(response, "committee-heading")


def quorum_line(response):
    return committee(response).find("p", cls="quorum").text


def tally_line(response):
    """The tally as the page prints it; None where it is hidden."""
    line = committee(response).find("p", cls="tally")
    return line.text if line else None


def votes_listed(response):
    """The votes list, one line per member; None where it is hidden."""
    listed = committee(response).find("ul", cls="votes")
    return [li.text for li in listed.find_all("li")] if listed else None


def card(response, heading):
    """The committee section's card whose heading starts with `heading`, or None."""
    for found in committee(response).find_all("div", cls="card"):
        if found.find("h3").text.startswith(heading):
            return found
    return None


def form_posting_to(response, access_request, action):
    forms = [
        form
        for form in parsed(response).find_all("form")
        if form.attrs["action"] == f"/r/{access_request.reference}/{action}"
    ]
    assert len(forms) == 1, f"{len(forms)} forms post to {action}"
    return forms[0]


def posts_to(response, access_request, action):
    return any(
        form.attrs["action"] == f"/r/{access_request.reference}/{action}"
        for form in parsed(response).find_all("form")
    )


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


def checked(form, name):
    """The values of the ticked radio buttons or boxes called `name`."""
    return [
        box.attrs["value"]
        for box in form.find_all("input", name=field_name(form, name))
        if "checked" in box.attrs
    ]


def offered_choices(form, name):
    """The labels of the radio buttons called `name`, in order."""
    return [
        form.find("label", for_=box.attrs["id"]).text
        for box in form.find_all("input", name=field_name(form, name))
    ]


def selected(form, name):
    return [
        o.attrs["value"]
        for o in form.find("select", name=field_name(form, name)).find_all("option", selected="")
    ]


def alerts(response):
    """The red alerts on the page, in order: the refusals at the top, then a form's own."""
    return [alert.text for alert in parsed(response).find_all("div", cls="alert-danger")]


def refusals_at_top(response):
    """The sentences of the "That could not be done:" box at the top of the page."""
    for alert in parsed(response).find_all("div", cls="alert-danger"):
        if alert.find("p") is not None and alert.find("p").text == "That could not be done:":
            return [li.text for li in alert.find_all("li")]
    return []


def refusals_in(form):
    """The sentences of a form's own "This could not be done:" box."""
    for alert in form.find_all("div", cls="alert-danger"):
        if alert.find("p") is not None and alert.find("p").text == "This could not be done:":
            return [li.text for li in alert.find_all("li")]
    return []


def status_message(response):
    box = parsed(response).find("div", role="status")
    return box.text if box else None


def history(response):
    """The history's lines without their times, the newest first."""
    timeline = section(response, "history-heading").find("ol")
    return [li.text.split(": ", 1)[1] for li in timeline.find_all("li")]


def comments_in(response, heading_id):
    """[(author, body)] of one list of comments, in the order shown."""
    listed = section(response, heading_id)
    return [
        (entry.find("p").text.split(",")[0], entry.find("p", cls="mb-0").text)
        for entry in listed.find_all("div", cls="border-start")
    ]


def table_rows(response):
    assert response.status_code == 200
    body = parsed(response).find("tbody")
    if body is None:
        return []
    return [[td.text for td in tr.find_all("td")] for tr in body.find_all("tr")]


def day(moment):
    """A date as the lists print it, in Connecticut's time."""
    return dateformat.format(timezone.localtime(moment), "M j, Y")


def deadline(access_request):
    return f"Deadline: {day(access_request.voting_round.deadline)}."


# Building requests and people. Status only ever changes through the workflow.


def member(name):
    return UserFactory(name=name, is_committee_member=True)


def leaves_the_committee(user):
    user.is_committee_member = False
    user.save()


def vetting_naming(journey, people, cans=None, note="Is 1.9 met?"):
    """A request of Harbor in vetting naming `people`: [(name, level)], and `cans`."""
    cans = cans if cans is not None else [journey.p.hartford]
    return journey.vetting(note=note, named=people, cans=cans)


def with_deadline(request, moment):
    # Only the status is protected; the deadline may be set to stage an order.
    VotingRound.objects.filter(pk=request.voting_round_id).update(deadline=moment)
    request.refresh_from_db()
    return request


def people_of(request):
    return list(request.people.order_by("pk"))


def as_browser_sends(request, levels=None):
    """The level selects a vote or decision form posts: the browser always sends each one,
    its shown value unless the person picks another. `levels`: {named person: level}."""
    levels = levels or {}
    return {f"level_{p.pk}": levels.get(p, p.requested_level) for p in people_of(request)}


def vote(client, request, choice, reason="", levels=None, replaces=None):
    posted = {"choice": choice, "reason": reason, **as_browser_sends(request, levels)}
    if replaces is not None:
        posted["replaces"] = replaces
    return client.post(reverse("vote", args=[request.reference]), form_data("vote", posted))


def decide(client, request, outcome, levels=None, reason="", cited=(), departs=""):
    return client.post(
        reverse("decide", args=[request.reference]),
        form_data(
            "decide",
            {
                "outcome": outcome,
                "reason": reason,
                "cited": [c.pk for c in cited],
                "conditions": "",
                "departs_reason": departs,
                **as_browser_sends(request, levels),
            },
        ),
    )


def recommend(client, request, can, position, reason):
    return client.post(
        reverse("recommend", args=[request.reference]),
        form_data("recommend", {"can": can.pk, "position": position, "reason": reason}),
    )


def criterion(code):
    return Criterion.objects.get(code=code)


def votes_of(request):
    return list(Vote.objects.filter(request=request).values_list("voter__name", "choice", "reason"))


def page_as(client, user, request):
    client.force_login(user)
    response = client.get(request.get_absolute_url())
    assert response.status_code == 200
    return response


# The docket.


def test_the_docket_lists_requests_in_vetting_nearest_deadline_first_with_what_a_vote_needs(
    client, journey, personas
):
    first = vetting_naming(
        journey,
        [("Dana Reyes", FULL), ("Kim Park", VIEW)],
        cans=[personas.hartford, personas.eastern],
        note="Is 1.9 met by the IRB approval?",
    )
    second = vetting_naming(journey, [("Ana Lopez", REPORTING)], cans=[], note="One-time need?")
    workflow.cast_vote(second, personas.morgan, DENY, "A one-off study.")
    # The older request's deadline is the later one: the docket orders by deadline, not age.
    first = with_deadline(first, second.voting_round.deadline + datetime.timedelta(days=7))
    # Neither in screening nor decided: not the committee's business now.
    journey.screening()
    journey.approved()
    client.force_login(personas.morgan)

    assert table_rows(client.get(reverse("docket"))) == [
        [
            second.reference,
            "Harbor Health Partners",
            "Statewide",
            "Ana Lopez: Reporting only",
            "One-time need?",
            day(second.voting_round.deadline),
            f"Due in 30 days by {day(second.voting_round.opened_at + THIRTY_DAYS)}",
            "Deny",
        ],
        [
            first.reference,
            "Harbor Health Partners",
            "Eastern, Greater Hartford",
            "Dana Reyes: Full access Kim Park: View only",
            "Is 1.9 met by the IRB approval?",
            day(first.voting_round.deadline),
            f"Due in 30 days by {day(first.voting_round.opened_at + THIRTY_DAYS)}",
            "Not voted yet",
        ],
    ]


THIRTY_DAYS = datetime.timedelta(days=30)  # COMMITTEE_DECISION_TARGET_DAYS


def test_the_docket_shows_each_requests_decision_clock_and_the_members_own_vote(
    client, journey, personas
):
    late, fresh = journey.vetting(), journey.vetting()
    VotingRound.objects.filter(pk=late.voting_round_id).update(
        opened_at=clock.days_ago(33),
        deadline=clock.days_ahead(1),
    )
    workflow.cast_vote(late, personas.morgan, ABSTAIN)
    workflow.cast_vote(fresh, personas.casey, DENY, "Not clear.")  # Casey's, not Morgan's
    client.force_login(personas.morgan)

    response = client.get(reverse("docket"))
    rows = {row[0]: (row[-2], row[-1]) for row in table_rows(response)}
    overdue = [td.find("span", cls="clock") for td in parsed(response).find_all("td")]

    assert {ref: (words.split(" by ")[0], vote) for ref, (words, vote) in rows.items()} == {
        late.reference: ("3 days overdue", "Abstain"),
        fresh.reference: ("Due in 30 days", "Not voted yet"),
    }
    assert [c.has_class("clock-overdue") for c in overdue if c is not None] == [True, False]


def test_the_docket_shows_your_newest_vote_after_a_change(client, journey, personas):
    request = journey.vetting()
    first = workflow.cast_vote(request, personas.morgan, DENY, "Not yet convinced.")
    workflow.cast_vote(
        request, personas.morgan, APPROVE, levels=journey.levels(request), replaces=first.pk
    )
    client.force_login(personas.morgan)

    assert [row[-1] for row in table_rows(client.get(reverse("docket")))] == ["Approve"]


def test_a_request_escalated_again_asks_for_a_new_vote(client, journey, personas):
    request = journey.vetting()
    workflow.cast_vote(request, personas.morgan, APPROVE, levels=journey.levels(request))
    # Back to the requestor and escalated again: a new question, so the old vote is void.
    returned = workflow.return_for_information(request, personas.sam, "Which programs?")
    resubmitted = workflow.resubmit(returned, personas.riley, "Only the respite program.")
    screening = workflow.start_screening(resubmitted, personas.sam)
    request = workflow.escalate(screening, personas.sam, "Is 1.9 met now?")
    client.force_login(personas.morgan)

    docket = table_rows(client.get(reverse("docket")))
    page = client.get(request.get_absolute_url())

    assert [row[-1] for row in docket] == ["Not voted yet"]
    assert quorum_line(page) == (
        "0 of 2 members have voted (recusals do not count); quorum needs 2: "
        f"quorum is not reached yet. {deadline(request)}"
    )
    assert card(page, "Your vote").find("h3").text == "Your vote"


def test_the_past_tab_lists_decided_requests_you_voted_on_and_no_others(client, journey, personas):
    drew = member("Drew Member")
    voted = journey.with_quorum()
    workflow.record_committee_decision(
        voted, personas.casey, Status.APPROVED, "", levels=journey.levels(voted)
    )
    # Decided by the committee without Morgan's vote: not Morgan's history.
    not_voted = journey.vetting()
    for someone in (personas.casey, drew):
        workflow.cast_vote(not_voted, someone, APPROVE, levels=journey.levels(not_voted))
    workflow.record_committee_decision(
        not_voted, personas.casey, Status.APPROVED, "", levels=journey.levels(not_voted)
    )
    # Decided by staff, and still open: neither is on the past tab.
    journey.approved()
    still_open = journey.vetting()
    workflow.cast_vote(still_open, personas.morgan, ABSTAIN)
    person = voted.people.get()
    client.force_login(personas.morgan)

    past = client.get(reverse("docket"), {"tab": "past"})
    current = client.get(reverse("docket"))

    assert table_rows(past) == [
        [
            voted.reference,
            "Harbor Health Partners",
            "Greater Hartford",
            # A decided request shows the level granted beside the one requested.
            f"{person.name}: Reporting only granted (Full access requested)",
            "Approved by the committee Waiting for the organization's signature",
            "Approve",
        ]
    ]
    assert [row[0] for row in table_rows(current)] == [still_open.reference]


def test_an_empty_docket_says_so(client, personas):
    client.force_login(personas.morgan)

    pages = [client.get(reverse("docket")), client.get(reverse("docket"), {"tab": "past"})]

    assert [parsed(page).find("p", cls="empty-state").text for page in pages] == [
        "No request is with the committee now.",
        "No decided request that you voted on yet.",
    ]


@pytest.mark.parametrize("persona", ["riley", "quinn", "lee"])
def test_the_docket_is_refused_to_people_outside_the_committee(client, personas, persona):
    client.force_login(personas.by_name(persona))

    assert client.get(reverse("docket")).status_code == 403


# The docket's pages, and the CAN leaders' list's: a page at a time, each as cheap as the first.


def references(response):
    return [row[0] for row in table_rows(response)]


def refs(requests):
    return [r.reference for r in requests]


def walked(client, first, *links):
    """The page at `first` and the pages reached from it by following `links` in turn:
    ([(references, where it is in words, its links' texts)], [the queries each ran])."""
    pages, costs, response = [], [], None
    for link in (None, *links):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(first if link is None else pages_of(response)[1][link])
        position, offered = pages_of(response) or ("", {})
        pages.append((references(response), position, list(offered)))
        costs.append(len(queries))
    return pages, costs


def test_the_docket_pages_60_requests_by_deadline_25_at_a_time(client, journey, personas):
    soon = timezone.now() + datetime.timedelta(days=3)
    # The newest request's deadline is the nearest: the docket orders by deadline, not age.
    requests = [journey.vetting() for _ in range(60)][::-1]
    for hours, request in enumerate(requests):
        with_deadline(request, soon + datetime.timedelta(hours=hours))
    client.force_login(personas.morgan)
    links = ("Next", "Next", "Previous", "First")

    pages, costs = walked(client, reverse("docket"), *links)

    assert pages == [
        (refs(requests[:25]), "Requests 1 to 25 of 60", ["Next"]),
        (refs(requests[25:50]), "Requests 26 to 50 of 60", ["First", "Previous", "Next"]),
        (refs(requests[50:]), "Requests 51 to 60 of 60", ["First", "Previous"]),
        (refs(requests[25:50]), "Requests 26 to 50 of 60", ["First", "Previous", "Next"]),
        (refs(requests[:25]), "Requests 1 to 25 of 60", ["Next"]),
    ]
    # A deep page costs what the first does (and what a docket of one does, below).
    assert costs == [DOCKET_QUERIES] * 5


def decided_with_morgans_vote(journey, personas, days_ago):
    request = journey.with_quorum()
    workflow.record_committee_decision(
        request, personas.casey, Status.APPROVED, "", levels=journey.levels(request)
    )
    # Only the status is protected; when it was decided may be set to stage an order.
    moment = timezone.now() - datetime.timedelta(days=days_ago)
    AccessRequest.objects.filter(pk=request.pk).update(status_changed_at=moment)
    return request


def test_the_past_tab_pages_the_latest_decided_first_and_stays_on_its_tab(
    client, journey, personas, monkeypatch
):
    monkeypatch.setattr(committee_views, "DOCKET_PAGE_SIZE", 2)
    # Decided in another order than made: the latest decided comes first.
    made = [decided_with_morgans_vote(journey, personas, days) for days in (3, 1, 5, 2, 4)]
    latest_first = [made[i] for i in (1, 3, 0, 4, 2)]
    client.force_login(personas.morgan)
    past = f"{reverse('docket')}?tab=past"

    pages, costs = walked(client, past, "Older", "Older", "Newer", "First")

    assert pages == [
        (refs(latest_first[:2]), "Requests 1 to 2 of 5", ["Older"]),
        (refs(latest_first[2:4]), "Requests 3 to 4 of 5", ["First", "Newer", "Older"]),
        (refs(latest_first[4:]), "Request 5 of 5", ["First", "Newer"]),
        (refs(latest_first[2:4]), "Requests 3 to 4 of 5", ["First", "Newer", "Older"]),
        (refs(latest_first[:2]), "Requests 1 to 2 of 5", ["Older"]),
    ]
    assert costs == [DOCKET_QUERIES] * 5
    # Every link stays on the past tab: the tab is kept as a filter is.
    response = client.get(past)
    second = client.get(pages_of(response)[1]["Older"])
    assert [parse_qs(urlsplit(link).query)["tab"] for link in pages_of(second)[1].values()] == [
        ["past"]
    ] * 3


@pytest.mark.parametrize("tab", ["open", "past"])
def test_a_malformed_cursor_gives_the_dockets_first_page(
    client, journey, personas, monkeypatch, tab
):
    monkeypatch.setattr(committee_views, "DOCKET_PAGE_SIZE", 2)
    if tab == "past":
        made = [decided_with_morgans_vote(journey, personas, days) for days in (1, 2, 3)]
    else:
        made = [journey.vetting() for _ in range(3)]
        for days, request in enumerate(made, start=1):
            with_deadline(request, timezone.now() + datetime.timedelta(days=days))
    client.force_login(personas.morgan)

    response = client.get(reverse("docket"), {"tab": tab, "after": "W1swXQ:forged"})

    assert references(response) == refs(made[:2])
    assert pages_of(response)[0] == "Requests 1 to 2 of 3"


# The session, the person, whether they lead a CAN, the rows, their CANs, people and the CAN's
# recommendations, the bounded count, the header's three, and the CANs led for the heading.
CAN_LIST_QUERIES = 11


def test_the_can_list_pages_60_requests_the_longest_waiting_first(client, journey, personas):
    client.force_login(personas.lee)
    few = [journey.submitted(cans=[personas.hartford]) for _ in range(3)]
    with CaptureQueriesContext(connection) as queries:
        assert references(client.get(reverse("can_requests"))) == refs(few)
    few_queries = len(queries)
    requests = few + [journey.submitted(cans=[personas.hartford]) for _ in range(57)]
    journey.submitted(cans=[personas.eastern])  # not Lee's CAN: never listed
    start = timezone.now() - datetime.timedelta(days=90)
    for hours, request in enumerate(requests):
        # Only the status is protected; when it was entered may be set to stage an order.
        moment = start + datetime.timedelta(hours=hours)
        AccessRequest.objects.filter(pk=request.pk).update(status_changed_at=moment)

    pages, costs = walked(client, reverse("can_requests"), "Next", "Next", "Previous", "First")

    assert pages == [
        (refs(requests[:25]), "Requests 1 to 25 of 60", ["Next"]),
        (refs(requests[25:50]), "Requests 26 to 50 of 60", ["First", "Previous", "Next"]),
        (refs(requests[50:]), "Requests 51 to 60 of 60", ["First", "Previous"]),
        (refs(requests[25:50]), "Requests 26 to 50 of 60", ["First", "Previous", "Next"]),
        (refs(requests[:25]), "Requests 1 to 25 of 60", ["Next"]),
    ]
    # Three requests or sixty, the first page or the last: the same queries.
    assert [few_queries, *costs] == [CAN_LIST_QUERIES] * 6


def test_a_malformed_cursor_gives_the_can_lists_first_page(client, journey, personas, monkeypatch):
    monkeypatch.setattr(screening_views, "CAN_REQUESTS_PAGE_SIZE", 2)
    made = [journey.submitted(cans=[personas.hartford]) for _ in range(3)]
    client.force_login(personas.lee)

    response = client.get(reverse("can_requests"), {"before": "", "after": "%zz"})

    assert references(response) == refs(made[:2])
    assert pages_of(response)[0] == "Requests 1 to 2 of 3"


# Votes through the views.


@pytest.mark.parametrize(
    ("choice", "reason", "label"),
    [
        (APPROVE, "", "Approve"),
        (DENY, "Reports would do (1.1).", "Deny"),
        (ABSTAIN, "", "Abstain"),
        (RECUSE, "I advise their board.", "Recuse"),
    ],
)
def test_each_choice_is_recorded_and_shown_as_the_members_vote(
    client, journey, personas, choice, reason, label
):
    request = vetting_naming(journey, [("Dana Reyes", FULL), ("Kim Park", VIEW)])
    dana, kim = people_of(request)
    client.force_login(personas.morgan)

    response = vote(client, request, choice, reason, levels={dana: VIEW, kim: REPORTING})

    assert (response.status_code, response["Location"]) == (302, request.get_absolute_url())
    stored = Vote.objects.get(request=request)
    # Levels are a recommendation that only an approval carries.
    levels = {str(dana.pk): VIEW, str(kim.pk): REPORTING} if choice == APPROVE else {}
    assert (stored.voter, stored.choice, stored.reason, stored.recommended_levels) == (
        personas.morgan,
        choice,
        reason,
        levels,
    )
    page = client.get(response["Location"])
    assert status_message(page) == RECORDED
    mine = card(page, "Change your vote")
    assert mine.find("h3").text == f"Change your vote (now: {label})"
    assert mine.find("button").text == "Change my vote"
    # The page remembers which vote it showed, so a change from it replaces that one.
    assert mine.find("input", name=field_name(mine, "replaces")).attrs["value"] == str(stored.pk)
    assert [row[-1] for row in table_rows(client.get(reverse("docket")))] == [label]


def test_changing_a_vote_adds_a_row_and_only_the_newest_counts(client, journey, personas):
    request = journey.vetting()
    client.force_login(personas.morgan)
    vote(client, request, APPROVE)
    first = Vote.objects.get(request=request)

    response = vote(client, request, DENY, "Not convinced 1.9 is met.", replaces=first.pk)

    assert response.status_code == 302
    assert votes_of(request) == [
        ("Morgan Member", APPROVE, ""),
        ("Morgan Member", DENY, "Not convinced 1.9 is met."),
    ]
    page = page_as(client, personas.casey, request)
    assert tally_line(page) == "Tally: 0 approve, 1 deny, 0 abstain, 0 recused."
    assert votes_listed(page) == ["Morgan Member: Deny: Not convinced 1.9 is met."]
    mine = card(page_as(client, personas.morgan, request), "Change your vote")
    assert mine.find("h3").text == "Change your vote (now: Deny)"


@pytest.mark.parametrize("choice", [DENY, RECUSE])
def test_deny_or_recuse_without_a_reason_is_refused_and_keeps_what_was_chosen(
    client, journey, personas, choice
):
    request = vetting_naming(journey, [("Dana Reyes", FULL)])
    dana = request.people.get()
    client.force_login(personas.morgan)

    response = vote(client, request, choice, "   ", levels={dana: VIEW})

    assert response.status_code == 400
    form = form_posting_to(response, request, "vote")
    # At the top of the page, and in the vote form itself.
    assert (refusals_at_top(response), refusals_in(form)) == ([NEEDS_REASON], [NEEDS_REASON])
    assert (checked(form, "choice"), selected(form, f"level_{dana.pk}")) == ([choice], [VIEW])
    assert votes_of(request) == []


def test_a_member_sees_the_others_votes_and_the_tally_only_after_voting(client, journey, personas):
    request = journey.vetting()
    workflow.cast_vote(request, personas.morgan, DENY, "Not convinced 1.9 is met.")
    drew = member("Drew Member")

    before = page_as(client, drew, request)

    assert committee(before).find("p", cls="quorum") is not None
    assert (tally_line(before), votes_listed(before)) == (None, None)
    assert [p.text for p in committee(before).find_all("p") if p.text == HIDDEN] == [HIDDEN]
    assert "Morgan Member" not in committee(before).text
    assert card(before, "Your vote").find("h3").text == "Your vote"

    assert vote(client, request, APPROVE).status_code == 302
    after = client.get(request.get_absolute_url())

    assert tally_line(after) == "Tally: 1 approve, 1 deny, 0 abstain, 0 recused."
    assert votes_listed(after) == [
        "Morgan Member: Deny: Not convinced 1.9 is met.",
        "Drew Member: Approve",
    ]
    assert HIDDEN not in committee(after).text


@pytest.mark.parametrize("persona", ["drew", "lee"])
def test_the_history_does_not_reveal_a_vote_to_those_who_may_not_see_votes(
    client, journey, personas, persona
):
    # A member who has not voted, and a CAN leader (who never sees votes), read the history
    # too: a vote and its reason must not show there either.
    request = journey.vetting()
    workflow.cast_vote(request, personas.morgan, DENY, "Not convinced 1.9 is met.")
    viewer = member("Drew Member") if persona == "drew" else personas.lee

    page = page_as(client, viewer, request)

    assert "Not convinced 1.9 is met." not in page.content.decode()
    assert history(page) == [
        "Escalated to the committee, by Sam Staff: Is 1.9 met?",
        "Screening started, by Sam Staff",
        "Submitted, by Riley Requestor",
    ]


@pytest.mark.parametrize(("persona", "offers_a_vote"), [("casey", True), ("sam", False)])
def test_the_chair_and_staff_see_every_vote_and_the_tally_without_voting(
    client, journey, personas, persona, offers_a_vote
):
    request = journey.vetting()
    workflow.cast_vote(request, personas.morgan, RECUSE, "I advise their board.")

    page = page_as(client, personas.by_name(persona), request)

    assert tally_line(page) == "Tally: 0 approve, 0 deny, 0 abstain, 1 recused."
    assert votes_listed(page) == ["Morgan Member: Recuse: I advise their board."]
    assert HIDDEN not in committee(page).text
    # Staff are not on the committee: they watch the vote but have none.
    assert posts_to(page, request, "vote") == offers_a_vote


def test_a_cans_leader_sees_the_count_but_no_vote_and_is_not_invited_to_vote(
    client, journey, personas
):
    request = journey.vetting()
    workflow.cast_vote(request, personas.morgan, DENY, "Not convinced 1.9 is met.")

    page = page_as(client, personas.lee, request)

    assert quorum_line(page) == (
        "1 of 2 members have voted (recusals do not count); quorum needs 2: "
        f"quorum is not reached yet. {deadline(request)}"
    )
    assert (tally_line(page), votes_listed(page), posts_to(page, request, "vote")) == (
        None,
        None,
        False,
    )
    # Lee has no vote to cast: "once you have cast your own" would send him looking for one.
    assert HIDDEN not in committee(page).text


def test_a_member_of_the_requesting_organization_sees_it_as_a_requestor_and_may_only_recuse(
    client, journey, personas
):
    request = journey.vetting()
    drew = member("Drew Member")
    MembershipFactory(organization=personas.harbor, user=drew)

    page = page_as(client, drew, request)

    note = parsed(page).find("div", cls="conflict-of-interest")
    assert note.find("p").text == CONFLICT_NOTE
    assert committee(page) is None
    assert offered_choices(form_posting_to(page, request, "vote"), "choice") == ["Recuse"]


def test_a_member_of_the_requesting_organization_cannot_vote_to_approve_but_can_recuse(
    client, journey, personas
):
    request = journey.vetting()
    drew = member("Drew Member")
    MembershipFactory(organization=personas.harbor, user=drew)
    client.force_login(drew)

    refused = vote(client, request, APPROVE, "They do good work.")

    assert refused.status_code == 400
    form = form_posting_to(refused, request, "vote")
    assert field_errors(form) == [
        "Select a valid choice. approve is not one of the available choices."
    ]
    assert typed(form, "reason") == "They do good work."
    assert votes_of(request) == []

    recused = vote(client, request, RECUSE, "I work there.")

    assert recused.status_code == 302
    assert votes_of(request) == [("Drew Member", RECUSE, "I work there.")]


def test_a_vote_changed_in_another_window_is_not_overwritten(journey, personas):
    request = journey.vetting()
    first_window, second_window = Client(), Client()
    first_window.force_login(personas.morgan)
    # Two windows of one browser, so one session: a member holds one at a time.
    second_window.cookies = first_window.cookies
    # Both windows show no vote yet; the second votes first.
    shown = form_posting_to(first_window.get(request.get_absolute_url()), request, "vote")
    assert shown.find("input", name=field_name(shown, "replaces")).attrs.get("value") is None
    assert vote(second_window, request, APPROVE).status_code == 302

    response = vote(first_window, request, DENY, "Typed in the first window.")

    assert response.status_code == 400
    form = form_posting_to(response, request, "vote")
    assert (refusals_at_top(response), refusals_in(form), typed(form, "reason")) == (
        [CHANGED_ELSEWHERE],
        [CHANGED_ELSEWHERE],
        "Typed in the first window.",
    )
    assert votes_of(request) == [("Morgan Member", APPROVE, "")]


def test_a_refused_vote_says_why_at_the_top_and_in_its_form_and_nowhere_else(
    client, journey, personas
):
    # Every alert is read out by a screen reader: the same refusal three times is noise.
    request = journey.vetting()
    client.force_login(personas.morgan)

    response = vote(client, request, DENY, "")

    assert response.status_code == 400
    assert alerts(response) == [
        f"That could not be done: {NEEDS_REASON}",
        f"This could not be done: {NEEDS_REASON}",
    ]


@pytest.fixture
def decided(journey, personas):
    """A request the committee approved, Morgan and Casey having voted to approve."""
    request = journey.with_quorum()
    return workflow.record_committee_decision(
        request, personas.casey, Status.APPROVED, "", levels=journey.levels(request)
    )


def test_a_vote_after_the_decision_is_refused(client, decided, personas):
    client.force_login(personas.morgan)
    mine = Vote.objects.get(request=decided, voter=personas.morgan)
    before = votes_of(decided)

    response = vote(client, decided, DENY, "Changed my mind.", replaces=mine.pk)

    assert response.status_code == 400
    assert alerts(response) == ["That could not be done: This request is not open for votes now."]
    assert not posts_to(response, decided, "vote")
    assert votes_of(decided) == before


def test_a_vote_from_a_page_shown_before_the_decision_says_the_request_moved_on(
    client, journey, personas
):
    request = journey.with_quorum()
    client.force_login(personas.morgan)
    page = client.get(request.get_absolute_url())
    mine = Vote.objects.get(request=request, voter=personas.morgan)
    workflow.record_committee_decision(
        request, personas.casey, Status.APPROVED, "", levels=journey.levels(request)
    )

    response = client.post(
        reverse("vote", args=[request.reference]),
        form_data(
            "vote",
            {
                "choice": DENY,
                "reason": "Changed my mind.",
                "replaces": mine.pk,
                "seen": page.context["seen"],
                **as_browser_sends(request),
            },
        ),
    )

    assert response.status_code == 400
    assert alerts(response) == [
        "That could not be done: Someone else changed this request while you were looking at "
        "it: it is now approved. Reload the page to see what changed."
    ]
    assert Vote.objects.filter(request=request).count() == 2


def test_a_member_who_did_not_vote_no_longer_finds_a_decided_request(client, decided):
    # The committee sees what is in vetting and what it voted on: nothing else.
    client.force_login(member("Drew Member"))

    assert [
        client.get(decided.get_absolute_url()).status_code,
        vote(client, decided, APPROVE).status_code,
    ] == [404, 404]
    assert Vote.objects.filter(request=decided).count() == 2


# Quorum, as the page states it.


@pytest.mark.parametrize(("members", "needed"), [(2, 2), (3, 2), (4, 3), (5, 3), (6, 4)])
def test_quorum_needs_more_than_half_of_the_current_members(
    client, journey, personas, members, needed
):
    # Morgan and Casey, and as many more as the case needs.
    for n in range(members - 2):
        member(f"Member {n}")
    request = journey.vetting()

    assert quorum_line(page_as(client, personas.casey, request)) == (
        f"0 of {members} members have voted (recusals do not count); quorum needs {needed}: "
        f"quorum is not reached yet. {deadline(request)}"
    )


def test_quorum_is_reached_exactly_at_the_number_needed(client, journey, personas):
    extra = [member("Drew Member"), member("Jo Member")]
    request = journey.vetting()
    voters = [personas.morgan, personas.casey, *extra]
    lines = []
    for voter in voters[:3]:
        workflow.cast_vote(request, voter, APPROVE, levels=journey.levels(request))
        lines.append(quorum_line(page_as(client, personas.casey, request)))

    assert lines == [
        f"{n} of 4 members have voted (recusals do not count); quorum needs 3: "
        f"quorum is {state}. {deadline(request)}"
        for n, state in [(1, "not reached yet"), (2, "not reached yet"), (3, "reached")]
    ]


def test_members_joining_raise_the_number_needed_and_quorum_can_be_lost(client, journey, personas):
    request = journey.with_quorum()
    before = page_as(client, personas.casey, request)
    member("Drew Member")
    member("Jo Member")

    after = page_as(client, personas.casey, request)

    assert quorum_line(before) == (
        "2 of 2 members have voted (recusals do not count); quorum needs 2: "
        f"quorum is reached. {deadline(request)}"
    )
    assert quorum_line(after) == (
        "2 of 4 members have voted (recusals do not count); quorum needs 3: "
        f"quorum is not reached yet. {deadline(request)}"
    )
    assert [li.text for li in card(after, "Record the committee's decision").find_all("li")] == [
        "Quorum is not reached: 2 of 4 members have voted (recusals do not count); 3 are needed."
    ]


def test_a_member_leaving_lowers_the_count_and_their_vote_stops_counting(client, journey, personas):
    drew = member("Drew Member")
    request = journey.vetting()
    for voter in (personas.morgan, drew):
        workflow.cast_vote(request, voter, APPROVE, levels=journey.levels(request))
    before = page_as(client, personas.casey, request)
    leaves_the_committee(drew)

    after = page_as(client, personas.casey, request)

    assert (quorum_line(before), tally_line(before)) == (
        "2 of 3 members have voted (recusals do not count); quorum needs 2: "
        f"quorum is reached. {deadline(request)}",
        "Tally: 2 approve, 0 deny, 0 abstain, 0 recused.",
    )
    assert (quorum_line(after), tally_line(after)) == (
        "1 of 2 members have voted (recusals do not count); quorum needs 2: "
        f"quorum is not reached yet. {deadline(request)}",
        "Tally: 1 approve, 0 deny, 0 abstain, 0 recused.",
    )


def test_a_member_who_had_not_voted_leaving_can_bring_quorum(client, journey, personas):
    drew = member("Drew Member")
    member("Jo Member")
    request = journey.with_quorum()
    before = page_as(client, personas.casey, request)
    leaves_the_committee(drew)

    after = page_as(client, personas.casey, request)

    assert quorum_line(before) == (
        "2 of 4 members have voted (recusals do not count); quorum needs 3: "
        f"quorum is not reached yet. {deadline(request)}"
    )
    assert quorum_line(after) == (
        "2 of 3 members have voted (recusals do not count); quorum needs 2: "
        f"quorum is reached. {deadline(request)}"
    )
    assert not posts_to(before, request, "decide")
    page = after
    assert posts_to(page, request, "decide")


@pytest.mark.parametrize(
    ("morgans", "voted", "state", "tally"),
    [
        (RECUSE, 1, "not reached yet", "Tally: 1 approve, 0 deny, 0 abstain, 1 recused."),
        (ABSTAIN, 2, "reached", "Tally: 1 approve, 0 deny, 1 abstain, 0 recused."),
    ],
    ids=["a-recusal-does-not-count", "an-abstention-counts"],
)
def test_recusals_do_not_count_toward_quorum_and_abstentions_do(
    client, journey, personas, morgans, voted, state, tally
):
    request = journey.vetting()
    workflow.cast_vote(request, personas.morgan, morgans, "I advise their board.")
    workflow.cast_vote(request, personas.casey, APPROVE, levels=journey.levels(request))

    page = page_as(client, personas.casey, request)

    assert (quorum_line(page), tally_line(page)) == (
        f"{voted} of 2 members have voted (recusals do not count); quorum needs 2: "
        f"quorum is {state}. {deadline(request)}",
        tally,
    )


# The chair's decision.


def test_before_quorum_the_chair_is_told_why_the_decision_cannot_be_recorded(
    client, journey, personas
):
    request = journey.vetting()
    workflow.cast_vote(request, personas.morgan, APPROVE, levels=journey.levels(request))

    page = page_as(client, personas.casey, request)

    assert card(page, "Record the committee's decision").text == (
        "Record the committee's decision The decision cannot be recorded yet: "
        "Quorum is not reached: 1 of 2 members have voted (recusals do not count); "
        "2 are needed."
    )
    assert not posts_to(page, request, "decide")


def test_a_member_who_is_not_the_chair_has_no_decision_to_record(client, journey, personas):
    request = journey.with_quorum()

    page = page_as(client, personas.morgan, request)
    refused = decide(client, request, Status.APPROVED, levels=journey.levels(request))

    assert card(page, "Record the committee's decision") is None
    assert not posts_to(page, request, "decide")
    assert refused.status_code == 400
    assert alerts(refused) == [
        "That could not be done: Only the sub-committee chair can record its decision."
    ]
    request.refresh_from_db()
    assert request.status == Status.VETTING


def test_with_quorum_the_decision_form_follows_the_majority_and_the_recommended_levels(
    client, journey, personas
):
    request = vetting_naming(journey, [("Dana Reyes", FULL), ("Kim Park", FULL)])
    dana, kim = people_of(request)
    # Dana: full twice. Kim: view once, reporting once; on a tie the lower level.
    workflow.cast_vote(request, personas.morgan, APPROVE, levels={dana: FULL, kim: VIEW})
    workflow.cast_vote(request, personas.casey, APPROVE, levels={dana: FULL, kim: REPORTING})

    page = page_as(client, personas.casey, request)

    panel = card(page, "Record the committee's decision")
    assert panel.find("p").text == (
        "The votes' majority: approve. If your decision differs, say why."
    )
    form = form_posting_to(page, request, "decide")
    assert checked(form, "outcome") == [Status.APPROVED]
    assert [selected(form, f"level_{p.pk}") for p in (dana, kim)] == [[FULL], [REPORTING]]
    assert form.find("button").text == f"Record the decision on {request.reference}"


@pytest.mark.parametrize(
    ("casey_votes", "majority", "outcome"),
    [(DENY, "deny", [Status.DENIED]), (APPROVE, "none (tied)", [])],
    ids=["deny-majority", "tie"],
)
def test_the_decision_form_prefills_a_denial_and_nothing_on_a_tie(
    client, journey, personas, casey_votes, majority, outcome
):
    request = journey.vetting()
    workflow.cast_vote(request, personas.morgan, DENY, "Reports would do.")
    workflow.cast_vote(
        request, personas.casey, casey_votes, "Reports would do.", journey.levels(request)
    )

    page = page_as(client, personas.casey, request)

    assert card(page, "Record the committee's decision").find("p").text == (
        f"The votes' majority: {majority}. If your decision differs, say why."
    )
    assert checked(form_posting_to(page, request, "decide"), "outcome") == outcome


QUORUM_OF_TWO_APPROVALS = {
    "approve": 2,
    "deny": 0,
    "abstain": 0,
    "recuse": 0,
    "members": 2,
    "voted": 2,
    "needed": 2,
    "quorum": True,
    "majority": "approve",
}


def test_a_decision_following_the_tally_needs_no_reason_and_keeps_the_tally(
    client, journey, personas
):
    request = journey.with_quorum()
    person = request.people.get()
    client.force_login(personas.casey)

    response = decide(client, request, Status.APPROVED, levels={person: VIEW})

    assert (response.status_code, response["Location"]) == (302, request.get_absolute_url())
    request.refresh_from_db()
    decision = request.decision
    assert (
        request.status,
        decision.outcome,
        decision.by_committee,
        decision.decided_by,
        decision.tally,
        decision.departs_from_tally_reason,
        [(g.person, g.level) for g in decision.grants.all()],
    ) == (
        Status.APPROVED,
        Status.APPROVED,
        True,
        personas.casey,
        QUORUM_OF_TWO_APPROVALS,
        "",
        [(person, VIEW)],
    )
    assert status_message(client.get(response["Location"])) == (
        f"The committee's decision on {request.reference} is recorded."
    )


def test_a_decision_against_the_tally_needs_the_chairs_reason(client, journey, personas):
    request = journey.with_quorum()
    two_one = criterion("2.1")
    client.force_login(personas.casey)

    without = decide(
        client, request, Status.DENIED, reason="A one-off study (2.1).", cited=[two_one]
    )

    assert without.status_code == 400
    form = form_posting_to(without, request, "decide")
    assert (refusals_at_top(without), refusals_in(form)) == ([DEPARTS], [DEPARTS])
    assert (typed(form, "reason"), checked(form, "cited"), checked(form, "outcome")) == (
        "A one-off study (2.1).",
        [str(two_one.pk)],
        [Status.DENIED],
    )
    assert not Decision.objects.exists()

    with_reason = decide(
        client,
        request,
        Status.DENIED,
        reason="A one-off study (2.1).",
        cited=[two_one],
        departs="The votes overlooked that the need is one-time.",
    )

    assert with_reason.status_code == 302
    request.refresh_from_db()
    decision = request.decision
    assert (
        request.status,
        decision.by_committee,
        decision.tally,
        decision.departs_from_tally_reason,
        decision.reason,
        [c.code for c in decision.cited_criteria.all()],
    ) == (
        Status.DENIED,
        True,
        QUORUM_OF_TWO_APPROVALS,
        "The votes overlooked that the need is one-time.",
        "A one-off study (2.1).",
        ["2.1"],
    )


def test_a_tied_vote_needs_the_chairs_reason_whichever_the_outcome(client, journey, personas):
    request = journey.vetting()
    workflow.cast_vote(request, personas.morgan, APPROVE, levels=journey.levels(request))
    workflow.cast_vote(request, personas.casey, DENY, "Reports would do.")
    client.force_login(personas.casey)

    response = decide(client, request, Status.APPROVED, levels=journey.levels(request))

    assert response.status_code == 400
    assert refusals_at_top(response) == [DEPARTS]
    request.refresh_from_db()
    assert request.status == Status.VETTING


def test_a_committee_denial_needs_a_reason_and_a_criterion(client, journey, personas):
    request = journey.vetting()
    for voter in (personas.morgan, personas.casey):
        workflow.cast_vote(request, voter, DENY, "A one-off study.")
    client.force_login(personas.casey)

    refused = decide(client, request, Status.DENIED, reason="  ")

    assert refused.status_code == 400
    problems = [
        "Write the reason the requestor will read.",
        "Cite at least one criterion the denial rests on.",
    ]
    assert refusals_at_top(refused) == problems
    assert not Decision.objects.exists()

    denied = decide(
        client, request, Status.DENIED, reason="A one-off study (2.1).", cited=[criterion("2.1")]
    )

    assert denied.status_code == 302
    request.refresh_from_db()
    assert (
        request.status,
        request.decision.reason,
        [c.code for c in request.decision.cited_criteria.all()],
        request.decision.tally["majority"],
    ) == (Status.DENIED, "A one-off study (2.1).", ["2.1"], "deny")


def test_the_chairs_suggested_levels_ignore_the_votes_of_former_members(client, journey, personas):
    drew = member("Drew Member")
    request = vetting_naming(journey, [("Dana Reyes", FULL)])
    dana = request.people.get()
    workflow.cast_vote(request, personas.morgan, APPROVE, levels={dana: FULL})
    workflow.cast_vote(request, personas.casey, APPROVE, levels={dana: VIEW})
    workflow.cast_vote(request, drew, APPROVE, levels={dana: FULL})
    # Drew's vote no longer counts in the tally; it must not weigh in the levels either:
    # of the members' votes, full once and view once, a tie, so the lower level.
    leaves_the_committee(drew)

    page = page_as(client, personas.casey, request)

    assert tally_line(page) == "Tally: 2 approve, 0 deny, 0 abstain, 0 recused."
    assert selected(form_posting_to(page, request, "decide"), f"level_{dana.pk}") == [VIEW]


# CAN recommendations.


@pytest.mark.parametrize(
    ("position", "label"),
    [
        (CANRecommendation.Position.SUPPORT, "Support"),
        (CANRecommendation.Position.OPPOSE, "Do not support"),
        (CANRecommendation.Position.NO_POSITION, "No position"),
    ],
)
def test_the_named_cans_leader_records_its_recommendation(
    client, journey, personas, position, label
):
    request = journey.vetting()
    page = page_as(client, personas.lee, request)
    form = form_posting_to(page, request, "recommend")

    response = recommend(client, request, personas.hartford, position, "A known partner.")

    assert [
        o.text for o in form.find("select", name=field_name(form, "can")).find_all("option")
    ] == ["Greater Hartford"]
    assert offered_choices(form, "position") == ["Support", "Do not support", "No position"]
    assert (response.status_code, response["Location"]) == (302, request.get_absolute_url())
    after = client.get(response["Location"])
    assert status_message(after) == (
        "The CAN's recommendation is recorded. It can be changed until the decision."
    )
    assert [li.text for li in section(after, "can-heading").find_all("li")] == [
        f"Greater Hartford: {label} (Lee Leader): A known partner."
    ]


def test_a_changed_recommendation_adds_a_row_and_the_page_shows_the_newest(
    client, journey, personas
):
    request = journey.vetting()
    client.force_login(personas.lee)
    recommend(client, request, personas.hartford, "support", "A known partner.")

    response = recommend(client, request, personas.hartford, "oppose", "They lost the contract.")

    assert response.status_code == 302
    assert list(
        CANRecommendation.objects.filter(request=request).values_list("position", "reason")
    ) == [("support", "A known partner."), ("oppose", "They lost the contract.")]
    page = page_as(client, personas.sam, request)
    assert [li.text for li in section(page, "can-heading").find_all("li")] == [
        "Greater Hartford: Do not support (Lee Leader): They lost the contract."
    ]


def test_a_recommendation_without_a_reason_is_refused(client, journey, personas):
    request = journey.vetting()
    client.force_login(personas.lee)

    response = recommend(client, request, personas.hartford, "support", "")

    assert response.status_code == 400
    form = form_posting_to(response, request, "recommend")
    assert (field_errors(form), checked(form, "position")) == (
        ["This field is required."],
        ["support"],
    )
    assert not CANRecommendation.objects.exists()


def test_the_leader_of_a_can_the_request_does_not_name_finds_nothing(client, journey, personas):
    request = journey.vetting()
    client.force_login(personas.pat)

    responses = [
        client.get(request.get_absolute_url()),
        recommend(client, request, personas.eastern, "oppose", "Not our region."),
        recommend(client, request, personas.hartford, "oppose", "Not our region."),
    ]

    assert [r.status_code for r in responses] == [404, 404, 404]
    assert not CANRecommendation.objects.exists()


def test_a_leader_cannot_recommend_for_a_named_can_he_does_not_lead(client, journey, personas):
    request = journey.vetting(cans=[personas.hartford, personas.eastern])
    client.force_login(personas.lee)

    response = recommend(client, request, personas.eastern, "support", "Speaking for Eastern.")

    assert response.status_code == 400
    form = form_posting_to(response, request, "recommend")
    assert field_errors(form) == [
        "Select a valid choice. That choice is not one of the available choices."
    ]
    assert typed(form, "reason") == "Speaking for Eastern."
    assert not CANRecommendation.objects.exists()


def test_no_recommendation_once_the_committee_has_decided(client, decided, personas):
    client.force_login(personas.lee)
    page = client.get(decided.get_absolute_url())

    response = recommend(client, decided, personas.hartford, "oppose", "Too late?")

    assert not posts_to(page, decided, "recommend")
    assert response.status_code == 400
    assert alerts(response) == [
        "That could not be done: This request is not open for the CAN's recommendation now."
    ]
    assert not CANRecommendation.objects.exists()


def test_the_can_list_asks_for_the_recommendation_until_it_is_recorded(client, journey, personas):
    request = journey.vetting()
    client.force_login(personas.lee)
    since = day(request.status_changed_at)

    asked = table_rows(client.get(reverse("can_requests")))
    recommend(client, request, personas.hartford, "support", "A known partner.")
    answered = table_rows(client.get(reverse("can_requests")))
    recommend(client, request, personas.hartford, "no_position", "We abstain after all.")
    changed = table_rows(client.get(reverse("can_requests")))

    row = [request.reference, "Harbor Health Partners", "With the committee", since]
    assert asked == [[*row, ASKED]]
    assert answered == [[*row, "Greater Hartford: Support"]]
    assert changed == [[*row, "Greater Hartford: No position"]]


def test_the_can_list_shows_only_requests_naming_your_can(client, journey, personas):
    mine = journey.vetting(cans=[personas.hartford])
    journey.vetting(cans=[personas.eastern])
    journey.draft(cans=[personas.hartford])  # not submitted: nobody's business yet
    client.force_login(personas.lee)

    assert [row[0] for row in table_rows(client.get(reverse("can_requests")))] == [mine.reference]


def test_an_internal_comment_by_the_cans_leader_reaches_staff_and_members_never_the_requestor(
    client, journey, personas
):
    request = journey.vetting()
    client.force_login(personas.lee)

    response = client.post(
        reverse("comment", args=[request.reference]),
        {"comment-body": "Their last HMIS audit was clean."},
    )

    assert response.status_code == 302
    said = [("Lee Leader", "Their last HMIS audit was clean.")]
    assert {
        name: comments_in(page_as(client, personas.by_name(name), request), "internal-heading")
        for name in ("sam", "morgan", "casey", "lee")
    } == dict.fromkeys(("sam", "morgan", "casey", "lee"), said)
    riley = page_as(client, personas.riley, request)
    assert section(riley, "internal-heading") is None
    assert "Their last HMIS audit was clean." not in riley.content.decode()


@pytest.mark.parametrize("decided_first", [False, True], ids=["in-vetting", "decided"])
def test_the_requestor_never_sees_votes_the_tally_or_the_committee(
    client, journey, personas, decided_first
):
    request = journey.vetting()
    levels = journey.levels(request)
    workflow.cast_vote(request, personas.morgan, APPROVE, "Convinced by the IRB letter.", levels)
    workflow.cast_vote(request, personas.casey, APPROVE, levels=levels)
    workflow.add_comment(request, personas.casey, "Ask them for the IRB letter.")
    workflow.recommend_for_can(request, personas.lee, personas.hartford, "support", "Partner.")
    if decided_first:
        workflow.record_committee_decision(request, personas.casey, Status.APPROVED, "", levels)

    page = page_as(client, personas.riley, request)
    content = page.content.decode()

    assert [
        section(page, heading)
        for heading in ("committee-heading", "internal-heading", "can-heading")
    ] == [None, None, None]
    assert [
        text in content
        for text in (
            "Tally:",
            "2 approve",
            "Morgan Member",
            "Convinced by the IRB letter.",
            "Ask them for the IRB letter.",
            "Is 1.9 met?",
        )
    ] == [False] * 6
    assert history(page) == [
        *(["Committee decision recorded, by Casey Chair"] if decided_first else []),
        "Screening started, by Sam Staff",
        "Submitted, by Riley Requestor",
    ]


# SQL queries: a fixed number per page, whatever the number of requests, votes and comments.


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


def three_cans(personas):
    return [personas.hartford, personas.eastern, CAN.objects.get(slug="central")]


def busy_vetting(journey, personas, voters, comments):
    """A request in vetting naming 3 CANs and 4 people, every voter having voted (some of them
    twice), with `comments` comments of both kinds and a CAN recommendation."""
    request = journey.vetting(cans=three_cans(personas), people=4)
    for i, voter in enumerate(voters):
        first = workflow.cast_vote(request, voter, ABSTAIN)
        if i % 2:
            workflow.cast_vote(
                request, voter, APPROVE, levels=journey.levels(request), replaces=first.pk
            )
    for i in range(comments):
        author = [personas.sam, personas.lee, personas.morgan][i % 3]
        workflow.add_comment(request, author, f"Internal {i}.")
        author = [personas.sam, personas.riley][i % 2]
        workflow.add_comment(request, author, f"Message {i}.", "requestor")
    workflow.recommend_for_can(request, personas.lee, personas.hartford, "support", "Yes.")
    return request


# The header's unread-notice count is one query on every page; whether a person
# belongs to the requesting organization is asked once per page; the rows are counted up to
# 10,001 (requests_app/core/paging.py), on every page.
DOCKET_QUERIES = 9
# The case page reads the application's submitted versions in one query, whatever their number;
# an outcome's form is built only when it is offered; whether the person sees the request is
# asked once, not once per action it asks about, and not at all when the page found the request
# through the person's visibility. Each with the one INSERT recording the read (requests_app/audit).
CASE_PAGE_QUERIES = 26
CHAIR_CASE_PAGE_QUERIES = 32


def test_the_docket_runs_as_many_queries_for_16_busy_requests_as_for_one(
    client, journey, personas, django_assert_num_queries
):
    request = journey.vetting()
    for voter in (personas.morgan, personas.casey):
        workflow.cast_vote(request, voter, ABSTAIN)
    workflow.add_comment(request, personas.sam, "Comment.")
    client.force_login(personas.morgan)

    with django_assert_num_queries(DOCKET_QUERIES) as captured:
        assert len(table_rows(client.get(reverse("docket")))) == 1
    small = list(captured.captured_queries)  # before the next request empties the log

    others = [member(f"Member {n}") for n in range(3)]
    for _ in range(15):
        # Morgan, second, changes his vote: two rows of his on each request.
        busy_vetting(journey, personas, [personas.casey, personas.morgan, *others], comments=3)
    with CaptureQueriesContext(connection) as captured:
        rows = table_rows(client.get(reverse("docket")))
    large = list(captured.captured_queries)

    assert (len(rows), AccessRequest.objects.filter(status=Status.VETTING).count()) == (16, 16)
    assert Counter(row[-1] for row in rows) == {"Abstain": 1, "Approve": 15}
    assert len(large) == len(small), extra_queries(small, large)


@pytest.mark.parametrize(
    ("persona", "expected"),
    [("morgan", CASE_PAGE_QUERIES), ("casey", CHAIR_CASE_PAGE_QUERIES)],
    ids=["member-after-voting", "chair-with-quorum"],
)
def test_the_case_page_runs_as_many_queries_for_many_votes_and_comments_as_for_two(
    client, journey, personas, django_assert_num_queries, persona, expected
):
    viewer = personas.by_name(persona)
    plain = journey.with_quorum()
    workflow.add_comment(plain, personas.sam, "Comment.")
    client.force_login(viewer)

    with django_assert_num_queries(expected) as captured:
        small_page = client.get(plain.get_absolute_url())
    small = list(captured.captured_queries)  # before the next request empties the log

    voters = [personas.morgan, personas.casey, *(member(f"Member {n}") for n in range(10))]
    busy = busy_vetting(journey, personas, voters, comments=20)
    with CaptureQueriesContext(connection) as captured:
        large_page = client.get(busy.get_absolute_url())
    large = list(captured.captured_queries)

    # Both pages show what is being counted: every vote, the comments, the chair's form.
    assert (len(votes_listed(small_page)), len(votes_listed(large_page))) == (2, 12)
    assert len(comments_in(large_page, "internal-heading")) == 20
    assert posts_to(large_page, busy, "decide") == (persona == "casey")
    assert len(large) == len(small), extra_queries(small, large)


# The vote form and the decision form.


def test_the_vote_form_sets_each_persons_level_beside_what_the_application_says_of_them(
    client, journey, personas
):
    request = journey.vetting(
        named=[
            ("Dana Reyes", "dana@harbor.example", FULL),
            ("Kim Park", "kim@harbor.example", REPORTING),
        ],
        program="Medical respite",
        purpose="Match respite stays to shelter use.",
        usage_frequency="Weekly",
        is_researcher=True,
        aggregated_data_sufficient=False,
        identified_data_justification="Records are matched by name.",
    )
    NamedPerson.objects.filter(request=request, name="Dana Reyes").update(title="Nurse manager")

    fieldset = parsed(page_as(client, personas.morgan, request)).find("fieldset", cls="vote-levels")
    rows = [
        (
            row.find("p", cls="person-name").text,
            row.find("p", cls="person-asked").text,
            row.find("label").text,
            [o.text for o in row.find("select").find_all("option")],
        )
        for row in fieldset.find_all("div", cls="vote-level")
    ]
    grounds = dict(
        zip(
            [dt.text for dt in fieldset.find_all("dt")],
            [dd.text for dd in fieldset.find_all("dd")],
            strict=True,
        )
    )

    assert fieldset.find("legend").text == (
        "The level you recommend for each person, if you approve (1.6)"
    )
    assert rows == [
        (
            "Dana Reyes, Nurse manager",
            "Asked for full access.",
            "Level you recommend for Dana Reyes, if you approve*",
            ["Full access", "View only", "Reporting only"],
        ),
        (
            "Kim Park, Analyst",
            "Asked for reporting only.",
            "Level you recommend for Kim Park, if you approve*",
            ["Reporting only"],
        ),
    ]
    assert grounds == {
        "Program or department (3.3)": "Medical respite",
        "Purpose of the request (3.1)": "Match respite stays to shelter use.",
        "Ongoing or one-time, and how often (1.2)": "Ongoing; Weekly",
        "Research (1.9)": "A researcher. Asks for identified data: Records are matched by name.",
    }


def test_the_decision_form_lists_each_criterion_by_number_and_short_name_whole(
    client, journey, personas
):
    request = journey.with_quorum()

    form = parsed(page_as(client, personas.casey, request)).find(
        "form", action=reverse("decide", args=[request.reference])
    )
    cited = [
        label.text
        for label in form.find_all("label")
        if label.attrs.get("for", "").startswith("id_decide-cited_")
    ]

    assert cited == [
        "1.1 Existing reporting does not meet the need",
        "1.2 An ongoing need",
        "1.3 Tied to a funding requirement or a homeless services provider",
        "1.4 Works with people experiencing homelessness",
        "1.5 The named CANs take part",
        "1.6 The access level is in the MOU",
        "1.7 HMIS training",
        "1.8 Contributes to ending homelessness",
        "1.9 Researchers use aggregated data where possible",
        "1.10 Good standing, no revoked access",
        "2.1 One-time access only",
        "2.2 Possibility of high abuse",
    ]
