"""On demand: queue again every MOU version an action asked for that is not stored, whose render
died with its process, never ran, or failed. The daily send_reminders and every worker start do
the same; rendering is idempotent by (agreement, version), so running it twice renders once."""

from django.core.management.base import BaseCommand
from django.utils import timezone

from requests_app import workflow


class Command(BaseCommand):
    help = (
        "Queue again the MOU versions that are not stored: lost with their process, never run, "
        "or failed. --now includes renders queued moments ago."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--now",
            action="store_true",
            help="Do not wait MOU_RENDER_TIMEOUT_MINUTES for a render that may still be running.",
        )

    def handle(self, *args, now=False, **options):
        queued = workflow.sweep_renders(older_than=timezone.now() if now else None)
        self.stdout.write(f"{queued} MOU version{'' if queued == 1 else 's'} queued to render.")
