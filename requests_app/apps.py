from django.apps import AppConfig


class RequestsAppConfig(AppConfig):
    name = "requests_app"
    verbose_name = "HMIS access requests"

    def ready(self):
        # The action rows register themselves; every page, service and address reads them.
        from . import actions  # noqa: F401

        # Sign-in and enrolment keep in the session what the two-factor rule needs.
        from .accounts import mfa  # noqa: F401

        # The after-response task backend hears every request from the first one on.
        from .core import tasks_backend  # noqa: F401
