"""Small parts of the decision record: the draft MOU exists only before a decision, the vote
form starts from the member's vote, and the history words a disqualifier as its form does."""

import pytest
from django.urls import reverse

from requests_app import workflow
from requests_app.core.states import AccessLevel, Status
from requests_app.models import Assessment, Criterion, Event, Vote
from tests.support.pages import field_name, parsed

UNDECIDED = [Status.DRAFT, Status.SUBMITTED, Status.SCREENING, Status.RETURNED, Status.VETTING]
CLOSED = [Status.APPROVED, Status.DENIED, Status.WITHDRAWN]
PANEL_LINK = "Download as a draft MOU (PDF)"
REVIEW_LINK = "Download the application as a draft MOU (PDF)"


def draft_mou_links(response):
    """(text, href) of every link to the draft MOU in the page's <main>."""
    return [
        (a.text, a.attrs["href"])
        for a in parsed(response).find_all("a")
        if a.attrs.get("href", "").endswith("/draft-mou.pdf")
    ]


def page_as(client, user, url):
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200
    return response


# The draft MOU: before a decision only.


@pytest.mark.parametrize("status", UNDECIDED)
def test_an_undecided_request_offers_its_draft_mou_and_serves_it(client, journey, personas, status):
    request = journey.at(status)
    url = reverse("mou_draft", args=[request.reference])
    review = reverse("application_step", args=[request.reference, "review"])

    page = page_as(client, personas.riley, request.get_absolute_url())
    review_page = page_as(client, personas.riley, review)
    download = client.get(url)

    assert draft_mou_links(page) == [(PANEL_LINK, url)]
    assert draft_mou_links(review_page) == [(REVIEW_LINK, url)]
    assert (download.status_code, download["Content-Type"]) == (200, "application/pdf")


@pytest.mark.parametrize("status", CLOSED)
def test_a_decided_or_withdrawn_request_neither_offers_nor_serves_a_draft_mou(
    client, journey, personas, status
):
    request = journey.at(status)
    review = reverse("application_step", args=[request.reference, "review"])

    page = page_as(client, personas.riley, request.get_absolute_url())
    review_page = page_as(client, personas.riley, review)

    assert (draft_mou_links(page), draft_mou_links(review_page)) == ([], [])


@pytest.mark.parametrize("persona", ["riley", "sam", "casey", "alex"])
@pytest.mark.parametrize("status", CLOSED)
def test_the_draft_mou_of_a_decided_or_withdrawn_request_is_not_found_for_anyone(
    client, journey, personas, persona, status
):
    request = journey.at(status)
    client.force_login(personas.by_name(persona))

    response = client.get(reverse("mou_draft", args=[request.reference]))

    assert response.status_code == 404


def test_the_draft_mou_of_a_request_is_found_until_its_decision(client, journey, personas):
    request = journey.ready_to_approve()
    url = reverse("mou_draft", args=[request.reference])
    client.force_login(personas.riley)
    before = client.get(url).status_code

    workflow.approve(request, personas.sam, journey.levels(request))

    assert (before, client.get(url).status_code) == (200, 404)


# The vote form starts from the member's vote in this round.


def vote_form(response, request):
    forms = [
        form
        for form in parsed(response).find_all("form")
        if form.attrs["action"] == reverse("vote", args=[request.reference])
    ]
    assert len(forms) == 1
    return forms[0]


def shown(form, request):
    """What the vote form shows: the heading above it is not part of it, so the vote ticked,
    the reason, the level selected for each person (by name) and the vote it replaces."""
    return {
        "choice": [
            box.attrs["value"]
            for box in form.find_all("input", name=field_name(form, "choice"))
            if "checked" in box.attrs
        ],
        "reason": form.find("textarea", name=field_name(form, "reason")).text,
        "levels": {
            person.name: [
                option.attrs["value"]
                for option in form.find(
                    "select", name=field_name(form, f"level_{person.pk}")
                ).find_all("option", selected="")
            ]
            for person in request.people.order_by("pk")
        },
        "replaces": form.find("input", name=field_name(form, "replaces")).attrs.get("value"),
    }


def vetting_with_two(journey):
    request = journey.vetting(people=2)
    first, second = request.people.order_by("pk")
    first.name, second.name = "Ana Lopez", "Ben Okafor"
    first.save(update_fields=["name"])
    second.save(update_fields=["name"])
    return request, first, second


def test_a_member_who_voted_sees_the_form_prefilled_with_the_vote_reason_and_levels(
    client, journey, personas
):
    request, ana, ben = vetting_with_two(journey)
    cast = workflow.cast_vote(
        request,
        personas.morgan,
        Vote.Choice.APPROVE,
        "Meets 1.9 with view access.",
        {ana: AccessLevel.VIEW, ben: AccessLevel.REPORTING},
    )

    response = page_as(client, personas.morgan, request.get_absolute_url())

    assert shown(vote_form(response, request), request) == {
        "choice": [Vote.Choice.APPROVE],
        "reason": "Meets 1.9 with view access.",
        "levels": {"Ana Lopez": [AccessLevel.VIEW], "Ben Okafor": [AccessLevel.REPORTING]},
        "replaces": str(cast.pk),
    }


