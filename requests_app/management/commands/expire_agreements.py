"""End access whose term is over, and keep each person's access current. Run daily from cron;
a second run the same day changes nothing: an expired MOU is no longer active, a suspended
person is not suspended again and a resumed one not resumed again (agreement/due.py)."""

from django.core.management.base import BaseCommand

from requests_app import workflow


class Command(BaseCommand):
    help = (
        "Expire every active MOU whose term has ended; suspend each person past a due date "
        "(training, user agreement, yearly review) by more than ACCESS_GRACE_DAYS, and resume "
        "each suspended person who is current again (safe to run daily)."
    )

    def handle(self, *args, **options):
        expired = workflow.expire_agreements()
        for agreement in expired:
            self.stdout.write(f"Expired {agreement.request.reference} (ended {agreement.ends_on}).")
        self.stdout.write(f"{len(expired)} expired.")
        suspended, resumed = workflow.settle_access()
        for access in suspended:
            self.stdout.write(
                f"Suspended {access.person.name} under {access.agreement.request.reference}."
            )
        for access in resumed:
            self.stdout.write(
                f"Resumed {access.person.name} under {access.agreement.request.reference}."
            )
        self.stdout.write(f"{len(suspended)} suspended, {len(resumed)} resumed.")
