"""The application as submitted is a record of its own: frozen at each submission with its
SHA-256, read by every page and the MOU after that, never the live draft or the organization's
current row; a resubmission shows staff what changed, field by field; each version downloads
as the very bytes its hash was taken of."""

import hashlib
import io
import json

import pypdf
import pytest
from django.urls import reverse

from requests_app import workflow
from requests_app.models import Agreement, ApplicationVersion, Organization
from tests.support.pages import parsed


@pytest.fixture(autouse=True)
def private_files(settings, tmp_path):
    settings.PRIVATE_FILES_ROOT = tmp_path / "private"


def answers_shown(client, request):
    page = client.get(request.get_absolute_url())
    assert page.status_code == 200
    return parsed(page).find("dl", cls="answers").text


def mou_text(agreement):
    with agreement.current_mou().file.open("rb") as f:
        reader = pypdf.PdfReader(io.BytesIO(f.read()))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def test_submitting_freezes_version_1_with_the_hash_of_its_canonical_text(journey, personas):
    request = journey.submitted()

    frozen = ApplicationVersion.objects.get(request=request)
    content = json.loads(frozen.content)
    assert (frozen.number, frozen.submitted_by) == (1, personas.riley)
    assert frozen.sha256 == hashlib.sha256(frozen.content.encode()).hexdigest()
    assert content["organization"]["name"] == "Harbor Health Partners"
    assert content["answers"]["purpose"] == request.purpose
    assert [p["email"] for p in content["people"]] == [
        p.email for p in request.people.order_by("pk")
    ]
    assert content["cans"] == ["Greater Hartford"]


@pytest.mark.pdf
def test_a_later_draft_editing_the_organization_changes_nothing_a_decision_rested_on(
    client, journey, personas, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        decided = journey.approved()
    agreement = Agreement.objects.get(request=decided)
    Organization.objects.filter(pk=personas.harbor.pk).update(address="1 Old Road, Hartford")
    frozen_before = ApplicationVersion.objects.get(request=decided)
    client.force_login(personas.sam)
    before = answers_shown(client, decided)

    # A new draft's first step edits the shared organization row, as the application does.
    later = workflow.start_request(personas.harbor, personas.riley)
    workflow.save_answers(
        later,
        personas.riley,
        "organization",
        organization={"address": "99 New Street, New Haven", "website": "https://new.example"},
    )

    assert Organization.objects.get(pk=personas.harbor.pk).address == "99 New Street, New Haven"
    assert answers_shown(client, decided) == before
    assert "99 New Street" not in before
    frozen_after = ApplicationVersion.objects.get(request=decided)
    assert (frozen_after.content, frozen_after.sha256) == (
        frozen_before.content,
        frozen_before.sha256,
    )
    # The MOU rendered again now (a correction) still states the organization as submitted.
    ada = decided.people.get()
    with django_capture_on_commit_callbacks(execute=True):
        workflow.amend_mou(agreement, personas.sam, "Her full name.", names={ada: "Ada B. Name"})
    text = mou_text(Agreement.objects.get(pk=agreement.pk))
    assert "99 New Street" not in text
    assert json.loads(frozen_before.content)["organization"]["address"] in text


def test_a_resubmission_is_a_new_version_and_staff_see_exactly_the_fields_it_changed(
    client, journey, personas
):
    returned = journey.returned()
    workflow.save_answers(
        returned,
        personas.riley,
        "scope",
        {"purpose": "Plan discharges for people leaving the hospital."},
    )
    workflow.save_answers(
        returned, personas.riley, "eligibility", {"usage_frequency": "Every weekday"}
    )
    request = workflow.resubmit(returned, personas.riley, "Changed the purpose and frequency.")
    client.force_login(personas.sam)

    page = client.get(request.get_absolute_url())

    assert list(request.versions.values_list("number", flat=True)) == [1, 2]
    assert page.context["version_changes"] == [
        ("Purpose", returned.purpose, "Plan discharges for people leaving the hospital."),
        ("How often the data will be used", returned.usage_frequency, "Every weekday"),
    ]
    rows = parsed(page).find("table", cls="version-changes").find_all("tr")
    assert [row.find("th").text for row in rows[1:]] == [
        "Purpose",
        "How often the data will be used",
    ]


def test_the_requestor_sees_no_diff_but_downloads_each_version_as_hashed(client, journey, personas):
    returned = journey.returned()
    workflow.save_answers(returned, personas.riley, "scope", {"purpose": "A new purpose."})
    request = workflow.resubmit(returned, personas.riley, "New purpose.")
    client.force_login(personas.riley)

    page = client.get(request.get_absolute_url())
    downloads = [
        client.get(reverse("application_version", args=[request.reference, n])) for n in (1, 2)
    ]

    assert page.context.get("version_changes") is None
    assert [d.status_code for d in downloads] == [200, 200]
    assert [hashlib.sha256(d.content).hexdigest() for d in downloads] == list(
        request.versions.order_by("number").values_list("sha256", flat=True)
    )
    assert json.loads(downloads[1].content)["answers"]["purpose"] == "A new purpose."
    assert downloads[0]["Content-Disposition"] == (
        f'attachment; filename="{request.reference}-application-v1.json"'
    )


@pytest.mark.parametrize("persona", ["quinn", "pat", "morgan"])
def test_a_version_is_not_found_by_whoever_cannot_see_the_request(
    client, journey, personas, persona
):
    request = journey.submitted()
    client.force_login(personas.by_name(persona))

    response = client.get(reverse("application_version", args=[request.reference, 1]))

    assert response.status_code == 404


def test_a_draft_has_no_version_and_its_page_shows_it_as_it_stands(client, journey, personas):
    draft = journey.draft(purpose="Still writing this.")
    client.force_login(personas.riley)

    page = client.get(draft.get_absolute_url())

    assert ApplicationVersion.objects.filter(request=draft).count() == 0
    assert page.context["application"].version is None
    assert "Still writing this." in parsed(page).find("dl", cls="answers").text
