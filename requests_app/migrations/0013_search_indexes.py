"""On PostgreSQL, the queue's search (a part of a reference, an organization's name, or a named
person's name or e-mail, in any case) finds its rows through trigram indexes instead of reading
every row (docs/performance.md). Each index is on the expression the search compares,
UPPER(column::text), which is what Django's `icontains` writes. pg_trgm is a trusted extension
since PostgreSQL 13: the database's owner may create it, no superuser needed. SQLite, used only
in development, reads every row."""

from django.db import migrations

SEARCHED = [
    ("requests_app_accessrequest", "reference"),
    ("requests_app_organization", "name"),
    ("requests_app_namedperson", "name"),
    ("requests_app_namedperson", "email"),
]


def _name(table, column):
    return f"{table}_{column}_trgm"


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm", params=None)
    for table, column in SEARCHED:
        schema_editor.execute(
            f"CREATE INDEX {_name(table, column)} ON {table} USING gin "
            f'((UPPER("{column}"::text)) gin_trgm_ops)',
            params=None,
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, column in SEARCHED:
        schema_editor.execute(f"DROP INDEX IF EXISTS {_name(table, column)}", params=None)


class Migration(migrations.Migration):
    dependencies = [("requests_app", "0012_voting_rounds")]

    operations = [migrations.RunPython(create, drop)]
