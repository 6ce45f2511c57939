"""The site as a whole: production settings, migrations, health check, where people land."""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse

from requests_app.models import Membership, Organization
from tests.support.factories import MembershipFactory, UserFactory

ROOT = Path(__file__).resolve().parents[2]

PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "hmis-access.example.org",
    "DATABASE_URL": "postgres://hmis:secret@db.internal:5432/hmis",
}


def manage(*args, env):
    """Run manage.py in a fresh process, with only the given settings in its environment (and
    ENV_FILE, empty: no developer's .env either, tests/support/no_dotenv.py)."""
    clean = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "ENV_FILE")}
    return subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_deploy_check_is_clean_with_production_settings():
    result = manage("check", "--deploy", "--fail-level", "DEBUG", env=PRODUCTION)
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == "System check identified no issues (0 silenced).\n"


def test_without_a_secret_key_production_refuses_to_start():
    env = {k: v for k, v in PRODUCTION.items() if k != "SECRET_KEY"}
    result = manage("check", env=env)
    assert result.returncode == 1
    assert "Set the SECRET_KEY environment variable" in result.stderr


@pytest.mark.django_db
def test_models_and_migrations_agree():
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


@pytest.mark.django_db
def test_healthz_answers_200_when_the_database_answers(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


def test_the_favicon_is_linked_from_the_pages_and_answered_at_the_root(client, db):
    """Browsers ask for /favicon.ico whatever a page links: a 404 there is an error in the
    console of every page (Lighthouse's best practices)."""
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/x-icon"
    assert b"".join(response.streaming_content) == (ROOT / "webroot" / "favicon.ico").read_bytes()
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in (
        client.get(reverse("account_login")).content.decode()
    )


def test_healthz_answers_503_when_the_database_does_not():
    # A real unreachable server (nothing listens on port 9), not a mock.
    script = (
        "import django; django.setup(); from django.test import Client; "
        "r = Client().get('/healthz', secure=True); print(r.status_code, r.content.decode())"
    )
    env = {
        **PRODUCTION,
        "ALLOWED_HOSTS": "testserver",
        "DATABASE_URL": "postgres://nobody@127.0.0.1:9/none",
    }
    clean = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "ENV_FILE")}
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", script],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**clean, **env, "DJANGO_SETTINGS_MODULE": "hmis_access.settings"},
    )
    status, body = result.stdout.strip().split(" ", 1)
    assert status == "503"
    assert json.loads(body) == {"status": "error", "database": "unavailable"}


@pytest.mark.parametrize(
    ("persona", "home"),
    [
        ("riley", "/requests/"),
        ("sam", "/queue/"),
        ("morgan", "/docket/"),
        ("casey", "/docket/"),
        ("lee", "/can/"),
        ("pat", "/can/"),
        ("quinn", "/requests/"),
        ("alex", "/admin/"),
    ],
)
def test_each_role_lands_on_its_own_home_page(client, personas, persona, home):
    client.force_login(personas.by_name(persona))
    response = client.get("/", follow=True)
    assert response.redirect_chain == [(home, 302)]
    assert response.status_code == 200


def test_someone_without_an_organization_is_asked_to_set_one_up(client, db):
    client.force_login(UserFactory())
    response = client.get("/", follow=True)
    assert [url for url, _ in response.redirect_chain] == ["/requests/", "/organization/"]
    assert "Set up a new organization" in response.content.decode()


def test_anonymous_visitors_are_sent_to_sign_in(client, db):
    response = client.get("/queue/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/queue/"


@pytest.mark.parametrize("page", ["queue", "docket", "can_requests"])
def test_role_pages_are_closed_to_requestors(client, personas, page):
    client.force_login(personas.riley)
    assert client.get(reverse(page)).status_code == 403


def test_the_queue_lists_open_requests_and_never_drafts(client, journey, personas):
    draft, submitted = journey.draft(), journey.submitted()
    client.force_login(personas.sam)
    page = client.get(reverse("queue")).content.decode()
    assert submitted.reference in page
    assert draft.reference not in page


def test_a_new_requestor_sets_up_an_organization_and_becomes_its_member(client, db):
    user = UserFactory()
    client.force_login(user)
    response = client.post(
        reverse("organization_create"),
        {
            "name": "Elm City Clinic",
            "kind": "health_care",
            "address": "5 Elm St, New Haven, CT",
            "website": "",
            "funded_for_homeless_services": "",
        },
    )
    assert response.status_code == 302
    assert list(
        Membership.objects.filter(user=user).values_list("organization__name", "state")
    ) == [("Elm City Clinic", Membership.State.ACTIVE)]


def test_setting_up_an_organization_with_bad_input_keeps_what_was_typed(client, db):
    client.force_login(UserFactory())
    response = client.post(
        reverse("organization_create"),
        {
            "name": "",
            "kind": "health_care",
            "address": "5 Elm St",
            "website": "not a url",
        },
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "This field is required." in page
    assert "Enter a valid URL." in page
    assert "5 Elm St" in page
    assert Organization.objects.count() == 0


def test_joining_an_organization_waits_for_a_member_to_accept(client, db):
    existing = MembershipFactory()
    newcomer = UserFactory()
    client.force_login(newcomer)
    client.post(reverse("organization_join"), {"name": existing.organization.name.upper()})
    pending = Membership.objects.get(user=newcomer)
    assert pending.state == Membership.State.PENDING

    client.force_login(existing.user)
    client.post(reverse("membership_accept", args=[pending.pk]))
    pending.refresh_from_db()
    assert (pending.state, pending.accepted_by) == (Membership.State.ACTIVE, existing.user)


def test_only_a_member_of_the_organization_can_accept_someone_into_it(client, db):
    pending = MembershipFactory(state=Membership.State.PENDING)
    outsider = MembershipFactory().user
    client.force_login(outsider)
    assert client.post(reverse("membership_accept", args=[pending.pk])).status_code == 404
    assert client.get(reverse("membership_accept", args=[pending.pk])).status_code == 405
    pending.refresh_from_db()
    assert pending.state == Membership.State.PENDING


def test_a_declined_request_to_join_is_removed(client, db):
    member = MembershipFactory()
    pending = MembershipFactory(organization=member.organization, state=Membership.State.PENDING)
    client.force_login(member.user)
    client.post(reverse("membership_decline", args=[pending.pk]))
    assert Membership.objects.filter(pk=pending.pk).exists() is False


def test_a_pending_member_sees_none_of_the_organizations_requests(client, journey, personas):
    request = journey.submitted()
    hopeful = MembershipFactory(organization=personas.harbor, state=Membership.State.PENDING).user
    client.force_login(hopeful)
    assert client.get(reverse("request_detail", args=[request.reference])).status_code == 404


def test_joining_an_unknown_organization_says_so_and_lists_none(client, db):
    MembershipFactory(organization__name="Harbor Health Partners")
    client.force_login(UserFactory())
    response = client.post(reverse("organization_join"), {"name": "Harbour Health"})
    page = response.content.decode()
    assert response.status_code == 400
    assert "No organization by that name is set up here." in page
    assert 'value="Harbour Health"' in page
    # Who has applied for HMIS access is not for everyone who signs up to browse.
    assert "Harbor Health Partners" not in page
