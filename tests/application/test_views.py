"""The requestor's application, through the pages a person uses: starting a request,
each step saved and read back, every validation rule with its error beside the field and in the
summary, resuming, colleagues, review and submit, answering a return, withdrawing, deleting a
draft, attaching files, My requests, the actions the request page offers, and the number of SQL
queries of the busiest pages.

A step is posted as a browser posts it: the page is read first and its form sent back with the
person's changes, so a test fails when the form stops showing what was saved."""

import datetime
import io
import zipfile
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import dateformat, timezone
from PIL import Image

from requests_app import workflow
from requests_app.application import views as application_views
from requests_app.core.states import AccessLevel, Status
from requests_app.models import AccessRequest, Attachment, Comment, Event, Membership, NamedPerson
from tests.support.factories import (
    AccessRequestFactory,
    MembershipFactory,
    NamedPersonFactory,
    OrganizationFactory,
    UserFactory,
)
from tests.support.pages import form_data, pages_of, parsed

FULL, VIEW, REPORTING = AccessLevel.FULL, AccessLevel.VIEW, AccessLevel.REPORTING
COMMITTEE = "HMIS Steering Committee sub-committee"
STEP_SLUGS = ["organization", "people", "scope", "eligibility", "research", "attestations"]

# Reading the pages.

# Checkbox groups whose ticked values post as a list.
MULTIPLE = {"cans", "remove"}


def form_values(response, cls="application-step"):
    """What the form would post as it is shown: {name: value}; a radio group or a single
    checkbox nobody ticked is None, a checkbox group a list."""
    form = parsed(response).find("form", cls=cls)
    values = {}
    for element in form.find_all():
        name = element.attrs.get("name")
        if not name or name == "csrfmiddlewaretoken":
            continue
        if element.tag == "textarea":
            # The text as typed: pages.py's .text would fold its line breaks.
            values[name] = "".join(c for c in element.children if isinstance(c, str))
            values[name] = values[name].removeprefix("\n")
        elif element.tag == "select":
            chosen = [o.attrs["value"] for o in element.find_all("option") if "selected" in o.attrs]
            values[name] = chosen[0] if chosen else None
        elif element.tag == "input":
            kind = element.attrs.get("type", "text")
            checked = "checked" in element.attrs
            if kind in ("submit", "button", "file"):
                continue
            if kind == "checkbox" and name in MULTIPLE:
                values.setdefault(name, [])
                if checked:
                    values[name].append(element.attrs["value"])
            elif kind in ("checkbox", "radio"):
                values.setdefault(name, None)
                if checked:
                    values[name] = element.attrs.get("value", "on")
            else:
                values[name] = element.attrs.get("value", "")
    return values


def answers_shown(response):
    """The form's values without the page's own bookkeeping."""
    return {k: v for k, v in form_values(response).items() if k != "edit_seen"}


def error_summary(response):
    """[(link, text)] of the error summary at the top of the page."""
    box = parsed(response).find("div", cls="error-summary")
    if box is None:
        return []
    return [
        (li.find("a").attrs["href"] if li.find("a") else "", li.text) for li in box.find_all("li")
    ]


def field_error(response, field_id):
    """The error shown beside the field whose id is `field_id`."""
    shown = parsed(response).find("div", id=f"{field_id}_error")
    return shown.text if shown else None


def problems_shown(response):
    """The refusals in the page's red alerts (not the error summary), one sentence each."""
    sentences = []
    for alert in parsed(response).find_all(cls="alert-danger"):
        if alert.has_class("error-summary"):
            continue
        items = alert.find_all("li")
        sentences += [li.text for li in items] if items else [alert.text]
    return sentences


def status_message(response):
    box = parsed(response).find("div", role="status")
    return box.text if box else None


def step_url(access_request, slug):
    return reverse("application_step", args=[access_request.reference, slug])


def posted(values):
    """A form's values as a browser posts them: nothing for an unticked box."""
    return {k: v for k, v in values.items() if v is not None}


def save_step(client, access_request, slug, changes=None, go="next", files=None):
    """Open the step, change what `changes` says, press the button `go`."""
    page = client.get(step_url(access_request, slug))
    assert page.status_code == 200
    values = {**form_values(page), **(changes or {}), "go": go}
    return client.post(step_url(access_request, slug), {**posted(values), **(files or {})})


# The answers as stored.

ANSWER_FIELDS = [
    "program",
    "contact_name",
    "contact_email",
    "contact_phone",
    "statewide",
    "purpose",
    "contribution",
    "existing_reporting_gap",
    "need_type",
    "usage_frequency",
    "funding_relation",
    "homeless_relationship",
    "is_researcher",
    "aggregated_data_sufficient",
    "identified_data_justification",
    "had_prior_access",
    "prior_access_details",
    "prior_access_revoked",
    "attests_training",
    "attests_accuracy",
]


def stored(access_request):
    """Every answer of the request as the database holds it, its organization's details and
    its named people included."""
    r = AccessRequest.objects.get(pk=access_request.pk)
    org = r.organization
    return {
        **{name: getattr(r, name) for name in ANSWER_FIELDS},
        "cans": sorted(can.slug for can in r.cans.all()),
        "people": [(p.name, p.title, p.email, p.requested_level) for p in r.people.all()],
        "org.kind": org.kind,
        "org.address": org.address,
        "org.website": org.website,
        "org.funded": org.funded_for_homeless_services,
    }


ADA = ("Ada Analyst", "Analyst", "ada@harbor.example", VIEW)


def known_draft(journey, **answers):
    """A draft of Harbor Health Partners with every answer known, naming Ada and Greater
    Hartford."""
    answers = {
        "contact_phone": "860-555-0142",
        "had_prior_access": True,
        "prior_access_details": "2019 to 2021, outreach program.",
        "prior_access_revoked": False,
        "is_researcher": True,
        "aggregated_data_sufficient": True,
        "people": 0,
        **answers,
    }
    draft = journey.draft(**answers)
    name, title, email, level = ADA
    NamedPersonFactory(request=draft, name=name, title=title, email=email, requested_level=level)
    return draft


@pytest.fixture
def riley_client(client, personas):
    client.force_login(personas.riley)
    return client


def colleague(personas, name="Dana Colleague"):
    """A second active member of Harbor Health Partners."""
    return MembershipFactory(organization=personas.harbor, user__name=name).user


# Starting a request.


def test_a_member_of_one_organization_starts_a_draft_for_it_and_lands_on_the_first_step(
    riley_client, personas
):
    page = riley_client.get(reverse("request_new"))
    assert page.status_code == 200
    assert parsed(page).find("form").find("p").text == "For Harbor Health Partners."

    response = riley_client.post(reverse("request_new"), {"organization": personas.harbor.pk})

    created = AccessRequest.objects.get()
    assert (
        created.organization,
        created.created_by,
        created.status,
        created.contact_name,
        created.contact_email,
        created.last_step,
    ) == (
        personas.harbor,
        personas.riley,
        Status.DRAFT,
        "Riley Requestor",
        personas.riley.email,
        "organization",
    )
    assert response.status_code == 302
    assert response["Location"] == step_url(created, "organization")
    shown = riley_client.get(response["Location"])
    assert status_message(shown) == (
        f"Your application {created.reference} is started. Every step is saved as you go; you "
        "can stop and come back at any time."
    )


def test_a_member_of_several_organizations_must_choose_one(riley_client, personas):
    second = OrganizationFactory(name="Shoreline Clinic")
    MembershipFactory(organization=second, user=personas.riley)
    # Joining ended Riley's session (requests_app/accounts/sessions.py): signed in again.
    riley_client.force_login(personas.riley)

    page = riley_client.get(reverse("request_new"))
    choices = parsed(page).find_all("input", name="organization")
    assert [(c.attrs["value"], "checked" in c.attrs) for c in choices] == [
        (str(personas.harbor.pk), False),
        (str(second.pk), False),
    ]

    # A browser posts the form's CSRF token even when nothing is chosen.
    refused = riley_client.post(reverse("request_new"), {"csrfmiddlewaretoken": "token"})
    assert refused.status_code == 400
    assert field_error(refused, "id_organization") == "This field is required."
    assert AccessRequest.objects.count() == 0

    riley_client.post(reverse("request_new"), {"organization": second.pk})
    assert [r.organization for r in AccessRequest.objects.all()] == [second]


@pytest.mark.parametrize("state", [None, Membership.State.PENDING])
def test_someone_without_an_active_membership_is_sent_to_set_up_their_organization(
    client, personas, state
):
    user = UserFactory(name="Noor Newcomer")
    if state:
        MembershipFactory(organization=personas.harbor, user=user, state=state)
    client.force_login(user)

    for response in (
        client.get(reverse("request_new")),
        client.post(reverse("request_new"), {"organization": personas.harbor.pk}),
    ):
        assert response.status_code == 302
        assert response["Location"] == reverse("organization")

    shown = client.get(reverse("organization"))
    assert status_message(shown) == (
        "Set up your organization, or join it, before you start a request: the request is made "
        "in its name. "
        "Set up your organization, or join it, before you start a request: the request is made "
        "in its name."
    )
    assert AccessRequest.objects.count() == 0


