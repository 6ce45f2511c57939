"""Delete the read-log entries kept longer than READ_LOG_RETENTION_DAYS. Run daily from cron;
it is the one deletion the database lets through on the read log (migration 0019)."""

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from requests_app.audit.services import purge_expired, retention_cutoff


class Command(BaseCommand):
    help = "Delete read-log entries older than READ_LOG_RETENTION_DAYS (safe to run daily)."

    def handle(self, *args, **options):
        now = timezone.now()
        cutoff = retention_cutoff(now)
        deleted = purge_expired(now)
        self.stdout.write(
            f"{deleted} read-log {'entry' if deleted == 1 else 'entries'} older than "
            f"{settings.READ_LOG_RETENTION_DAYS} days (before {cutoff:%Y-%m-%d %H:%M %Z}) deleted."
        )
