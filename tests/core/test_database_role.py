"""How the application reaches its database and its mail server. On PostgreSQL it connects as a
role that cannot switch off the triggers keeping the history append-only (that those triggers
refuse raw UPDATE and DELETE on this same connection, tests/core/test_models.py asserts), and every
statement has a time limit; an SMTP server that never answers cannot hold a worker either."""

import os
import runpy
import socket
import threading
import time
from pathlib import Path
from smtplib import SMTPServerDisconnected

import pytest
from django.core.mail.backends.smtp import EmailBackend
from django.db import DatabaseError, connection, transaction
from django.test import override_settings

SETTINGS = Path(__file__).resolve().parents[2] / "hmis_access" / "settings.py"

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="Roles and statement_timeout are PostgreSQL's."
)


def fresh_settings(monkeypatch, **env):
    """The settings module evaluated anew with only `env` among the variables read here."""
    for name in (
        "DEBUG",
        "EMAIL_URL",
        "EMAIL_TIMEOUT",
        "DATABASE_STATEMENT_TIMEOUT_MS",
        "DATABASE_JIT",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SECRET_KEY", "test-only-not-secret")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(SETTINGS))


def is_superuser():
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        return cursor.fetchone()[0]


@postgres_only
@pytest.mark.django_db
def test_the_application_cannot_switch_the_append_only_triggers_off():
    # A superuser's session can set session_replication_role to replica, under which ordinary
    # triggers do not fire; only a role that is not a superuser is refused.
    if is_superuser() and not os.environ.get("CI"):
        pytest.skip(
            "Connected as a superuser, which can switch the triggers off; CI and production "
            "connect as a role that is not one (README, Running on PostgreSQL)."
        )
    assert is_superuser() is False
    with connection.cursor() as cursor:
        cursor.execute("SHOW session_replication_role")
        assert cursor.fetchone() == ("origin",)
    with (
        pytest.raises(DatabaseError, match='permission denied to set parameter "session_rep'),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("SET session_replication_role = replica")


@postgres_only
@pytest.mark.django_db
def test_the_statement_timeout_is_in_force_on_the_applications_connection(settings):
    with connection.cursor() as cursor:
        cursor.execute("SELECT setting, unit FROM pg_settings WHERE name = 'statement_timeout'")
        assert cursor.fetchone() == (str(settings.DATABASE_STATEMENT_TIMEOUT_MS), "ms")


@postgres_only
@pytest.mark.django_db
def test_no_query_of_the_application_waits_for_jit_compiling():
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone() == ("off",)


def test_by_default_statements_and_mail_have_a_time_limit(monkeypatch):
    values = fresh_settings(monkeypatch, DATABASE_URL="postgres://hmis@db.internal:5432/hmis")
    assert values["DATABASE_STATEMENT_TIMEOUT_MS"] == 30000
    assert values["DATABASES"]["default"]["OPTIONS"] == {
        "options": "-c statement_timeout=30000 -c jit=off"
    }
    assert values["EMAIL_TIMEOUT"] == 20


@pytest.mark.parametrize(
    ("env", "options"),
    [
        (
            {"DATABASE_URL": "postgres://hmis@db/hmis?options=-c%20search_path%3Dhmis"},
            {"options": "-c search_path=hmis -c statement_timeout=30000 -c jit=off"},
        ),
        (
            {"DATABASE_URL": "postgres://hmis@db/hmis", "DATABASE_STATEMENT_TIMEOUT_MS": "500"},
            {"options": "-c statement_timeout=500 -c jit=off"},
        ),
        (
            {"DATABASE_URL": "postgres://hmis@db/hmis", "DATABASE_STATEMENT_TIMEOUT_MS": "0"},
            {"options": "-c jit=off"},
        ),
        (
            {"DATABASE_URL": "postgres://hmis@db/hmis", "DATABASE_JIT": "1"},
            {"options": "-c statement_timeout=30000"},
        ),
        (
            {
                "DATABASE_URL": "postgres://hmis@db/hmis",
                "DATABASE_STATEMENT_TIMEOUT_MS": "0",
                "DATABASE_JIT": "1",
            },
            {},
        ),
        ({"DATABASE_URL": "sqlite:///hmis.sqlite3"}, {}),
    ],
    ids=[
        "kept-beside-the-urls-options",
        "set",
        "0-turns-the-timeout-off",
        "jit-asked-for",
        "no-startup-options-for-a-pooler",
        "not-on-sqlite",
    ],
)
def test_the_statement_timeout_and_jit_options(monkeypatch, env, options):
    values = fresh_settings(monkeypatch, **env)
    assert values["DATABASES"]["default"].get("OPTIONS", {}) == options


def test_a_mail_server_that_never_answers_fails_the_send_after_email_timeout():
    # The listening socket completes the TCP handshake, but nothing ever sends SMTP's greeting.
    with socket.create_server(("127.0.0.1", 0)) as silent:
        # Were the timeout ignored, closing the server ends the wait instead of the suite.
        guard = threading.Timer(10, silent.close)
        guard.start()
        started = time.monotonic()
        try:
            with (
                override_settings(EMAIL_TIMEOUT=0.2),
                pytest.raises(SMTPServerDisconnected, match=r"timed out$"),
            ):
                EmailBackend(host="127.0.0.1", port=silent.getsockname()[1]).open()
        finally:
            guard.cancel()
        assert time.monotonic() - started < 5