def test_a_pending_member_cannot_start_a_request_for_that_organization(client, personas):
    # Active in another organization, waiting to be accepted into Harbor Health Partners.
    quinn = personas.quinn
    MembershipFactory(organization=personas.harbor, user=quinn, state=Membership.State.PENDING)
    client.force_login(quinn)

    page = client.get(reverse("request_new"))
    assert parsed(page).find("form").find("p").text == "For Elsewhere Services."

    response = client.post(reverse("request_new"), {"organization": personas.harbor.pk})

    assert response.status_code == 400
    assert problems_shown(response) == ["Please correct the marked fields."]
    assert AccessRequest.objects.count() == 0


# Each step shows what was saved, and saves exactly its own questions.


def saved_on_screen(personas, draft, slug):
    ada = draft.people.get()
    return {
        "organization": {
            "kind": "nonprofit",
            "address": "1 Main Street, Hartford, CT 06103",
            "website": "",
            "funded_for_homeless_services": None,
        },
        "people": {
            "program": "Medical respite",
            "contact_name": "Jamie Contact",
            "contact_email": "jamie@example.org",
            "contact_phone": "860-555-0142",
            "people-TOTAL_FORMS": "1",
            "people-INITIAL_FORMS": "1",
            "people-MIN_NUM_FORMS": "0",
            "people-MAX_NUM_FORMS": "50",
            "people-0-id": str(ada.pk),
            "people-0-name": "Ada Analyst",
            "people-0-title": "Analyst",
            "people-0-email": "ada@harbor.example",
            "people-0-requested_level": "view",
            "people-0-DELETE": None,
        },
        "scope": {
            "scope": "cans",
            "cans": [str(personas.hartford.pk)],
            "purpose": "Coordinate discharge planning.",
            "contribution": "Fewer discharges to the street.",
            "existing_reporting_gap": "Published reports are aggregate and monthly.",
        },
        "eligibility": {
            "need_type": "ongoing",
            "usage_frequency": "Daily",
            "funding_relation": "State-funded respite contract.",
            "homeless_relationship": "We serve 300 people a year.",
            "had_prior_access": "True",
            "prior_access_details": "2019 to 2021, outreach program.",
            "prior_access_revoked": "False",
        },
        "research": {
            "is_researcher": "True",
            "aggregated_data_sufficient": "True",
            "identified_data_justification": "",
            "description": "",
        },
        "attestations": {"attests_training": "on", "attests_accuracy": "on"},
    }[slug]


@pytest.mark.parametrize("slug", STEP_SLUGS)
def test_each_step_shows_its_questions_with_the_saved_answers(riley_client, journey, slug):
    draft = known_draft(journey)

    response = riley_client.get(step_url(draft, slug))

    assert response.status_code == 200
    assert answers_shown(response) == saved_on_screen(journey.p, draft, slug)


def step_changes(personas, slug):
    """(what the person changes on the step, what the database then holds differently)."""
    return {
        "organization": (
            {
                "kind": "health_care",
                "address": "2 Elm Street, New Haven, CT 06510",
                "website": "www.harbor-health.example",
                "funded_for_homeless_services": "on",
            },
            {
                "org.kind": "health_care",
                "org.address": "2 Elm Street, New Haven, CT 06510",
                "org.website": "https://www.harbor-health.example",
                "org.funded": True,
            },
        ),
        "people": (
            {
                "program": "Population health",
                "contact_name": "Robin Contact",
                "contact_email": "robin@harbor.example",
                "contact_phone": "(860) 555-0199 x12",
                "people-0-title": "Senior analyst",
            },
            {
                "program": "Population health",
                "contact_name": "Robin Contact",
                "contact_email": "robin@harbor.example",
                "contact_phone": "(860) 555-0199 x12",
                "people": [("Ada Analyst", "Senior analyst", "ada@harbor.example", VIEW)],
            },
        ),
        "scope": (
            {
                "scope": "statewide",
                "cans": [],
                "purpose": "Population health reporting.",
                "contribution": "Housing referrals.",
                "existing_reporting_gap": "Monthly is too late.",
            },
            {
                "statewide": True,
                "cans": [],
                "purpose": "Population health reporting.",
                "contribution": "Housing referrals.",
                "existing_reporting_gap": "Monthly is too late.",
            },
        ),
        "eligibility": (
            {
                "need_type": "one_time",
                "usage_frequency": "Weekly",
                "funding_relation": "HUD CoC grant.",
                "homeless_relationship": "Street medicine.",
                "had_prior_access": "False",
                "prior_access_details": "",
                "prior_access_revoked": None,
            },
            {
                "need_type": "one_time",
                "usage_frequency": "Weekly",
                "funding_relation": "HUD CoC grant.",
                "homeless_relationship": "Street medicine.",
                "had_prior_access": False,
                "prior_access_details": "",
                "prior_access_revoked": None,
            },
        ),
        "research": (
            {
                "is_researcher": "True",
                "aggregated_data_sufficient": "False",
                "identified_data_justification": "Matching to hospital records.",
            },
            {
                "is_researcher": True,
                "aggregated_data_sufficient": False,
                "identified_data_justification": "Matching to hospital records.",
            },
        ),
        "attestations": (
            {"attests_training": None, "attests_accuracy": None},
            {"attests_training": False, "attests_accuracy": False},
        ),
    }[slug]


@pytest.mark.parametrize("slug", STEP_SLUGS)
def test_saving_a_step_changes_exactly_its_own_answers_and_moves_to_the_next_step(
    riley_client, journey, personas, slug
):
    draft = known_draft(journey)
    before = stored(draft)
    changes, expected = step_changes(personas, slug)

    response = save_step(riley_client, draft, slug, changes)

    assert response.status_code == 302
    following = STEP_SLUGS[STEP_SLUGS.index(slug) + 1] if slug != "attestations" else "review"
    assert response["Location"] == step_url(draft, following)
    assert stored(draft) == {**before, **expected}
    draft.refresh_from_db()
    assert (draft.last_step, draft.last_edited_by) == (slug, personas.riley)
    # The step shows what it saved.
    assert answers_shown(riley_client.get(step_url(draft, slug))) == {
        **saved_on_screen(personas, draft, slug),
        **{k: v for k, v in changes.items() if k != "website"},
        **({"website": "https://www.harbor-health.example"} if slug == "organization" else {}),
    }


@pytest.mark.parametrize(
    ("slug", "go", "lands_on"),
    [
        ("scope", "next", "eligibility"),
        ("scope", "back", "people"),
        ("scope", "stay", "scope"),
        ("attestations", "next", "review"),
        ("attestations", "back", "research"),
    ],
)
def test_each_button_saves_and_goes_where_it_says(riley_client, journey, slug, go, lands_on):
    draft = known_draft(journey)

    response = save_step(riley_client, draft, slug, {"purpose": "Changed."}, go=go)

    assert response.status_code == 302
    assert response["Location"] == step_url(draft, lands_on)
    draft.refresh_from_db()
    assert draft.purpose == ("Changed." if slug == "scope" else "Coordinate discharge planning.")
    shown = riley_client.get(response["Location"])
    assert status_message(shown) == ("Saved." if go == "stay" else None)


def test_save_and_finish_later_goes_to_my_requests_and_says_where_to_pick_it_up(
    riley_client, journey
):
    draft = known_draft(journey)

    response = save_step(riley_client, draft, "scope", {"purpose": "Later."}, go="later")

    assert response.status_code == 302
    assert response["Location"] == reverse("my_requests")
    assert status_message(riley_client.get(response["Location"])) == (
        f"{draft.reference} is saved. Pick it up from My requests whenever you are ready; your "
        "colleagues in the organization can work on it too."
    )
    draft.refresh_from_db()
    assert (draft.purpose, draft.last_step) == ("Later.", "scope")


# Each step's buttons in the order of the page: Enter in a field presses the form's first
# submit button (HTML's implicit submission), so "Save and continue" comes first on every step;
# the people step's own button follows it.
STEP_BUTTONS = {
    "organization": ["Save and continue", "Save and finish later"],
    "people": [
        "Save and continue",
        "Save and add another person",
        "Save and go back",
        "Save and finish later",
    ],
    **{
        slug: ["Save and continue", "Save and go back", "Save and finish later"]
        for slug in ("scope", "eligibility", "research", "attestations")
    },
}


