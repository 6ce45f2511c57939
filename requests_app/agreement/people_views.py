"""Who holds access now and whose access ended: the register (staff's, and each organization's
of its own people) and staff's deprovisioning list, each with its CSV. Marking accounts closed
posts to the list itself, as the provisioning list does (agreement/views.py)."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from requests_app.agreement import deprovisioning as deprov
from requests_app.agreement import due
from requests_app.agreement import register as reg
from requests_app.agreement.departures import REPORT_WITHIN
from requests_app.agreement.forms import DeprovisionForm
from requests_app.application.record import scope_words
from requests_app.core import permissions
from requests_app.core.files import csv_download
from requests_app.core.paging import paginate
from requests_app.core.states import AccessLevel
from requests_app.core.visibility import active_organization_ids
from requests_app.core.web import mark_ticked, role_required

REGISTER_PAGE_SIZE = 25
DEPROVISIONING_PAGE_SIZE = 25
PEOPLE = ("person", "people")
REGISTER_ORDER = ["agreement__request__organization__name", "person__name", "pk"]


# The register.

REGISTER_COLUMNS = [
    "Name",
    "E-mail",
    "Organization",
    "Access level",
    "CAN scope",
    "Since",
    "Until",
    "MOU",
    "Trained on",
    "Training expires",
    "User agreement signed",
    "User agreement due",
]


def _day(moment):
    return timezone.localdate(moment) if moment else None


def _register_rows(accesses):
    rows = []
    for access in accesses:
        r = access.agreement.request
        rows.append(
            {
                "access": access,
                "level": AccessLevel(access.level).label if access.level else "",
                "scope": scope_words(r.statewide, "; ".join(c.name for c in r.cans.all())),
                "mou": f"{r.reference} v{access.mou_version}",
                "training_expires": due.training_until(access.trained_on),
                "agreed_on": _day(access.agreed_at),
                "agreement_due": due.agreement_until(_day(access.agreed_at)),
            }
        )
    return rows


def _register_page(request, rows, *, own):
    found = reg.register_filter(request.GET, rows)
    listed = found.qs.select_related("person", "agreement__request__organization").prefetch_related(
        "agreement__request__cans"
    )
    page = paginate(request, listed, ordering=REGISTER_ORDER, size=REGISTER_PAGE_SIZE, noun=PEOPLE)
    by_level, by_can = reg.counts(found.qs)
    return render(
        request,
        "requests_app/agreement/register.html",
        {
            "filter": found,
            "page": page,
            "rows": _register_rows(page.rows),
            "by_level": by_level,
            "by_can": by_can,
            "own": own,
            "report_within": REPORT_WITHIN,
        },
    )


def _register_csv(request, rows, filename):
    found = reg.register_filter(request.GET, rows)

    def lines():
        yield REGISTER_COLUMNS
        for a in reg.register_table(found.qs).iterator(chunk_size=2000):
            expires = due.training_until(a.trained_on)
            agreed = _day(a.agreed_at)
            agreement_due = due.agreement_until(agreed)
            yield [
                a.person__name,
                a.person__email,
                a.agreement__request__organization__name,
                a.level_label,
                scope_words(a.agreement__request__statewide, a.scope or ""),
                f"{timezone.localtime(a.activated_at):%Y-%m-%d}",
                f"{a.agreement__ends_on:%Y-%m-%d}" if a.agreement__ends_on else "",
                f"{a.agreement__request__reference} v{a.mou_version}",
                f"{a.trained_on:%Y-%m-%d}" if a.trained_on else "",
                f"{expires:%Y-%m-%d}" if expires else "",
                f"{agreed:%Y-%m-%d}" if agreed else "",
                f"{agreement_due:%Y-%m-%d}" if agreement_due else "",
            ]

    return csv_download(request, lines(), filename)


def _member_or_404(user):
    """The organization's register is its own members' alone."""
    if not active_organization_ids(user).exists():
        raise Http404("You are not a member of an organization.")


@role_required(permissions.is_cceh_staff)
@require_GET
def register(request):
    return _register_page(request, reg.staff_register(request.user), own=False)


@role_required(permissions.is_cceh_staff)
@require_GET
def register_export(request):
    today = timezone.localdate()
    return _register_csv(request, reg.staff_register(request.user), f"hmis-register-{today}.csv")


@login_required
@require_GET
def organization_register(request):
    _member_or_404(request.user)
    return _register_page(request, reg.organization_register(request.user), own=True)


@login_required
@require_GET
def organization_register_export(request):
    _member_or_404(request.user)
    today = timezone.localdate()
    return _register_csv(
        request, reg.organization_register(request.user), f"hmis-our-people-{today}.csv"
    )


# The deprovisioning list.

DEPROVISIONING_COLUMNS = [
    "Name",
    "E-mail",
    "Organization",
    "Why access ended",
    "Access ended",
    "Working days since",
    "Overdue",
    "MOU",
]


def _deprovisioning_rows(accesses):
    today = timezone.localdate()
    rows = []
    for access in accesses:
        _days, words, flagged = deprov.ageing(access.ended_on, today)
        rows.append(
            {
                "access": access,
                "why": access.get_end_reason_display(),
                "ageing": words,
                "flagged": flagged,
                "mou": f"{access.agreement.request.reference} v{access.mou_version}",
            }
        )
    return rows


@role_required(permissions.is_cceh_staff)
def deprovisioning(request):
    if request.method == "POST":
        return mark_ticked(
            request,
            DeprovisionForm(request.POST, user=request.user),
            "deprovision",
            deprov.deprovision_access,
            lambda n: (
                f"Marked {n} {'person' if n == 1 else 'people'}'s HMIS "
                f"account{'' if n == 1 else 's'} as closed."
            ),
            "deprovisioning",
        )
    page = paginate(
        request,
        deprov.deprovisioning_list(request.user),
        ordering=["ended_on", "pk"],  # the longest waiting for their account's closing first
        size=DEPROVISIONING_PAGE_SIZE,
        noun=PEOPLE,
        never_null={"ended_on"},
    )
    return render(
        request,
        "requests_app/agreement/deprovisioning.html",
        {"rows": _deprovisioning_rows(page.rows), "page": page},
    )


@role_required(permissions.is_cceh_staff)
@require_GET
def deprovisioning_export(request):
    """The deprovisioning list as CSV, streamed, in one query whatever its length."""
    today = timezone.localdate()

    def rows():
        yield DEPROVISIONING_COLUMNS
        for a in deprov.deprovisioning_table(request.user).iterator(chunk_size=2000):
            days, _words, flagged = deprov.ageing(a.ended_on, today)
            yield [
                a.person__name,
                a.person__email,
                a.agreement__request__organization__name,
                a.why,
                f"{a.ended_on:%Y-%m-%d}",
                days,
                "Yes" if flagged else "No",
                f"{a.agreement__request__reference} v{a.mou_version}",
            ]

    return csv_download(request, rows(), f"hmis-deprovisioning-{today}.csv")
