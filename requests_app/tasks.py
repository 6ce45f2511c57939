"""Background tasks (Django's Tasks API, through the django-tasks backport). With the database
backend a `manage.py db_worker` runs them; with the immediate backend (no worker: development
and tests) they run at once in the process that queues them."""

from django_tasks import task

from . import notifications


@task()
def deliver_notification(notification_id):
    """E-mail one notice. Safe to run twice: only the run that claims the notice sends."""
    return notifications.deliver(notification_id)


@task()
def render_mou(agreement_id, version, kind, reason, user_id):
    """Render and store one MOU version, off the request that caused it. Safe to run twice:
    a version already stored is not rendered again."""
    from . import workflow

    row = workflow.render_mou_version(agreement_id, version, kind, reason, user_id)
    return row.pk if row else None
