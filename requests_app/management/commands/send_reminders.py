"""Daily, from cron: the reminders due today, and a sweep of e-mails no task is sure to send and
of MOU versions no render is sure to store."""

from django.core.management.base import BaseCommand

from requests_app import workflow
from requests_app.notifications import services as notifications


class Command(BaseCommand):
    help = (
        "Send today's reminders (votes due, requests waiting for staff, unanswered returns, "
        "renewals, and training, user agreements and yearly reviews falling due) and queue "
        "e-mails whose retry is due or whose worker died. Safe to run more than once a day: a "
        "reminder goes out once per person, request and day, and a due date's once per due "
        "date."
    )

    def handle(self, *args, **options):
        queued, recovered = notifications.sweep()
        renders = workflow.sweep_renders()
        recorded = notifications.remind()
        self.stdout.write(
            f"{recorded} reminder{'' if recorded == 1 else 's'} recorded; "
            f"{queued} e-mail{'' if queued == 1 else 's'} queued for a retry; "
            f"{recovered} interrupted send{'' if recovered == 1 else 's'} taken back; "
            f"{renders} MOU version{'' if renders == 1 else 's'} queued to render again."
        )
