"""A history anyone can verify: every event is chained to the one before it by SHA-256, an export
of a request's (or the site's) history verifies offline with the stand-alone script, and any
changed byte, removed entry or reordered pair is found and named (docs/security.md)."""

import ast
import datetime
import hashlib
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from requests_app.core import verify_history
from requests_app.models import Event, ReadLogEntry

SCRIPT = Path(verify_history.__file__)


def exported(*references):
    out = io.StringIO()
    call_command("export_history", *references, stdout=out)
    return json.loads(out.getvalue())


def downloaded(client):
    """The queue's CSV, read to its end as a browser would: the download is recorded, and the
    response closed (a streamed response left open holds back the tasks of the request)."""
    response = client.get(reverse("queue_export"))
    assert response.status_code == 200
    return b"".join(response.streaming_content)


def broken(bundle):
    with pytest.raises(verify_history.Broken) as refused:
        verify_history.verify(bundle)
    return str(refused.value)


@pytest.fixture
def signed(stage):
    """A request approved, its MOU issued and signed: events, an application version and two
    MOU versions, the issued one named by the history."""
    return stage.signed().request


def test_each_event_carries_the_digest_of_its_content_after_the_one_before_it(signed):
    events = list(signed.events.order_by("pk"))
    prev = verify_history.GENESIS
    for event in events:
        content = verify_history.content_digest(event.content(signed.reference))
        assert (event.prev_digest, event.digest) == (prev, verify_history.link(prev, content))
        prev = event.digest
    assert len(events) == signed.events.count() > 5


def test_an_untouched_export_verifies_and_names_every_document_by_the_history(signed, tmp_path):
    bundle = exported(signed.reference)

    events = signed.events.count()
    assert verify_history.verify(bundle) == (
        f"verified: 1 chains, {events} entries, 3 documents unbroken"
    )
    assert [(d["kind"], d["number"], d["named_by_history"]) for d in bundle["documents"]] == [
        ("application version", 1, True),
        ("MOU version", 1, True),
        # The signed copy is stored after the signature's event: its file proves it.
        ("MOU version", 2, False),
    ]
    # The MOU files themselves, checked where the bundle's files are given.
    files = Path(settings.PRIVATE_FILES_ROOT)
    assert verify_history.verify(bundle, files).startswith("verified: 1 chains")


