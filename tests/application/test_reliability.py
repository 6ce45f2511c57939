"""The requestor's and staff's forms against repeated, lost and tampered posts: a step saved
twice, a people row whose id is stale, unknown or missing, a page time without a time zone, an
approval whose answer never arrived. None of them is a server error, and nothing typed is lost."""

import pytest
from django.urls import reverse
from django.utils import timezone

from requests_app import workflow
from requests_app.core.states import AccessLevel, Status
from requests_app.models import AccessRequest, Decision, Event, NamedPerson
from tests.support.factories import NamedPersonFactory
from tests.support.pages import form_data, parsed

VIEW, REPORTING = AccessLevel.VIEW, AccessLevel.REPORTING


@pytest.fixture
def riley_client(client, personas):
    client.force_login(personas.riley)
    return client


@pytest.fixture
def draft(journey):
    draft = journey.draft(people=0)
    NamedPersonFactory(
        request=draft, name="Ada Analyst", email="ada@harbor.example", requested_level=VIEW
    )
    return draft


def step_url(draft, slug="people"):
    return reverse("application_step", args=[draft.reference, slug])


def page_time(client, draft, slug="people"):
    return client.get(step_url(draft, slug)).context["edit_seen"]


def people_post(client, draft, rows, initial, seen=None):
    """The people step as a browser posts it: `rows` of (id, name, e-mail, level)."""
    data = {
        "edit_seen": seen if seen is not None else page_time(client, draft),
        "go": "stay",
        "program": "Care coordination",
        "contact_name": "Riley Requestor",
        "contact_email": "riley@harbor.example",
        "people-TOTAL_FORMS": str(len(rows)),
        "people-INITIAL_FORMS": str(initial),
        "people-MIN_NUM_FORMS": "0",
        "people-MAX_NUM_FORMS": "50",
    }
    for i, (pk, name, email, level) in enumerate(rows):
        if pk is not ...:
            data[f"people-{i}-id"] = "" if pk is None else str(pk)
        data.update(
            {
                f"people-{i}-name": name,
                f"people-{i}-email": email,
                f"people-{i}-requested_level": level,
            }
        )
    return client.post(step_url(draft), data)


def people_of(draft):
    return list(draft.people.order_by("pk").values_list("name", "email", "requested_level"))


def name_error(response, index):
    shown = parsed(response).find("div", id=f"id_people-{index}-name_error")
    return shown.text if shown else None


def test_the_people_step_saved_twice_with_a_new_person_names_them_once(riley_client, draft):
    ada = draft.people.get()
    seen = page_time(riley_client, draft)
    rows = [(ada.pk, "Ada Analyst", "ada@harbor.example", VIEW)]
    rows.append((None, "Bo Builder", "bo@harbor.example", REPORTING))

    first = people_post(riley_client, draft, rows, initial=1, seen=seen)
    # A double click: the same page posted again, its new row still without an id.
    second = people_post(riley_client, draft, rows, initial=1, seen=seen)

    assert (first.status_code, second.status_code) == (302, 302)
    assert people_of(draft) == [
        ("Ada Analyst", "ada@harbor.example", VIEW),
        ("Bo Builder", "bo@harbor.example", REPORTING),
    ]


def test_a_row_whose_person_a_colleague_removed_is_refused_once_then_saved_as_typed(
    riley_client, draft
):
    ada = draft.people.get()
    seen = page_time(riley_client, draft)
    rows = [(ada.pk, "Ada A. Analyst", "ada@harbor.example", VIEW)]
    NamedPerson.objects.filter(pk=ada.pk).delete()

    response = people_post(riley_client, draft, rows, initial=1, seen=seen)

    assert response.status_code == 400
    assert name_error(response, 0) == (
        "This person is no longer on the request: a colleague may have removed them. Check "
        "the row, then save again to name them again."
    )
    form = response.context["people"].forms[0]
    # What was typed stays; the id that no longer names anyone is gone.
    assert (form["name"].value(), form["id"].value()) == ("Ada A. Analyst", "")
    assert people_of(draft) == []

    again = riley_client.post(
        step_url(draft),
        {**response.context["people"].data.dict(), "edit_seen": page_time(riley_client, draft)},
    )
    assert again.status_code == 302
    assert people_of(draft) == [("Ada A. Analyst", "ada@harbor.example", VIEW)]


def test_a_row_carrying_another_requests_person_is_refused_and_changes_nothing(
    riley_client, draft, journey
):
    elsewhere = NamedPersonFactory(request=journey.draft(people=0), email="cy@harbor.example")
    ada = draft.people.get()
    rows = [
        (ada.pk, "Ada Analyst", "ada@harbor.example", VIEW),
        (elsewhere.pk, "Cy Clinician", "cy@harbor.example", VIEW),
    ]

    response = people_post(riley_client, draft, rows, initial=2)

    assert response.status_code == 400
    assert name_error(response, 1) == (
        "This person is no longer on the request: a colleague may have removed them. Check "
        "the row, then save again to name them again."
    )
    assert people_of(draft) == [("Ada Analyst", "ada@harbor.example", VIEW)]
    assert NamedPerson.objects.get(pk=elsewhere.pk).request_id != draft.pk


