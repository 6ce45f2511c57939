"""On PostgreSQL, the records a decision rests on refuse UPDATE and DELETE at the database
itself, so not even raw SQL or a future bug edits history. (TRUNCATE, used by test flushes,
is not a row operation and is unaffected.)"""

from django.db import migrations

TABLES = [
    "requests_app_event",
    "requests_app_assessment",
    "requests_app_vote",
    "requests_app_canrecommendation",
    "requests_app_decision",
    "requests_app_grant",
]

FUNCTION = """
CREATE OR REPLACE FUNCTION hmis_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '% rows are append-only: add a new row instead', TG_TABLE_NAME
        USING ERRCODE = 'restrict_violation';
END;
$$ LANGUAGE plpgsql;
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(FUNCTION, params=None)
    for table in TABLES:
        schema_editor.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION hmis_append_only();"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table};")
    schema_editor.execute("DROP FUNCTION IF EXISTS hmis_append_only();")


class Migration(migrations.Migration):
    dependencies = [("requests_app", "0001_initial")]
    operations = [migrations.RunPython(create, drop)]
