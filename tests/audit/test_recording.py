"""Every read of personal data writes exactly one entry of the read log, saying who read what
of which request, when and from which address; a read that was refused (a 404) writes none."""

import runpy
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.urls import reverse
from django.utils import timezone

from requests_app.models import ReadLogEntry
from tests.support.factories import attach
from tests.support.pages import form_data

ADDRESS = "198.51.100.23"
KIND = ReadLogEntry.Kind


@pytest.fixture(autouse=True)
def private_files(settings, tmp_path):
    settings.PRIVATE_FILES_ROOT = tmp_path / "private"


def entries():
    """Every entry, as (reader, kind, request, reference, subject, address), oldest first."""
    return [
        (e.reader.email, e.kind, e.request_id, e.reference, e.subject, e.address)
        for e in ReadLogEntry.objects.select_related("reader").order_by("pk")
    ]


# Each read: (who reads, the address read, the request concerned, what exactly), staged.


def request_page(journey, stage, p):
    request = journey.vetting()
    return p.sam, request.get_absolute_url(), request, ""


def application_version(journey, stage, p):
    request = journey.vetting()
    return (
        p.morgan,
        reverse("application_version", args=[request.reference, 1]),
        request,
        ("Version 1"),
    )


def attachment(journey, stage, p):
    request = journey.vetting()
    attached = attach(request, p.riley)
    url = reverse("attachment", args=[request.reference, attached.pk])
    return p.lee, url, request, "IRB approval.pdf"


def draft_mou(journey, stage, p):
    request = journey.submitted()
    url = reverse("mou_draft", args=[request.reference])
    return p.riley, url, request, f"{request.reference}-draft-mou.pdf"


def mou_page(journey, stage, p):
    agreement = stage.executed()
    return p.riley, reverse("agreement", args=[agreement.request.reference]), agreement.request, ""


def mou_version(journey, stage, p):
    agreement = stage.executed()
    url = reverse("mou_download", args=[agreement.request.reference, 1])
    return p.sam, url, agreement.request, "Version 1"


READS = [
    pytest.param(request_page, KIND.REQUEST_PAGE, id="request-page"),
    pytest.param(application_version, KIND.APPLICATION_VERSION, id="application-version"),
    pytest.param(attachment, KIND.ATTACHMENT, id="attachment"),
    pytest.param(draft_mou, KIND.DRAFT_MOU, id="draft-mou"),
    pytest.param(mou_page, KIND.MOU_PAGE, id="mou-page"),
    pytest.param(mou_version, KIND.MOU_VERSION, id="mou-version"),
]


@pytest.mark.parametrize(("staged", "kind"), READS)
def test_each_read_of_a_request_writes_one_entry(client, journey, stage, personas, staged, kind):
    reader, url, request, subject = staged(journey, stage, personas)
    client.force_login(reader)
    before = timezone.now()

    assert client.get(url, REMOTE_ADDR=ADDRESS).status_code == 200

    assert entries() == [(reader.email, kind, request.pk, request.reference, subject, ADDRESS)]
    assert ReadLogEntry.objects.get().created_at >= before


@pytest.mark.parametrize(("staged", "kind"), READS)
def test_a_person_who_may_not_see_the_request_reads_nothing_and_nothing_is_written(
    client, journey, stage, personas, staged, kind
):
    _reader, url, _request, _subject = staged(journey, stage, personas)
    client.force_login(personas.quinn)

    assert client.get(url).status_code == 404

    assert entries() == []


def test_a_file_or_version_that_is_not_there_writes_nothing(client, journey, stage, personas):
    request = journey.vetting()
    agreement = stage.executed()
    client.force_login(personas.sam)
    missing = [
        reverse("application_version", args=[request.reference, 9]),
        reverse("attachment", args=[request.reference, 999_999]),
        reverse("mou_download", args=[agreement.request.reference, 9]),
        reverse("agreement", args=[request.reference]),  # not approved: no MOU
        reverse("mou_draft", args=[agreement.request.reference]),  # decided: no draft
    ]

    assert [client.get(url).status_code for url in missing] == [404] * 5
    assert entries() == []