@pytest.mark.parametrize("bad_id", ["abc", "-1", "99999999999999999999", "1.5"])
def test_a_row_id_that_is_not_a_number_is_a_field_error_not_a_server_error(
    riley_client, draft, bad_id
):
    data_rows = [(..., "Ada Analyst", "ada@harbor.example", VIEW)]
    response = people_post(riley_client, draft, data_rows, initial=1)
    assert response.status_code == 302  # a missing id: matched to Ada by her e-mail

    client_post = riley_client.post(
        step_url(draft),
        {
            "edit_seen": page_time(riley_client, draft),
            "go": "stay",
            "people-TOTAL_FORMS": "1",
            "people-INITIAL_FORMS": "1",
            "people-MIN_NUM_FORMS": "0",
            "people-MAX_NUM_FORMS": "50",
            "people-0-id": bad_id,
            "people-0-name": "Ada Analyst",
            "people-0-email": "ada@harbor.example",
            "people-0-requested_level": VIEW,
        },
    )

    assert client_post.status_code == 400
    assert people_of(draft) == [("Ada Analyst", "ada@harbor.example", VIEW)]


def test_a_row_without_its_id_updates_the_person_with_that_e_mail(riley_client, draft):
    rows = [(..., "Ada Analyst", "ada@harbor.example", REPORTING)]

    response = people_post(riley_client, draft, rows, initial=1)

    assert response.status_code == 302
    assert people_of(draft) == [("Ada Analyst", "ada@harbor.example", REPORTING)]


PAGE_TIME_REFUSED = "This page is out of date or incomplete. Reload it, then save again."


@pytest.mark.parametrize(
    "seen",
    [
        "2026-11-29T09:00:00",  # no time zone
        "2999-01-01T00:00:00+00:00",  # after now: it would hide every colleague's save
        "",  # none at all
        "yesterday",
        "2026-11-29T09:00:00\x00",
    ],
    ids=["naive", "future", "empty", "words", "nul"],
)
def test_a_page_time_that_cannot_be_trusted_is_refused_with_everything_typed_kept(
    riley_client, draft, personas, seen
):
    # A colleague has saved since, so the time is really compared.
    AccessRequest.objects.filter(pk=draft.pk).update(
        saved_by={str(personas.quinn.pk): timezone.now().isoformat()}
    )
    ada = draft.people.get()
    rows = [(ada.pk, "Ada Typed-Anew", "ada@harbor.example", VIEW)]

    response = people_post(riley_client, draft, rows, initial=1, seen=seen)

    assert response.status_code == 400
    assert PAGE_TIME_REFUSED in [str(e) for e in response.context["form"].non_field_errors()]
    assert response.context["people"].forms[0]["name"].value() == "Ada Typed-Anew"
    assert people_of(draft) == [("Ada Analyst", "ada@harbor.example", VIEW)]


def test_a_step_posted_without_its_page_time_is_refused(riley_client, draft):
    response = riley_client.post(
        step_url(draft, "scope"), {"go": "stay", "purpose": "Typed without a page time."}
    )

    assert response.status_code == 400
    assert PAGE_TIME_REFUSED in [str(e) for e in response.context["form"].non_field_errors()]
    assert response.context["form"]["purpose"].value() == "Typed without a page time."


# An approval whose answer was lost: found on reload, and a second post applies nothing.


def approve_post(client, request, seen):
    people = {f"level_{p.pk}": REPORTING for p in request.people.all()}
    return client.post(
        reverse("approve", args=[request.reference]), form_data("approve", {"seen": seen, **people})
    )


def test_an_approval_whose_answer_was_lost_is_found_on_reload_and_not_applied_twice(
    client, journey, personas
):
    request = journey.ready_to_approve()
    client.force_login(personas.sam)
    seen = client.get(request.get_absolute_url()).context["seen"]
    # The answer never arrives: the browser keeps the cookies it had before the post.
    cookies = client.cookies
    client.cookies = cookies.__class__(cookies)
    approve_post(client, request, seen)
    client.cookies = cookies

    page = client.get(request.get_absolute_url())
    assert parsed(page).find("div", role="status").text == f"{request.reference} is approved."
    assert page.context["access_request"].status == Status.APPROVED

    # The browser posts the form again (a reload of the post, or a second click).
    again = approve_post(client, request, seen)
    assert again.status_code == 400
    approved_at = Event.objects.get(request=request, kind=Event.Kind.APPROVED).created_at
    assert f"approved at {timezone.localtime(approved_at):%-I:%M %p}. It was recorded once." in (
        again.content.decode()
    )
    assert Decision.objects.filter(request=request).count() == 1
    assert Event.objects.filter(request=request, kind=Event.Kind.APPROVED).count() == 1


def test_a_colleagues_change_is_still_told_as_someone_elses(client, journey, personas):
    request = journey.ready_to_approve()
    client.force_login(personas.sam)
    seen = client.get(request.get_absolute_url()).context["seen"]
    workflow.add_comment(request, personas.lee, "Greater Hartford knows them well.")

    again = approve_post(client, request, seen)

    assert again.status_code == 400
    assert (
        "Someone else changed this request while you were looking at it: it is now in "
        "screening. Reload the page to see what changed." in again.content.decode()
    )
    assert Decision.objects.filter(request=request).count() == 0
