"""Write a request's history (or the whole site's) as a bundle anyone can verify offline with
requests_app/core/verify_history.py (docs/security.md)."""

from django.core.management.base import BaseCommand, CommandError

from requests_app.core import bundle
from requests_app.models import AccessRequest


class Command(BaseCommand):
    help = (
        "Write the hash-chained history of the named requests (every request when none is "
        "named), with the hashes of their application and MOU versions, as a JSON bundle."
    )

    def add_arguments(self, parser):
        parser.add_argument("references", nargs="*", metavar="REFERENCE")
        parser.add_argument(
            "--output", "-o", help="the file to write (the standard output when not given)"
        )

    def handle(self, *args, references, output, **options):
        unknown = set(references) - set(
            AccessRequest.objects.filter(reference__in=references).values_list(
                "reference", flat=True
            )
        )
        if unknown:
            raise CommandError(f"No request has the reference {', '.join(sorted(unknown))}.")
        named = references or None
        if output is None:
            self.stdout.ending = ""  # the bundle writes its own line ends
            bundle.write(self.stdout, named)
            return
        with open(output, "w", encoding="utf-8") as out:
            chains = bundle.write(out, named)
        self.stderr.write(
            f"Wrote {chains} chains to {output}. Verify it with: "
            f"python requests_app/core/verify_history.py {output}"
        )
