"""The README's first command, as a newcomer runs it: `make run PORT=8123` in a fresh copy of
the project, with nothing exported (but EMAIL_URL, so that its e-mails land in files to read),
serves on port 8123 and its e-mails link to port 8123; a second `make run` skips what the first
did and starts serving within seconds. (The demo's output on the console backend, logins and
one line for the e-mails: tests/core/test_dev_setup.py.)

The copy leaves out the venv, the database and any .env, as a clean clone has none: make uses
this test's own venv (VENV, its stamp taken as up to date with -o) and a SQLite file in the
copy. The environment is a bare one, so no DATABASE_URL, DEBUG or SECRET_KEY of the suite's
reaches the server."""

import contextlib
import http.cookiejar
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings

from requests_app.management.commands.demo import EMAILS_QUEUED, PASSWORD, PEOPLE

PORT = 8123
SITE = f"http://127.0.0.1:{PORT}"
# What a clean clone lacks: made by installing, by `make run` or by the tests.
NOT_IN_A_CLONE = shutil.ignore_patterns(
    ".git",
    ".venv",
    ".env",
    "db.sqlite3*",
    "var",
    "staticfiles",
    "__pycache__",
    ".pytest_cache",
    ".ruff_cache",
    "test-results",
    "node_modules",
)
# Printed by the steps a second run must skip.
SLOW_STEPS = ["Running migrations", "Applying ", "Demo data loaded", "static files copied"]


class Server:
    """`make run` in a process group of its own, its output in a file."""

    def __init__(self, checkout, name):
        self.output = checkout / f"{name}.log"
        venv = Path(sys.prefix)
        command = ["make", "-o", str(venv / ".installed"), "run", f"VENV={venv}"]
        command += [f"PORT={PORT}", f"PYTHON={sys.executable}"]
        # Its e-mails go to files in the copy (EMAIL_URL), where this test reads their links.
        environment = {
            "PATH": os.environ["PATH"],
            "HOME": str(checkout),
            "LANG": "C.UTF-8",
            "EMAIL_URL": f"filemail:///{checkout / 'sent-mail'}",
        }
        self.started = time.monotonic()
        with self.output.open("w") as out:
            self.process = subprocess.Popen(  # noqa: S603 - make, our Makefile, our venv
                command,
                cwd=checkout,
                env=environment,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def text(self):
        return self.output.read_text()

    def wait_until_serving(self, timeout):
        """Seconds from start until the sign-in page answers."""
        while time.monotonic() - self.started < timeout:
            assert self.process.poll() is None, f"make run ended:\n{self.text()}"
            try:
                Browser().get("/accounts/login/", timeout=2)
                return time.monotonic() - self.started
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.2)
        pytest.fail(f"Nothing served on {PORT} after {timeout} s:\n{self.text()}")

    def stop(self):
        """Ctrl-C, as a developer stops it: SIGINT to the whole group (make, runserver and its
        reloader's child); whatever is left after a while is killed, freeing the port."""
        os.killpg(self.process.pid, signal.SIGINT)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=15)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=15)


class Forms(HTMLParser):
    """The fields of each form of a page by the form's action, hidden ones (the CSRF token,
    the version seen) too."""

    def __init__(self, html):
        super().__init__()
        self.forms = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append((attrs.get("action") or "", {}))
        elif tag in {"input", "textarea"} and self.forms and attrs.get("name"):
            self.forms[-1][1][attrs["name"]] = attrs.get("value") or ""


class Browser:
    """A visitor with cookies, as the development server sees one."""

    def __init__(self):
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )

    def get(self, path, timeout=30):
        with self.opener.open(f"{SITE}{path}", timeout=timeout) as response:
            return response.read().decode()

    def submit(self, path, **fields):
        """Fill in the page's form that posts to the page itself and send it, as a person
        would (the navigation's sign-out form posts elsewhere)."""
        [form] = [form for action, form in Forms(self.get(path)).forms if action in {"", path}]
        data = urllib.parse.urlencode({**form, **fields}).encode()
        with self.opener.open(f"{SITE}{path}", data=data, timeout=30) as response:
            return response.read().decode()


def sent_mail(checkout):
    """Everything the file e-mail backend wrote, every message with its headers."""
    return "".join(path.read_text() for path in sorted((checkout / "sent-mail").glob("*")))


def port_is_free():
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", PORT)) != 0


@pytest.fixture(scope="module")
def checkout(tmp_path_factory):
    assert port_is_free(), f"Port {PORT} is taken: this test serves on it."
    copy = tmp_path_factory.mktemp("first_hour") / "hmis-access"
    shutil.copytree(settings.BASE_DIR, copy, ignore=NOT_IN_A_CLONE)
    return copy


