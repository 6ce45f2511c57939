"""A chained record takes its number once it holds its chain's lock.

`hmis_chain` (migration 0020) finds a chain's newest link as its highest id, but the id came
from the sequence before the trigger ran, so a record numbered before another could be linked
after it; the next record then linked to the wrong one and was refused by
`one_read_after_each` (or `one_event_after_each_event`): two people opening one request at once lost
a page. Numbering the row again once the lock is held makes a chain's order its ids' order."""

from django.db import migrations

CHAIN = """
CREATE OR REPLACE FUNCTION hmis_chain() RETURNS trigger AS $$
DECLARE
    chain text;
    prev text;
BEGIN
    EXECUTE format('SELECT ($1).%I::text', TG_ARGV[0]) INTO chain USING NEW;
    PERFORM pg_advisory_xact_lock(hashtextextended(TG_TABLE_NAME || ' ' || chain, 0));
    NEW.id := nextval(pg_get_serial_sequence(format('%I.%I', TG_TABLE_SCHEMA, TG_TABLE_NAME), 'id'));
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

BEFORE = """
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


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CHAIN, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BEFORE, params=None)


class Migration(migrations.Migration):
    dependencies = [("requests_app", "0031_work_index")]

    operations = [migrations.RunPython(forwards, backwards)]
