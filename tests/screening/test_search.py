"""The queue's search on both databases the site runs on: PostgreSQL through its trigram indexes
(migration 0013), SQLite (development) by reading every row, with the same answers."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from requests_app.models import AccessRequest
from requests_app.screening.filters import QueueFilter
from tests.support.plans import plan
from tests.support.searches import SEARCHES, stage

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
def test_the_search_on_postgresql():
    found = stage()

    assert {term: found(term) for term in SEARCHES} == SEARCHES


@pytest.mark.django_db
def test_postgresql_searches_every_column_through_its_trigram_index(personas):
    stage()
    search = QueueFilter({"q": "reyes"}, queryset=AccessRequest.objects.all(), user=personas.sam)
    # Walking a whole b-tree is cheaper with three rows too: forbidden as well, so the plan
    # shows whether an index fits the expression searched (a bitmap scan needs a condition its
    # index answers; production's row counts would choose it anyway).
    planned = plan(search.qs, forbidden=("seqscan", "indexscan", "indexonlyscan"))

    assert sorted(set(re.findall(r"requests_app_\w+_trgm", planned))) == [
        "requests_app_accessrequest_reference_trgm",
        "requests_app_namedperson_email_trgm",
        "requests_app_namedperson_name_trgm",
        "requests_app_organization_name_trgm",
    ]


def test_the_search_on_sqlite(tmp_path):
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'search.sqlite3'}",
        "DJANGO_SETTINGS_MODULE": "hmis_access.settings",
        "SECRET_KEY": "test-only-not-secret",
    }
    answered = subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "tests.support.searches", json.dumps(list(SEARCHES))],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )

    assert json.loads(answered.stdout.splitlines()[-1]) == SEARCHES
