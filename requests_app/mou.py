"""The MOU as a PDF (policy 4.1, 1.6). Before a decision it is the application itself, marked
DRAFT; the final MOU uses the same template with the decision's grants."""

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone
from weasyprint import CSS, HTML
from weasyprint.urls import URLFetcher

from .choices import AccessLevel

# Everything the PDF needs is in the HTML and the system's fonts; it never fetches a URL.
_OFFLINE = URLFetcher(allowed_protocols={"data"})


def context(access_request, *, draft):
    people = list(access_request.people.all())
    return {
        "r": access_request,
        "org": access_request.organization,
        "people": people,
        "cans": list(access_request.cans.all()),
        "draft": draft,
        "generated_at": timezone.localtime(),
        "committee_name": settings.COMMITTEE_NAME,
        "term_months": settings.GRANT_TERM_MONTHS,
        "levels": AccessLevel,
    }


def render_pdf(access_request, *, draft=True):
    ctx = context(access_request, draft=draft)
    html = render_to_string("requests_app/pdf/mou.html", ctx)
    css = render_to_string("requests_app/pdf/mou.css", ctx)
    return HTML(string=html, url_fetcher=_OFFLINE).write_pdf(
        stylesheets=[CSS(string=css, url_fetcher=_OFFLINE)]
    )
