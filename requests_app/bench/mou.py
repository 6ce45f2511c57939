"""The MOU's render measured (docs/performance.md, `make bench-mou`): render_pdf of a typical
approved request of the bench database, beside a plain WeasyPrint document of as many pages
(paragraphs, no stylesheet) and beside the MOU's own HTML laid out without its stylesheet.
Medians of RUNS renders each, after one that warms WeasyPrint's fonts up; the results are
printed and added to BENCH_OUTPUT."""

import io
import statistics
import time

from django.template.loader import render_to_string
from pypdf import PdfReader
from weasyprint import HTML
from weasyprint.urls import URLFetcher

from requests_app.agreement import mou
from requests_app.bench import run
from requests_app.models import AccessRequest

RUNS = 7
OFFLINE = URLFetcher(allowed_protocols={"data"})
PARAGRAPH = (
    "<p>The organization uses the Connecticut Homeless Management Information System only for "
    "the purpose stated in its application, by the people named in it, at the access level "
    "granted to each, and keeps every record it reads confidential under the policy.</p>"
)


def _median_ms(render):
    render()
    timings = []
    for _ in range(RUNS):
        started = time.perf_counter()
        render()
        timings.append(time.perf_counter() - started)
    return statistics.median(timings) * 1000


def _pages(html):
    return len(HTML(string=html, url_fetcher=OFFLINE).render().pages)


def _html(access_request):
    """The final MOU's HTML, as render_pdf makes it, without its stylesheet."""
    context = mou.context(access_request, draft=False)
    return render_to_string("requests_app/agreement/pdf/mou.html", context)


def plain_document(pages):
    """Plain HTML paragraphs, no stylesheet, filling exactly `pages` pages."""
    low, high = 1, 200 * pages
    while low < high:  # the fewest paragraphs that fill `pages` pages
        middle = (low + high) // 2
        if _pages(PARAGRAPH * middle) < pages:
            low = middle + 1
        else:
            high = middle
    return f"<!DOCTYPE html><html><body>{PARAGRAPH * low}</body></html>"


def measure():
    access_request = AccessRequest.objects.get(reference=run.measured().mou)
    pdf = mou.render_pdf(access_request, draft=False)
    pages = len(PdfReader(io.BytesIO(pdf)).pages)
    html = _html(access_request)
    plain = plain_document(pages)
    return {
        "request": access_request.reference,
        "pages": pages,
        "runs": RUNS,
        "mou_ms": round(_median_ms(lambda: mou.render_pdf(access_request, draft=False)), 1),
        # What render_pdf spends before any layout: the context's queries and the template.
        "html_ms": round(_median_ms(lambda: _html(access_request)), 1),
        "plain_ms": round(_median_ms(lambda: HTML(string=plain).write_pdf()), 1),
        "plain_pages": _pages(plain),
        "bare_ms": round(_median_ms(lambda: HTML(string=html, url_fetcher=OFFLINE).write_pdf()), 1),
        "bare_pages": _pages(html),
    }


def main(say):
    found = measure()
    path = run.Conditions.from_environment().output
    report = run.read_results(path)
    report["mou"] = found
    run.write_results(path, report)
    say("\n".join(run.mou_lines(found)))