def test_the_stand_alone_script_needs_nothing_but_the_standard_library(signed, tmp_path):
    imported = set()
    for node in ast.walk(ast.parse(SCRIPT.read_text())):
        if isinstance(node, ast.Import):
            imported.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            imported.add(node.module.split(".")[0])
    assert imported - sys.stdlib_module_names == set()

    path = tmp_path / "history.json"
    call_command("export_history", signed.reference, output=str(path), stderr=io.StringIO())
    # -I -S: no site-packages, no environment, no project on the path; the script alone.
    run = subprocess.run(  # noqa: S603
        [sys.executable, "-I", "-S", str(SCRIPT), str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert (run.returncode, run.stdout.split(":")[0]) == (0, "verified")

    text = path.read_bytes()
    note_at = text.index(b'"note": "') + len(b'"note": "')
    path.write_bytes(text[:note_at] + b"X" + text[note_at:])
    run = subprocess.run(  # noqa: S603
        [sys.executable, "-I", "-S", str(SCRIPT), str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert (run.returncode, run.stderr) == (
        1,
        f"BROKEN: {signed.reference} events, entry 1: its content is not what its digest "
        "sealed (it was changed)\n",
    )


def test_one_changed_byte_is_found_at_its_entry(signed):
    bundle = exported(signed.reference)
    third = bundle["chains"][0]["entries"][2]
    third["content"]["kind"] = third["content"]["kind"][:-1] + "X"

    assert broken(bundle) == (
        f"{signed.reference} events, entry 3: its content is not what its digest sealed "
        "(it was changed)"
    )


def test_a_removed_entry_is_found_where_it_was(signed):
    bundle = exported(signed.reference)
    entries = bundle["chains"][0]["entries"]
    del entries[3]
    for position, entry in enumerate(entries, start=1):
        entry["position"] = position  # as a careful forger would renumber them

    after = entries[3]["prev"][:12]
    before = entries[2]["digest"][:12]
    assert broken(bundle) == (
        f"{signed.reference} events, entry 4: it follows {after}…, but the entry before it "
        f"ends {before}… (an entry was removed, added or moved)"
    )


def test_a_reordered_pair_is_found_at_the_first_of_them(signed):
    bundle = exported(signed.reference)
    entries = bundle["chains"][0]["entries"]
    entries[1], entries[2] = entries[2], entries[1]
    entries[1]["position"], entries[2]["position"] = 2, 3

    assert broken(bundle) == (
        f"{signed.reference} events, entry 2: it follows {entries[1]['prev'][:12]}…, but the "
        f"entry before it ends {entries[0]['digest'][:12]}… (an entry was removed, added or "
        "moved)"
    )


def test_a_document_whose_text_changed_is_named(signed):
    bundle = exported(signed.reference)
    bundle["documents"][0]["content"] = bundle["documents"][0]["content"].replace("a", "b", 1)

    assert broken(bundle) == (
        f"document 1 ({signed.reference} application version 1): its text does not match its "
        "SHA-256 (it was changed)"
    )


def test_a_document_hash_the_history_does_not_name_is_refused(signed):
    bundle = exported(signed.reference)
    forged = bundle["documents"][1]
    forged["sha256"] = hashlib.sha256(b"another PDF").hexdigest()

    assert broken(bundle) == (
        f"document 2 ({signed.reference} MOU version 1): the history names another SHA-256 for it"
    )


@pytest.mark.skipif(connection.vendor != "postgresql", reason="The triggers are PostgreSQL's.")
def test_a_byte_changed_in_the_database_itself_breaks_the_exported_chain(signed):
    events = list(signed.events.order_by("pk"))
    table = Event._meta.db_table
    # What only someone with the database's owner rights could do: lift the append-only trigger.
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER {table}_append_only")
        changed = "UPDATE requests_app_event SET note = note || '.' WHERE id = %s"
        cursor.execute(changed, [events[4].pk])
        cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER {table}_append_only")

    assert broken(exported(signed.reference)) == (
        f"{signed.reference} events, entry 5: its content is not what its digest sealed "
        "(it was changed)"
    )


def test_a_second_event_after_the_same_one_is_refused(journey):
    request = journey.submitted()
    first = request.events.get()

    with pytest.raises(IntegrityError), transaction.atomic():
        Event.objects.create(
            request=request,
            kind=Event.Kind.ANSWERS_CHANGED,
            prev_digest=first.prev_digest,
            digest=first.digest[::-1],
        )


def test_the_site_bundle_holds_every_request_and_an_unknown_reference_is_refused(journey):
    first, second = journey.submitted(), journey.screening()

    bundle = exported()

    assert [chain["name"] for chain in bundle["chains"]] == [
        f"{first.reference} events",
        f"{second.reference} events",
    ]
    assert verify_history.verify(bundle) == "verified: 2 chains, 3 entries, 2 documents unbroken"
    with pytest.raises(CommandError) as refused:
        call_command("export_history", "HMIS-1999-0001", stdout=io.StringIO())
    assert str(refused.value) == "No request has the reference HMIS-1999-0001."


def test_the_reads_of_a_request_are_a_chain_of_their_own_in_its_bundle(journey, personas, client):
    request = journey.screening()
    client.force_login(personas.sam)
    for _ in range(3):
        assert client.get(reverse("request_detail", args=[request.reference])).status_code == 200

    bundle = exported(request.reference)

    reads = bundle["chains"][1]
    assert (reads["name"], reads["anchor"], len(reads["entries"])) == (
        f"{request.reference} reads",
        verify_history.GENESIS,
        3,
    )
    assert reads["entries"][0]["content"]["reader"] == personas.sam.pk
    assert verify_history.verify(bundle).startswith("verified: 2 chains, 5 entries")
    reads["entries"][1]["content"]["address"] = "192.0.2.99"
    assert broken(bundle) == (
        f"{request.reference} reads, entry 2: its content is not what its digest sealed "
        "(it was changed)"
    )


def test_the_site_bundle_chains_the_csv_exports_and_a_purged_chain_starts_where_it_was_kept(
    journey, personas, client
):
    journey.submitted()
    client.force_login(personas.sam)
    with time_machine.travel(timezone.now() - datetime.timedelta(days=3000)):
        downloaded(client)
    downloaded(client)
    downloaded(client)
    first_kept = ReadLogEntry.objects.order_by("pk")[1]

    assert call_command("purge_read_log", stdout=io.StringIO()) is None
    bundle = exported()

    exports = bundle["chains"][-1]
    assert (exports["name"], exports["anchor"], len(exports["entries"])) == (
        "CSV exports reads",
        first_kept.prev_digest,
        2,
    )
    assert verify_history.verify(bundle).startswith("verified: 2 chains, 3 entries")