def test_an_mou_version_whose_file_was_altered_is_not_served_and_not_recorded(
    client, stage, personas
):
    agreement = stage.executed()
    stored = agreement.mous.get(version=1).file
    with open(stored.path, "ab") as altered:
        altered.write(b"tampered")
    client.force_login(personas.sam)

    response = client.get(reverse("mou_download", args=[agreement.request.reference, 1]))

    assert (response.status_code, entries()) == (409, [])


def test_a_form_refused_shows_the_page_again_and_that_showing_is_a_read(client, journey, personas):
    request = journey.screening()
    client.force_login(personas.sam)

    # A return without the question the requestor must answer: the page again, with its error.
    response = client.post(reverse("return", args=[request.reference]), form_data("return", {}))

    assert response.status_code == 400
    assert entries() == [
        (personas.sam.email, KIND.REQUEST_PAGE, request.pk, request.reference, "", "127.0.0.1")
    ]


# CSV exports: each recorded with its name and the filters it was asked with.


def test_the_queue_export_is_recorded_with_its_filters(client, journey, personas):
    journey.vetting()
    client.force_login(personas.sam)

    response = client.get(reverse("queue_export"), {"status": "vetting", "q": "Harbor"})
    b"".join(response.streaming_content)

    today = timezone.localdate()
    name = f"hmis-queue-{today}.csv?status=vetting&q=Harbor"
    assert entries() == [(personas.sam.email, KIND.CSV_EXPORT, None, "", name, "127.0.0.1")]


def test_the_provisioning_export_is_recorded(client, stage, personas):
    stage.active()
    client.force_login(personas.sam)

    response = client.get(reverse("provisioning_export"), REMOTE_ADDR=ADDRESS)
    b"".join(response.streaming_content)

    name = f"hmis-provisioning-{timezone.localdate()}.csv"
    assert entries() == [(personas.sam.email, KIND.CSV_EXPORT, None, "", name, ADDRESS)]


@pytest.mark.parametrize("url", ["queue_export", "provisioning_export"])
def test_an_export_refused_writes_nothing(client, personas, url):
    client.force_login(personas.riley)

    assert client.get(reverse(url)).status_code == 403
    assert entries() == []


# The address.


def test_the_address_is_the_connections_and_a_forwarded_for_header_is_not_believed(
    client, journey, personas
):
    request = journey.vetting()
    client.force_login(personas.sam)

    client.get(request.get_absolute_url(), REMOTE_ADDR=ADDRESS, HTTP_X_FORWARDED_FOR="10.9.8.7")

    assert [address for *_, address in entries()] == [ADDRESS]


def test_behind_a_trusted_proxy_the_address_it_forwarded_is_kept(
    client, journey, personas, settings
):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    request = journey.vetting()
    client.force_login(personas.sam)

    client.get(
        request.get_absolute_url(), REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="192.0.2.44"
    )

    assert [address for *_, address in entries()] == ["192.0.2.44"]


@pytest.mark.parametrize(("env", "count"), [({}, 0), ({"TRUSTED_PROXY_COUNT": "1"}, 1)])
def test_the_trusted_proxies_come_from_the_environment(monkeypatch, env, count):
    monkeypatch.delenv("TRUSTED_PROXY_COUNT", raising=False)
    monkeypatch.setenv("SECRET_KEY", "test-only-not-secret")
    for name, value in env.items():
        monkeypatch.setenv(name, value)

    values = runpy.run_path(str(Path(django_settings.BASE_DIR) / "hmis_access" / "settings.py"))

    assert values["ALLAUTH_TRUSTED_PROXY_COUNT"] == count


# A draft its organization deletes goes; the reads of it stay, with its reference.


def test_a_draft_read_by_its_organization_can_still_be_deleted_and_its_reads_stay(
    client, journey, personas
):
    draft = journey.draft()
    reference = draft.reference
    client.force_login(personas.riley)
    assert client.get(draft.get_absolute_url()).status_code == 200

    response = client.post(reverse("delete", args=[reference]))

    assert response.status_code == 302
    assert [(kind, ref) for _, kind, _, ref, _, _ in entries()] == [(KIND.REQUEST_PAGE, reference)]