@pytest.mark.parametrize(("slug", "buttons"), STEP_BUTTONS.items())
def test_enter_in_a_field_of_any_step_saves_and_continues(riley_client, journey, slug, buttons):
    draft = known_draft(journey)
    page = riley_client.get(step_url(draft, slug))
    form = parsed(page).find("form", cls="application-step")
    submits = [b for b in form.find_all("button") if b.attrs.get("type") == "submit"]

    assert [b.text for b in submits] == buttons
    # What Enter posts: the first submit button's name and value.
    first = submits[0]
    values = {**form_values(page), first.attrs["name"]: first.attrs["value"]}
    response = riley_client.post(step_url(draft, slug), posted(values))
    following = [*STEP_SLUGS, "review"][STEP_SLUGS.index(slug) + 1]
    assert (response.status_code, response["Location"]) == (302, step_url(draft, following))


def test_add_another_person_saves_and_shows_an_empty_row_to_fill(riley_client, journey):
    draft = known_draft(journey)

    response = save_step(riley_client, draft, "people", {"program": "Respite"}, go="add_person")

    assert response.status_code == 302
    assert response["Location"] == f"{step_url(draft, 'people')}?add=1#people-heading"
    page = riley_client.get(response["Location"])
    shown = answers_shown(page)
    assert {k: v for k, v in shown.items() if k.startswith("people-")} == {
        "people-TOTAL_FORMS": "2",
        "people-INITIAL_FORMS": "1",
        "people-MIN_NUM_FORMS": "0",
        "people-MAX_NUM_FORMS": "50",
        "people-0-id": str(draft.people.get().pk),
        "people-0-name": "Ada Analyst",
        "people-0-title": "Analyst",
        "people-0-email": "ada@harbor.example",
        "people-0-requested_level": "view",
        "people-0-DELETE": None,
        "people-1-id": "",
        "people-1-name": "",
        "people-1-title": "",
        "people-1-email": "",
        "people-1-requested_level": None,
        "people-1-DELETE": None,
    }
    draft.refresh_from_db()
    assert draft.program == "Respite"

    # The new row, filled in and saved, names a second person.
    filled = {
        "people-1-name": "Bo Builder",
        "people-1-email": "Bo@Harbor.example",
        "people-1-requested_level": "reporting",
    }
    response = riley_client.post(
        step_url(draft, "people"), {**posted({**form_values(page), **filled}), "go": "stay"}
    )
    assert response.status_code == 302
    assert stored(draft)["people"] == [ADA, ("Bo Builder", "", "bo@harbor.example", REPORTING)]


def test_an_empty_extra_row_is_ignored(riley_client, journey):
    draft = known_draft(journey)
    page = riley_client.get(f"{step_url(draft, 'people')}?add=1")

    response = riley_client.post(
        step_url(draft, "people"), {**posted(form_values(page)), "go": "next"}
    )

    assert response.status_code == 302
    assert stored(draft)["people"] == [ADA]


def test_the_first_person_is_asked_for_on_a_draft_naming_nobody(riley_client, journey):
    draft = journey.draft(people=0)

    shown = answers_shown(riley_client.get(step_url(draft, "people")))

    assert (shown["people-TOTAL_FORMS"], shown["people-INITIAL_FORMS"]) == ("1", "0")
    assert shown["people-0-name"] == ""


# Validation: the error beside the field and in the summary, what was typed kept, nothing saved.

SUMMARY_HEADING_ONE = (
    "There is a problem: nothing was saved yet, and everything you typed is still below."
)


@pytest.mark.parametrize(
    ("slug", "changes", "field_id", "label", "message"),
    [
        (
            "people",
            {"contact_email": "jamie-at-example.org"},
            "id_contact_email",
            "Contact e-mail address",
            "Enter a valid email address.",
        ),
        (
            "people",
            {"people-0-email": "ada@"},
            "id_people-0-email",
            "Person 1, E-mail address",
            "Enter a valid email address.",
        ),
        (
            "people",
            {"program": "P" * 201},
            "id_program",
            "Program or department that will use HMIS",
            "Ensure this value has at most 200 characters (it has 201).",
        ),
        (
            "people",
            {"contact_phone": "call the front desk"},
            "id_contact_phone",
            "Contact phone (optional)",
            "Enter a phone number with digits, spaces, brackets or dashes, for example "
            "860-555-0142.",
        ),
        (
            "people",
            {"people-0-name": "N" * 151},
            "id_people-0-name",
            "Person 1, Full name",
            "Ensure this value has at most 150 characters (it has 151).",
        ),
        (
            "people",
            {"people-0-name": ""},
            "id_people-0-name",
            "Person 1, Full name",
            "This field is required.",
        ),
        (
            "scope",
            {"purpose": "P" * 4001},
            "id_purpose",
            "What is the purpose of the request?",
            "Ensure this value has at most 4000 characters (it has 4001).",
        ),
        (
            "eligibility",
            {"prior_access_details": "D" * 2001},
            "id_prior_access_details",
            "If yes: when, and for which program?",
            "Ensure this value has at most 2000 characters (it has 2001).",
        ),
        (
            "organization",
            {"website": "not a website"},
            "id_website",
            "Website",
            "Enter a valid URL.",
        ),
    ],
    ids=[
        "contact-email",
        "person-email",
        "program-too-long",
        "phone",
        "person-name-too-long",
        "person-name-missing",
        "purpose-too-long",
        "prior-details-too-long",
        "website",
    ],
)
def test_an_invalid_answer_is_refused_beside_its_field_and_in_the_summary_keeping_what_was_typed(
    riley_client, journey, slug, changes, field_id, label, message
):
    draft = known_draft(journey)
    before, edited_at = stored(draft), draft.updated_at
    # Something valid typed on the same step is kept too.
    other = {"people": "contact_name", "scope": "contribution", "eligibility": "usage_frequency"}
    other = other.get(slug, "address")
    changes = {other: "Typed and not lost.", **changes}

    response = save_step(riley_client, draft, slug, changes)

    assert response.status_code == 400
    assert error_summary(response) == [(f"#{field_id}", f"{label}: {message}")]
    assert parsed(response).find("h2", id="error-summary-heading").text == SUMMARY_HEADING_ONE
    assert field_error(response, field_id) == message
    shown = answers_shown(response)
    assert {name: shown[name] for name in changes} == changes
    assert stored(draft) == before
    draft.refresh_from_db()
    assert draft.updated_at == edited_at


def test_several_errors_are_all_listed_in_the_order_of_the_page(riley_client, journey):
    draft = known_draft(journey)

    response = save_step(
        riley_client,
        draft,
        "people",
        {"contact_email": "nope", "contact_phone": "nope", "people-0-email": "nope"},
    )

    assert response.status_code == 400
    assert error_summary(response) == [
        ("#id_contact_email", "Contact e-mail address: Enter a valid email address."),
        (
            "#id_contact_phone",
            "Contact phone (optional): Enter a phone number with digits, spaces, brackets or "
            "dashes, for example 860-555-0142.",
        ),
        ("#id_people-0-email", "Person 1, E-mail address: Enter a valid email address."),
    ]
    assert parsed(response).find("h2", id="error-summary-heading").text == (
        "There are 3 problems: nothing was saved yet, and everything you typed is still below."
    )


@pytest.mark.parametrize(
    "second_email",
    ["ada@harbor.example", "ADA@Harbor.Example"],
    ids=["same-case", "other-case"],
)
def test_naming_a_new_person_with_an_e_mail_already_named_is_refused(
    riley_client, journey, second_email
):
    draft = known_draft(journey)
    before = stored(draft)
    page = riley_client.get(f"{step_url(draft, 'people')}?add=1")
    typed = {
        "people-1-name": "Ada Again",
        "people-1-email": second_email,
        "people-1-requested_level": "full",
    }

    response = riley_client.post(
        step_url(draft, "people"), {**posted({**form_values(page), **typed}), "go": "next"}
    )

    assert response.status_code == 400
    message = "Ada Analyst is already named with ada@harbor.example. Name each person once."
    assert error_summary(response) == [
        ("#id_people-1-email", f"Person 2, E-mail address: {message}")
    ]
    assert field_error(response, "id_people-1-email") == message
    shown = answers_shown(response)
    assert {name: shown[name] for name in typed} == typed
    assert stored(draft) == before


def test_two_new_people_with_the_same_e_mail_in_one_save_are_refused(riley_client, journey):
    draft = journey.draft(people=0)
    before = stored(draft)
    page = riley_client.get(step_url(draft, "people"))
    typed = {
        "people-TOTAL_FORMS": "2",
        "people-0-name": "Bo Builder",
        "people-0-email": "bo@harbor.example",
        "people-0-requested_level": "view",
        "people-1-name": "Bo Twice",
        "people-1-email": "BO@harbor.example",
        "people-1-requested_level": "full",
    }

    response = riley_client.post(
        step_url(draft, "people"), {**posted({**form_values(page), **typed}), "go": "next"}
    )

    assert response.status_code == 400
    assert error_summary(response) == [
        (
            "#id_people-1-email",
            "Person 2, E-mail address: Bo Builder is already named with bo@harbor.example. "
            "Name each person once.",
        )
    ]
    assert stored(draft) == before


