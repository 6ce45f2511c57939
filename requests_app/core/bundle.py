"""A history bundle: a request's (or the whole site's) hash chains and the hashes of the
documents its decisions rest on, as one JSON file that verify_history.py checks offline
(docs/security.md). Written by `python manage.py export_history`.

The bundle is written a chain at a time, so the whole site's history never sits in memory."""

import itertools
import json
from itertools import groupby
from operator import attrgetter

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from requests_app.core import chain
from requests_app.core.verify_history import FORMAT, GENESIS
from requests_app.models import (
    AccessRequest,
    ApplicationVersion,
    Event,
    MOUVersion,
    ReadLogEntry,
    User,
)


def _chain(name, records, contents, anchor=None):
    """The chain of `records` (in order, each with its content from `contents`), starting
    after `anchor`: the digest its first entry follows when none is given."""
    entries = [
        {
            "position": position,
            "content": content,
            "prev": record.prev_digest,
            "digest": record.digest,
        }
        for position, (record, content) in enumerate(zip(records, contents, strict=True), start=1)
    ]
    return {
        "name": name,
        "anchor": entries[0]["prev"] if anchor is None else anchor,
        "entries": entries,
        "head": entries[-1]["digest"],
    }


def event_chains(requests):
    """Each request's events as a chain, in the order they were recorded, from its start."""
    rows = (
        Event.objects.filter(request__in=requests)
        .select_related("request")
        .order_by("request_id", "pk")
        .iterator(chunk_size=5000)
    )
    for _, events in groupby(rows, key=attrgetter("request_id")):
        events = list(events)
        reference = events[0].request.reference
        contents = [event.content(reference) for event in events]
        yield _chain(f"{reference} events", events, contents, anchor=GENESIS)


def read_chains(reads):
    """The reads of each request (and, with the site's history, the CSV exports, whose chain
    has the empty reference) as chains. The purge of entries past their retention removes a
    chain's oldest entries: such a chain starts from the digest its first kept entry follows."""
    rows = reads.order_by("reference", "pk").iterator(chunk_size=5000)
    for reference, entries in groupby(rows, key=attrgetter("reference")):
        entries = list(entries)
        contents = [entry.content() for entry in entries]
        yield _chain(f"{reference or 'CSV exports'} reads", entries, contents)


def documents(requests):
    """The frozen application versions (with their text, hashed again by the verifier) and the
    MOU versions (their files named as they are stored under PRIVATE_FILES_ROOT)."""
    named = {
        data["sha256"]
        for data in Event.objects.filter(request__in=requests, data__has_key="sha256").values_list(
            "data", flat=True
        )
    }
    versions = ApplicationVersion.objects.filter(request__in=requests).order_by("request", "number")
    for version in versions.values("request__reference", "number", "sha256", "content"):
        yield {
            "request": version["request__reference"],
            "kind": "application version",
            "number": version["number"],
            "sha256": version["sha256"],
            "named_by_history": version["sha256"] in named,
            "content": version["content"],
        }
    mous = MOUVersion.objects.filter(agreement__request__in=requests).order_by(
        "agreement__request", "version"
    )
    for mou in mous.values("agreement__request__reference", "version", "sha256", "size", "file"):
        yield {
            "request": mou["agreement__request__reference"],
            "kind": "MOU version",
            "number": mou["version"],
            "sha256": mou["sha256"],
            "size": mou["size"],
            "named_by_history": mou["sha256"] in named,
            "file": mou["file"],
        }


def people(requests, reads):
    """Who the entries' actor and reader numbers are, for a person reading the bundle; not
    sealed (names and e-mails change)."""
    actors = Event.objects.filter(request__in=requests, actor__isnull=False).values("actor")
    readers = reads.values("reader")
    return {
        str(pk): {"name": name, "email": email}
        for pk, name, email in User.objects.filter(Q(pk__in=actors) | Q(pk__in=readers))
        .order_by("pk")
        .values_list("pk", "name", "email")
    }


def write(out, references=None):
    """Write the bundle of the requests named by `references` (every submitted request when
    None) to the text stream `out`; returns how many chains it holds."""
    requests = AccessRequest.objects.exclude(reference=None)
    if references is not None:
        requests = requests.filter(reference__in=references)
    ids = requests.values("pk")
    # The reads: each request's, and with the whole site's the CSV exports' too.
    reads = ReadLogEntry.objects.all()
    if references is not None:
        reads = reads.filter(reference__in=requests.values("reference"))
    dump = json.dumps
    out.write("{\n")
    out.write(f' "format": {dump(FORMAT)},\n')
    out.write(f' "site": {dump(settings.SITE_URL)},\n')
    out.write(f' "exported_at": {dump(chain.stamp(timezone.now()))},\n')
    out.write(f' "requests": {dump(references or "all")},\n')
    out.write(' "chains": [')
    count = 0
    chains = itertools.chain(event_chains(ids), read_chains(reads))
    for count, one in enumerate(chains, start=1):
        out.write(("," if count > 1 else "") + "\n  " + dump(one, ensure_ascii=False))
    out.write("\n ],\n")
    out.write(' "documents": [')
    for number, document in enumerate(documents(ids), start=1):
        out.write(("," if number > 1 else "") + "\n  " + dump(document, ensure_ascii=False))
    out.write("\n ],\n")
    out.write(f' "people": {dump(people(ids, reads), ensure_ascii=False)}\n')
    out.write("}\n")
    return count
