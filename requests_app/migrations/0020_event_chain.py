"""Each request's events become a hash chain (requests_app/core/chain.py, docs/security.md).

On PostgreSQL the database links a new event itself: `hmis_chain`, a BEFORE INSERT trigger,
takes a transaction lock on the chain (so two transactions adding to one chain are put in
order), reads the chain's newest digest with a fresh snapshot and sets the row's `prev_digest`
and `digest` (`hmis_link`: the SHA-256 of the previous digest followed by the content's, as
requests_app/core/verify_history.py defines it). A row that comes with its digest (a bulk load)
is taken as it is. Events recorded before this migration are chained here, in the order they
were recorded; the append-only trigger is lifted only for that."""

import hashlib
import json

from django.core.serializers.json import DjangoJSONEncoder
from django.db import migrations, models

import requests_app.core.chain

GENESIS = "0" * 64

LINK = """
CREATE OR REPLACE FUNCTION hmis_link(prev text, content text) RETURNS text AS $$
    SELECT encode(sha256(convert_to(prev || content, 'UTF8')), 'hex')
$$ LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE;
"""

# TG_ARGV[0]: the column that names the chain. Each command of a PL/pgSQL function reads a
# fresh snapshot under READ COMMITTED, so once the lock is held the newest digest includes what
# the transaction that held it before committed.
CHAIN = """
CREATE OR REPLACE FUNCTION hmis_chain() RETURNS trigger AS $$
DECLARE
    chain text;
    prev text;
BEGIN
    EXECUTE format('SELECT ($1).%I::text', TG_ARGV[0]) INTO chain USING NEW;
    PERFORM pg_advisory_xact_lock(hashtextextended(TG_TABLE_NAME || ' ' || chain, 0));
    EXECUTE format(
        'SELECT digest FROM %I WHERE %I = ($1).%I ORDER BY id DESC LIMIT 1',
        TG_TABLE_NAME, TG_ARGV[0], TG_ARGV[0]
    ) INTO prev USING NEW;
    NEW.prev_digest := coalesce(prev, repeat('0', 64));
    NEW.digest := hmis_link(NEW.prev_digest, NEW.content_sha256);
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
"""


def create_functions(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(LINK, params=None)
        schema_editor.execute(CHAIN, params=None)


def drop_functions(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP FUNCTION IF EXISTS hmis_chain();", params=None)
        schema_editor.execute("DROP FUNCTION IF EXISTS hmis_link(text, text);", params=None)


def create_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "CREATE TRIGGER requests_app_event_chain BEFORE INSERT ON requests_app_event "
            "FOR EACH ROW WHEN (NEW.digest = '') EXECUTE FUNCTION hmis_chain('request_id');",
            params=None,
        )


def drop_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "DROP TRIGGER IF EXISTS requests_app_event_chain ON requests_app_event;", params=None
        )


def seal(content):
    # As verify_history.py computes it at the time of this migration; frozen here on purpose.
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def link(prev, sealed):
    return hashlib.sha256((prev + sealed).encode("ascii")).hexdigest()


FIELDS = ["content_sha256", "prev_digest", "digest"]


def chain_recorded_events(apps, schema_editor):
    Event = apps.get_model("requests_app", "Event")
    postgres = schema_editor.connection.vendor == "postgresql"
    table = "requests_app_event"
    if postgres:
        schema_editor.execute(f"ALTER TABLE {table} DISABLE TRIGGER {table}_append_only")
    prev, request = GENESIS, None
    rows = Event.objects.select_related("request").order_by("request_id", "pk")
    batch = []
    for event in rows.iterator(chunk_size=2000):
        if event.request_id != request:
            prev, request = GENESIS, event.request_id
        data = json.loads(json.dumps(event.data, cls=DjangoJSONEncoder))
        content = {
            "request": event.request.reference,
            "kind": event.kind,
            "actor": event.actor_id,
            "from_status": event.from_status,
            "to_status": event.to_status,
            "note": event.note,
            "data": data,
            "visible_to_requestor": event.visible_to_requestor,
            "created_at": requests_app.core.chain.stamp(event.created_at),
        }
        event.content_sha256 = seal(content)
        event.prev_digest, event.digest = prev, link(prev, event.content_sha256)
        prev = event.digest
        batch.append(event)
        if len(batch) == 2000:
            Event.objects.bulk_update(batch, FIELDS)
            batch = []
    Event.objects.bulk_update(batch, FIELDS)
    if postgres:
        schema_editor.execute(f"ALTER TABLE {table} ENABLE TRIGGER {table}_append_only")


class Migration(migrations.Migration):
    dependencies = [("requests_app", "0019_read_log")]

    operations = [
        migrations.RunPython(create_functions, drop_functions),
        migrations.AddField(
            model_name="event",
            name="content_sha256",
            field=requests_app.core.chain.SealField(default="", max_length=64),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="event",
            name="prev_digest",
            field=requests_app.core.chain.DigestField(default="", max_length=64),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="event",
            name="digest",
            field=requests_app.core.chain.DigestField(default="", max_length=64),
            preserve_default=False,
        ),
        migrations.RunPython(chain_recorded_events, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="event",
            constraint=models.UniqueConstraint(
                fields=("request", "prev_digest"), name="one_event_after_each_event"
            ),
        ),
        migrations.RunPython(create_trigger, drop_trigger),
    ]