@pytest.mark.parametrize(
    ("changes", "field", "label", "message"),
    [
        (
            {"scope": "cans", "cans": []},
            "cans",
            "The CANs",
            "Choose at least one CAN, or choose statewide above.",
        ),
        (
            {"scope": "statewide"},  # Greater Hartford still ticked
            "scope",
            "Where will you use HMIS data?",
            "You ticked CANs: choose \u201cIn one or more CANs\u201d, or untick them for "
            "statewide.",
        ),
    ],
    ids=["cans-chosen-none-ticked", "cans-ticked-statewide-chosen"],
)
def test_a_scope_that_contradicts_itself_is_refused_with_a_link_to_the_question(
    riley_client, journey, personas, changes, field, label, message
):
    draft = known_draft(journey)
    before = stored(draft)
    changes = {**changes, "purpose": "Typed and not lost."}

    response = save_step(riley_client, draft, "scope", changes)

    assert response.status_code == 400
    # The link goes to the group's first box: a link to "#" would jump nowhere.
    assert error_summary(response) == [(f"#id_{field}_0", f"{label}: {message}")]
    assert field_error(response, f"id_{field}") == message
    shown = answers_shown(response)
    assert {name: shown[name] for name in [*changes, "cans"]} == {
        **changes,
        **({"cans": [str(personas.hartford.pk)]} if "cans" not in changes else {}),
    }
    assert stored(draft) == before


def test_a_missing_access_level_links_to_the_first_level_to_choose(riley_client, journey):
    draft = known_draft(journey)

    response = save_step(riley_client, draft, "people", {"people-0-requested_level": None})

    assert response.status_code == 400
    assert error_summary(response) == [
        (
            "#id_people-0-requested_level_0",
            "Person 1, Access level asked for: This field is required.",
        )
    ]


# Removing and editing a person.


def test_removing_a_person_deletes_only_them(riley_client, journey):
    draft = known_draft(journey)
    NamedPersonFactory(request=draft, name="Bo Builder", email="bo@harbor.example", title="")

    response = save_step(riley_client, draft, "people", {"people-0-DELETE": "on"})

    assert response.status_code == 302
    assert stored(draft)["people"] == [("Bo Builder", "", "bo@harbor.example", FULL)]


def test_removing_a_person_and_naming_them_again_in_one_save_is_allowed(riley_client, journey):
    draft = known_draft(journey)
    page = riley_client.get(f"{step_url(draft, 'people')}?add=1")
    typed = {
        "people-0-DELETE": "on",
        "people-1-name": "Ada Lovelace",
        "people-1-email": "ada@harbor.example",
        "people-1-requested_level": "reporting",
    }

    response = riley_client.post(
        step_url(draft, "people"), {**posted({**form_values(page), **typed}), "go": "next"}
    )

    assert response.status_code == 302
    assert stored(draft)["people"] == [("Ada Lovelace", "", "ada@harbor.example", REPORTING)]


def test_editing_a_person_changes_that_person_in_place(riley_client, journey):
    draft = known_draft(journey)
    ada = draft.people.get()

    response = save_step(
        riley_client,
        draft,
        "people",
        {
            "people-0-name": "Ada B. Analyst",
            "people-0-title": "Lead analyst",
            "people-0-email": "Ada.B@Harbor.example",
            "people-0-requested_level": "reporting",
        },
    )

    assert response.status_code == 302
    assert [(p.pk, p.name, p.title, p.email, p.requested_level) for p in draft.people.all()] == [
        (ada.pk, "Ada B. Analyst", "Lead analyst", "ada.b@harbor.example", REPORTING)
    ]


# Coming back to a draft, and colleagues working on it.


def continue_links(client, draft):
    """Where "Continue" goes on My requests and on the request page."""
    listed = parsed(client.get(reverse("my_requests"))).find("tbody")
    on_list = [a.attrs["href"] for a in listed.find_all("a") if a.text.startswith("Continue")]
    panel = parsed(client.get(draft.get_absolute_url())).find("section", cls="requestor-panel")
    on_page = [a.attrs["href"] for a in panel.find_all("a") if a.text.startswith("Continue")]
    return on_list, on_page


def test_a_draft_is_picked_up_where_it_was_left_after_signing_out(riley_client, journey):
    draft = known_draft(journey)
    save_step(riley_client, draft, "scope", {"purpose": "Half done."}, go="later")
    riley_client.logout()

    riley_client.force_login(journey.p.riley)

    assert continue_links(riley_client, draft) == (
        [step_url(draft, "scope")],
        [step_url(draft, "scope")],
    )
    shown = answers_shown(riley_client.get(step_url(draft, "scope")))
    assert shown["purpose"] == "Half done."


def test_a_colleague_sees_and_continues_the_same_draft(client, journey, personas):
    draft = known_draft(journey)
    client.force_login(personas.riley)
    save_step(client, draft, "scope", {"purpose": "Riley's words."}, go="later")
    dana = colleague(personas)
    client.force_login(dana)

    assert continue_links(client, draft) == ([step_url(draft, "scope")], [step_url(draft, "scope")])
    assert answers_shown(client.get(step_url(draft, "scope")))["purpose"] == "Riley's words."

    response = save_step(client, draft, "scope", {"purpose": "Dana's words."})

    assert response.status_code == 302
    draft.refresh_from_db()
    assert (draft.purpose, draft.last_edited_by) == ("Dana's words.", dana)


def test_a_colleagues_save_meanwhile_is_reported_by_name_and_a_second_save_goes_through(
    client, journey, personas
):
    draft = known_draft(journey)
    dana = colleague(personas)
    client.force_login(personas.riley)
    riley_page = client.get(step_url(draft, "scope"))
    # Dana saves the same step while Riley's page is open.
    client.force_login(dana)
    save_step(client, draft, "scope", {"contribution": "Dana's contribution."})
    client.force_login(personas.riley)
    typed = {"purpose": "Riley's purpose."}

    response = client.post(
        step_url(draft, "scope"), {**posted({**form_values(riley_page), **typed}), "go": "next"}
    )

    assert response.status_code == 400
    draft.refresh_from_db()
    at = f"{timezone.localtime(draft.updated_at):%-I:%M %p}"
    assert problems_shown(response) == [
        f"Dana Colleague saved changes to this application at {at} while you had this page "
        "open. What you typed is below and is not saved yet: check it against their changes on "
        "the review page, then save again."
    ]
    shown = answers_shown(response)
    assert (shown["purpose"], shown["contribution"]) == (
        "Riley's purpose.",
        "Fewer discharges to the street.",
    )
    assert (draft.purpose, draft.contribution) == (
        "Coordinate discharge planning.",
        "Dana's contribution.",
    )

    again = client.post(step_url(draft, "scope"), {**posted(form_values(response)), "go": "next"})

    assert again.status_code == 302
    draft.refresh_from_db()
    assert (draft.purpose, draft.last_edited_by) == ("Riley's purpose.", personas.riley)


# Requests that are not the person's to change.


def test_a_submitted_request_sends_its_step_pages_to_the_request_page_with_a_message(
    riley_client, journey
):
    request = journey.submitted()

    for response in (
        riley_client.get(step_url(request, "scope")),
        riley_client.post(step_url(request, "scope"), {"purpose": "Too late.", "go": "next"}),
    ):
        assert response.status_code == 302
        assert response["Location"] == request.get_absolute_url()
    shown = riley_client.get(request.get_absolute_url())
    assert status_message(shown) == (
        f"{request.reference} is submitted: its answers can no longer be changed here. "
        f"{request.reference} is submitted: its answers can no longer be changed here."
    )
    request.refresh_from_db()
    assert request.purpose == "Coordinate discharge planning."


APPLICATION_URLS = [
    *[("application_step", {"step": slug}) for slug in [*STEP_SLUGS, "review"]],
    ("submit", {}),
    ("resubmit", {}),
    ("withdraw", {}),
    ("delete", {}),
    ("mou_draft", {}),
]


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize(("name", "extra"), APPLICATION_URLS)
@pytest.mark.parametrize("status", [Status.DRAFT, Status.RETURNED])
def test_another_organizations_request_is_not_found_on_every_application_url(
    client, journey, personas, name, extra, method, status
):
    request = journey.at(status)
    before = stored(request)
    client.force_login(personas.quinn)
    url = reverse(name, kwargs={"reference": request.reference, **extra})

    response = getattr(client, method)(url, {"purpose": "Not mine.", "response": "x"})

    # Submitting is a POST only: a GET is refused before the request is even looked up.
    only_posted = method == "get" and name in ("submit", "resubmit")
    assert response.status_code == (405 if only_posted else 404)
    request.refresh_from_db()
    assert (request.status, stored(request)) == (status, before)


def test_an_unknown_step_goes_to_where_the_draft_was_left(riley_client, journey):
    draft = known_draft(journey, last_step="eligibility")

    response = riley_client.get(step_url(draft, "nowhere"))

    assert response.status_code == 302
    assert response["Location"] == step_url(draft, "eligibility")


