"""Measuring the pages (docs/performance.md): gunicorn serves the application on the bench
database as the README deploys it, and wrk asks each page in turn, in interleaved rounds,
beside the bare pages (bench/views.py) served by the same process. Each page's queries, size
and status are read once in this process through Django's test client; the CSV exports are
timed as whole downloads. One table is printed and written as JSON (BENCH_OUTPUT)."""

import csv
import datetime
import http.client
import io
import json
import math
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

import environ
import psycopg2
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.core.management import call_command
from django.db import connection, reset_queries
from django.db.models import Count
from django.test import Client
from django.test.utils import CaptureQueriesContext

from requests_app.accounts import idle, mfa
from requests_app.bench.generate import MEASURED_CAN, SEARCH_TERM, SHORT_HISTORY
from requests_app.core import paging
from requests_app.core.states import AgreementStatus, Status
from requests_app.core.visibility import requests_seen_internally_by
from requests_app.models import (
    CAN,
    AccessRequest,
    Agreement,
    Event,
    Organization,
    ReadLogEntry,
    User,
)

BENCH_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/hmis_bench"
env = environ.Env()
# The row of the queue measured as its deep page: about as far as half the requests.
DEEP_ROW = 50_000
WARM_UP_SECONDS = 2
# A page is run long enough for a few of its requests to finish, up to gunicorn's own timeout
# (30 seconds by default: a worker busy longer is killed).
SLOWEST_SECONDS = 30
DOWNLOADS_EACH = 3
# Requests one at a time for a page's time alone.
ALONE_EACH = 7
# Flagged in the results: the bounds docs/performance.md names.
MAX_WORKER_BYTES = 200 * 1024 * 1024
# A fresh worker holds about 100 MB here: a page that grows one by more takes it past the bound.
MAX_GROWTH_BYTES = 100 * 1024 * 1024
MAX_RESPONSE_BYTES = 1024 * 1024
BARE_OK, BARE_SIGNED_IN, BARE_ROWS = "bare: ok", "bare: ok, signed in", "bare: 50 rows"
BARE_LAYOUT = "bare: the site's layout, signed in"
BARE_LAYOUT_ROWS = "bare: the site's layout around the 50 rows, signed in"


@dataclass
class Conditions:
    seconds: int
    rounds: int
    workers: int
    connections: int
    output: str

    @classmethod
    def from_environment(cls):
        return cls(
            seconds=env.int("BENCH_SECONDS", default=8),
            rounds=env.int("BENCH_ROUNDS", default=3),
            workers=env.int("BENCH_WORKERS", default=2),
            connections=env.int("BENCH_CONNECTIONS", default=2),
            output=env("BENCH_OUTPUT", default="docs/performance.json"),
        )


@dataclass
class Measured:
    """Who reads the pages measured, and the requests they read."""

    staff: User
    member: User
    leader: User
    requestor: User
    admin: User
    short: str  # a request in screening with a short history
    long: str  # the request with the longest history
    long_events: int
    long_reads: int
    mou: str  # an active MOU whose files are stored
    can: int

    @property
    def readers(self):
        """Everyone who reads a page measured."""
        return (self.staff, self.member, self.leader, self.requestor, self.admin)


def measured():
    """The people and requests the generator made to be measured (bench/generate.py), found
    by what they are rather than by number."""
    committee = User.objects.committee().filter(is_committee_chair=False)
    can = CAN.objects.get(slug=MEASURED_CAN)
    biggest = Organization.objects.annotate(n=Count("requests")).order_by("-n", "pk").first()
    longest = Event.objects.values("request").annotate(n=Count("pk")).order_by("-n").first()
    short = (
        AccessRequest.objects.filter(status=Status.SCREENING)
        .annotate(n=Count("events"))
        .filter(n=SHORT_HISTORY)
        .order_by("pk")
        .first()
    )
    # The generator renders the files of the oldest active MOU a staff member decided.
    mou = (
        Agreement.objects.filter(
            status=AgreementStatus.ACTIVE, request__decision__by_committee=False
        )
        .exclude(request__organization=biggest)
        .order_by("request_id")
        .select_related("request")
        .first()
    )
    long = AccessRequest.objects.get(pk=longest["request"]).reference
    return Measured(
        staff=User.objects.staff().order_by("pk").first(),
        member=committee.order_by("pk").first(),
        leader=can.leaders.order_by("pk").first(),
        requestor=User.objects.members_of(biggest).order_by("pk").first(),
        admin=User.objects.filter(is_staff=True, is_superuser=True).order_by("pk").first(),
        short=short.reference,
        long=long,
        long_events=longest["n"],
        long_reads=ReadLogEntry.objects.filter(reference=long).count(),
        mou=mou.request.reference,
        can=can.pk,
    )


