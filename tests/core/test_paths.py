"""Hostile path values and admin filters answer as a refusal, never as a server error; and the
admin keeps revocations as they were recorded.

A `str` path value let a NUL through to PostgreSQL, which refuses it with an error (a 500). A
reference now matches its own format or the address is not found. The admin's change lists
send a query string with a control character back to the unfiltered list with ?e=1, as Django
does with any other wrong filter, and a search for one finds nothing."""

import pytest
from django.contrib import admin
from django.urls import resolve, reverse

from requests_app.admin import ControlCharacterGuard
from requests_app.models import Revocation
from tests.support.factories import RevocationFactory

HOSTILE_REFERENCES = ["%00", "HMIS-2026-0001%00", "%01", "%1b", "%7f", "%E2%80%AE", "%C2%85"]


@pytest.mark.parametrize("persona", ["sam", "riley"])
@pytest.mark.parametrize("reference", HOSTILE_REFERENCES)
@pytest.mark.parametrize(
    ("method", "address"),
    [
        ("get", "/r/{}/"),
        ("get", "/r/{}/mou/"),
        ("post", "/r/{}/vote"),
        ("get", "/r/{}/apply/people"),
        ("post", "/r/{}/comment"),
    ],
)
def test_a_control_character_in_a_reference_is_not_found(
    client, personas, persona, reference, method, address
):
    client.force_login(personas.by_name(persona))

    response = getattr(client, method)(address.format(reference))

    assert response.status_code == 404


@pytest.mark.parametrize("visibility", ["%00", "internal%00", "%E2%80%AEinternal"])
def test_a_control_character_in_a_comments_visibility_is_not_found(
    client, journey, personas, visibility
):
    request = journey.screening()
    client.force_login(personas.sam)

    response = client.post(f"/r/{request.reference}/comment/{visibility}", {"internal-body": "Hi"})

    assert response.status_code == 404


def test_a_real_reference_still_leads_to_its_request(client, journey, personas):
    request = journey.submitted()
    client.force_login(personas.riley)

    response = client.get(reverse("request_detail", args=[request.reference]))

    assert (response.status_code, response.context["access_request"]) == (200, request)


def test_a_reference_of_more_than_four_digits_resolves():
    """References number on from the primary key, so the ten-thousandth has five digits."""
    match = resolve("/r/HMIS-2031-12345/mou/")

    assert (match.url_name, match.kwargs) == ("agreement", {"reference": "HMIS-2031-12345"})


# The admin's change lists.


@pytest.mark.parametrize(
    ("changelist", "query"),
    [
        ("/admin/requests_app/accessrequest/", "status=%00"),
        ("/admin/requests_app/accessrequest/", "cans__id__exact=abc"),
        ("/admin/requests_app/accessrequest/", "statewide__exact=%00"),
        ("/admin/requests_app/accessrequest/", "q=%00"),
        ("/admin/requests_app/organization/", "kind=%00"),
        ("/admin/requests_app/event/", "kind__exact=%01"),
        ("/admin/requests_app/user/", "led_cans__id__exact=%00"),
        ("/admin/requests_app/revocation/", "q=Harbor%00"),
        ("/admin/django_tasks_database/dbtaskresult/", "status=%00"),
        ("/admin/auth/group/", "q=%7f"),
    ],
)
def test_a_wrong_admin_filter_goes_back_to_the_unfiltered_list(client, personas, changelist, query):
    client.force_login(personas.alex)

    response = client.get(f"{changelist}?{query}")

    assert (response.status_code, response["Location"]) == (302, f"{changelist}?e=1")


@pytest.mark.parametrize(
    ("model_name", "field_name"), [("revocation", "organization"), ("membership", "user")]
)
@pytest.mark.parametrize("term", ["%00", "Harbor%00", "%1b"])
def test_a_control_character_in_an_autocomplete_search_finds_nothing(
    client, personas, model_name, field_name, term
):
    client.force_login(personas.alex)

    response = client.get(
        f"/admin/autocomplete/?term={term}&app_label=requests_app"
        f"&model_name={model_name}&field_name={field_name}"
    )

    assert (response.status_code, response.json()["results"]) == (200, [])


def test_an_autocomplete_search_still_finds(client, personas):
    client.force_login(personas.alex)

    response = client.get(
        "/admin/autocomplete/?term=Harbor&app_label=requests_app"
        "&model_name=revocation&field_name=organization"
    )

    assert response.json()["results"] == [
        {"id": str(personas.harbor.pk), "text": "Harbor Health Partners"}
    ]


def test_a_good_admin_filter_still_filters(client, personas, journey):
    journey.submitted()
    client.force_login(personas.alex)

    response = client.get("/admin/requests_app/accessrequest/?status__exact=submitted")

    assert (response.status_code, response.context["cl"].result_count) == (200, 1)


def test_every_admin_change_list_is_guarded():
    unguarded = [
        model._meta.label
        for model, model_admin in admin.site._registry.items()
        if not isinstance(model_admin, ControlCharacterGuard)
    ]

    assert unguarded == []


# Revocations in the admin: added, never changed or deleted.


@pytest.fixture
def revocation(personas):
    return RevocationFactory(organization=personas.elsewhere, recorded_by=personas.alex)


def test_a_revocation_can_still_be_added_for_history_before_the_system(client, personas):
    client.force_login(personas.alex)

    response = client.post(
        "/admin/requests_app/revocation/add/",
        {
            "organization": personas.harbor.pk,
            "person_email": "",
            "request": "",
            "reason": "Shared a login in 2019.",
            "revoked_at_0": "2019-03-01",
            "revoked_at_1": "10:00:00",
        },
    )

    assert response.status_code == 302
    added = Revocation.objects.get()
    assert (added.organization, added.reason, added.recorded_by) == (
        personas.harbor,
        "Shared a login in 2019.",
        personas.alex,
    )


def test_a_revocation_is_shown_read_only(client, personas, revocation):
    client.force_login(personas.alex)

    response = client.get(f"/admin/requests_app/revocation/{revocation.pk}/change/")

    page = response.content.decode()
    inputs = [name for name in ("reason", "organization", "_save") if f'name="{name}"' in page]
    assert (response.status_code, inputs) == (200, [])


def test_a_revocation_cannot_be_changed(client, personas, revocation):
    client.force_login(personas.alex)

    response = client.post(
        f"/admin/requests_app/revocation/{revocation.pk}/change/",
        {"organization": personas.harbor.pk, "reason": "Rewritten.", "_save": "Save"},
    )

    revocation.refresh_from_db()
    assert (response.status_code, revocation.organization, revocation.reason) == (
        403,
        personas.elsewhere,
        "Shared a login.",
    )


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_revocation_cannot_be_deleted(client, personas, revocation, method):
    client.force_login(personas.alex)

    response = getattr(client, method)(
        f"/admin/requests_app/revocation/{revocation.pk}/delete/", {"post": "yes"}
    )

    assert (response.status_code, Revocation.objects.count()) == (403, 1)


def test_revocations_have_no_bulk_delete(client, personas, revocation):
    client.force_login(personas.alex)
    changelist = "/admin/requests_app/revocation/"

    offered = client.get(changelist).context["action_form"]
    response = client.post(
        changelist,
        {
            "action": "delete_selected",
            "_selected_action": [revocation.pk],
            "index": 0,
            "post": "yes",
        },
    )

    assert (offered, response.status_code, Revocation.objects.count()) == (None, 200, 1)
