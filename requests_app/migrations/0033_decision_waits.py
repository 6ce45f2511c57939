"""The dashboard's decisions read their wait from their own row (docs/performance.md, "The
dashboard"): each decision's request_submitted_at, the time its request was first submitted,
written by PostgreSQL as the event is inserted (the trigger of migration 0027 does it beside
stay_began_at) and filled in once for the decisions already there; and the index of stays
holds only the stays that ended and the columns the dashboard reads of them."""

from django.db import migrations, models

DECISIONS = "('approved', 'denied', 'committee_decided')"

FUNCTION = f"""
CREATE OR REPLACE FUNCTION hmis_stay_began() RETURNS trigger AS $$
BEGIN
    IF NEW.to_status <> '' THEN
        -- The latest before it, two in one instant in the order of their ids (as the backfill).
        NEW.stay_began_at := (
            SELECT created_at FROM requests_app_event
            WHERE request_id = NEW.request_id AND to_status <> ''
                AND (created_at, id) < (NEW.created_at, NEW.id)
            ORDER BY created_at DESC, id DESC LIMIT 1
        );
    END IF;
    IF NEW.kind IN {DECISIONS} THEN
        NEW.request_submitted_at := (
            SELECT min(created_at) FROM requests_app_event
            WHERE request_id = NEW.request_id AND to_status <> '' AND kind = 'submitted'
        );
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
"""

# The history refuses UPDATE (migration 0002): its guard steps aside for this one statement.
BACKFILL = f"""
ALTER TABLE requests_app_event DISABLE TRIGGER requests_app_event_append_only;
UPDATE requests_app_event AS e SET request_submitted_at = s.first
FROM (
    SELECT request_id, min(created_at) AS first FROM requests_app_event
    WHERE to_status <> '' AND kind = 'submitted' GROUP BY request_id
) AS s
WHERE e.request_id = s.request_id AND e.kind IN {DECISIONS};
ALTER TABLE requests_app_event ENABLE TRIGGER requests_app_event_append_only;
"""

PREVIOUS = """
CREATE OR REPLACE FUNCTION hmis_stay_began() RETURNS trigger AS $$
BEGIN
    IF NEW.to_status <> '' THEN
        NEW.stay_began_at := (
            SELECT created_at FROM requests_app_event
            WHERE request_id = NEW.request_id AND to_status <> ''
                AND (created_at, id) < (NEW.created_at, NEW.id)
            ORDER BY created_at DESC, id DESC LIMIT 1
        );
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FUNCTION, params=None)
        schema_editor.execute(BACKFILL, params=None)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PREVIOUS, params=None)


class Migration(migrations.Migration):

    dependencies = [
        ('requests_app', '0032_chain_numbers_in_order'),
    ]

    operations = [
        migrations.AddField(
            model_name='event',
            name='request_submitted_at',
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.RunPython(create, drop),
        migrations.RemoveIndex(
            model_name='event',
            name='status_changes',
        ),
        migrations.RemoveIndex(
            model_name='event',
            name='decisions_made',
        ),
        migrations.AddIndex(
            model_name='event',
            index=models.Index(condition=models.Q(models.Q(('to_status', ''), _negated=True), models.Q(('from_status__in', ['', 'draft']), _negated=True)), fields=['from_status', 'created_at'], include=('request', 'stay_began_at'), name='stays_ended'),
        ),
        migrations.AddIndex(
            model_name='event',
            index=models.Index(condition=models.Q(('kind__in', ['approved', 'denied', 'committee_decided'])), fields=['created_at'], include=('request', 'kind', 'to_status', 'request_submitted_at'), name='decisions_made'),
        ),
    ]
