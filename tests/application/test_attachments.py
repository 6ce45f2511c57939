"""Files attached to a request: stored outside the web roots, downloaded only by whoever may
see the request."""

from pathlib import Path

import pytest
from django.urls import reverse

from tests.support.factories import attach

CONTENT = b"%PDF-1.7 IRB approval letter"


@pytest.fixture
def attached(journey, personas, settings, tmp_path):
    settings.PRIVATE_FILES_ROOT = tmp_path / "private"
    request = journey.vetting()
    return attach(request, personas.riley, CONTENT, description="From Yale's IRB")


def download(client, attachment):
    return client.get(reverse("attachment", args=[attachment.request.reference, attachment.pk]))


def test_a_file_is_stored_outside_every_web_root(attached, settings, tmp_path):
    stored = Path(attached.file.path)
    assert stored.read_bytes() == CONTENT
    assert stored.is_relative_to(tmp_path / "private")
    assert not stored.is_relative_to(settings.STATIC_ROOT)


@pytest.mark.parametrize("persona", ["riley", "sam", "morgan", "casey", "lee", "alex"])
def test_whoever_sees_the_request_sees_and_downloads_its_files(client, personas, attached, persona):
    client.force_login(personas.by_name(persona))
    page = client.get(attached.request.get_absolute_url()).content.decode()
    assert (
        "IRB approval.pdf</a> (28\xa0bytes): From Yale&#x27;s IRB; added by Riley Requestor" in page
    )

    response = download(client, attached)
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="IRB approval.pdf"'
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content) == CONTENT


@pytest.mark.parametrize("persona", ["quinn", "pat"])
def test_nobody_else_gets_a_file_not_even_its_name(client, personas, attached, persona):
    # Another organization's requestor; the leader of a CAN the request does not name.
    client.force_login(personas.by_name(persona))
    assert download(client, attached).status_code == 404


def test_a_file_of_one_request_is_not_reached_through_another(client, journey, personas, attached):
    other = journey.submitted()
    client.force_login(personas.sam)
    response = client.get(reverse("attachment", args=[other.reference, attached.pk]))
    assert response.status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in(client, attached):
    response = download(client, attached)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")
