"""The benchmark's data set at a small scale (requests_app/bench/generate.py): it makes exactly
the numbers asked for, what it makes holds the models' rules, and every page the benchmark
measures (requests_app/bench/run.py) answers its reader 200, the bare pages and the CSV exports
included."""

import io
import json

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.db.models import F
from django.test import override_settings
from django.urls import include, path

from hmis_access import urls as site_urls
from requests_app.bench import run
from requests_app.bench.generate import SHORT_HISTORY, Scale, generate
from requests_app.core.states import AgreementStatus, Status
from requests_app.core.verify_history import verify
from requests_app.models import (
    AccessRequest,
    Agreement,
    Event,
    MOUVersion,
    NamedPerson,
    Notification,
    Organization,
    ReadLogEntry,
    Vote,
    stored_sha256,
)

SCALE = Scale(
    requests=200,
    events=2_500,
    notices=2_000,
    organizations=60,
    long_history=300,
    docket=10,
    own_requests=20,
    reads=3_000,
    long_reads=400,
    exports=50,
)

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="The data set is loaded with PostgreSQL's COPY."
    ),
]


@pytest.fixture(scope="module")
def bench(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        generate(SCALE, say=lambda step: None)
        yield run.measured()
        transaction.set_rollback(True)


def test_it_makes_the_numbers_asked_for(bench):
    assert AccessRequest.objects.count() == 200
    assert Event.objects.count() == 2_500
    assert Notification.objects.count() == 2_000
    assert Organization.objects.count() == 60
    assert AccessRequest.objects.filter(status=Status.VETTING).count() == 10
    assert ReadLogEntry.objects.exclude(kind=ReadLogEntry.Kind.CSV_EXPORT).count() == 3_000
    assert ReadLogEntry.objects.filter(kind=ReadLogEntry.Kind.CSV_EXPORT).count() == 50


def test_the_measured_requests_have_the_histories_asked_for(bench):
    assert Event.objects.filter(request__reference=bench.long).count() == 300
    assert bench.long_events == 300
    assert ReadLogEntry.objects.filter(reference=bench.long).count() == 400
    assert bench.long_reads == 400
    assert Event.objects.filter(request__reference=bench.short).count() == SHORT_HISTORY
    assert AccessRequest.objects.get(reference=bench.short).status == Status.SCREENING


def test_every_generated_history_and_read_log_is_an_unbroken_hash_chain(bench):
    out = io.StringIO()
    call_command("export_history", stdout=out)
    bundle = json.loads(out.getvalue())

    # The events, and the read log's entries: 3,000 reads of requests and 50 CSV exports.
    entries = 2_500 + 3_000 + 50
    assert verify(bundle).startswith(f"verified: {len(bundle['chains'])} chains, {entries} entries")


def test_the_requestor_measured_belongs_to_the_organization_with_the_most_requests(bench):
    organization = bench.requestor.memberships.get().organization
    assert organization.requests.count() == 20


def test_each_status_has_what_it_implies(bench):
    decided = AccessRequest.objects.filter(status__in=Status.DECIDED)
    assert decided.filter(decision__isnull=True).count() == 0
    assert AccessRequest.objects.filter(status=Status.APPROVED, agreement__isnull=True).count() == 0
    assert Agreement.objects.exclude(request__status=Status.APPROVED).count() == 0
    unaccessed = NamedPerson.objects.filter(request__status=Status.APPROVED, access__isnull=True)
    assert unaccessed.count() == 0
    vetting = AccessRequest.objects.filter(status=Status.VETTING)
    assert vetting.filter(voting_round__isnull=True).count() == 0
    assert Vote.objects.exclude(round=F("request__voting_round")).count() == 0
    assert AccessRequest.objects.filter(status=Status.DRAFT, events__isnull=False).count() == 0


def test_every_mou_page_measured_has_its_files_stored_as_hashed(bench):
    agreement = Agreement.objects.get(request__reference=bench.mou)
    assert agreement.status == AgreementStatus.ACTIVE
    mous = list(MOUVersion.objects.filter(agreement=agreement))
    assert [m.version for m in mous] == [1, 2, 3]
    assert [stored_sha256(m.file) == m.sha256 for m in mous] == [True, True, True]


@override_settings(ROOT_URLCONF="requests_app.bench.urls")
def test_the_bare_pages_answer(client, bench):
    assert client.get("/ok").content == b"ok"
    rows = client.get("/rows")
    assert rows.status_code == 200
    assert rows.content.count(b"<tr>") == 51  # the header and 50 organizations


# The site with the bare pages mounted, as BENCH_PAGES mounts them (hmis_access/urls.py).
urlpatterns = [*site_urls.urlpatterns, path("bench/", include("requests_app.bench.urls"))]


@override_settings(ROOT_URLCONF=__name__)
def test_the_signed_in_bare_page_answers_only_once_signed_in(client, bench):
    before = client.get("/bench/signed-in")
    client.force_login(bench.staff)

    assert (before.status_code, before["Location"]) == (
        302,
        "/accounts/login/?next=/bench/signed-in",
    )
    assert client.get("/bench/signed-in").content == b"ok"


@override_settings(ROOT_URLCONF=__name__)
@pytest.mark.parametrize(
    ("url", "template", "rows"),
    [
        # The site's frame around an empty page.
        ("/bench/layout", "bench/layout.html", 0),
        # The same frame around /bench/rows's own table: its header and 50 organizations.
        ("/bench/layout-rows", "bench/layout_rows.html", 51),
    ],
)
def test_the_framed_bare_pages_are_the_sites_layout_for_the_person_signed_in(
    client, bench, url, template, rows
):
    before = client.get(url)
    client.force_login(bench.staff)
    page = client.get(url)

    assert (before.status_code, before["Location"]) == (302, f"/accounts/login/?next={url}")
    assert page.status_code == 200
    assert [t.name for t in page.templates[:3]] == [template, "base.html", "includes/nav.html"]
    assert page.content.count(b"<tr>") == rows
    # The header reads the person: the staff member's links and name.
    assert b'href="/queue/"' in page.content
    assert bench.staff.name.encode() in page.content


def test_every_page_measured_answers_its_reader(bench):
    sessions = {user.pk: run.session_key(user) for user in bench.readers}
    listed = run.pages(bench, run.client_for(bench.staff, sessions))
    measured = [p for p in listed if not p.name.startswith("bare")] + run.downloads(bench)
    answers = {
        page.name: run.probe(run.client_for(page.user, sessions), page.url)["status"]
        for page in measured
    }
    assert answers == {page.name: 200 for page in measured}
    assert len(answers) == 27
