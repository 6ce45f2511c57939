"""The pages around the workflow that anyone may read, signed in or not: the landing page an
anonymous visitor finds at the site's root, the policy the site implements, and help."""

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from .policy_text import FILE, policy


def landing(request):
    """What the service is, who applies and what happens after applying; the root's answer to
    an anonymous visitor (requests_app/accounts/views.py home)."""
    return render(
        request,
        "requests_app/pages/landing.html",
        {"grant_term_months": settings.GRANT_TERM_MONTHS},
    )


@require_GET
def policy_page(request):
    return render(request, "requests_app/pages/policy.html", {"policy": policy()})


@require_GET
def policy_download(request):
    """The policy's text exactly as published, for reading or keeping."""
    return HttpResponse(FILE.read_bytes(), content_type="text/plain; charset=utf-8")


@require_GET
def help_page(request):
    return render(
        request,
        "requests_app/pages/help.html",
        {
            "help_email": settings.HELP_EMAIL,
            "idle_deciding_minutes": settings.IDLE_LOGOUT_DECIDING_MINUTES,
            "idle_requestor_minutes": settings.IDLE_LOGOUT_REQUESTOR_MINUTES,
            "read_log_years": round(settings.READ_LOG_RETENTION_DAYS / 365.25),
            "read_log_days": settings.READ_LOG_RETENTION_DAYS,
            "voting_days": settings.COMMITTEE_VOTING_DAYS,
            "grant_term_months": settings.GRANT_TERM_MONTHS,
        },
    )
