"""allauth's links in e-mails (confirming an address, resetting a password) start with
SITE_URL's scheme: http links on an http development site, https ones in production."""

import os
import re
import subprocess
import sys

import pytest
from django.conf import settings as django_settings
from django.core import mail

from tests.support.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def protocol_for(site_url, **environment):
    """ACCOUNT_DEFAULT_HTTP_PROTOCOL as settings.py derives it in a process of its own, whose
    environment names this SITE_URL (settings are read once, when the process starts)."""
    env = {**os.environ, "SITE_URL": site_url, "SECRET_KEY": "x", **environment}
    if "ACCOUNT_DEFAULT_HTTP_PROTOCOL" not in environment:
        env.pop("ACCOUNT_DEFAULT_HTTP_PROTOCOL", None)
    script = "from hmis_access import settings; print(settings.ACCOUNT_DEFAULT_HTTP_PROTOCOL)"
    result = subprocess.run(  # noqa: S603 - our own interpreter and settings
        [sys.executable, "-c", script],
        cwd=django_settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip()


def sign_up(client):
    client.post(
        "/accounts/signup/",
        {"name": "Dana Analyst", "email": "dana@clinic.example.org"}
        | {"password1": PASSWORD, "password2": PASSWORD},
    )


def reset_password(client):
    UserFactory(email="sam@cceh.example.org")
    client.post("/accounts/password/reset/", {"email": "sam@cceh.example.org"})


@pytest.mark.parametrize("send", [sign_up, reset_password], ids=["confirmation", "reset"])
@pytest.mark.parametrize(
    ("site_url", "scheme"),
    [("http://127.0.0.1:8123", "http"), ("https://hmis-access.example.org", "https")],
)
def test_emailed_links_take_the_scheme_of_site_url(client, settings, send, site_url, scheme):
    settings.SITE_URL = site_url
    settings.ACCOUNT_DEFAULT_HTTP_PROTOCOL = protocol_for(site_url)
    send(client)  # the test client asks over http, as a development server is reached
    [message] = mail.outbox
    links = re.findall(r"\b\w+://testserver/accounts/\S+", message.body)
    assert len(links) == 1, message.body
    assert links[0].split("://")[0] == scheme


def test_a_protocol_set_explicitly_wins_over_site_url():
    assert protocol_for("http://127.0.0.1:8000", ACCOUNT_DEFAULT_HTTP_PROTOCOL="https") == "https"
