"""Lighthouse's accessibility and best-practices audits on the pages people meet first
(docs/accessibility.md): `make lighthouse` runs it on a database of its own. The demo data is
loaded, gunicorn serves the site with production's settings (DEBUG off, the collected static
files), each page is opened by Lighthouse (from npm, package.json) in Debian's Chromium with the
session cookie of the person it is for, and the command fails unless every score is 100."""

import io
import json
import logging
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import environ
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from requests_app.bench.run import free_port, get, recreate_database, serve, session_key
from requests_app.core.states import Status
from requests_app.models import AccessRequest, User

env = environ.Env()
LIGHTHOUSE_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/hmis_lighthouse"
CATEGORIES = ("accessibility", "best-practices")
LIGHTHOUSE = Path(settings.BASE_DIR) / "node_modules" / ".bin" / "lighthouse"
# Debian's Chromium, as the browser tests use (tests/support/browser.py): never a downloaded one.
CHROME_FLAGS = (
    "--headless --no-sandbox --disable-gpu --disable-background-networking "
    "--disable-component-update --no-first-run --disable-sync"
)
# One page's audits take about 10 seconds; a minute means the browser or the site is stuck.
PAGE_TIMEOUT_SECONDS = 120


@dataclass
class Page:
    name: str
    url: str
    user: User | None


def pages():
    """The login, a requestor's list, an application step, the queue and a request page, for
    the people who see them, from the demo's data."""
    draft = AccessRequest.objects.filter(status=Status.DRAFT).order_by("pk").first()
    screening = AccessRequest.objects.filter(status=Status.SCREENING).order_by("pk").first()
    staff = User.objects.filter(is_cceh_staff=True, is_active=True).order_by("pk").first()
    if draft is None or screening is None or staff is None:
        raise CommandError("The demo data has no draft, no request in screening or no staff.")
    requestor = draft.created_by
    return [
        Page("Sign in", "/accounts/login/", None),
        Page("My requests", "/requests/", requestor),
        Page("Application step 2", f"/r/{draft.reference}/apply/people", requestor),
        Page("Queue", "/queue/", staff),
        Page("Request (staff)", screening.get_absolute_url(), staff),
        # Its own organization's applicant: each demo request is another organization's.
        Page("Request (requestor)", screening.get_absolute_url(), screening.created_by),
    ]


def audit(port, page, cookie):
    headers = {"X-Forwarded-Proto": "https"}
    if cookie:
        headers["Cookie"] = f"{settings.SESSION_COOKIE_NAME}={cookie}"
    command = [
        str(LIGHTHOUSE),
        f"http://127.0.0.1:{port}{page.url}",
        f"--only-categories={','.join(CATEGORIES)}",
        f"--chrome-flags={CHROME_FLAGS}",
        f"--extra-headers={json.dumps(headers)}",
        "--output=json",
        "--output-path=stdout",
        "--quiet",
    ]
    environment = {**os.environ, "CHROME_PATH": os.environ.get("CHROME_PATH", "/usr/bin/chromium")}
    done = subprocess.run(  # noqa: S603
        command,
        env=environment,
        capture_output=True,
        text=True,
        timeout=PAGE_TIMEOUT_SECONDS,
        check=False,
    )
    if done.returncode != 0:
        raise CommandError(f"Lighthouse failed on {page.url}:\n{done.stderr}")
    report = json.loads(done.stdout)
    # A session the site did not accept would audit the sign-in page it redirects to instead.
    if urlsplit(report["finalDisplayedUrl"]).path != page.url:
        raise CommandError(f"{page.url} led to {report['finalDisplayedUrl']}, not the page.")
    return report


def failures(report):
    """Each audit of the two categories that lost points: its id, title and the elements."""
    found = []
    for category in CATEGORIES:
        for ref in report["categories"][category]["auditRefs"]:
            result = report["audits"][ref["id"]]
            if ref["weight"] and result["score"] is not None and result["score"] < 1:
                items = (result.get("details") or {}).get("items") or []
                where = [
                    (item.get("node") or {}).get("snippet") or item.get("url") or str(item)
                    for item in items
                ]
                found.append(f"{ref['id']}: {result['title']} {where}")
    return found


class Command(BaseCommand):
    help = "Run Lighthouse's accessibility and best-practices audits; fail unless all are 100."

    def handle(self, *args, **options):
        self._fresh_database()
        call_command("migrate", interactive=False, verbosity=0)
        # The demo's e-mails go nowhere (EMAIL_URL in the Makefile); nor do their tasks' logs.
        logging.getLogger("django_tasks").setLevel(logging.WARNING)
        call_command("demo", allow_production=True, stdout=io.StringIO())
        call_command("collectstatic", interactive=False, verbosity=0)
        listed = pages()
        cookies = {page.user.pk: session_key(page.user) for page in listed if page.user}
        self.stdout.write(f"Auditing {len(listed)} pages, about 15 seconds each.")
        port = free_port()
        try:
            server = serve(2, port, ready="/healthz")
        except RuntimeError as error:
            raise CommandError(str(error)) from None
        rows, problems = [], []
        try:
            for page in listed:
                cookie = cookies[page.user.pk] if page.user else None
                status = get(port, page.url, cookie)[0]
                if status != 200:
                    raise CommandError(f"{page.url} answered {status} to {page.user}.")
                report = audit(port, page, cookie)
                scores = [round(report["categories"][c]["score"] * 100) for c in CATEGORIES]
                rows.append((page.name, page.url, *scores))
                problems += [f"{page.name}: {failure}" for failure in failures(report)]
        finally:
            server.terminate()
            server.wait()
        self._table(rows)
        if problems or any(score != 100 for row in rows for score in row[2:]):
            raise CommandError("Lighthouse scored under 100:\n" + "\n".join(problems))

    def _fresh_database(self):
        """Dropped and created each run, so every run audits the same pages: never any database
        but the one LIGHTHOUSE_DATABASE_URL names (`make lighthouse` sets DATABASE_URL to it)."""
        wanted = env.db_url("LIGHTHOUSE_DATABASE_URL", default=LIGHTHOUSE_DATABASE_URL)
        current = connection.settings_dict
        if any(wanted[key] != current[key] for key in ("ENGINE", "NAME", "HOST", "PORT")):
            raise CommandError(
                f"DATABASE_URL must name the Lighthouse database {wanted['NAME']} "
                "(LIGHTHOUSE_DATABASE_URL); `make lighthouse` sets it."
            )
        if not LIGHTHOUSE.exists():
            raise CommandError("Lighthouse is not installed: run `make lighthouse` (npm ci).")
        connection.close()
        recreate_database(current)

    def _table(self, rows):
        self.stdout.write(f"{'Page':<22} {'Accessibility':>13} {'Best practices':>14}  URL")
        for name, url, accessibility, practices in rows:
            self.stdout.write(f"{name:<22} {accessibility:>13} {practices:>14}  {url}")
