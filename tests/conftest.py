"""Fixtures shared by every test. What they are built from (the personas, the journey through
the workflow, the factories) lives in tests/support, which test modules import."""

import shutil
from pathlib import Path

import pytest
import weasyprint
from django.conf import settings
from django.core.cache import cache
from django.test import override_settings

from requests_app.core import tasks_backend
from tests.support.journey import Journey, Stage
from tests.support.pdf import cheap_write_pdf, weasyprint_write_pdf
from tests.support.personas import load_catalogue, make_personas

pytest_plugins = ["tests.support.ci_plugin", "tests.support.wall_clock"]


@pytest.fixture(scope="session", autouse=True)
def _served_over_plain_http():
    """Tests reach the site over plain http (the test client, the live server), so production's
    HTTPS redirect and secure-only cookies are off; `check --deploy` tests production's values.
    Session-wide, because the live server builds its middleware once. The manifest storage
    needs collectstatic, so tests serve static files straight from the apps."""
    with override_settings(
        # Hashing with the production hasher costs a second per test user; MD5 is for tests only.
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        # Each process's memory, cleared before every test (_fresh_cache) without a database:
        # the database cache's rows would outlive the flush that ends a live-server test. The
        # lockout tests use the database cache itself (tests/accounts/test_lockout.py).
        CACHES={"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}},
        SECURE_SSL_REDIRECT=False,
        SESSION_COOKIE_SECURE=False,
        CSRF_COOKIE_SECURE=False,
        STORAGES={
            **settings.STORAGES,
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        },
    ):
        yield


@pytest.fixture(scope="session", autouse=True)
def _private_files_of_this_run(tmp_path_factory):
    """Stored files (MOU versions, attachments) go to a directory of this run's own, not the
    project's var/private, so no run, and no parallel worker, finds another's files. Tests that
    look at the files set a directory of their own on top of this."""
    with override_settings(PRIVATE_FILES_ROOT=tmp_path_factory.mktemp("private")):
        yield


@pytest.fixture(autouse=True)
def _fresh_cache():
    """allauth counts sign-ups, confirmation mails and failed logins in the cache: one test's
    attempts must not rate-limit the next test."""
    cache.clear()


@pytest.fixture(autouse=True)
def _no_request_left_open():
    """A streamed answer (a CSV, a file) that a test never reads to its end nor closes never
    ends its request, and the tasks queued since would wait for that end forever
    (core/tasks_backend.py): a later test in the same process would find its MOU never
    rendered. Each test starts outside any request, as each web request does."""
    yield
    tasks_backend._waiting.tasks = None


@pytest.fixture(scope="session", autouse=True)
def _blank_pdfs():
    """Laying out an MOU with WeasyPrint takes a tenth of a second or more (the first one in a
    process much longer), an agreement's journey renders several, and most tests never read the
    PDF. So WeasyPrint's render call gives a blank one-page PDF instead (tests/support/pdf.py);
    everything around it (the template and its context, storing, hashing, versions,
    signatures) runs for real. Session-wide, so data staged once per module renders cheaply
    too."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(weasyprint.HTML, "write_pdf", cheap_write_pdf)
        yield


@pytest.fixture(autouse=True)
def _real_pdfs_where_read(request, monkeypatch):
    """A test marked `pdf` reads what a PDF says: WeasyPrint renders it for real. The drafts
    kept by the hash of what they show (requests_app/agreement/mou.py) are dropped before and
    after it, so it never reads a blank one kept by another test, nor leaves a real one."""
    if request.node.get_closest_marker("pdf") is None:
        yield
        return
    monkeypatch.setattr(weasyprint.HTML, "write_pdf", weasyprint_write_pdf)
    drafts = Path(settings.PRIVATE_FILES_ROOT) / "drafts"
    shutil.rmtree(drafts, ignore_errors=True)
    yield
    shutil.rmtree(drafts, ignore_errors=True)


@pytest.fixture(autouse=True)
def _tasks_inside_requests_for_the_browser(request):
    """Tests run tasks as development does: after the response of the request that queued
    them (requests_app/core/tasks_backend.py), which the test client's requests wait for. A
    browser does not: it follows the redirect while the task still runs. So browser journeys
    run each task inside its request, and read the MOU and e-mails it made as soon as the next
    page shows."""
    if request.node.get_closest_marker("e2e") is not None:
        request.getfixturevalue("settings").TASKS = {
            "default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}
        }


@pytest.fixture
def catalogue(db):
    """The CANs and the criteria of policy v1.0, from the project's fixtures."""
    load_catalogue()


@pytest.fixture
def personas(catalogue):
    return make_personas()


@pytest.fixture
def journey(personas):
    return Journey(personas)


@pytest.fixture
def stage(journey, django_capture_on_commit_callbacks):
    """An approval's agreement in each of its statuses (tests/support/journey.py)."""
    return Stage(journey, django_capture_on_commit_callbacks)
