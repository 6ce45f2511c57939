"""The read log's pages: who has seen a request (staff and administrators), and the audit page
of every entry with its CSV (administrators). Anyone else gets a 404: these pages are not
there for them."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from requests_app.audit.filters import ReadLogFilter
from requests_app.audit.models import ReadLogEntry
from requests_app.core import permissions
from requests_app.core.files import csv_download
from requests_app.core.paging import paginate
from requests_app.core.visibility import requests_seen_internally_by
from requests_app.models import AccessRequest

READS_PAGE_SIZE = 50
AUDIT_PAGE_SIZE = 50
NEWEST_FIRST = ["-created_at", "-pk"]
NOUN = ("read", "reads")


def _allowed(predicate, user):
    if not predicate(user):
        raise Http404("No such page.")


@login_required
@require_GET
def request_reads(request, reference):
    """Who has read this request, and when, the newest first."""
    user = request.user
    _allowed(permissions.sees_who_read, user)
    # Staff see it on a request they see inside (never their own organization's);
    # administrators read the whole log on the audit page anyway.
    requests = (
        AccessRequest.objects.all()
        if permissions.reads_the_audit(user)
        else requests_seen_internally_by(user)
    )
    access_request = get_object_or_404(requests, reference=reference)
    page = paginate(
        request,
        ReadLogEntry.objects.filter(request=access_request).select_related("reader"),
        ordering=NEWEST_FIRST,
        size=READS_PAGE_SIZE,
        noun=NOUN,
        newest_first=True,
    )
    return render(
        request,
        "requests_app/audit/request_reads.html",
        {"access_request": access_request, "page": page},
    )


def _filtered(request):
    return ReadLogFilter(request.GET or None, queryset=ReadLogEntry.objects.all())


@login_required
@require_GET
def audit(request):
    """Every entry of the read log, filtered, the newest first."""
    _allowed(permissions.reads_the_audit, request.user)
    found = _filtered(request)
    page = paginate(
        request,
        found.qs.select_related("reader"),
        ordering=NEWEST_FIRST,
        size=AUDIT_PAGE_SIZE,
        noun=NOUN,
        newest_first=True,
    )
    return render(
        request,
        "requests_app/audit/audit.html",
        {"filter": found, "page": page, "retention_days": settings.READ_LOG_RETENTION_DAYS},
    )


AUDIT_COLUMNS = ["When", "Person", "E-mail", "What", "Request", "Detail", "Address"]


@login_required
@require_GET
def audit_export(request):
    """The filtered entries as CSV, streamed, in one query whatever their number; the export
    is itself a read, recorded (core/files.py)."""
    _allowed(permissions.reads_the_audit, request.user)
    entries = (
        _filtered(request)
        .qs.order_by(*NEWEST_FIRST)
        .values_list(
            "created_at",
            "reader__name",
            "reader__email",
            "kind",
            "reference",
            "subject",
            "address",
        )
    )
    kinds = dict(ReadLogEntry.Kind.choices)

    def rows():
        yield AUDIT_COLUMNS
        for when, name, email, kind, reference, subject, address in entries.iterator(
            chunk_size=2000
        ):
            yield [
                timezone.localtime(when).isoformat(timespec="seconds"),
                name,
                email,
                kinds[kind],
                reference,
                subject,
                address or "",
            ]

    return csv_download(request, rows(), f"hmis-read-log-{timezone.localdate()}.csv")