def test_make_run_serves_on_the_port_chosen_and_a_second_run_skips_what_was_done(checkout):
    first = Server(checkout, "first")
    try:
        seconds = first.wait_until_serving(timeout=300)
        print(f"First make run served after {seconds:.1f} s")
        # Its pages get their CSS and JS without collectstatic.
        visitor = Browser()
        assets = re.findall(r'"(/static/[^"]+)"', visitor.get("/accounts/login/"))
        assert [path for path in assets if not visitor.get(path)] == []
        assert len(assets) >= 2
        # An address confirmed through the running server: allauth's link names the port, and
        # SITE_URL's scheme (http), not https.
        visitor.submit(
            "/accounts/signup/",
            name="Dana Analyst",
            email="dana@clinic.example.org",
            password1=PASSWORD,
            password2=PASSWORD,
        )
        deadline = time.monotonic() + 30
        while "/accounts/confirm-email/" not in sent_mail(checkout):
            assert time.monotonic() < deadline, "No confirmation e-mail was sent."
            time.sleep(0.2)
    finally:
        first.stop()

    mails = sent_mail(checkout)
    assert re.findall(r"\w+://[^/\s]+/accounts/confirm-email/", mails) == [
        f"{SITE}/accounts/confirm-email/"
    ]
    # The demo's e-mails (notices) link to the site by SITE_URL, which follows PORT.
    assert mails.count("Subject: ") > 1
    assert set(re.findall(r"\w+://(?:127\.0\.0\.1|localhost)[:\d]*", mails)) == {SITE}

    output = first.text()
    setup = output.split("manage.py runserver")[0]
    # The demo: every login, and one line for its e-mails instead of the e-mails themselves.
    for email, _, _, role in PEOPLE:
        assert f"  {email:<24} {PASSWORD}   {role}" in setup
    counts = re.findall(re.escape(EMAILS_QUEUED).replace(r"\{\}", r"(\d+)"), setup)
    assert len(counts) == 1, setup
    # One count for the e-mails (each of which has a subject), the sign-up confirmation apart.
    assert int(counts[0]) == mails.count("Subject: ") - 1
    # No collectstatic in development: the pages got their CSS from the apps, as seen above.
    assert "collectstatic" not in output
    assert not (checkout / "staticfiles").exists()
    # The development .env make run wrote: every manage.py command now works without exporting
    # anything. The demo refuses to run with DEBUG off, so this one shows DEBUG is on.
    dotenv = (checkout / ".env").read_text()
    assert re.fullmatch(r"DEBUG=1\nSECRET_KEY=[\w-]{50,}\n", dotenv), dotenv
    by_hand = subprocess.run(
        [sys.executable, "manage.py", "demo"],
        cwd=checkout,
        env={"PATH": os.environ["PATH"], "HOME": str(checkout), "LANG": "C.UTF-8"},
        capture_output=True,
        text=True,
    )
    assert by_hand.returncode == 0, by_hand.stderr
    assert "Demo data loaded." in by_hand.stdout

    second = Server(checkout, "second")
    try:
        seconds = second.wait_until_serving(timeout=120)
        print(f"Second make run served after {seconds:.1f} s")
    finally:
        second.stop()
    again = second.text()
    assert [
        step for step in [*SLOW_STEPS, "collectstatic", "The demo queued"] if step in again
    ] == []
    assert "The demo data is already loaded" in again
    for email, _, _, role in PEOPLE:
        assert f"  {email:<24} {PASSWORD}   {role}" in again
    assert (checkout / ".env").read_text() == dotenv


def test_the_development_env_file_is_never_committed():
    ignored = (Path(settings.BASE_DIR) / ".gitignore").read_text().splitlines()
    assert ".env" in ignored


def test_the_quick_start_has_two_commands_and_says_how_to_choose_the_port():
    readme = (Path(settings.BASE_DIR) / "README.md").read_text()
    quick_start = readme.split("## Quick start\n", 1)[1].split("\n## ", 1)[0]
    commands = [line.split("#")[0].strip() for line in quick_start.splitlines()]
    assert [command for command in commands if command.startswith("make")] == [
        "make run",
        "make test",
    ]
    prose = " ".join(quick_start.split())
    assert f"`make run PORT={PORT}` serves http://127.0.0.1:{PORT}" in prose


def settings_in_a_new_process(**environment):
    script = "from hmis_access import settings as s; print(s.DEBUG, s.SECRET_KEY)"
    return subprocess.run(  # noqa: S603 - our own interpreter and settings
        [sys.executable, "-c", script],
        cwd=settings.BASE_DIR,
        env={"PATH": os.environ["PATH"], **environment},
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()


def test_a_developers_env_file_changes_nothing_the_suite_tests(tmp_path):
    dotenv = tmp_path / ".env"
    dotenv.write_text("DEBUG=1\nSECRET_KEY=from-the-developers-env-file\n")
    # Read by every manage.py command...
    assert settings_in_a_new_process(ENV_FILE=str(dotenv)) == [
        "True",
        "from-the-developers-env-file",
    ]
    # ...but not by the suite, whose processes have ENV_FILE empty (tests/support/no_dotenv.py).
    assert os.environ["ENV_FILE"] == ""
    assert settings_in_a_new_process(ENV_FILE="", SECRET_KEY="x") == ["False", "x"]
