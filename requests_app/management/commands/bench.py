"""The benchmark (docs/performance.md): `generate` makes the data set in the bench database,
`run` measures the pages under gunicorn, `mou` measures the MOU's render, `markdown` prints the
last results as the table docs/performance.md keeps. `make bench` runs generate and run with
DATABASE_URL set to BENCH_DATABASE_URL; `make bench-mou` runs mou."""

import time

import environ
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from requests_app.bench import mou, run
from requests_app.bench.generate import Scale, generate

env = environ.Env()


class Command(BaseCommand):
    help = "Generate the benchmark's data set, measure the pages or the MOU, print the table."

    def add_arguments(self, parser):
        modes = parser.add_subparsers(dest="mode", required=True)
        modes.add_parser("generate", help="drop, create, migrate and fill the bench database")
        modes.add_parser("run", help="measure every page under gunicorn; write BENCH_OUTPUT")
        modes.add_parser("mou", help="measure the MOU's render; add it to BENCH_OUTPUT")
        modes.add_parser("markdown", help="print BENCH_OUTPUT's table in Markdown")

    def handle(self, *args, mode, **options):
        if mode == "markdown":
            self.stdout.write(run.markdown(run.read_results()))
            return
        self._check_database()
        if mode == "generate":
            self._generate()
        elif mode == "run":
            run.main(self.stdout.write)
        else:
            mou.main(self.stdout.write)

    def _check_database(self):
        """The bench database is dropped and filled: never run against any other."""
        bench = env.db_url("BENCH_DATABASE_URL", default=run.BENCH_DATABASE_URL)
        current = connection.settings_dict
        if any(bench[key] != current[key] for key in ("ENGINE", "NAME", "HOST", "PORT")):
            raise CommandError(
                f"DATABASE_URL must name the bench database {bench['NAME']} "
                "(BENCH_DATABASE_URL); `make bench` sets it."
            )

    def _generate(self):
        started = time.monotonic()
        name = connection.settings_dict["NAME"]
        connection.close()
        run.recreate_database(connection.settings_dict)
        self.stdout.write(f"{name}: dropped and created; migrating")
        call_command("migrate", verbosity=0, interactive=False)
        generate(Scale(), say=lambda step: self._say(started, step))
        with connection.cursor() as cursor:
            # What autovacuum leaves in a database years old: the planner's statistics and
            # the visibility map index-only scans read, done now rather than mid-measurement.
            cursor.execute("VACUUM (ANALYZE)")
        self.stdout.write(f"Generated in {time.monotonic() - started:.0f} s.")

    def _say(self, started, step):
        self.stdout.write(f"  {time.monotonic() - started:4.0f} s  {step}")
