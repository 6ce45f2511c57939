"""The dashboard (docs/design.md, section 11): how the caseload is doing, over a date range,
for staff, and read-only for the committee and the CANs' leaders, each scoped to the requests
they see inside; and each of its tables as CSV."""

from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from requests_app.core import permissions
from requests_app.core.files import csv_download
from requests_app.core.web import role_required
from requests_app.dashboard import charts, figures
from requests_app.dashboard.forms import DateRangeForm


def _scope(user):
    """Whose requests the figures count, in words, as core/visibility.py decides."""
    if user.is_cceh_staff:
        return "every submitted request, except your own organization's"
    parts = []
    if user.is_committee_member:
        parts.append("requests with the committee and those you voted on")
    if user.led_cans.exists():
        parts.append("requests naming a CAN you lead")
    return " and ".join(parts) + ", except your own organization's"


def _form(request):
    today = timezone.localdate()
    return today, DateRangeForm(request.GET, today)


def _refused(request, form):
    return render(
        request,
        "requests_app/dashboard/dashboard.html",
        {"form": form, "tables": [], "scope": _scope(request.user)},
        status=400,
    )


@require_GET
@role_required(permissions.sees_the_dashboard)
def dashboard(request):
    today, form = _form(request)
    if form.is_bound and not form.is_valid():
        return _refused(request, form)
    when = form.date_range()
    tables = figures.all_tables(request.user, when, today)
    shown = [
        (table, charts.bar_chart(table.key, table.title, table.bars(), table.unit))
        for table in tables
    ]
    return render(
        request,
        "requests_app/dashboard/dashboard.html",
        {
            "form": form,
            "tables": shown,
            "range": when,
            "today": today,
            "scope": _scope(request.user),
            "query": request.GET.urlencode(),
        },
    )


@require_GET
@role_required(permissions.sees_the_dashboard)
def dashboard_export(request, table):
    """One table of the dashboard as CSV, over the same range; recorded as read like every
    export (core/files.py)."""
    if table not in figures.KEYS:
        raise Http404("No such table.")
    today, form = _form(request)
    if form.is_bound and not form.is_valid():
        return _refused(request, form)
    when = form.date_range()
    found = figures.one_table(table, request.user, when, today)

    def rows():
        yield found.columns
        yield from ([("" if cell is None else cell) for cell in row] for row in found.rows)

    return csv_download(request, rows(), f"hmis-dashboard-{table}-{when.since}-to-{when.until}.csv")