# The review page and submitting.


def review(client, access_request):
    response = client.get(step_url(access_request, "review"))
    assert response.status_code == 200
    return response


def missing_shown(response):
    box = parsed(response).find("section", aria_labelledby="missing-heading")
    return [(a.text, a.attrs["href"]) for a in box.find_all("a")] if box else []


def points_shown(response):
    box = parsed(response).find("section", aria_labelledby="points-heading")
    if box is None:
        return []
    return [(li.text, li.find("a").attrs["href"]) for li in box.find_all("li")]


def submit_buttons(response):
    return [f.attrs["action"] for f in parsed(response).find_all("form")]


def test_the_review_page_lists_each_missing_answer_linked_to_its_step(riley_client, journey):
    draft = journey.draft(
        people=0, purpose="", need_type="", is_researcher=None, attests_accuracy=False
    )

    response = review(riley_client, draft)

    assert missing_shown(response) == [
        ("The purpose of the request (3.1)", step_url(draft, "scope")),
        ("Whether the need is ongoing or one-time (1.2)", step_url(draft, "eligibility")),
        ("At least one named person who will use HMIS (3.3)", step_url(draft, "people")),
        ("Whether the requestor is a researcher (1.9)", step_url(draft, "research")),
        ("The attestation that the answers are accurate", step_url(draft, "attestations")),
    ]
    assert submit_buttons(response) == []
    assert parsed(response).find("p", cls="mt-4").text == (
        "The application can be submitted once everything above is answered."
    )


ONE_TIME_POINT = (
    "You said the need is one-time only. The policy grants HMIS access for ongoing needs; a "
    "one-time need is a reason to deny access (2.1). A custom data pull or report from CCEH may "
    "serve you better. Change this answer"
)
IDENTIFIED_POINT = (
    "You asked for identified data for research. The policy expects researchers to use "
    "aggregated, de-identified data unless identified data is truly needed (1.9): your reason "
    "and any IRB approval will be read closely. Change this answer"
)


def test_the_review_page_raises_a_one_time_need_and_identified_research_data_without_blocking(
    riley_client, journey
):
    draft = known_draft(
        journey,
        need_type=AccessRequest.NeedType.ONE_TIME,
        aggregated_data_sufficient=False,
        identified_data_justification="Matching to hospital records.",
    )

    response = review(riley_client, draft)

    assert missing_shown(response) == []
    assert points_shown(response) == [
        (ONE_TIME_POINT, step_url(draft, "eligibility")),
        (IDENTIFIED_POINT, step_url(draft, "research")),
    ]
    assert submit_buttons(response) == [reverse("submit", args=[draft.reference])]

    submitted = riley_client.post(reverse("submit", args=[draft.reference]))

    assert submitted.status_code == 302
    draft.refresh_from_db()
    assert draft.status == Status.SUBMITTED


def test_a_complete_draft_without_concerns_shows_no_point_to_raise(riley_client, journey):
    response = review(riley_client, known_draft(journey))

    assert (missing_shown(response), points_shown(response)) == ([], [])


def test_submitting_an_incomplete_draft_is_refused_with_what_is_missing(riley_client, journey):
    draft = journey.draft(purpose="", usage_frequency="")

    response = riley_client.post(reverse("submit", args=[draft.reference]))

    assert response.status_code == 400
    assert problems_shown(response) == [
        "Missing: the purpose of the request (3.1).",
        "Missing: how often the data will be used (1.2).",
    ]
    assert missing_shown(response) == [
        ("The purpose of the request (3.1)", step_url(draft, "scope")),
        ("How often the data will be used (1.2)", step_url(draft, "eligibility")),
    ]
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT


def test_submitting_a_complete_draft_sends_it_and_shows_the_request_page(riley_client, journey):
    draft = known_draft(journey)
    page = review(riley_client, draft)
    seen = form_values(page, cls="mt-4")["seen"]

    response = riley_client.post(reverse("submit", args=[draft.reference]), {"seen": seen})

    assert response.status_code == 302
    assert response["Location"] == draft.get_absolute_url()
    draft.refresh_from_db()
    assert draft.status == Status.SUBMITTED
    assert status_message(riley_client.get(draft.get_absolute_url())) == (
        f"{draft.reference} is submitted. CCEH staff will take it up; you will see each step here."
    )


def test_submitting_twice_from_the_same_page_says_it_was_your_own_submission(riley_client, journey):
    draft = known_draft(journey)
    seen = form_values(review(riley_client, draft), cls="mt-4")["seen"]
    riley_client.post(reverse("submit", args=[draft.reference]), {"seen": seen})

    again = riley_client.post(reverse("submit", args=[draft.reference]), {"seen": seen})

    submitted = Event.objects.get(request=draft, kind=Event.Kind.SUBMITTED)
    assert again.status_code == 400
    assert problems_shown(again) == [
        "Your own earlier action changed this request: submitted at "
        f"{timezone.localtime(submitted.created_at):%-I:%M %p}. It was recorded once. Reload the "
        "page to see the request as it is now (submitted)."
    ]
    assert Event.objects.filter(request=draft, kind=Event.Kind.SUBMITTED).count() == 1


# A request returned with a question.

QUESTION = (
    "CCEH staff asked you a question Who else? Asked by Sam Staff on {day}. Change your answers "
    "where needed, then answer the question on the review page and resubmit."
)


def question_shown(response):
    box = parsed(response).find("div", cls="returned-question")
    return box.text if box else None


def asked_on(request):
    returned = request.events.get(kind=Event.Kind.RETURNED)
    return dateformat.format(timezone.localtime(returned.created_at), "M j, Y")


@pytest.mark.parametrize("where", ["request", *STEP_SLUGS, "review"])
def test_the_question_of_a_returned_request_is_shown_at_the_top(riley_client, journey, where):
    request = journey.returned()
    url = request.get_absolute_url() if where == "request" else step_url(request, where)

    response = riley_client.get(url)

    assert response.status_code == 200
    assert question_shown(response) == QUESTION.format(day=asked_on(request))
    # Above the answers and the form, where it is read first.
    page = response.content.decode()
    below = 'id="answers-heading"' if where in ("request", "review") else "application-step"
    assert page.index("returned-question") < page.index(below)


@pytest.mark.parametrize("status", [Status.DRAFT, Status.SUBMITTED])
def test_no_question_is_shown_unless_the_request_is_returned(riley_client, journey, status):
    request = journey.at(status)

    assert question_shown(riley_client.get(request.get_absolute_url())) is None


def test_changing_answers_of_a_returned_request_records_what_changed(
    riley_client, journey, personas
):
    request = journey.returned()
    page = riley_client.get(f"{step_url(request, 'people')}?add=1")
    typed = {
        "program": "Population health",
        "contact_phone": "860-555-0199",
        "people-1-name": "Bo Builder",
        "people-1-email": "bo@harbor.example",
        "people-1-requested_level": "reporting",
    }

    response = riley_client.post(
        step_url(request, "people"), {**posted({**form_values(page), **typed}), "go": "next"}
    )

    assert response.status_code == 302
    changed = Event.objects.filter(request=request, kind=Event.Kind.ANSWERS_CHANGED)
    assert [(e.actor, e.data, e.visible_to_requestor) for e in changed] == [
        (
            personas.riley,
            {"changed": ["Program or department", "Contact phone", "Added Bo Builder"]},
            True,
        )
    ]
    request.refresh_from_db()
    assert request.status == Status.RETURNED


def test_saving_a_draft_records_no_change_event(riley_client, journey):
    draft = known_draft(journey)

    save_step(riley_client, draft, "people", {"program": "Population health"})

    assert list(Event.objects.filter(request=draft)) == []


def test_resubmitting_without_an_answer_is_refused_and_the_changed_answers_stay(
    riley_client, journey
):
    request = journey.returned()
    save_step(riley_client, request, "scope", {"purpose": "Also for outreach."})
    page = review(riley_client, request)
    seen = form_values(page, cls="mt-4")["seen"]

    response = riley_client.post(
        reverse("resubmit", args=[request.reference]), {"seen": seen, "response": "   "}
    )

    assert response.status_code == 400
    assert field_error(response, "id_response") == "This field is required."
    request.refresh_from_db()
    assert (request.status, request.purpose) == (Status.RETURNED, "Also for outreach.")
    assert Comment.objects.filter(request=request, author=journey.p.riley).count() == 0


