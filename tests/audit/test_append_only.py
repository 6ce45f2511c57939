"""Nobody changes or deletes a read-log entry: not through the ORM, not in the admin, not with
raw SQL on PostgreSQL. The one deletion is the purge of entries past READ_LOG_RETENTION_DAYS."""

import datetime

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from requests_app.audit.services import purge_expired
from requests_app.models import ReadLogEntry

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="The trigger is PostgreSQL's."
)
TABLE = ReadLogEntry._meta.db_table


def entry(reader, age_days=0, subject="IRB approval.pdf", now=None):
    return ReadLogEntry.objects.create(
        reader=reader,
        kind=ReadLogEntry.Kind.ATTACHMENT,
        subject=subject,
        address="192.0.2.1",
        created_at=(now or timezone.now()) - datetime.timedelta(days=age_days),
    )


def subjects():
    return sorted(ReadLogEntry.objects.values_list("subject", flat=True))


def test_an_entry_cannot_be_changed_or_deleted_through_the_orm(personas):
    row = entry(personas.sam)
    row.subject = "rewritten"
    with pytest.raises(TypeError, match="append-only"):
        row.save()
    with pytest.raises(TypeError, match="append-only"):
        row.delete()
    with pytest.raises(TypeError, match="append-only"):
        ReadLogEntry.objects.filter(pk=row.pk).update(subject="rewritten")
    with pytest.raises(TypeError, match="append-only"):
        ReadLogEntry.objects.filter(pk=row.pk).delete()
    assert subjects() == ["IRB approval.pdf"]


@postgres_only
@pytest.mark.parametrize(
    "sql",
    [
        f"UPDATE {TABLE} SET subject = 'x' WHERE id = %s",  # noqa: S608 - names are ours
        f"UPDATE {TABLE} SET reader_id = reader_id WHERE id = %s",  # noqa: S608
        f"DELETE FROM {TABLE} WHERE id = %s",  # noqa: S608
    ],
    ids=["update-subject", "update-to-the-same", "delete"],
)
def test_the_database_refuses_a_raw_update_or_delete(personas, sql):
    row = entry(personas.sam, age_days=4000)
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql, [row.pk])
    assert subjects() == ["IRB approval.pdf"]


@postgres_only
def test_a_purge_cutoff_lets_no_newer_entry_go_nor_any_update(personas):
    # The cutoff the purge names opens DELETE to rows older than it, nothing more.
    row = entry(personas.sam, age_days=1)
    cutoff = (timezone.now() - datetime.timedelta(days=30)).isoformat()
    for sql in (
        f"DELETE FROM {TABLE} WHERE id = %s",  # noqa: S608
        f"UPDATE {TABLE} SET subject = 'x' WHERE id = %s",  # noqa: S608
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute("SELECT set_config('hmis.purge_before', %s, true)", [cutoff])
            cursor.execute(sql, [row.pk])
    assert subjects() == ["IRB approval.pdf"]


@postgres_only
def test_after_a_purge_the_database_refuses_deletes_again(personas):
    # Even inside a longer transaction (as every test runs), the purge closes its cutoff.
    purge_expired()
    old = entry(personas.sam, age_days=4000)
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(f"DELETE FROM {TABLE} WHERE id = %s", [old.pk])  # noqa: S608
    assert subjects() == ["IRB approval.pdf"]


# The purge.


def test_the_purge_deletes_only_the_entries_past_the_retention(personas, settings):
    settings.READ_LOG_RETENTION_DAYS = 2557
    now = timezone.now()
    entry(personas.sam, age_days=2558, subject="past", now=now)
    entry(personas.sam, age_days=2557, subject="on the day", now=now)
    entry(personas.sam, age_days=2556, subject="within", now=now)
    entry(personas.riley, age_days=0, subject="today", now=now)

    # An entry exactly as old as the retention is kept; one a day older goes.
    assert purge_expired(now) == 1
    assert subjects() == ["on the day", "today", "within"]


def test_the_purge_follows_the_setting(personas, settings):
    settings.READ_LOG_RETENTION_DAYS = 30
    entry(personas.sam, age_days=31, subject="past")
    entry(personas.sam, age_days=29, subject="within")

    assert purge_expired() == 1
    assert subjects() == ["within"]


def test_the_purge_command_says_what_it_deleted(personas, settings, capsys):
    settings.READ_LOG_RETENTION_DAYS = 2557
    entry(personas.sam, age_days=3000, subject="past")
    entry(personas.sam, age_days=2600, subject="past too")
    entry(personas.sam, age_days=10, subject="within")

    call_command("purge_read_log")

    said = capsys.readouterr().out
    assert said.startswith("2 read-log entries older than 2557 days (before ")
    assert subjects() == ["within"]


def test_the_default_retention_is_seven_years(settings):
    # HUD's HMIS Data and Technical Standards: personal data kept seven years.
    assert settings.READ_LOG_RETENTION_DAYS == 2557


# The admin shows entries and offers nothing to do with them.


@pytest.fixture
def logged(personas):
    return entry(personas.sam)


def test_the_admin_lists_entries_and_offers_no_add(client, personas, logged):
    client.force_login(personas.alex)

    listing = client.get("/admin/requests_app/readlogentry/")
    add = client.get("/admin/requests_app/readlogentry/add/")

    page = listing.content.decode()
    offered = [word for word in ("/readlogentry/add/", "delete_selected") if word in page]
    assert (listing.status_code, add.status_code, offered) == (200, 403, [])


def test_the_admin_shows_an_entry_read_only(client, personas, logged):
    client.force_login(personas.alex)

    response = client.get(f"/admin/requests_app/readlogentry/{logged.pk}/change/")

    page = response.content.decode()
    inputs = [name for name in ("subject", "reader", "_save") if f'name="{name}"' in page]
    assert (response.status_code, inputs, f"/{logged.pk}/delete/" in page) == (200, [], False)


def test_the_admin_refuses_a_change_and_a_deletion(client, personas, logged):
    client.force_login(personas.alex)

    change = client.post(
        f"/admin/requests_app/readlogentry/{logged.pk}/change/",
        {"subject": "rewritten", "_save": "Save"},
    )
    delete = client.post(f"/admin/requests_app/readlogentry/{logged.pk}/delete/", {"post": "yes"})
    bulk = client.post(
        "/admin/requests_app/readlogentry/",
        {"action": "delete_selected", "_selected_action": [logged.pk], "post": "yes"},
    )

    assert (change.status_code, delete.status_code) == (403, 403)
    assert bulk.status_code == 200
    assert subjects() == ["IRB approval.pdf"]
