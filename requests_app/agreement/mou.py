"""The MOU as a PDF (policy 4.1, 1.6). Before a decision it is the application itself, marked
DRAFT; after an approval, the same template states the access granted to each person, how it
was decided, and the signatures given so far."""

import functools
import hashlib
import os
import tempfile
from pathlib import Path

import weasyprint
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone
from weasyprint import CSS, HTML
from weasyprint.urls import URLFetcher

from requests_app import policy
from requests_app.core.records import private_storage
from requests_app.core.states import AccessLevel, Status

# Everything the PDF needs is in the HTML and the system's fonts; it never fetches a URL.
_OFFLINE = URLFetcher(allowed_protocols={"data"})


def _final(access_request):
    """What the final MOU adds: each person's granted level beside the one asked, the decision
    and the signatures."""
    from requests_app.decision.levels import current_levels
    from requests_app.models import Amendment, Event, Signature

    decision = access_request.decision
    granted = current_levels(access_request)
    agreement = getattr(access_request, "agreement", None)
    signatures = {}
    if agreement:
        # A correction is signed again: signatures given before it do not carry over.
        amended = (
            Event.objects.filter(request=access_request, kind=Event.Kind.MOU_AMENDED)
            .order_by("-pk")
            .values_list("created_at", flat=True)
            .first()
        )
        given = Signature.objects.filter(agreement=agreement).order_by("pk")
        if amended:
            given = given.filter(signed_at__gt=amended)
        signatures = {s.party: s for s in given}
    return {
        **_amended(agreement, Amendment),
        "decision": decision,
        "granted": {pk: AccessLevel(level) for pk, level in granted.items()},
        "organization_signature": signatures.get(Signature.Party.ORGANIZATION),
        "cceh_signature": signatures.get(Signature.Party.CCEH),
        "agreement": agreement,
    }


def _amended(agreement, Amendment):
    """What the amendments of an executed or active MOU change in it (agreement/amendments.py):
    the amendments in effect, oldest first (additions once approved), and why each person's
    access ended, by person id. An MOU without amendments says nothing more."""
    if agreement is None:
        return {"amendments": [], "ended": {}}
    in_effect = [
        a
        for a in agreement.amendments.select_related("person", "decision").order_by("pk")
        if a.kind != Amendment.Kind.ADD or (hasattr(a, "decision") and a.decision.approved)
    ]
    ended = {access.person_id: access for access in agreement.people.filter(ended_on__isnull=False)}
    return {"amendments": in_effect, "ended": ended}


def context(access_request, *, draft, version=None):
    from requests_app.application.record import application_of, as_it_stands

    # The draft is the application as it stands; the final MOU states what was submitted and
    # decided, never the organization's row or answers as they are today.
    application = as_it_stands(access_request) if draft else application_of(access_request)
    # The named people as the decision and any correction name them (their levels follow).
    people = list(access_request.people.all())
    ctx = {
        "r": application.request,
        "org": application.organization,
        "people": people,
        "cans": application.cans,
        "draft": draft,
        "version": version,
        "generated_at": timezone.localtime(),
        "committee_name": settings.COMMITTEE_NAME,
        "term_months": settings.GRANT_TERM_MONTHS,
        "levels": AccessLevel,
        # 1.10 from CCEH's record, beside the organization's own answer.
        "record": policy.access_record(access_request),
    }
    if not draft:
        ctx.update(_final(access_request))
        for person in people:
            person.granted = ctx["granted"].get(person.pk)
            person.ended = ctx["ended"].get(person.pk)
    return ctx


def render_pdf(access_request, *, draft=True, version=None):
    if not draft and access_request.status != Status.APPROVED:
        raise ValueError("Only an approved request has a final MOU.")
    return _write_pdf(*_documents(access_request, draft=draft, version=version))


def draft_pdf(access_request):
    """The draft MOU, rendered again only when what it says changed. It is kept in private
    storage, where every worker process finds it, named by the hash of its HTML and stylesheets
    (they hold every answer, person, level, status, date and word of the template it shows)
    and of the WeasyPrint that lays them out."""
    documents = _documents(access_request, draft=True)
    key = hashlib.sha256("\0".join((weasyprint.__version__, *documents)).encode()).hexdigest()
    path = Path(private_storage().path(f"drafts/{access_request.reference}/{key}.pdf"))
    try:
        return path.read_bytes()
    except FileNotFoundError:
        pass
    pdf = _write_pdf(*documents)
    _keep(path, pdf)
    return pdf


def _keep(path, pdf):
    """Write `pdf` whole at `path` (written aside, then renamed: a reader never finds half a
    file) and drop the request's older drafts, which no download asks for any more."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".part", delete=False) as part:
        part.write(pdf)
    os.replace(part.name, path)
    for older in path.parent.glob("*.pdf"):
        if older != path:
            older.unlink(missing_ok=True)


def _documents(access_request, *, draft, version=None):
    """The MOU's HTML, its stylesheet and its pages' footer."""
    ctx = context(access_request, draft=draft, version=version)
    return (
        render_to_string("requests_app/agreement/pdf/mou.html", ctx),
        render_to_string("requests_app/agreement/pdf/mou.css"),
        render_to_string("requests_app/agreement/pdf/page.css", ctx),
    )


def _write_pdf(html, stylesheet, page):
    return HTML(string=html, url_fetcher=_OFFLINE).write_pdf(
        stylesheets=[_parsed(stylesheet), CSS(string=page, url_fetcher=_OFFLINE)]
    )


@functools.lru_cache(maxsize=1)
def _parsed(stylesheet):
    """The stylesheet parsed once, not at every render (it costs about 4 ms); kept by its text,
    so a changed template is parsed anew."""
    return CSS(string=stylesheet, url_fetcher=_OFFLINE)