def test_resubmitting_with_an_answer_sends_it_back_with_the_answer_as_a_message(
    riley_client, journey, personas
):
    request = journey.returned()
    seen = form_values(review(riley_client, request), cls="mt-4")["seen"]

    response = riley_client.post(
        reverse("resubmit", args=[request.reference]),
        {"seen": seen, "response": "Bo Builder joins the program."},
    )

    assert response.status_code == 302
    assert response["Location"] == request.get_absolute_url()
    request.refresh_from_db()
    assert request.status == Status.SUBMITTED
    assert [
        (c.author, c.body, c.visibility)
        for c in Comment.objects.filter(request=request).order_by("pk")
    ] == [
        (personas.sam, "Who else?", Comment.Visibility.REQUESTOR),
        (personas.riley, "Bo Builder joins the program.", Comment.Visibility.REQUESTOR),
    ]
    assert status_message(riley_client.get(request.get_absolute_url())) == (
        f"{request.reference} is back with CCEH staff, with your answer."
    )


def test_an_answer_typed_on_a_refused_resubmission_is_kept(riley_client, journey, personas):
    request = journey.returned()
    seen = form_values(review(riley_client, request), cls="mt-4")["seen"]
    # Staff take the request back meanwhile, so the answer cannot be sent now.
    workflow.start_screening(
        workflow.resubmit(request, personas.riley, "Sent by a colleague."), personas.sam
    )

    response = riley_client.post(
        reverse("resubmit", args=[request.reference]),
        {"seen": seen, "response": "My careful answer."},
    )

    assert response.status_code == 400
    assert problems_shown(response) == [
        "Someone else changed this request while you were looking at it: it is now in "
        "screening. Reload the page to see what changed."
    ]
    assert Comment.objects.filter(body="My careful answer.").count() == 0


# Withdrawing.


def test_withdrawing_asks_first_then_withdraws_with_the_reason(riley_client, journey, personas):
    request = journey.submitted()

    page = riley_client.get(reverse("withdraw", args=[request.reference]))

    assert page.status_code == 200
    assert parsed(page).find("h1").text == f"Withdraw {request.reference}?"
    assert problems_shown(page) == []
    assert [b.text for b in parsed(page).find_all("button")] == ["Yes, withdraw it"]
    request.refresh_from_db()
    assert request.status == Status.SUBMITTED

    response = riley_client.post(
        reverse("withdraw", args=[request.reference]),
        {"seen": page.context["seen"], "reason": "We found another way."},
    )

    assert response.status_code == 302
    assert response["Location"] == request.get_absolute_url()
    request.refresh_from_db()
    assert request.status == Status.WITHDRAWN
    assert [(e.actor, e.note) for e in request.events.filter(kind=Event.Kind.WITHDRAWN)] == [
        (personas.riley, "We found another way.")
    ]


@pytest.mark.parametrize(
    ("status", "problem"),
    [
        (
            Status.DRAFT,
            "This request is a draft that nobody outside the organization has seen: "
            "delete it instead.",
        ),
        (Status.APPROVED, "This request is approved, so it cannot be withdrawn now."),
        (Status.DENIED, "This request is denied, so it cannot be withdrawn now."),
        (Status.WITHDRAWN, "This request is withdrawn, so it cannot be withdrawn now."),
    ],
)
def test_withdrawing_is_refused_for_a_draft_or_a_closed_request_saying_why(
    riley_client, journey, status, problem
):
    request = journey.at(status)
    url = reverse("withdraw", args=[request.reference])

    page = riley_client.get(url)
    response = riley_client.post(url, {"reason": "Changed our minds."})

    assert (page.status_code, problems_shown(page), parsed(page).find("form")) == (
        200,
        [problem],
        None,
    )
    assert (response.status_code, problems_shown(response)) == (400, [problem])
    request.refresh_from_db()
    assert request.status == status


# Deleting a draft.


@pytest.fixture
def private_files(settings, tmp_path):
    """Files stored in a folder of this test, apart from the web roots."""
    settings.PRIVATE_FILES_ROOT = tmp_path / "private"
    settings.MEDIA_ROOT = tmp_path / "media"
    return tmp_path / "private"


def attach(access_request, user, name="irb.pdf", content=None):
    content = content or pdf_bytes()
    upload = SimpleUploadedFile(name, content, content_type="application/pdf")
    return workflow.attach_file(access_request, user, upload, "application/pdf", "IRB approval")


def test_deleting_a_draft_asks_first_then_deletes_it_with_its_people_and_files(
    riley_client, journey, personas, private_files, django_capture_on_commit_callbacks
):
    draft = known_draft(journey)
    stored_file = Path(attach(draft, personas.riley).file.path)
    people = list(draft.people.values_list("pk", flat=True))

    page = riley_client.get(reverse("delete", args=[draft.reference]))

    assert page.status_code == 200
    assert parsed(page).find("h1").text == f"Delete the draft {draft.reference}?"
    assert [b.text for b in parsed(page).find_all("button")] == ["Yes, delete the draft"]
    assert AccessRequest.objects.filter(pk=draft.pk).exists()

    with django_capture_on_commit_callbacks(execute=True):
        response = riley_client.post(reverse("delete", args=[draft.reference]))

    assert response.status_code == 302
    assert response["Location"] == reverse("my_requests")
    assert (
        AccessRequest.objects.filter(pk=draft.pk).exists(),
        NamedPerson.objects.filter(pk__in=people).exists(),
        Attachment.objects.exists(),
        stored_file.exists(),
    ) == (False, False, False, False)
    assert status_message(riley_client.get(reverse("my_requests"))) == (
        f"The draft {draft.reference} is deleted."
    )


@pytest.mark.parametrize("status", [Status.SUBMITTED, Status.RETURNED, Status.APPROVED])
def test_a_submitted_request_cannot_be_deleted_only_withdrawn(riley_client, journey, status):
    request = journey.at(status)
    url = reverse("delete", args=[request.reference])

    page = riley_client.get(url)
    response = riley_client.post(url)

    assert (page.status_code, problems_shown(page)) == (200, ["This request is not a draft now."])
    assert (response.status_code, problems_shown(response)) == (
        400,
        ["This request is not a draft now."],
    )
    assert AccessRequest.objects.filter(pk=request.pk).exists()


# Files, through the research step.


def pdf_bytes(padding=0):
    """A PDF a reader opens (the upload check reads it with pypdf): its objects, their
    cross-reference table and startxref. `padding` bytes of comment make it larger; the
    offsets are written at a fixed width, so its length grows by exactly that."""
    out = b"%PDF-1.4\n" + (b"%" + b"0" * (padding - 2) + b"\n" if padding else b"")
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [] /Count 0 >>"]
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    table = len(out)
    out += b"xref\n0 3\n0000000000 65535 f \n"
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    return out + b"trailer\n<< /Size 3 /Root 1 0 R >>\nstartxref\n%010d\n%%%%EOF\n" % table


def image_bytes(kind):
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(buffer, kind)
    return buffer.getvalue()


def docx_bytes():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        archive.writestr("word/document.xml", '<?xml version="1.0"?><w:document/>')
    return buffer.getvalue()


DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("IRB approval.pdf", pdf_bytes(), "application/pdf"),
        ("scan.png", image_bytes("PNG"), "image/png"),
        ("scan.jpg", image_bytes("JPEG"), "image/jpeg"),
        ("letter.docx", docx_bytes(), DOCX),
        # A file's type is its content: a PNG named .pdf is stored as the PNG it is.
        ("misnamed.pdf", image_bytes("PNG"), "image/png"),
    ],
    ids=["pdf", "png", "jpeg", "docx", "png-named-pdf"],
)
def test_a_document_attached_on_the_research_step_is_stored_privately_with_the_answers(
    riley_client, journey, personas, private_files, name, content, content_type
):
    draft = known_draft(journey)

    response = save_step(
        riley_client,
        draft,
        "research",
        {"description": "From Yale's IRB", "identified_data_justification": "Kept too."},
        files={"file": SimpleUploadedFile(name, content)},
    )

    assert response.status_code == 302
    attached = Attachment.objects.get(request=draft)
    assert (
        attached.original_name,
        attached.content_type,
        attached.size,
        attached.description,
        attached.uploaded_by,
    ) == (name, content_type, len(content), "From Yale's IRB", personas.riley)
    path = Path(attached.file.path)
    assert path.read_bytes() == content
    assert path.is_relative_to(private_files)
    assert not path.is_relative_to(settings.STATIC_ROOT)
    assert not path.is_relative_to(settings.MEDIA_ROOT)
    draft.refresh_from_db()
    assert draft.identified_data_justification == "Kept too."

    download = riley_client.get(reverse("attachment", args=[draft.reference, attached.pk]))
    assert (download.status_code, download["Content-Type"]) == (200, content_type)
    assert b"".join(download.streaming_content) == content