@dataclass
class Page:
    name: str
    url: str
    user: User | None


# The dashboard's widest range: from before the data set's first event (it spans three years).
WIDEST_SINCE = "2020-01-01"


def pages(who, client):
    """Every page measured, the bare ones first. `client` finds the queue's deep page."""
    # The queue's default list: the open requests staff see.
    queue = requests_seen_internally_by(who.staff).filter(status__in=Status.OPEN)
    deep, deep_row = deep_page(client, "/queue/", DEEP_ROW, queue)
    return [
        Page(BARE_OK, "/bench/ok", None),
        Page(BARE_SIGNED_IN, "/bench/signed-in", who.staff),
        Page(BARE_ROWS, "/bench/rows", None),
        Page(BARE_LAYOUT, "/bench/layout", who.staff),
        Page(BARE_LAYOUT_ROWS, "/bench/layout-rows", who.staff),
        Page("/queue/ page 1", "/queue/", who.staff),
        Page(
            "/queue/ CAN filter and name search",
            f"/queue/?{urlencode({'can': who.can, 'q': SEARCH_TERM})}",
            who.staff,
        ),
        Page(f"/queue/ deep page, from row {deep_row:,}", deep, who.staff),
        Page("/queue/ flagged by a suggestion", "/queue/?flagged=true", who.staff),
        Page("staff request page, 14 events", f"/r/{who.short}/", who.staff),
        Page(f"staff request page, {who.long_events:,} events", f"/r/{who.long}/", who.staff),
        Page("/docket/", "/docket/", who.member),
        Page("/docket/?tab=past", "/docket/?tab=past", who.member),
        Page("/can/ as a CAN leader", "/can/", who.leader),
        Page("/notices/ as staff", "/notices/", who.staff),
        Page("/provisioning/", "/provisioning/", who.staff),
        Page("/register/ as staff", "/register/", who.staff),
        Page("/organization/register/ as a requestor", "/organization/register/", who.requestor),
        Page("/deprovisioning/", "/deprovisioning/", who.staff),
        Page("/requests/ as a requestor", "/requests/", who.requestor),
        Page("/organization/ as a requestor", "/organization/", who.requestor),
        Page("/failed-emails/", "/failed-emails/", who.staff),
        Page("/audit/ as an administrator", "/audit/", who.admin),
        Page(
            "/audit/ of one person's reads",
            f"/audit/?{urlencode({'person': who.staff.email})}",
            who.admin,
        ),
        Page(f"who read a request, {who.long_reads:,} reads", f"/r/{who.long}/reads/", who.staff),
        Page("the admin's list of events", "/admin/requests_app/event/", who.admin),
        Page("MOU page as staff", f"/r/{who.mou}/mou/", who.staff),
        Page("/dashboard/ as staff, the last 12 months", "/dashboard/", who.staff),
        Page(
            "/dashboard/ as staff, since the first event",
            f"/dashboard/?{urlencode({'since': WIDEST_SINCE})}",
            who.staff,
        ),
        Page("/dashboard/ as a CAN leader", "/dashboard/", who.leader),
    ]


def downloads(who):
    return [
        Page("queue CSV", "/queue/export.csv", who.staff),
        Page("provisioning CSV", "/provisioning/export.csv", who.staff),
    ]


# Signing in: a session of Django's own engine in the bench database, its cookie sent by wrk
# and the test client alike.


def session_key(user):
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    # Timed as a sign-in times it (requests_app/accounts/idle.py), with a limit no run reaches:
    # a page is measured, not the idle sign-out, however long the other pages take.
    session[idle.LIMIT] = 24 * 3600
    session[idle.LAST] = idle.now()
    # What signing in keeps for the two-factor rule (requests_app/accounts/mfa.py): the
    # deciding people generated have an authenticator app, so their pages are measured.
    session[mfa.SESSION_KEY] = mfa.second_factor_state(user)
    session.create()
    return session.session_key


