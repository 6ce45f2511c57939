from django.apps import AppConfig
from django.db.backends.signals import connection_created


class RequestsAppConfig(AppConfig):
    name = "requests_app"
    verbose_name = "HMIS access requests"

    def ready(self):
        # The action rows register themselves; every page, service and address reads them.
        from . import actions  # noqa: F401

        # Their receivers: the idle limit timed from each sign-in; sign-ins, role changes and
        # the sessions they end; what the two-factor rule keeps in the session.
        from .accounts import idle, mfa, sessions  # noqa: F401

        # The after-response task backend hears every request from the first one on.
        from .core import tasks_backend  # noqa: F401

        # SQLite computes the hash chains' links as PostgreSQL does (core/chain.py).
        from .core.chain import register_sqlite

        connection_created.connect(register_sqlite, dispatch_uid="hmis_link")
        # And the dashboard's percentiles (dashboard/figures.py).
        from .dashboard.figures import register_sqlite as register_percentile

        connection_created.connect(register_percentile, dispatch_uid="hmis_percentile")