NOT_ACCEPTED = (
    "{name} is not a PDF, PNG, JPEG or Word (.docx) file, whatever its name says. Your answers "
    "are kept; choose the file again in one of those formats."
)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("notes.pdf", b"Just some notes, not a PDF.\n", NOT_ACCEPTED.format(name="notes.pdf")),
        (
            "broken.png",
            b"\x89PNG\r\n\x1a\n" + b"garbage" * 40,
            NOT_ACCEPTED.format(name="broken.png"),
        ),
        ("cut.pdf", pdf_bytes()[:-7], NOT_ACCEPTED.format(name="cut.pdf")),
        ("archive.docx", b"PK\x03\x04 not really a zip", NOT_ACCEPTED.format(name="archive.docx")),
        (
            "big.pdf",
            b"%PDF-1.4\n" + b"0" * (10 * 1024 * 1024 + 1 - 16) + b"\n%%EOF\n",
            "big.pdf is 10.0 MB; files can be at most 10.0 MB. Your answers are kept; "
            "choose a smaller file.",
        ),
        ("empty.pdf", b"", "The submitted file is empty."),
    ],
    ids=[
        "text-named-pdf",
        "png-header-then-garbage",
        "pdf-without-end",
        "fake-zip",
        "too-large",
        "empty",
    ],
)
def test_a_file_that_is_not_an_accepted_document_is_refused_and_the_answers_typed_are_kept(
    riley_client, journey, private_files, name, content, message
):
    draft = known_draft(journey)
    before = stored(draft)
    typed = {
        "is_researcher": "True",
        "aggregated_data_sufficient": "False",
        "identified_data_justification": "Matching to hospital records.",
        "description": "IRB approval",
    }

    response = save_step(
        riley_client, draft, "research", typed, files={"file": SimpleUploadedFile(name, content)}
    )

    assert response.status_code == 400
    assert error_summary(response) == [
        ("#id_file", f"Add a supporting document (optional): {message}")
    ]
    assert field_error(response, "id_file") == message
    shown = answers_shown(response)
    assert {k: shown[k] for k in typed} == typed
    assert stored(draft) == before
    assert Attachment.objects.count() == 0
    assert not private_files.exists() or list(private_files.rglob("*.*")) == []


def test_a_file_of_exactly_10_mb_is_accepted(riley_client, journey, private_files):
    draft = known_draft(journey)
    content = pdf_bytes(padding=10 * 1024 * 1024 - len(pdf_bytes()))
    assert len(content) == 10 * 1024 * 1024

    response = save_step(
        riley_client, draft, "research", files={"file": SimpleUploadedFile("max.pdf", content)}
    )

    assert response.status_code == 302
    assert Attachment.objects.get().size == 10 * 1024 * 1024


@pytest.mark.parametrize("persona", ["quinn", "pat"])
def test_an_attached_file_is_not_found_by_someone_who_cannot_see_the_request(
    client, journey, personas, private_files, persona
):
    # Attached while it was a draft, then submitted: named Greater Hartford, not Pat's CAN.
    draft = journey.draft()
    attached = attach(draft, personas.riley)
    request = workflow.submit(draft, personas.riley)
    client.force_login(personas.by_name(persona))

    response = client.get(reverse("attachment", args=[request.reference, attached.pk]))

    assert response.status_code == 404


def test_ticking_remove_deletes_the_file_and_its_row(
    riley_client, journey, personas, private_files, django_capture_on_commit_callbacks
):
    draft = known_draft(journey)
    kept = attach(draft, personas.riley, name="keep.pdf")
    removed = attach(draft, personas.riley, name="remove.pdf")
    page = riley_client.get(step_url(draft, "research"))
    assert [
        (box.attrs["value"], parsed(page).find("label", for_=box.attrs["id"]).text)
        for box in parsed(page).find_all("input", name="remove")
    ] == [(str(kept.pk), "Remove keep.pdf"), (str(removed.pk), "Remove remove.pdf")]

    with django_capture_on_commit_callbacks(execute=True):
        response = riley_client.post(
            step_url(draft, "research"),
            {**posted({**form_values(page), "remove": [str(removed.pk)]}), "go": "next"},
        )

    assert response.status_code == 302
    assert [a.original_name for a in Attachment.objects.filter(request=draft)] == ["keep.pdf"]
    assert (Path(kept.file.path).exists(), Path(removed.file.path).exists()) == (True, False)


def test_a_file_attached_to_a_returned_request_is_recorded_as_a_change(
    riley_client, journey, personas, private_files
):
    request = journey.returned()

    save_step(
        riley_client,
        request,
        "research",
        files={"file": SimpleUploadedFile("IRB approval.pdf", pdf_bytes())},
    )

    assert [
        e.data for e in Event.objects.filter(request=request, kind=Event.Kind.ANSWERS_CHANGED)
    ] == [{"changed": ["Attached the file IRB approval.pdf"]}]


# My requests.


def my_request_rows(response):
    assert response.status_code == 200
    body = parsed(response).find("tbody")
    return [[td.text for td in tr.find_all("td")] for tr in body.find_all("tr")] if body else []


def day(moment):
    return dateformat.format(timezone.localtime(moment), "M j, Y")


def next_for(status):
    return Status.NEXT_FOR_REQUESTOR[status].format(committee=COMMITTEE)


def test_my_requests_lists_each_request_with_its_status_next_step_and_since_when(
    riley_client, journey, personas
):
    draft = journey.draft(program="Respite")
    returned = journey.returned(program="Outreach")
    vetting = journey.vetting(program="Research")
    approved = journey.approved(program="Clinic")
    # Another organization's request, and one of an organization Riley only asked to join.
    workflow.submit(
        AccessRequestFactory(organization=personas.elsewhere, created_by=personas.quinn),
        personas.quinn,
    )
    pending = OrganizationFactory(name="Pending Place")
    MembershipFactory(organization=pending, user=personas.riley, state=Membership.State.PENDING)
    AccessRequestFactory(organization=pending)

    rows = my_request_rows(riley_client.get(reverse("my_requests")))

    # Newest change first.
    assert rows == [
        [
            f"{approved.reference} Clinic",
            "Harbor Health Partners",
            # Once approved, the grant's state and its next step: the MOU waits to be signed.
            "Approved Waiting for your signature",
            day(approved.status_changed_at),
            "Read the MOU and sign it for your organization. CCEH staff countersign it next; "
            f"access starts after that and each person's HMIS training. Sign the MOU: "
            f"{approved.reference}",
        ],
        [
            f"{vetting.reference} Research",
            "Harbor Health Partners",
            "With the committee",
            day(vetting.status_changed_at),
            next_for(Status.VETTING),
        ],
        [
            f"{returned.reference} Outreach",
            "Harbor Health Partners",
            "Returned for information",
            day(returned.status_changed_at),
            f"{next_for(Status.RETURNED)} Answer {returned.reference}",
        ],
        [
            f"{draft.reference} Respite",
            "Harbor Health Partners",
            "Draft",
            day(draft.status_changed_at),
            f"{next_for(Status.DRAFT)} Continue {draft.reference}",
        ],
    ]


def test_my_requests_shows_nothing_of_another_organization(client, journey, personas):
    journey.submitted()
    client.force_login(personas.quinn)

    assert my_request_rows(client.get(reverse("my_requests"))) == []


# The request page: exactly the actions the workflow allows the requestor.

MOU = "Download as a draft MOU (PDF)"


@pytest.mark.parametrize(
    ("status", "offered"),
    [
        (Status.DRAFT, ["Continue the application", "Review and submit", MOU, "Delete the draft"]),
        (Status.SUBMITTED, [MOU, "Withdraw the request"]),
        (Status.SCREENING, [MOU, "Withdraw the request"]),
        (
            Status.RETURNED,
            ["Change your answers", "Answer and resubmit", MOU, "Withdraw the request"],
        ),
        (Status.VETTING, [MOU, "Withdraw the request"]),
        # Once decided or withdrawn, there is no draft MOU any more; an approval's MOU waits
        # for the organization's signature.
        (Status.APPROVED, ["Sign the MOU"]),
        (Status.DENIED, []),
        (Status.WITHDRAWN, []),
    ],
)
def test_the_request_page_offers_the_requestor_exactly_what_the_workflow_allows(
    riley_client, journey, status, offered
):
    request = journey.at(status)

    response = riley_client.get(request.get_absolute_url())

    panel = parsed(response).find("section", cls="requestor-panel")
    links = [(a.text, a.attrs["href"]) for a in panel.find_all("a") if a.has_class("btn")]
    ref = request.reference
    targets = {
        "Continue the application": step_url(request, request.last_step or "organization"),
        "Change your answers": step_url(request, request.last_step or "organization"),
        "Review and submit": step_url(request, "review"),
        "Answer and resubmit": step_url(request, "review"),
        MOU: reverse("mou_draft", args=[ref]),
        "Withdraw the request": reverse("withdraw", args=[ref]),
        "Delete the draft": reverse("delete", args=[ref]),
        "Sign the MOU": reverse("agreement", args=[ref]) + "#sign-heading",
    }
    assert links == [(text, targets[text]) for text in offered]
    if status != Status.APPROVED:  # an approval's next step is its grant's (test_decision_section)
        assert panel.find("p", cls="next-step").text == next_for(status)


# SQL queries: a fixed number, whatever the number of requests.

