"""Hash chains over the records that prove what happened: each record carries the SHA-256 of
its own content (`content_sha256`), the digest of the record before it in its chain
(`prev_digest`) and its own (`digest`, the SHA-256 of those two), so that an edit, a deletion
or a reordering breaks the chain where it happened (docs/security.md).

The digests are defined once, in verify_history.py, the stand-alone script a third party runs;
this module only feeds it the site's records (`ChainedRecord`). Python seals the content; the
database links the record into its chain as it inserts it, so chaining costs no query of its
own:

- PostgreSQL: a BEFORE INSERT trigger (`hmis_chain`, migration 0020) takes a lock on the chain,
  reads its newest digest with a fresh snapshot and links the row. Two transactions adding to
  one chain at once are put in order, never forked; a unique (chain, prev_digest) constraint
  refuses a fork all the same. Rows that come with their digests (bulk loads, `Event.linked`)
  are taken as they are.
- SQLite, which writes one transaction at a time: the INSERT reads the newest digest itself,
  with `hmis_link` given to each connection by `register_sqlite`.
"""

import datetime
import ipaddress
import json

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connections, models
from django.db.models import Subquery, Value
from django.db.models.functions import Coalesce

from requests_app.core.records import AppendOnlyModel
from requests_app.core.verify_history import GENESIS, content_digest, link

__all__ = [
    "GENESIS",
    "ChainedRecord",
    "DigestField",
    "SealField",
    "content_digest",
    "event_content",
    "jsonable",
    "link",
    "read_content",
    "stamp",
]


class SealField(models.CharField):
    """A SHA-256 in hex."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("editable", False)
        super().__init__(*args, **kwargs)


class DigestField(SealField):
    """A link of the chain: computed as the row is inserted and read back by the INSERT itself
    (RETURNING), so a saved record holds it without a second query."""

    db_returning = True


class Link(models.Func):
    function = "hmis_link"
    output_field = models.CharField()


class ChainedRecord(AppendOnlyModel):
    """An append-only record that is a link of a hash chain. A kind of record says which
    records form its chain (`chain_records`) and what its digest seals (`content`)."""

    content_sha256 = SealField()
    prev_digest = DigestField()
    digest = DigestField()

    class Meta:
        abstract = True

    def chain_records(self):
        """The records of this one's chain, a queryset."""
        raise NotImplementedError

    def content(self):
        raise NotImplementedError

    def save(self, *args, **kwargs):
        # A record that comes with its digest (a bulk load) is taken as it is.
        if self._state.adding and not self.digest:
            self.content_sha256 = sealed = content_digest(self.content())
            chain = self.chain_records()
            if connections[chain.db].vendor == "sqlite":
                # Linked by the INSERT itself; on PostgreSQL the trigger links it.
                prev = Coalesce(
                    Subquery(chain.order_by("-pk").values("digest")[:1]), Value(GENESIS)
                )
                self.prev_digest, self.digest = prev, Link(prev, Value(sealed))
        super().save(*args, **kwargs)


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


def read_content(reference, reader_id, kind, subject, address, at):
    """What a read-log entry's digest seals (audit/models.py)."""
    return {
        "request": reference,
        "reader": reader_id,
        "kind": kind,
        "subject": subject,
        # Spelt out in full, as any form of the same address is (PostgreSQL gives back an
        # address in a form of its own).
        "address": ipaddress.ip_address(address).exploded if address else None,
        "created_at": stamp(at),
    }


def register_sqlite(sender, connection, **kwargs):
    """SQLite has no SHA-256 of its own: give each new connection the same `hmis_link` that
    PostgreSQL runs (migration 0020)."""
    if connection.vendor == "sqlite":
        connection.connection.create_function("hmis_link", 2, link, deterministic=True)
