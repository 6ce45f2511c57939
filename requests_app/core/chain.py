"""Hash chains over the records that prove what happened: each record carries the SHA-256 of
the one before it in its chain (`prev_digest`) and its own (`digest`), so that an edit, a
deletion or a reordering breaks the chain where it happened (docs/security.md).

The digests are defined once, in verify_history.py, the stand-alone script a third party runs;
this module only feeds it the site's records. The new record's `prev_digest` and `digest` are
computed by its INSERT itself (the database function `hmis_link`, migration 0020 on
PostgreSQL, `register_sqlite` on SQLite), so chaining a record costs no query of its own, and a
unique (chain, prev_digest) constraint refuses a fork: two records can never follow the same one.
"""

import datetime
import json

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Subquery, Value
from django.db.models.functions import Coalesce

from requests_app.core.verify_history import GENESIS, content_digest, link

__all__ = [
    "GENESIS",
    "DigestField",
    "chained",
    "content_digest",
    "event_content",
    "jsonable",
    "link",
    "stamp",
]


class DigestField(models.CharField):
    """A SHA-256 in hex, computed by the INSERT and read back by it (RETURNING), so a saved
    record holds its digest without a second query."""

    db_returning = True

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("editable", False)
        super().__init__(*args, **kwargs)


class Link(models.Func):
    function = "hmis_link"
    output_field = models.CharField()


def chained(previous, content):
    """The `prev_digest` and `digest` of a new record whose chain's records are `previous` (a
    queryset), with `content` its canonical content: expressions its INSERT evaluates."""
    prev = Coalesce(Subquery(previous.order_by("-pk").values("digest")[:1]), Value(GENESIS))
    return {"prev_digest": prev, "digest": Link(prev, Value(content_digest(content)))}


def stamp(moment):
    """A time as the chain writes it: UTC, to the microsecond."""
    return moment.astimezone(datetime.UTC).isoformat(timespec="microseconds")


def jsonable(data):
    """`data` as the database gives it back (dates as text), so the digest of a record made now
    equals the digest of the same record read later."""
    return json.loads(json.dumps(data, cls=DjangoJSONEncoder))


def event_content(reference, kind, actor_id, from_status, to_status, note, data, public, at):
    """What an event's digest seals: everything it says, by stable identifiers (the request's
    reference, the actor's number), never by a name or e-mail that may change later."""
    return {
        "request": reference,
        "kind": kind,
        "actor": actor_id,
        "from_status": from_status,
        "to_status": to_status,
        "note": note,
        "data": data,
        "visible_to_requestor": public,
        "created_at": stamp(at),
    }


def register_sqlite(sender, connection, **kwargs):
    """SQLite has no SHA-256 of its own: give each new connection the same `hmis_link` that
    PostgreSQL runs (migration 0020)."""
    if connection.vendor == "sqlite":
        connection.connection.create_function("hmis_link", 2, link, deterministic=True)
