"""`make run`'s preparation of the development database: migrate, then load the demo, each only
when the database lacks it, so that a second `make run` starts serving within seconds. Asking
the database, not a stamp file, keeps this right when DATABASE_URL changes or the database is
deleted. `manage.py migrate` and `manage.py demo` still do either on demand."""

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from requests_app.management.commands import demo


class Command(BaseCommand):
    help = "Migrate and load the demo data where not done yet; print the demo logins."
    # runserver checks the project right after; checking twice costs a second of every start.
    requires_system_checks = []

    def handle(self, *args, **options):
        executor = MigrationExecutor(connection)
        if executor.migration_plan(executor.loader.graph.leaf_nodes()):
            call_command("migrate", interactive=False)
        if not demo.loaded():
            call_command("demo")
            return
        self.stdout.write(
            "The demo data is already loaded (`python manage.py demo` loads it again). "
            "Sign in with any of these:"
        )
        demo.write_logins(self.stdout)
