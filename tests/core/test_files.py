"""Every CSV the site writes is safe to open in a spreadsheet: a cell that would start a formula
(=, +, -, @, tab, carriage return: OWASP's CSV injection rule) gets a leading quote, in every
export, and nothing else changes."""

import csv
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from requests_app import workflow
from requests_app.core.states import AccessLevel
from requests_app.models import Agreement, Organization
from tests.support.journey import agree

DANGEROUS = ["=", "+", "-", "@", "\t", "\r"]
IP = "203.0.113.7"


@pytest.fixture(autouse=True)
def private_files(settings, tmp_path):
    settings.PRIVATE_FILES_ROOT = tmp_path / "private"


def downloaded(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(text, newline="")))


@pytest.mark.parametrize("first", DANGEROUS, ids=repr)
def test_the_queue_export_quotes_an_organization_name_that_would_start_a_formula(
    client, journey, personas, first
):
    name = f'{first}HYPERLINK("http://x.example","click")'
    Organization.objects.filter(pk=personas.harbor.pk).update(name=name)
    journey.submitted()
    client.force_login(personas.sam)

    rows = downloaded(client, "queue_export")

    assert [row["Organization"] for row in rows] == [f"'{name}"]


@pytest.mark.parametrize("first", DANGEROUS, ids=repr)
def test_the_provisioning_export_quotes_a_persons_name_and_title_that_would_start_a_formula(
    client, journey, personas, first, django_capture_on_commit_callbacks
):
    request = journey.ready_to_approve()
    person = request.people.get()
    person.name, person.title = f"{first}cmd|' /C calc'!A0", f"{first}1+1"
    person.save()
    with django_capture_on_commit_callbacks(execute=True):
        workflow.approve(request, personas.sam, {person: AccessLevel.VIEW})
    agreement = Agreement.objects.get(request=request)
    with django_capture_on_commit_callbacks(execute=True):
        workflow.sign_mou(agreement, personas.riley, "Riley Requestor", "Director", True, IP)
    agreement = Agreement.objects.get(pk=agreement.pk)
    with django_capture_on_commit_callbacks(execute=True):
        workflow.countersign_mou(agreement, personas.sam, "Sam Staff", "Admin", True, IP)
    agreement = Agreement.objects.get(pk=agreement.pk)
    workflow.record_training(agreement, personas.sam, person, timezone.localdate(), "CT HMIS")
    agree(person)
    workflow.activate_access(Agreement.objects.get(pk=agreement.pk), personas.sam)
    client.force_login(personas.sam)

    rows = downloaded(client, "provisioning_export")

    assert [(row["Name"], row["Title"]) for row in rows] == [
        (f"'{first}cmd|' /C calc'!A0", f"'{first}1+1")
    ]


def test_cells_that_start_a_formula_only_further_in_are_left_as_they_are(client, journey, personas):
    Organization.objects.filter(pk=personas.harbor.pk).update(name="Harbor = Health + Partners")
    journey.submitted()
    client.force_login(personas.sam)

    rows = downloaded(client, "queue_export")

    assert [row["Organization"] for row in rows] == ["Harbor = Health + Partners"]
    assert rows[0]["In status since"] == f"{timezone.localdate():%Y-%m-%d}"