def client_for(user, sessions):
    """A test client signed in as `user` (anonymous for None), over HTTPS as behind the proxy."""
    client = Client(HTTP_HOST="127.0.0.1")
    if user is not None:
        client.cookies[settings.SESSION_COOKIE_NAME] = sessions[user.pk]
    return client


def probe(client, url):
    """One request in this process: its status, size, queries and time."""
    reset_queries()  # the log keeps at most 9,000 queries: counted from empty each time
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        response = client.get(url, secure=True)
        body = b"".join(response.streaming_content) if response.streaming else response.content
        seconds = time.perf_counter() - started
    return {
        "status": response.status_code,
        "bytes": len(body),
        "queries": len(queries),
        "in_process_ms": round(seconds * 1000, 1),
        "body": body,
    }


# The queue's deep page, found from the page's own links.


class _Links(HTMLParser):
    """The links of a page (href, rel, text) and the rows of its tables' bodies."""

    def __init__(self):
        super().__init__()
        self.links, self.rows, self._link, self._depth = [], 0, None, 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and attrs.get("href"):
            self._link = {"href": attrs["href"], "rel": attrs.get("rel") or "", "text": ""}
        self._depth += tag == "tbody"
        self.rows += tag == "tr" and self._depth > 0

    def handle_endtag(self, tag):
        if tag == "a" and self._link:
            self.links.append(self._link)
            self._link = None
        self._depth -= tag == "tbody"

    def handle_data(self, data):
        if self._link:
            self._link["text"] += data


def _read(client, url):
    found = probe(client, url)
    if found["status"] != 200:
        raise RuntimeError(f"{url} answered {found['status']}")
    parser = _Links()
    parser.feed(found["body"].decode())
    return parser


def _next_link(links):
    for link in links:
        words = link["text"].strip().lower()
        if "next" in link["rel"].split() or words.startswith(("next", "older")):
            return link["href"]
    return None


def deep_page(client, url, row, rows):
    """The address of the page holding about `row`, and the row it starts at: by its number
    when the pagination numbers its pages (?page=N), else by a cursor to the row before it,
    signed as the page's own Next link is. `rows`: the list's rows, in any order (the
    cursor's ordering is read from the Next link)."""
    page = _read(client, url)
    following = _next_link(page.links)
    if following is None:
        return url, 1
    size = page.rows
    target = urljoin(url, following)
    query = dict(parse_qsl(urlsplit(target).query))
    if query.get("page", "").isdigit():
        query["page"] = str(math.ceil(row / size))
        return f"{urlsplit(target).path}?{urlencode(query)}", (int(query["page"]) - 1) * size + 1
    direction = next(d for d in paging.CURSOR if d in query)
    signature = paging.cursor_signature(query[direction])
    ordering = signature.split(",")
    start = min(row, rows.count())  # a smaller list: its last row
    if start < 2:
        return url, 1
    before = rows.order_by(*ordering).values_list(*(o.lstrip("-") for o in ordering))[start - 2]
    query[direction] = paging.cursor_token(signature, before, start - 1)
    return f"{urlsplit(target).path}?{urlencode(query)}", start


# The server.


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(workers, port, ready="/bench/ok", **environment):
    """gunicorn as the README's deployment runs it, with production's settings behind a proxy
    that terminates TLS (wrk and Lighthouse send X-Forwarded-Proto: https), and `environment`
    on top; returned once `ready` answers 200."""
    environment = {
        **os.environ,
        "DEBUG": "0",
        "CONN_MAX_AGE": "60",
        "TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
        "SECURE_PROXY_SSL_HEADER_ENABLED": "1",
        **environment,
    }
    command = [sys.executable, "-m", "gunicorn", "hmis_access.wsgi"]
    command += ["--workers", str(workers), "--bind", f"127.0.0.1:{port}"]
    command += ["--log-level", "warning"]
    server = subprocess.Popen(command, env=environment, cwd=settings.BASE_DIR)  # noqa: S603
    for _ in range(100):
        try:
            if get(port, ready)[0] == 200:
                return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise RuntimeError("gunicorn did not answer within 20 seconds.")


