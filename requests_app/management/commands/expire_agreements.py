"""End access whose term is over. Run daily from cron; a second run the same day changes
nothing, since an expired MOU is no longer active."""

from django.core.management.base import BaseCommand

from requests_app import workflow


class Command(BaseCommand):
    help = "Expire every active MOU whose term has ended (safe to run daily)."

    def handle(self, *args, **options):
        expired = workflow.expire_agreements()
        for agreement in expired:
            self.stdout.write(f"Expired {agreement.request.reference} (ended {agreement.ends_on}).")
        self.stdout.write(f"{len(expired)} expired.")
