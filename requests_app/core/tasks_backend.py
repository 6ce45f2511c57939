"""The task backend of a site without a worker (development, tests): each task runs in the
process that queued it, as django-tasks' ImmediateBackend runs it, but never inside a web
request's own time. A task queued while a request is handled (on its action's commit) waits
until the response is built and handed to the server (`request_finished`); one queued outside
any request (a management command, the shell) runs at once. See docs/architecture.md."""

import functools

from asgiref.local import Local
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django_tasks.backends.immediate import ImmediateBackend

# The tasks queued by the request this thread handles; None outside a request.
_waiting = Local()


class AfterResponseBackend(ImmediateBackend):
    def _execute_task(self, task_result):
        waiting = getattr(_waiting, "tasks", None)
        if waiting is None:
            self.run(task_result)
        else:
            waiting.append(functools.partial(self.run, task_result))

    def run(self, task_result):
        """Run the task now; one that raises is recorded on its result, as a worker would."""
        super()._execute_task(task_result)


def _request_started(**kwargs):
    _waiting.tasks = []


def _request_finished(**kwargs):
    waiting, _waiting.tasks = getattr(_waiting, "tasks", None) or [], None
    for run in waiting:
        run()


# Connected when the app is ready (requests_app/apps.py), so the first request is heard too.
request_started.connect(_request_started)
# Before Django's own end-of-request handler: the database connection the tasks used is then
# closed or kept exactly as the request's is (CONN_MAX_AGE), and the test client, which holds
# that handler back during its requests, keeps its test's transaction.
request_finished.disconnect(close_old_connections)
request_finished.connect(_request_finished)
request_finished.connect(close_old_connections)
