"""Failed sign-ins (allauth's rate limits, settings.ACCOUNT_RATE_LIMITS), counted in the cache
every process shares, the database's by default: at most 10 failures from one address, and 5
for one account from one address, in 15 minutes; the owner elsewhere is not locked out."""

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client

from tests.support.factories import PASSWORD, UserFactory

WRONG = "The email address and/or password you specified are not correct."
LOCKED = "Too many failed login attempts. Try again later."
ATTACKER, OWNER = "203.0.113.7", "198.51.100.20"
# The production default (settings.CACHES): a table in the database, made by migrate.
DATABASE_CACHE = {
    "BACKEND": "django.core.cache.backends.db.DatabaseCache",
    "LOCATION": "hmis_cache",
}


@pytest.fixture
def shared_cache(settings):
    """Tests otherwise count in each process's memory (tests/conftest.py)."""
    settings.CACHES = {"default": DATABASE_CACHE}
    yield
    cache.clear()  # a live-server test's flush would leave the rows another process wrote


def attempt(client, email, password, address):
    response = client.post(
        "/accounts/login/", {"login": email, "password": password}, REMOTE_ADDR=address
    )
    if response.status_code == 302:
        return "signed in"
    page = response.content.decode()
    return WRONG if WRONG in page else LOCKED if LOCKED in page else page


@pytest.mark.django_db
def test_eleven_wrong_passwords_from_one_address_are_refused_at_the_limit(shared_cache):
    sam = UserFactory(email="sam@cceh.example.org")
    client = Client()
    # A spray: one guess at each of eleven accounts, so only the address's own limit applies.
    answers = [
        attempt(client, f"person{n}@cceh.example.org", "Summer2026", ATTACKER) for n in range(11)
    ]
    assert answers == [WRONG] * 10 + [LOCKED]
    assert attempt(client, sam.email, PASSWORD, ATTACKER) == LOCKED
    assert attempt(Client(), sam.email, PASSWORD, OWNER) == "signed in"


@pytest.mark.django_db
def test_wrong_passwords_for_an_account_slow_that_address_and_not_its_owner(shared_cache):
    sam = UserFactory(email="sam@cceh.example.org")
    attacker = Client()
    answers = [attempt(attacker, sam.email, "Hartford1", ATTACKER) for _ in range(6)]
    assert answers == [WRONG] * 5 + [LOCKED]
    assert attempt(attacker, sam.email, PASSWORD, ATTACKER) == LOCKED
    assert attempt(Client(), sam.email, PASSWORD, OWNER) == "signed in"


# Another process, as another gunicorn worker is: five wrong passwords from one address,
# through Django's test client, with the settings production has by default.
OTHER_PROCESS = """
import django
django.setup()
from django.conf import settings
from django.test import Client
cache = settings.CACHES["default"]
print(cache["BACKEND"], cache["LOCATION"])
for _ in range(5):
    page = Client().post(
        "/accounts/login/", {"login": "sam@cceh.example.org", "password": "Summer2026"},
        REMOTE_ADDR="203.0.113.7",
    ).content.decode()
    print("The email address and/or password you specified are not correct." in page)
"""


@pytest.mark.django_db(transaction=True)  # the other process reads what this one commits
def test_the_limit_holds_across_processes(shared_cache):
    sam = UserFactory(email="sam@cceh.example.org")
    database = connection.settings_dict
    environment = {
        key: value for key, value in os.environ.items() if key not in {"CACHE_URL", "DEBUG"}
    }
    environment.update(
        DJANGO_SETTINGS_MODULE="hmis_access.settings",
        DATABASE_URL=(
            f"postgres://{quote(database['USER'])}:{quote(database['PASSWORD'] or '')}@"
            f"{database['HOST'] or '127.0.0.1'}:{database['PORT'] or 5432}/{database['NAME']}"
        ),
        SECRET_KEY="test-only-not-secret",
        ALLOWED_HOSTS="testserver",
        SECURE_SSL_REDIRECT="0",
        STATICFILES_BACKEND="django.contrib.staticfiles.storage.StaticFilesStorage",
    )
    done = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", OTHER_PROCESS],
        env=environment,
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert done.stdout.split("\n") == [
        "django.core.cache.backends.db.DatabaseCache hmis_cache",
        *["True"] * 5,
        "",
    ]
    # This process has counted nothing itself, yet the sixth attempt is refused.
    assert attempt(Client(), sam.email, PASSWORD, ATTACKER) == LOCKED
    assert attempt(Client(), sam.email, PASSWORD, OWNER) == "signed in"
