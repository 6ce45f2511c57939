from django.apps import AppConfig


class RequestsAppConfig(AppConfig):
    name = "requests_app"
    verbose_name = "HMIS access requests"

    def ready(self):
        # The action rows register themselves; every page, service and address reads them.
        from . import actions  # noqa: F401