def _headers(cookie):
    headers = {"X-Forwarded-Proto": "https", "Host": "127.0.0.1"}
    if cookie:
        headers["Cookie"] = f"{settings.SESSION_COOKIE_NAME}={cookie}"
    return headers


def get(port, url, cookie=None):
    """One GET over HTTP, redirects not followed: (status, body, seconds)."""
    server = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    started = time.perf_counter()
    server.request("GET", url, headers=_headers(cookie))
    response = server.getresponse()
    body = response.read()
    seconds = time.perf_counter() - started
    server.close()
    return response.status, body, seconds


def workers_memory(server):
    """Each worker's resident memory now and at its peak, in bytes."""
    listed = subprocess.run(  # noqa: S603
        ["ps", "-o", "pid=,rss=", "--ppid", str(server.pid)],  # noqa: S607
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    found = []
    for pid, rss in zip(listed[::2], listed[1::2], strict=True):
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except FileNotFoundError:  # a worker gunicorn has just killed
            continue
        peak = re.search(r"VmHWM:\s+(\d+) kB", status)
        if peak is None:  # killed, and not yet reaped: it has no memory left
            continue
        peak = int(peak.group(1))
        found.append({"pid": int(pid), "rss_mb": int(rss) // 1024, "peak_mb": peak // 1024})
    return found


# wrk.


_UNITS = {"us": 0.001, "ms": 1, "s": 1000, "m": 60000}


def _ms(text):
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(number) * _UNITS[unit]


class Growth:
    """How much the workers grow while a page is measured: their resident memory, sampled
    every half second, against what each had before. Python keeps what memory it takes, so a
    worker grown large stays large; the page during which it grew is the one that made it."""

    def __init__(self, server):
        self.server = server
        self.before = {w["pid"]: w["rss_mb"] for w in workers_memory(server)}
        self.largest = dict(self.before)

    def sample(self):
        for w in workers_memory(self.server):
            self.largest[w["pid"]] = max(self.largest.get(w["pid"], 0), w["rss_mb"])

    def wait(self, seconds):
        for _ in range(int(seconds * 2)):
            self.sample()
            time.sleep(0.5)

    def grown_mb(self):
        # A worker started meanwhile (one killed at the timeout) started as small as any.
        fresh = min(self.before.values())
        return max(mb - self.before.get(pid, fresh) for pid, mb in self.largest.items())


def wrk(port, page_url, cookie, seconds, connections, growth):
    """One wrk run: requests per second, the 99th percentile in ms and what went wrong."""
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "60s", "--latency"]
    for name, value in _headers(cookie).items():
        command += ["-H", f"{name}: {value}"]
    command.append(f"http://127.0.0.1:{port}{page_url}")
    running = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)  # noqa: S603
    while running.poll() is None:
        growth.wait(0.5)
    out = running.communicate()[0]
    done = int(re.search(r"(\d+) requests in", out).group(1))
    p99 = re.search(r"^\s+99%\s+(\S+)\s*$", out, re.MULTILINE)  # the latency distribution
    # Answers other than 2xx and 3xx, and connections that broke (a worker killed at
    # gunicorn's timeout) or timed out.
    failed = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return {
        "req_s": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p99_ms": _ms(p99.group(1)) if done else None,
        "requests": done,
        "failed": (int(failed.group(1)) if failed else 0)
        + (sum(int(n) for n in errors.groups()) if errors else 0),
    }


# The run.


def main(say):
    conditions = Conditions.from_environment()
    if not settings.BENCH_PAGES:
        raise RuntimeError("Set BENCH_PAGES=1: the bare pages are measured beside the others.")
    if shutil.which("wrk") is None:
        raise RuntimeError("wrk is not installed (apt-get install wrk; `make bench` does).")
    call_command("collectstatic", interactive=False, verbosity=0)
    who = measured()
    sessions = {user.pk: session_key(user) for user in who.readers}
    listed = pages(who, client_for(who.staff, sessions))
    results = {page.name: {"page": page.name, "url": page.url} for page in listed}
    for page in listed:
        found = probe(client_for(page.user, sessions), page.url)
        found.pop("body")
        results[page.name].update(found)
        if found["status"] != 200:
            raise RuntimeError(f"{page.name} ({page.url}) answered {found['status']}, not 200.")
        say(f"  {page.name}: {found['queries']} queries, {found['bytes']:,} bytes")
    load_before = os.getloadavg()
    port = free_port()
    # The bare pages mounted beside the site's.
    server = serve(conditions.workers, port, BENCH_PAGES="1")
    try:
        started = {w["pid"] for w in workers_memory(server)}
        for page in listed:
            results[page.name]["served"] = served(port, page, sessions)
        rounds = _rounds(server, port, listed, sessions, results, conditions, say)
        _alone(port, listed, sessions, results, say)
        measured_downloads = [_download(port, page, sessions, say) for page in downloads(who)]
        memory = workers_memory(server)
    finally:
        server.terminate()
        server.wait()
    report = {
        "measured_at": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "commit": _commit(),
        "conditions": {
            **vars(conditions),
            "cpus": os.cpu_count(),
            "load_average_before": [round(n, 2) for n in load_before],
            "load_average_after": [round(n, 2) for n in os.getloadavg()],
            "database": connection.settings_dict["NAME"],
            "requests": AccessRequest.objects.count(),
            "events": Event.objects.count(),
        },
        "pages": _summarize(results, rounds),
        "downloads": measured_downloads,
        "workers": memory,
        "workers_replaced": len(started - {w["pid"] for w in memory}),
    }
    report["flags"] = flags(report)
    # The MOU's render is measured apart (`make bench-mou`): its results stay.
    if "mou" in (earlier := read_results(conditions.output)):
        report["mou"] = earlier["mou"]
    write_results(conditions.output, report)
    say(markdown(report))
    failed = failures(report)
    if failed:
        raise RuntimeError("Not every page was served: " + "; ".join(failed))


def served(port, page, sessions):
    """What gunicorn answers the page once, before anything is timed: its status, or "no
    answer" when the worker was killed at gunicorn's timeout."""
    try:
        return get(port, page.url, sessions.get(page.user.pk) if page.user else None)[0]
    except (http.client.HTTPException, OSError) as error:
        return f"no answer ({type(error).__name__})"


def _rounds(server, port, listed, sessions, results, conditions, say):
    """A warm-up of every page, then the rounds: each measures every page in turn, so a
    change in the machine's load falls on all of them alike. A page gunicorn did not serve is
    not measured: its row says why."""
    timed = [page for page in listed if results[page.name]["served"] == 200]
    if BARE_ROWS not in {page.name for page in timed}:
        raise RuntimeError("The bare 50-row page was not served: nothing can be compared.")
    measured_runs = {page.name: [] for page in listed}
    for page in listed:
        results[page.name].update(worker_mb=None, growth_mb=None)
    for number in range(conditions.rounds + 1):
        say("warm-up" if number == 0 else f"round {number} of {conditions.rounds}")
        for page in timed:
            # A page slower than the run would finish no request in it: run it longer.
            slowest = min(results[page.name]["in_process_ms"] / 1000, SLOWEST_SECONDS)
            seconds = WARM_UP_SECONDS if number == 0 else conditions.seconds
            seconds = max(seconds, math.ceil(3 * slowest))
            cookie = sessions.get(page.user.pk) if page.user else None
            growth = Growth(server)
            run = wrk(port, page.url, cookie, seconds, conditions.connections, growth)
            if slowest > 1:
                # Let the workers finish what wrk left unanswered before the next page.
                growth.wait(slowest)
            result = results[page.name]
            result["worker_mb"] = max(result["worker_mb"] or 0, *growth.largest.values())
            result["growth_mb"] = max(result["growth_mb"] or 0, growth.grown_mb())
            if number:
                measured_runs[page.name].append(run)
                failed = f", {run['failed']} failed" if run["failed"] else ""
                say(f"  {page.name}: {run['req_s']:.1f} req/s{failed}")
    return measured_runs


def _alone(port, listed, sessions, results, say):
    """How long each page takes to render with nothing else asked of the server: the median
    of ALONE_EACH requests one after another, after the rounds (the workers warm)."""
    for page in listed:
        result = results[page.name]
        result["alone_ms"] = None
        if result["served"] != 200:
            continue
        cookie = sessions.get(page.user.pk) if page.user else None
        times = [get(port, page.url, cookie)[2] for _ in range(ALONE_EACH)]
        result["alone_ms"] = round(statistics.median(times) * 1000, 1)
        say(f"  {page.name}: {result['alone_ms']} ms alone")


def _download(port, page, sessions, say):
    """A CSV export as whole downloads from gunicorn (seconds each), and once in this process
    for its rows and queries."""
    timed, failed = [], []
    for _ in range(DOWNLOADS_EACH):
        try:
            status, _, seconds = get(port, page.url, sessions[page.user.pk])
        except (http.client.HTTPException, OSError) as error:
            # A worker killed at gunicorn's timeout mid-download: the file ends early.
            failed.append(f"no whole answer ({type(error).__name__})")
            continue
        if status == 200:
            timed.append(seconds)
        else:
            failed.append(f"answered {status}")
    found = probe(client_for(page.user, sessions), page.url)
    rows = sum(1 for _ in csv.reader(io.StringIO(found["body"].decode()))) - 1  # the header
    seconds = round(statistics.median(timed), 2) if timed else None
    say(f"  {page.name}: {seconds} s, {rows:,} rows{'; ' if failed else ''}{'; '.join(failed)}")
    return {
        "page": page.name,
        "url": page.url,
        "seconds": seconds,
        "downloads": [round(s, 2) for s in timed],
        "rows": rows,
        "queries": found["queries"],
        "bytes": found["bytes"],
        "in_process_ms": found["in_process_ms"],
        "failed": "; ".join(failed),
    }


def _summarize(results, runs):
    """Each page's medians over the rounds, and its rate as a share of the bare 50-row page's;
    None for a page that was not served."""
    bare = statistics.median(r["req_s"] for r in runs[BARE_ROWS])
    rows = []
    for name, result in results.items():
        rate = statistics.median(r["req_s"] for r in runs[name]) if runs[name] else None
        p99s = [r["p99_ms"] for r in runs[name] if r["p99_ms"] is not None]
        rows.append(
            {
                **result,
                "req_s": None if rate is None else round(rate, 1),
                "p99_ms": round(statistics.median(p99s), 1) if p99s else None,
                "ratio": None if rate is None else round(rate / bare, 3),
                "failed": sum(r["failed"] for r in runs[name]),
                "rounds": runs[name],
            }
        )
    return rows


def failures(report):
    """The pages and downloads gunicorn did not serve, or not every time."""
    found = [
        f"{row['page']}: {row['served']}"
        if row["served"] != 200
        else f"{row['page']}: {row['failed']} requests failed"
        for row in report["pages"]
        if row["served"] != 200 or row["failed"]
    ]
    found += [f"{row['page']}: {row['failed']}" for row in report["downloads"] if row["failed"]]
    return found


def flags(report):
    """What passes the bounds docs/performance.md names: a worker's memory, a response's size."""
    found = [
        f"worker {w['pid']}: {w['rss_mb']} MB resident ({w['peak_mb']} MB at its peak)"
        for w in report["workers"]
        if max(w["rss_mb"], w["peak_mb"]) * 1024 * 1024 > MAX_WORKER_BYTES
    ]
    found += [
        f"{row['page']}: a worker grew by {row['growth_mb']} MB while it was measured"
        for row in report["pages"]
        if (row["growth_mb"] or 0) * 1024 * 1024 > MAX_GROWTH_BYTES
    ]
    found += [
        f"{row['page']}: {row['bytes']:,} bytes"
        for row in report["pages"]
        if row["bytes"] > MAX_RESPONSE_BYTES
    ]
    if report["workers_replaced"]:
        found.append(
            f"gunicorn replaced {report['workers_replaced']} workers killed at its timeout"
        )
    return found + failures(report)


def _commit():
    """The commit measured, and whether the working tree differs from it."""
    git = ["git", "-C", str(settings.BASE_DIR)]
    try:
        head = subprocess.run(  # noqa: S603
            [*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
        changed = subprocess.run(  # noqa: S603
            [*git, "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""
    return f"{head} with changes" if changed else head


# The results: JSON, and the Markdown table docs/performance.md keeps.


def read_results(path=None):
    """The results at `path` (BENCH_OUTPUT by default), empty when there are none yet."""
    target = settings.BASE_DIR / (path or Conditions.from_environment().output)
    return json.loads(target.read_text()) if target.exists() else {}


def write_results(path, report):
    (settings.BASE_DIR / path).write_text(json.dumps(report, indent=1) + "\n")


def _cell(value, digits=1):
    if value is None:
        return "none"
    return f"{value:,.{digits}f}" if isinstance(value, float) else f"{value:,}"


def _memory(row):
    if row["worker_mb"] is None:
        return "none"
    return f"{row['worker_mb']} (+{row['growth_mb']})"


def markdown(report):
    if "pages" not in report:
        return "\n".join(mou_lines(report["mou"])) if "mou" in report else "No results yet."
    conditions = report["conditions"]
    lines = [
        f"Measured {report['measured_at']} at {report['commit'] or 'an unknown commit'}: "
        f"{conditions['requests']:,} requests, {conditions['events']:,} events; gunicorn "
        f"with {conditions['workers']} workers, wrk with {conditions['connections']} "
        f"connections, {conditions['rounds']} rounds of {conditions['seconds']} s, medians; "
        f"{conditions['cpus']} CPUs, load average {conditions['load_average_before'][0]} "
        f"before and {conditions['load_average_after'][0]} after.",
        "",
        "| page | req/s | p99 ms | alone ms | ratio to bare | queries | bytes | "
        "worker MB (growth) |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for row in report["pages"]:
        rate = _cell(row["req_s"]) if row["served"] == 200 else f"not served: {row['served']}"
        if row["failed"]:
            rate += f" ({row['failed']} failed)"
        lines.append(
            f"| {row['page']} | {rate} | {_cell(row['p99_ms'])} | "
            f"{_cell(row.get('alone_ms'))} | "
            f"{_cell(row['ratio'], 3)} | {row['queries']} | {row['bytes']:,} | "
            f"{_memory(row)} |"
        )
    lines += [
        "",
        "| download | seconds (median; each) | rows | queries | bytes |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for row in report["downloads"]:
        each = ", ".join(f"{s:.2f}" for s in row["downloads"])
        seconds = f"{row['seconds']:.2f} ({each})" if row["downloads"] else "none"
        seconds += f"; {row['failed']}" if row["failed"] else ""
        lines.append(
            f"| {row['page']} | {seconds} | {row['rows']:,} | {row['queries']} | {row['bytes']:,} |"
        )
    workers = ", ".join(f"{w['rss_mb']} MB (peak {w['peak_mb']} MB)" for w in report["workers"])
    lines += ["", f"Workers' resident memory after the rounds: {workers}."]
    if report["flags"]:
        lines += ["", "Flagged:", *(f"- {flag}" for flag in report["flags"])]
    if "mou" in report:
        lines += ["", *mou_lines(report["mou"])]
    return "\n".join(lines)


def mou_lines(found):
    return [
        f"MOU render ({found['pages']} pages, median of {found['runs']} runs):",
        "",
        "| render | ms | ratio (the MOU / this) |",
        "| --- | ---: | ---: |",
        f"| the MOU (render_pdf) | {found['mou_ms']:.0f} | 1 |",
        f"| of which its context and HTML (queries, template), before layout | "
        f"{found['html_ms']:.0f} | |",
        f"| plain document, same pages | {found['plain_ms']:.0f} | "
        f"{found['mou_ms'] / found['plain_ms']:.2f} |",
        f"| the MOU's HTML without its stylesheet | {found['bare_ms']:.0f} | "
        f"{found['mou_ms'] / found['bare_ms']:.2f} |",
    ]


def recreate_database(settings_dict):
    """Drop the bench database and create it empty, from the server's maintenance database."""
    server = psycopg2.connect(
        dbname="postgres",
        user=settings_dict["USER"],
        password=settings_dict["PASSWORD"],
        host=settings_dict["HOST"],
        port=settings_dict["PORT"],
    )
    server.autocommit = True
    name = connection.ops.quote_name(settings_dict["NAME"])
    with server.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        cursor.execute(f"CREATE DATABASE {name}")
    server.close()
