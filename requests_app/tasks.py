"""Background tasks (Django's Tasks API, through the django-tasks backport). With the database
backend a `manage.py db_worker` runs them; without a worker (development and tests) the process
that queues them runs them, after the response of the request that did (core/tasks_backend.py)."""

import logging

from django_tasks import task

from requests_app.notifications import services as notifications

logger = logging.getLogger(__name__)


@task()
def deliver_notification(notification_id):
    """E-mail one notice. Safe to run twice: only the run that claims the notice sends."""
    return notifications.deliver(notification_id)


@task()
def render_mou(agreement_id, version):
    """Render and store one MOU version, off the request that caused it. Safe to run twice:
    a version already stored is not rendered again. A render that raises is recorded on the
    agreement, where staff see it and ask for it again, and the sweep retries it."""
    from . import workflow

    try:
        row = workflow.render_mou_version(agreement_id, version)
    except Exception as error:
        logger.exception("MOU version %s of agreement %s failed to render.", version, agreement_id)
        workflow.record_render_failure(agreement_id, version, f"{type(error).__name__}: {error}")
        return None
    return row.pk if row else None
