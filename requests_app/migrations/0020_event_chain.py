"""Each request's events become a hash chain (requests_app/core/chain.py, docs/security.md).

The database computes a new event's link itself (`hmis_link`, the SHA-256 of the previous
digest followed by the content's, as requests_app/core/verify_history.py defines it), so the
INSERT that records an event chains it. Events recorded before this migration are chained
here, in the order they were recorded; the append-only trigger is lifted only for that."""

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


def create_link(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(LINK, params=None)


def drop_link(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP FUNCTION IF EXISTS hmis_link(text, text);", params=None)


def digest(prev, content):
    # As verify_history.py computes it at the time of this migration; frozen here on purpose.
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    own = hashlib.sha256(text.encode()).hexdigest()
    return hashlib.sha256((prev + own).encode("ascii")).hexdigest()


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
        event.prev_digest, event.digest = prev, digest(prev, content)
        prev = event.digest
        batch.append(event)
        if len(batch) == 2000:
            Event.objects.bulk_update(batch, ["prev_digest", "digest"])
            batch = []
    Event.objects.bulk_update(batch, ["prev_digest", "digest"])
    if postgres:
        schema_editor.execute(f"ALTER TABLE {table} ENABLE TRIGGER {table}_append_only")


class Migration(migrations.Migration):
    dependencies = [("requests_app", "0018_decided_newest_first")]

    operations = [
        migrations.RunPython(create_link, drop_link),
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
    ]