# Each includes the header's unread-notice count, and the list's count up to 10,001
# (requests_app/core/paging.py).
MY_REQUESTS_QUERIES = 8
# The scope step also lists the CANs to tick. Whether the person sees the request is asked once
# per page, however many actions the page asks about.
STEP_PAGE_QUERIES = {
    "organization": 8,
    "people": 8,
    "scope": 9,
    "eligibility": 8,
    "research": 8,
    "attestations": 8,
    # The review reads the application as it stands in one statement: its people, CANs and
    # files once each, whatever their number.
    "review": 11,
}


def test_my_requests_runs_as_many_queries_for_10_requests_as_for_1(
    riley_client, journey, django_assert_num_queries
):
    journey.draft(people=2)

    with django_assert_num_queries(MY_REQUESTS_QUERIES):
        assert len(my_request_rows(riley_client.get(reverse("my_requests")))) == 1

    for _ in range(4):
        journey.draft(people=3)
    for _ in range(3):
        journey.submitted(people=2)
    journey.returned()
    journey.approved()
    with django_assert_num_queries(MY_REQUESTS_QUERIES):
        assert len(my_request_rows(riley_client.get(reverse("my_requests")))) == 10


def refs(requests):
    return [r.reference for r in requests]


def walked(client, first, *links):
    """The page at `first` and those reached from it by following `links` in turn:
    ([(what each lists, where it is in words, its links' texts)], [the queries each ran]).
    What a page lists: the references of My requests, or the lines of a request's history."""
    pages, costs, response = [], [], None
    for link in (None, *links):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(first if link is None else pages_of(response)[1][link])
        assert response.status_code == 200
        position, offered = pages_of(response) or ("", {})
        listed = (
            [row[0].split(" ")[0] for row in my_request_rows(response)]
            if first == reverse("my_requests")
            else history_lines(response)
        )
        pages.append((listed, position, list(offered)))
        costs.append(len(queries))
    return pages, costs


def changed_in_turn(requests):
    """Each request changed an hour after the one before: My requests lists the latest
    changed first."""
    start = timezone.now() - datetime.timedelta(days=30)
    for hours, request in enumerate(requests):
        # When it was last changed may be staged; saving the row would set it to now.
        AccessRequest.objects.filter(pk=request.pk).update(
            updated_at=start + datetime.timedelta(hours=hours)
        )
    return requests[::-1]


def test_my_requests_pages_60_requests_the_latest_changed_first(riley_client, journey):
    latest_first = changed_in_turn([journey.draft(program="") for _ in range(60)])

    pages, costs = walked(riley_client, reverse("my_requests"), "Older", "Older", "Newer", "First")

    assert pages == [
        (refs(latest_first[:25]), "Requests 1 to 25 of 60", ["Older"]),
        (refs(latest_first[25:50]), "Requests 26 to 50 of 60", ["First", "Newer", "Older"]),
        (refs(latest_first[50:]), "Requests 51 to 60 of 60", ["First", "Newer"]),
        (refs(latest_first[25:50]), "Requests 26 to 50 of 60", ["First", "Newer", "Older"]),
        (refs(latest_first[:25]), "Requests 1 to 25 of 60", ["Older"]),
    ]
    # As one request costs (above), whatever the page.
    assert costs == [MY_REQUESTS_QUERIES] * 5


def test_a_malformed_cursor_gives_my_requests_first_page(riley_client, journey, monkeypatch):
    monkeypatch.setattr(application_views, "MY_REQUESTS_PAGE_SIZE", 2)
    latest_first = changed_in_turn([journey.draft(program="") for _ in range(3)])

    response = riley_client.get(reverse("my_requests"), {"before": "bm90IGEgY3Vyc29y:x"})

    assert [row[0] for row in my_request_rows(response)] == refs(latest_first[:2])
    assert (pages_of(response)[0], list(pages_of(response)[1])) == (
        "Requests 1 to 2 of 3",
        ["Older"],
    )


# A request's history, the newest first: older events a page away.


def history_lines(response):
    """The history's lines without their times, the newest first."""
    timeline = parsed(response).find("section", aria_labelledby="history-heading").find("ol")
    return [li.text.split(": ", 1)[1] for li in timeline.find_all("li")] if timeline else []


def changes_recorded(request, count, by):
    """`count` public events on `request`'s history, a minute apart after what it holds:
    written directly, as only their number and order matter here. Their lines, the newest
    first."""
    start = timezone.now()
    events = [
        Event(
            request=request,
            kind=Event.Kind.ANSWERS_CHANGED,
            actor=by,
            data={"changed": [f"Change {n}"]},
            visible_to_requestor=True,
            created_at=start + datetime.timedelta(minutes=n + 1),
        )
        for n in range(count)
    ]
    Event.objects.bulk_create(Event.linked(request, events))
    return [f"Answers changed: Change {n}, by {by.name}" for n in reversed(range(count))]


def test_a_long_history_shows_its_newest_25_events_and_older_ones_a_page_away(
    client, journey, personas
):
    short = journey.submitted()
    request = journey.submitted()
    newest_first = [
        *changes_recorded(request, 58, personas.riley),
        "Submitted, by Riley Requestor",
    ]
    client.force_login(personas.sam)
    with CaptureQueriesContext(connection) as queries:
        assert history_lines(client.get(short.get_absolute_url())) == [
            "Submitted, by Riley Requestor"
        ]
    short_costs = len(queries)
    here = request.get_absolute_url()

    pages, costs = walked(client, here, "Older", "Older", "Newer", "First")

    assert len(newest_first) == 59
    assert pages == [
        (newest_first[:25], "Events 1 to 25", ["Older"]),
        (newest_first[25:50], "Events 26 to 50", ["First", "Newer", "Older"]),
        (newest_first[50:], "Events 51 to 59", ["First", "Newer"]),
        (newest_first[25:50], "Events 26 to 50", ["First", "Newer", "Older"]),
        (newest_first[:25], "Events 1 to 25", ["Older"]),
    ]
    # A history of one event or of 59, its newest page or its oldest: the same queries.
    assert costs == [short_costs] * 5


def test_an_older_page_of_the_history_keeps_the_rest_of_the_request_page(client, journey, personas):
    request = journey.submitted()
    changes_recorded(request, 30, personas.riley)
    client.force_login(personas.sam)

    newest = client.get(request.get_absolute_url())
    older = client.get(pages_of(newest)[1]["Older"])

    def without_history(response):
        main = parsed(response)
        return [
            section.find("h2").text
            for section in main.find_all("section")
            if section.attrs.get("aria-labelledby") != "history-heading"
        ], main.find("h1").text

    assert without_history(older) == without_history(newest)
    assert (len(history_lines(newest)), len(history_lines(older))) == (25, 6)
    # Its links lead back to the history, on the request's own page.
    assert [
        (urlsplit(link).path, urlsplit(link).fragment) for link in pages_of(older)[1].values()
    ] == [(request.get_absolute_url(), "history-heading")] * 2


def test_a_failed_form_shows_the_historys_links_to_the_requests_own_page(client, journey, personas):
    request = journey.screening()
    changes_recorded(request, 30, personas.riley)
    client.force_login(personas.sam)

    response = client.post(
        reverse("return", args=[request.reference]),
        form_data("return", {"message": ""}),
    )

    assert response.status_code == 400
    assert [link.split("?")[0] for link in pages_of(response)[1].values()] == [
        request.get_absolute_url()
    ]


def test_the_requestors_question_is_shown_however_long_the_history_since(
    riley_client, journey, personas
):
    request = journey.returned()
    changes_recorded(request, 40, personas.riley)  # answers saved since it came back

    response = riley_client.get(request.get_absolute_url())

    assert [line for line in history_lines(response) if "Who else?" in line] == []
    assert parsed(response).find(cls="returned-question").find("p").text == "Who else?"


def test_a_malformed_cursor_gives_the_newest_page_of_the_history(client, journey, personas):
    request = journey.submitted()
    newest_first = changes_recorded(request, 30, personas.riley)
    client.force_login(personas.sam)

    response = client.get(request.get_absolute_url(), {"after": "forged:cursor"})

    assert history_lines(response) == newest_first[:25]
    assert pages_of(response)[0] == "Events 1 to 25"


@pytest.mark.parametrize("slug", [*STEP_SLUGS, "review"])
def test_a_step_page_runs_a_fixed_number_of_queries(
    riley_client, journey, personas, private_files, django_assert_num_queries, slug
):
    small = journey.draft(people=1)
    with CaptureQueriesContext(connection) as captured:
        assert riley_client.get(step_url(small, slug)).status_code == 200
    few = len(captured.captured_queries)

    big = journey.draft(people=8, cans=[personas.hartford, personas.eastern])
    for n in range(3):
        attach(big, personas.riley, name=f"file{n}.pdf")
    with django_assert_num_queries(few):
        assert riley_client.get(step_url(big, slug)).status_code == 200
    assert few == STEP_PAGE_QUERIES[slug]