def test_a_changed_vote_prefills_the_form_with_the_newest_vote(client, journey, personas):
    request, _ana, _ben = vetting_with_two(journey)
    first = workflow.cast_vote(
        request, personas.morgan, Vote.Choice.APPROVE, levels=journey.levels(request)
    )
    second = workflow.cast_vote(
        request, personas.morgan, Vote.Choice.DENY, "1.9 is not met.", replaces=first.pk
    )

    response = page_as(client, personas.morgan, request.get_absolute_url())

    # A deny recommends no level: each person's select shows what was asked for them.
    assert shown(vote_form(response, request), request) == {
        "choice": [Vote.Choice.DENY],
        "reason": "1.9 is not met.",
        "levels": {"Ana Lopez": [AccessLevel.FULL], "Ben Okafor": [AccessLevel.FULL]},
        "replaces": str(second.pk),
    }


EMPTY = {
    "choice": [],
    "reason": "",
    "levels": {"Ana Lopez": [AccessLevel.FULL], "Ben Okafor": [AccessLevel.FULL]},
    "replaces": None,
}


def test_a_member_who_has_not_voted_sees_the_form_empty(client, journey, personas):
    request, _ana, _ben = vetting_with_two(journey)
    # Another member's vote is not this member's.
    workflow.cast_vote(request, personas.casey, Vote.Choice.DENY, "Not convinced.")

    response = page_as(client, personas.morgan, request.get_absolute_url())

    assert shown(vote_form(response, request), request) == EMPTY


def test_a_vote_from_before_a_new_escalation_does_not_prefill_the_form(client, journey, personas):
    request, ana, ben = vetting_with_two(journey)
    workflow.cast_vote(
        request,
        personas.morgan,
        Vote.Choice.APPROVE,
        "Fine as asked.",
        {ana: AccessLevel.VIEW, ben: AccessLevel.VIEW},
    )
    returned = workflow.return_for_information(request, personas.sam, "Which programs?")
    resubmitted = workflow.resubmit(returned, personas.riley, "Only the respite program.")
    screening = workflow.start_screening(resubmitted, personas.sam)
    request = workflow.escalate(screening, personas.sam, "Is 1.9 met now?")

    response = page_as(client, personas.morgan, request.get_absolute_url())

    assert shown(vote_form(response, request), request) == EMPTY


# The history words a disqualifier's outcome as the screening form does.


def history(response):
    """The history's lines without their times, the newest first."""
    timeline = parsed(response).find("section", aria_labelledby="history-heading").find("ol")
    return [li.text.split(": ", 1)[1] for li in timeline.find_all("li")]


def outcome_labels(response, request, code):
    """The outcomes staff choose from for one criterion, as its form labels them."""
    action = reverse("checklist", args=[request.reference])
    form = next(f for f in parsed(response).find_all("form") if f.attrs["action"] == action)
    return [
        form.find("label", for_=box.attrs["id"]).text
        for box in form.find_all("input", name=field_name(form, f"{code}-outcome"))
    ]


def test_the_history_words_a_disqualifier_as_its_form_does(client, journey, personas):
    request = journey.ready_to_deny()

    response = page_as(client, personas.sam, request.get_absolute_url())
    lines = history(response)

    assert outcome_labels(response, request, "2.1") == [
        "Applies (prevents access)",
        "Does not apply",
        "Not applicable",
        "Unclear",
    ]
    assert [line for line in lines if line.startswith("Criterion 2.")] == [
        "Criterion 2.2 assessed: does not apply, by Sam Staff: Checked.",
        "Criterion 2.1 assessed: applies (prevents access), by Sam Staff: Checked.",
    ]


def test_the_history_words_a_core_criterion_as_before(client, journey, personas):
    request = journey.ready_to_deny()

    response = page_as(client, personas.sam, request.get_absolute_url())

    assert outcome_labels(response, request, "1.1") == [
        "Met",
        "Not met",
        "Not applicable",
        "Unclear",
    ]
    assert [line for line in history(response) if line.startswith("Criterion 1.1 ")] == [
        "Criterion 1.1 assessed: met, by Sam Staff: Checked."
    ]


def test_earlier_assessments_of_a_disqualifier_use_the_forms_words(client, journey, personas):
    request = journey.ready_to_deny()
    two_one = Criterion.objects.get(code="2.1")
    workflow.assess_criterion(request, personas.sam, two_one, Assessment.Outcome.NOT_MET, "No.")

    response = page_as(client, personas.sam, request.get_absolute_url())
    article = parsed(response).find("article", aria_labelledby=f"criterion-{two_one.pk}")

    assert article.find("h3").text == "2.1 (disqualifier): Does not apply"
    assert [li.text.rsplit(", ", 1)[1] for li in article.find("details").find_all("li")] == [
        "Sam Staff: Applies (prevents access): Checked."
    ]


def test_an_assessment_recorded_without_its_kind_of_criterion_is_worded_by_the_criterion(
    journey,
):
    request = journey.screening()

    # As events were recorded before they said whether the criterion is a disqualifier.
    older = [
        Event.objects.create(
            request=request,
            kind=Event.Kind.ASSESSED,
            data={"criterion": code, "outcome": Assessment.Outcome.MET},
        )
        for code in ("2.1", "1.1")
    ]

    assert [event.headline() for event in older] == [
        "Criterion 2.1 assessed: applies (prevents access)",
        "Criterion 1.1 assessed: met",
    ]
