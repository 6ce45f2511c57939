"""The amendments and the yearly review as a person uses them on the MOU page and the review page
(agreement/views.py): each form posts, is refused in words with what was typed kept, and is out
of date once someone else changed the MOU; who reaches the review page; and the query counts of
both pages, which do not grow with the number of people."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from requests_app import workflow
from requests_app.core import actions
from requests_app.core.states import AccessEnd, AccessLevel
from requests_app.models import (
    Amendment,
    AmendmentDecision,
    NamedPerson,
    PersonAccess,
    Recertification,
)
from tests.support.factories import MembershipFactory
from tests.support.journey import ADA, BO, CY, RILEY_TITLE, fresh
from tests.support.pages import parsed

FULL, VIEW, REPORTING = AccessLevel.FULL, AccessLevel.VIEW, AccessLevel.REPORTING
STALE = (
    "Someone else changed this MOU while you were looking at it: it is now active. Reload the "
    "page to see what changed."
)


@pytest.fixture(autouse=True)
def private_files(settings, tmp_path):
    settings.PRIVATE_FILES_ROOT = tmp_path / "private"


def page_url(agreement):
    return reverse("agreement", args=[agreement.request.reference])


def review_url(agreement):
    return reverse("review", args=[agreement.request.reference])


def post(client, stage, agreement, name, data, seen=True):
    """Post a form of the MOU page with its prefix and the page's `seen`, running what the
    action leaves for after its commit."""
    if name == "sign_amendment":
        current = fresh(agreement).current_mou()
        data = {"mou_version": current.version, "mou_sha256": current.sha256, **data}
    fields = {f"{name}-{k}": v for k, v in data.items()}
    fields["seen"] = actions.version(fresh(agreement)) if seen is True else seen
    with stage.capture(execute=True):
        return client.post(reverse(name, args=[agreement.request.reference]), fields)


def form_posting_to(response, agreement, action):
    address = reverse(action, args=[agreement.request.reference])
    forms = [f for f in parsed(response).find_all("form") if f.attrs.get("action") == address]
    assert len(forms) == 1, f"{len(forms)} forms post to {action}"
    return forms[0]


def refusals_in(form):
    alert = form.find(cls="alert-danger")
    return [li.text for li in alert.find_all("li")] if alert else []


def typed(form, name):
    element = form.find("input", name=name)
    if element is not None:
        return element.attrs.get("value", "")
    return form.find("textarea", name=name).text


ADDITION = {
    "name": "Dee Data",
    "title": "Data lead",
    "email": "dee@harbor.example",
    "level": VIEW,
    "reason": "Runs our reports.",
}


# The organization asks, staff decide, the organization signs.


def test_an_addition_through_the_pages_from_asking_to_signing(client, stage, personas):
    agreement = stage.active(people=(CY, ADA))
    client.force_login(personas.riley)

    asked = post(client, stage, agreement, "add", ADDITION)

    assert (asked.status_code, asked["Location"]) == (302, page_url(agreement))
    amendment = Amendment.objects.get()
    client.force_login(personas.sam)
    page = parsed(client.get(page_url(agreement)))
    assert [
        li.text.split(":")[0] for li in page.find("ul", cls="pending-additions").find_all("li")
    ] == ["Dee Data, Data lead (dee@harbor.example)"]

    decided = post(
        client,
        stage,
        agreement,
        "decide_addition",
        {"amendment": amendment.pk, "outcome": "approve", "level": REPORTING, "reason": ""},
    )

    assert decided.status_code == 302
    decision = AmendmentDecision.objects.get()
    assert (decision.approved, decision.level, decision.person.name) == (
        True,
        REPORTING,
        "Dee Data",
    )
    client.force_login(personas.riley)
    page = client.get(page_url(agreement))
    assert form_posting_to(page, agreement, "sign_amendment") is not None
    rows = parsed(page).find("table", cls="mou-people").find("tbody").find_all("tr")
    assert rows[-1].find("td", cls="access-state").text == (
        "Not active yet (waiting for the organization's signature of the amended MOU)"
    )

    signed = post(
        client,
        stage,
        agreement,
        "sign_amendment",
        {"full_name": "Riley Requestor", "title": RILEY_TITLE, "affirmed": "on"},
    )

    assert signed.status_code == 302
    assert workflow.readiness(fresh(agreement))[-1][0].person.name == "Dee Data"
    assert fresh(agreement).current_mou().kind == "signed"


def test_a_refused_addition_keeps_what_was_typed(client, stage, personas):
    agreement = stage.active(people=(ADA,))
    client.force_login(personas.riley)

    response = post(client, stage, agreement, "add", {**ADDITION, "level": FULL})

    assert response.status_code == 400
    form = form_posting_to(response, agreement, "add")
    assert refusals_in(form) == [
        "The purpose this MOU was decided for supports at most view only; full access needs a "
        "new request (1.6)."
    ]
    assert (typed(form, "add-name"), typed(form, "add-email"), typed(form, "add-reason")) == (
        "Dee Data",
        "dee@harbor.example",
        "Runs our reports.",
    )
    assert Amendment.objects.count() == 0


def test_declining_without_a_reason_is_refused_on_the_page(client, stage, personas):
    agreement = stage.active(people=(CY,))
    amendment = workflow.request_addition(
        agreement, personas.riley, "Dee Data", "", "dee@harbor.example", VIEW, "Reports."
    )
    client.force_login(personas.sam)

    response = post(
        client,
        stage,
        agreement,
        "decide_addition",
        {"amendment": amendment.pk, "outcome": "decline", "reason": ""},
    )

    assert response.status_code == 400
    assert refusals_in(form_posting_to(response, agreement, "decide_addition")) == [
        "Write why the addition is declined; the organization reads it."
    ]
    assert AmendmentDecision.objects.count() == 0


# Lower and remove.


def test_lowering_and_removing_through_the_page(client, stage, personas):
    agreement = stage.active(people=(ADA, BO))
    ada, bo = agreement.request.people.all()
    client.force_login(personas.riley)

    lowered = post(
        client,
        stage,
        agreement,
        "lower",
        {"person": ada.pk, "level": REPORTING, "reason": "Reports only."},
    )
    removed = post(client, stage, agreement, "remove", {"person": bo.pk, "reason": "Left."})

    assert (lowered.status_code, removed.status_code) == (302, 302)
    assert workflow.current_levels(agreement.request)[ada.pk] == REPORTING
    assert PersonAccess.objects.get(person=bo).end_reason == AccessEnd.REMOVED
    page = parsed(client.get(page_url(agreement)))
    rows = page.find("table", cls="mou-people").find("tbody").find_all("tr")
    assert [
        (row.find("td").children[0], row.find("td", cls="access-state").text) for row in rows
    ] == [
        ("Ada Analyst", "Active: waiting for an HMIS account"),
        ("Bo Builder", "Removed by an amendment or a review"),
    ]


def test_a_lowering_that_is_not_lower_is_refused_on_the_page(client, stage, personas):
    agreement = stage.active(people=(ADA,))
    ada = agreement.request.people.get()
    client.force_login(personas.riley)

    response = post(
        client, stage, agreement, "lower", {"person": ada.pk, "level": VIEW, "reason": "Hm."}
    )

    assert response.status_code == 400
    form = form_posting_to(response, agreement, "lower")
    assert refusals_in(form) == [
        "Ada Analyst holds view only; the new level must be lower than view only."
    ]
    assert typed(form, "lower-reason") == "Hm."


def test_a_removal_from_a_page_read_before_a_change_is_refused(client, stage, personas):
    agreement = stage.active(people=(ADA, BO))
    seen = actions.version(agreement)
    ada, bo = agreement.request.people.all()
    workflow.provision_access(personas.sam, [agreement.people.get(person=ada)])
    client.force_login(personas.riley)

    response = post(
        client, stage, agreement, "remove", {"person": bo.pk, "reason": "Left."}, seen=seen
    )

    assert response.status_code == 400
    assert refusals_in(form_posting_to(response, agreement, "remove")) == [STALE]
    assert Amendment.objects.count() == 0


@pytest.mark.parametrize(
    ("persona", "status_code"),
    [("sam", 400), ("lee", 400), ("quinn", 404), ("pat", 404), ("morgan", 404)],
)
def test_only_the_organization_posts_an_addition(client, stage, personas, persona, status_code):
    agreement = stage.active(people=(ADA,))
    client.force_login(personas.by_name(persona))

    response = post(client, stage, agreement, "add", ADDITION)

    assert response.status_code == status_code
    assert Amendment.objects.count() == 0


# The yearly review page.


def review_post(client, stage, agreement, choices, seen=True, note=""):
    people = {p.name: p for p in agreement.request.people.all()}
    fields = {"review-note": note}
    for name, (choice, level, reason) in choices.items():
        pk = people[name].pk
        fields.update(
            {
                f"review-choice_{pk}": choice,
                f"review-level_{pk}": level,
                f"review-reason_{pk}": reason,
            }
        )
    fields["seen"] = actions.version(fresh(agreement)) if seen is True else seen
    with stage.capture(execute=True):
        return client.post(review_url(agreement), fields)


def test_the_review_page_lists_everyone_who_holds_access(client, stage, personas):
    agreement = stage.active(people=(CY, ADA, BO))
    client.force_login(personas.riley)

    page = parsed(client.get(review_url(agreement)))

    fieldsets = page.find_all("fieldset", cls="review-person")
    assert [f.find("legend").children[0].strip() for f in fieldsets] == [
        "Cy Clinician",
        "Ada Analyst",
        "Bo Builder",
    ]
    ada = agreement.request.people.get(name="Ada Analyst")
    assert [i.attrs["value"] for i in page.find_all("input", name=f"review-choice_{ada.pk}")] == [
        "keep",
        "lower",
        "remove",
    ]


def test_the_review_page_keeps_lowers_and_removes_in_one_submission(client, stage, personas):
    agreement = stage.active(people=(CY, ADA, BO))
    client.force_login(personas.riley)

    response = review_post(
        client,
        stage,
        agreement,
        {
            "Cy Clinician": ("keep", "", ""),
            "Ada Analyst": ("lower", REPORTING, "Reports suffice."),
            "Bo Builder": ("remove", "", "Left."),
        },
    )

    assert (response.status_code, response["Location"]) == (302, page_url(agreement))
    assert Recertification.objects.get().note == (
        "1 kept; lowered: Ada Analyst to reporting only; removed: Bo Builder."
    )
    assert sorted(Amendment.objects.values_list("kind", "person__name")) == [
        ("lower", "Ada Analyst"),
        ("remove", "Bo Builder"),
    ]


def test_a_refused_review_says_why_and_keeps_every_choice(client, stage, personas):
    agreement = stage.active(people=(ADA, BO))
    ada = agreement.request.people.get(name="Ada Analyst")
    client.force_login(personas.riley)

    response = review_post(
        client,
        stage,
        agreement,
        {"Ada Analyst": ("lower", REPORTING, "Reports only."), "Bo Builder": ("remove", "", "")},
    )

    assert response.status_code == 400
    page = parsed(response)
    assert [li.text for li in page.find(id="error-summary").find_all("li")] == [
        "Write why Bo Builder is removed."
    ]
    form = page.find("form", cls="access-review")
    radios = form.find_all("input", name=f"review-choice_{ada.pk}")
    assert [r.attrs["value"] for r in radios if "checked" in r.attrs] == ["lower"]
    assert typed(form, f"review-reason_{ada.pk}") == "Reports only."
    assert (Recertification.objects.count(), Amendment.objects.count()) == (0, 0)


def test_a_review_without_a_choice_for_someone_is_refused_in_words(client, stage, personas):
    agreement = stage.active(people=(ADA, BO))
    client.force_login(personas.riley)

    response = review_post(client, stage, agreement, {"Ada Analyst": ("keep", "", "")})

    assert response.status_code == 400
    assert [li.text for li in parsed(response).find(id="error-summary").find_all("li")] == [
        "Choose keep, lower or remove for Bo Builder."
    ]


def test_a_review_from_a_page_read_before_a_change_is_refused(client, stage, personas):
    agreement = stage.active(people=(ADA,))
    seen = actions.version(agreement)
    workflow.provision_access(personas.sam, [agreement.people.get()])
    client.force_login(personas.riley)

    response = review_post(client, stage, agreement, {"Ada Analyst": ("keep", "", "")}, seen=seen)

    assert response.status_code == 400
    assert [li.text for li in parsed(response).find(id="error-summary").find_all("li")] == [STALE]
    assert Recertification.objects.count() == 0


@pytest.mark.parametrize(
    ("persona", "status_code"),
    [
        ("riley", 200),
        ("other_member", 200),  # until the signatory rule replaces ORG_MEMBER
        ("sam", 302),
        ("lee", 302),
        ("morgan", 404),
        ("casey", 404),
        ("quinn", 404),
        ("pat", 404),
        ("alex", 302),  # an administrator sees every request
        ("anonymous", 302),
    ],
)
def test_who_reaches_the_review_page(client, stage, personas, persona, status_code):
    agreement = stage.active(people=(ADA,))
    if persona == "other_member":
        client.force_login(MembershipFactory(organization=agreement.request.organization).user)
    elif persona != "anonymous":
        client.force_login(personas.by_name(persona))

    response = client.get(review_url(agreement))

    assert response.status_code == status_code
    if persona == "anonymous":
        assert response["Location"].startswith("/accounts/login/?next=")
    elif status_code == 302:
        assert response["Location"] == page_url(agreement)


def test_the_review_page_sends_back_when_the_mou_is_not_active(client, stage, personas):
    agreement = stage.executed(people=(ADA,))
    client.force_login(personas.riley)

    response = client.get(review_url(agreement), follow=True)

    assert [str(m) for m in response.context["messages"]] == [
        "The MOU is executed: waiting for training and activation, so it cannot be reviewed now."
    ]


# Query counts: the same with 2 people as with 20.


def _people(n):
    return tuple((f"Person {i}", f"p{i}@harbor.example", VIEW) for i in range(n))


def _amending(stage, personas, n):
    """Active with `n` people, an addition waiting and one approved and unsigned."""
    agreement = stage.active(people=((*CY[:2], FULL), *_people(n - 1)))
    for email in ("eve@harbor.example", "dee@harbor.example"):
        with stage.capture(execute=True):
            amendment = workflow.request_addition(
                agreement, personas.riley, "New", "", email, VIEW, "Needed."
            )
    with stage.capture(execute=True):
        workflow.decide_addition(agreement, personas.sam, amendment, True, VIEW, "")
    return fresh(agreement)


def _count(client, url):
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


# The MOU page's queries (tests/agreement/test_views.py) with additions waiting and unsigned;
# the same, since the page reads each part once whatever it holds.
AMENDING_PAGE_QUERIES = {"riley": 26, "sam": 25}


@pytest.mark.parametrize("persona", ["riley", "sam"])
def test_the_mou_page_with_amendments_costs_the_same_for_2_and_20_people(
    client, stage, personas, persona
):
    two, twenty = _amending(stage, personas, 2), _amending(stage, personas, 20)
    client.force_login(personas.by_name(persona))
    client.get(page_url(two))

    assert [_count(client, page_url(a)) for a in (two, twenty)] == [
        AMENDING_PAGE_QUERIES[persona]
    ] * 2


# The session, the person, the request and the MOU, whether the person may review, the people
# who hold access and their levels, the organization's signatory (who may review), and the
# read's record.
REVIEW_PAGE_QUERIES = 14


def test_the_review_page_costs_the_same_for_2_and_20_people(client, stage, personas):
    two = stage.active(people=_people(2))
    twenty = stage.active(people=_people(20))
    client.force_login(personas.riley)
    client.get(review_url(two))

    assert [_count(client, review_url(a)) for a in (two, twenty)] == [REVIEW_PAGE_QUERIES] * 2


def test_names_added_by_an_amendment_are_on_the_request_not_in_its_submitted_version(
    stage, personas
):
    agreement = stage.active(people=(CY,))
    amendment = workflow.request_addition(
        agreement, personas.riley, "Dee Data", "", "dee@harbor.example", VIEW, "Reports."
    )
    with stage.capture(execute=True):
        workflow.decide_addition(agreement, personas.sam, amendment, True, VIEW, "")

    version = agreement.request.versions.order_by("-number").first()
    assert "dee@harbor.example" not in version.content
    assert NamedPerson.objects.filter(request=agreement.request).count() == 2
