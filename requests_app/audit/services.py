"""Writing the read log, and its one deletion: the purge of entries past their retention."""

import datetime

from allauth.account.adapter import get_adapter
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.utils import timezone

from requests_app.audit.models import ReadLogEntry

SUBJECT_LENGTH = ReadLogEntry._meta.get_field("subject").max_length


def client_address(http_request):
    """The reader's address, as allauth's login rate limits take it: REMOTE_ADDR, or behind
    proxies the site trusts (TRUSTED_PROXY_COUNT, none by default, as X-Forwarded-For is
    whatever the client wrote) the address the outermost one forwarded. None when there is
    none to take."""
    try:
        return get_adapter(http_request).get_client_ip(http_request)
    except PermissionDenied:
        return None


def record_read(http_request, kind, *, access_request=None, subject=""):
    """The one writer of the read log: `http_request.user` read `kind` (of `access_request`,
    `subject` saying what exactly), now, from the request's address. One INSERT, nothing else,
    so a page pays one query for it. Called once the read succeeded: a refused one is not a
    read."""
    return ReadLogEntry.objects.create(
        reader=http_request.user,
        kind=kind,
        request=access_request,
        reference=access_request.reference if access_request is not None else "",
        subject=subject[:SUBJECT_LENGTH],
        address=client_address(http_request),
    )


def retention_cutoff(now=None):
    """Entries older than this are past READ_LOG_RETENTION_DAYS."""
    return (now or timezone.now()) - datetime.timedelta(days=settings.READ_LOG_RETENTION_DAYS)


def purge_expired(now=None):
    """Deletes the entries past their retention; how many. On PostgreSQL the trigger lets a
    DELETE through only inside a transaction that named its cutoff and only for rows older
    than it (migration 0019), so this is the one way an entry goes."""
    cutoff = retention_cutoff(now)
    table = connection.ops.quote_name(ReadLogEntry._meta.db_table)
    postgresql = connection.vendor == "postgresql"
    with transaction.atomic(), connection.cursor() as cursor:
        if postgresql:
            cursor.execute("SELECT set_config('hmis.purge_before', %s, true)", [cutoff.isoformat()])
        cursor.execute(f"DELETE FROM {table} WHERE created_at < %s", [cutoff])  # noqa: S608
        deleted = cursor.rowcount
        if postgresql:
            # Closed again at once: run inside a longer transaction, the cutoff would otherwise
            # stay open until that one ends.
            cursor.execute("SELECT set_config('hmis.purge_before', '', true)")
        return deleted
