"""The read log's entries become hash chains, one per request and one for the CSV exports
(requests_app/core/chain.py, docs/security.md), linked as 0020 links the events: on PostgreSQL
by the `hmis_chain` trigger as each entry is inserted. Entries recorded before are chained here,
in the order they were recorded; the append-only trigger is lifted only for that."""

import datetime
import hashlib
import ipaddress
import json

from django.db import migrations, models

import requests_app.core.chain

GENESIS = "0" * 64
FIELDS = ["content_sha256", "prev_digest", "digest"]
TABLE = "requests_app_readlogentry"


def seal(content):
    # As verify_history.py computes it at the time of this migration; frozen here on purpose.
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def chain_recorded_reads(apps, schema_editor):
    Entry = apps.get_model("requests_app", "ReadLogEntry")
    postgres = schema_editor.connection.vendor == "postgresql"
    if postgres:
        schema_editor.execute(f"ALTER TABLE {TABLE} DISABLE TRIGGER {TABLE}_append_only")
    heads, batch = {}, []
    for entry in Entry.objects.order_by("pk").iterator(chunk_size=2000):
        prev = heads.get(entry.reference, GENESIS)
        entry.content_sha256 = seal(
            {
                "request": entry.reference,
                "reader": entry.reader_id,
                "kind": entry.kind,
                "subject": entry.subject,
                "address": ipaddress.ip_address(entry.address).exploded if entry.address else None,
                "created_at": entry.created_at.astimezone(datetime.UTC).isoformat(
                    timespec="microseconds"
                ),
            }
        )
        entry.prev_digest = prev
        entry.digest = heads[entry.reference] = hashlib.sha256(
            (prev + entry.content_sha256).encode("ascii")
        ).hexdigest()
        batch.append(entry)
        if len(batch) == 2000:
            Entry.objects.bulk_update(batch, FIELDS)
            batch = []
    Entry.objects.bulk_update(batch, FIELDS)
    if postgres:
        schema_editor.execute(f"ALTER TABLE {TABLE} ENABLE TRIGGER {TABLE}_append_only")


def create_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE TRIGGER {TABLE}_chain BEFORE INSERT ON {TABLE} FOR EACH ROW "
            "WHEN (NEW.digest = '') EXECUTE FUNCTION hmis_chain('reference');",
            params=None,
        )


def drop_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {TABLE}_chain ON {TABLE};", params=None)


class Migration(migrations.Migration):
    dependencies = [("requests_app", "0020_event_chain")]

    operations = [
        *(
            migrations.AddField(
                model_name="readlogentry",
                name=name,
                field=field(default="", max_length=64),
                preserve_default=False,
            )
            for name, field in (
                ("content_sha256", requests_app.core.chain.SealField),
                ("prev_digest", requests_app.core.chain.DigestField),
                ("digest", requests_app.core.chain.DigestField),
            )
        ),
        migrations.RunPython(chain_recorded_reads, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="readlogentry",
            index=models.Index(fields=["reference", "id"], name="reads_chain"),
        ),
        migrations.AddConstraint(
            model_name="readlogentry",
            constraint=models.UniqueConstraint(
                fields=("reference", "prev_digest"), name="one_read_after_each"
            ),
        ),
        migrations.RunPython(create_trigger, drop_trigger),
    ]
