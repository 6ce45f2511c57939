"""The read log (requests_app/audit): who read which request, file or CSV, when and from where.

Append-only like the records of migrations 0002 and 0010, with one exception, the retention
(READ_LOG_RETENTION_DAYS): on PostgreSQL a trigger refuses every UPDATE, and every DELETE but
the purge's. The purge (`manage.py purge_read_log`, audit/services.py purge_expired) names its
cutoff inside its own transaction, `SET LOCAL hmis.purge_before = '<timestamp>'` (by
set_config(..., true)), and the trigger lets a DELETE through only for a row older than that
cutoff. Nothing else sets it: a DELETE without it, or of a newer row, is refused; the purge
clears it once done, and it would end with the transaction that set it anyway. Anyone who can
run SQL could set it too: the guard is against a bug or a slip, as the other triggers are, and
the role the application connects as cannot switch triggers off (README, Running on
PostgreSQL). TRUNCATE, used by test flushes, is not a row operation and is unaffected."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

FUNCTION = """
CREATE OR REPLACE FUNCTION hmis_read_log_guard() RETURNS trigger AS $$
DECLARE
    purge_before timestamptz := NULLIF(current_setting('hmis.purge_before', true), '');
BEGIN
    IF TG_OP = 'DELETE' AND purge_before IS NOT NULL AND OLD.created_at < purge_before THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION '% rows are append-only: only purge_read_log deletes one, past its retention',
        TG_TABLE_NAME USING ERRCODE = 'restrict_violation';
END;
$$ LANGUAGE plpgsql;
"""


def create_guard(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(FUNCTION, params=None)
    schema_editor.execute(
        "CREATE TRIGGER requests_app_readlogentry_append_only BEFORE UPDATE OR DELETE ON "
        "requests_app_readlogentry FOR EACH ROW EXECUTE FUNCTION hmis_read_log_guard();"
    )


def drop_guard(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        "DROP TRIGGER IF EXISTS requests_app_readlogentry_append_only ON requests_app_readlogentry;"
    )
    schema_editor.execute("DROP FUNCTION IF EXISTS hmis_read_log_guard();")


class Migration(migrations.Migration):
    dependencies = [
        ("requests_app", "0018_decided_newest_first"),
    ]

    operations = [
        migrations.CreateModel(
            name="ReadLogEntry",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "created_at",
                    models.DateTimeField(db_index=True, default=django.utils.timezone.now),
                ),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("request_page", "Request page"),
                            ("application_version", "Application version"),
                            ("attachment", "Attachment"),
                            ("mou_page", "MOU page"),
                            ("mou_version", "MOU version"),
                            ("draft_mou", "Draft MOU"),
                            ("csv_export", "CSV export"),
                        ],
                        max_length=30,
                    ),
                ),
                ("reference", models.CharField(blank=True, max_length=20)),
                ("subject", models.CharField(blank=True, max_length=2000)),
                ("address", models.GenericIPAddressField(blank=True, null=True)),
                (
                    "reader",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "request",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="requests_app.accessrequest",
                    ),
                ),
            ],
            options={
                "verbose_name": "read-log entry",
                "verbose_name_plural": "read log",
                "ordering": ["-created_at", "-pk"],
                "indexes": [
                    models.Index(fields=["request", "created_at"], name="reads_of_request"),
                    models.Index(fields=["reader", "created_at"], name="reads_by_person"),
                    models.Index(fields=["reference", "created_at"], name="reads_by_reference"),
                ],
            },
        ),
        migrations.RunPython(create_guard, drop_guard),
    ]
