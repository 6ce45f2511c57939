"""Rendering an MOU version after the action that asked for it commits, with the Tasks API; a
render lost with its worker is found and done again (sweep_renders)."""

import datetime
import hashlib

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from requests_app.core.actions import (
    bump,
)
from requests_app.core.events import record_event
from requests_app.models import (
    Agreement,
    Event,
    MOUVersion,
)


def render_after_commit(agreement, kind, reason, user):
    """Ask for the next version: recorded on the agreement in the action's transaction (so a
    render lost with its process is found by `sweep_renders`), rendered by a task once the
    action commits, off the request path (by a worker; without one, after the response:
    core/tasks_backend.py)."""
    # Every stored version was asked for here first, so the next is one past the last asked.
    agreement.mou_version += 1
    agreement.mou_kind, agreement.mou_reason, agreement.mou_requested_by = kind, reason, user
    agreement.mou_queued_at = timezone.now()
    agreement.mou_failed_at, agreement.mou_error = None, ""
    agreement.save(
        update_fields=[
            "mou_version",
            "mou_kind",
            "mou_reason",
            "mou_requested_by",
            "mou_queued_at",
            "mou_failed_at",
            "mou_error",
        ]
    )
    queue_render(agreement)


def queue_render(agreement):
    from requests_app.tasks import render_mou

    args = (agreement.pk, agreement.mou_version)
    # Robust: a queue that cannot be reached must not undo an action that has committed; the
    # sweep queues the render again.
    transaction.on_commit(lambda: render_mou.enqueue(*args), robust=True)


def render_mou_version(agreement_id, version):
    """Render and store MOU version `version` once: it is never overwritten, and a second
    call for the same version, or for one no longer asked for, stores nothing. WeasyPrint runs
    outside any transaction, so no action waits on the agreement's row meanwhile; the row is
    locked only to store the version."""
    from requests_app.agreement import mou

    agreement = Agreement.objects.select_related("request", "mou_requested_by").get(pk=agreement_id)
    if not _still_asked(agreement, version):
        return None
    pdf = mou.render_pdf(agreement.request, draft=False, version=version)
    row = MOUVersion(
        agreement=agreement,
        version=version,
        kind=agreement.mou_kind,
        reason=agreement.mou_reason,
        sha256=hashlib.sha256(pdf).hexdigest(),
        size=len(pdf),
        created_by=agreement.mou_requested_by,
    )
    row.file.save(f"v{version}.pdf", ContentFile(pdf), save=False)
    stored = None
    try:
        stored = _store(row)
    finally:
        if stored is None:  # not recorded: another render's file is the version's
            row.file.storage.delete(row.file.name)
    return stored


def _still_asked(agreement, version):
    """Whether `version` is the one last asked for and is not stored yet."""
    return version == agreement.mou_version and not agreement.mous.filter(version=version).exists()


@transaction.atomic
def _store(row):
    """Record a rendered version under the agreement's row lock, unless another render of it
    was stored meanwhile or a newer version was asked for while it rendered (every change to
    what the MOU says asks for one in its own transaction, so a render that read a half-changed
    agreement is never stored). The row's kind, reason and author were read with its number,
    which is written together with them (`render_after_commit`)."""
    agreement = Agreement.objects.select_for_update().get(pk=row.agreement_id)
    if not _still_asked(agreement, row.version):
        return None
    row.save()
    agreement.mou_failed_at, agreement.mou_error = None, ""
    agreement.save(update_fields=["mou_failed_at", "mou_error"])
    bump(agreement)
    if row.kind == MOUVersion.Kind.ISSUED:
        # Told only now, so the link in the notice never opens an MOU still being prepared;
        # the version is stored once, so they are told once.
        record_event(
            row.agreement.request,
            row.created_by,
            Event.Kind.MOU_ISSUED,
            data=row.named(),
            public=True,
        )
    return row


def record_render_failure(agreement_id, version, error):
    """A render that raised: kept on the agreement for staff to see and retry, in a
    transaction of its own (the render's own rolled back)."""
    with transaction.atomic():
        Agreement.objects.filter(pk=agreement_id, mou_version=version).update(
            mou_failed_at=timezone.now(), mou_error=error[:4000]
        )


def renders_missing(older_than=None):
    """Agreements whose asked-for version is not stored and whose render was queued before
    `older_than` (default: MOU_RENDER_TIMEOUT_MINUTES ago) or failed."""
    older_than = older_than or timezone.now() - datetime.timedelta(
        minutes=settings.MOU_RENDER_TIMEOUT_MINUTES
    )
    stored = MOUVersion.objects.filter(agreement=OuterRef("pk"), version=OuterRef("mou_version"))
    return (
        Agreement.objects.filter(mou_version__gt=0)
        .exclude(Exists(stored))
        .filter(
            Q(mou_queued_at__isnull=True)
            | Q(mou_queued_at__lt=older_than)
            | Q(mou_failed_at__isnull=False)
        )
    )


def sweep_renders(older_than=None):
    """Queue again every MOU version an action asked for that is still not stored long after
    its render was queued (its process died, or its task never ran) or whose render failed.
    Run daily by send_reminders, at every worker start, and by `manage.py render_agreements`.
    Rendering is idempotent by (agreement, version), so a sweep run twice renders once."""
    queued = 0
    for pk in renders_missing(older_than).values_list("pk", flat=True):
        with transaction.atomic():
            agreement = (
                renders_missing(older_than)
                .select_for_update(skip_locked=True)
                .filter(pk=pk)
                .first()
            )
            if agreement is None:
                continue
            agreement.mou_queued_at = timezone.now()
            agreement.save(update_fields=["mou_queued_at"])
            queue_render(agreement)
            queued += 1
    return queued
