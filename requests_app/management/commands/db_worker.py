"""django-tasks-db's worker, which first queues again the MOU versions whose render was lost
(agreement.renders.sweep_renders): a worker killed mid-render leaves its task running for ever,
and the worker that replaces it is the first to notice."""

from django_tasks_db.management.commands.db_worker import Command as DBWorkerCommand

from requests_app import workflow


class Command(DBWorkerCommand):
    def handle(self, *args, **options):
        queued = workflow.sweep_renders()
        if queued:
            self.stdout.write(f"{queued} MOU version{'' if queued == 1 else 's'} queued again.")
        return super().handle(*args, **options)
