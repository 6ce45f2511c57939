from io import StringIO

import pytest
from allauth.mfa.models import Authenticator
from django.core.management import CommandError, call_command

from requests_app.core.states import Status
from requests_app.management.commands.demo import PASSWORD, PEOPLE, TOTP_KEY
from requests_app.models import CAN, AccessRequest, Criterion, Event, Membership, User
from tests.support.mfa import code_for


def run_demo():
    out = StringIO()
    call_command("demo", "--allow-production", stdout=out)
    return out.getvalue()


@pytest.fixture
def demo(db):
    return run_demo()


def test_demo_loads_the_cans_the_criteria_and_one_user_per_role(demo):
    assert list(CAN.objects.values_list("name", flat=True)) == [
        "Central",
        "Eastern",
        "Fairfield County",
        "Greater Hartford",
        "Greater New Haven",
        "Middlesex/Meriden/Wallingford",
        "Northwest (Waterbury-Litchfield)",
    ]
    assert list(Criterion.objects.values_list("code", "is_disqualifier", "policy_version")) == [
        *[(f"1.{n}", False, "1.0") for n in range(1, 11)],
        ("2.1", True, "1.0"),
        ("2.2", True, "1.0"),
    ]
    assert Criterion.objects.get(code="2.2").text == (
        "Possibility for high abuse if granted access to homeless client data."
    )
    for email, _, _, role in PEOPLE:
        assert f"{email:<24} {PASSWORD}   {role}" in demo


def test_demo_has_a_request_in_every_status_made_through_the_workflow(demo):
    assert set(AccessRequest.objects.values_list("status", flat=True)) == set(Status)
    # Only a draft has no history: everything else went through the workflow's actions.
    without_events = AccessRequest.objects.exclude(events__isnull=False)
    assert list(without_events.values_list("status", flat=True)) == [Status.DRAFT]


def test_demo_runs_again_without_error_or_duplicates(demo):
    def counts():
        models = (User, AccessRequest, Event, Membership, CAN, Criterion, Authenticator)
        return {model.__name__: model.objects.count() for model in models}

    before = counts()
    run_demo()
    assert counts() == before


def test_demo_refuses_to_load_known_passwords_when_debug_is_off(db, settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="Pass --allow-production"):
        call_command("demo")
    assert User.objects.count() == 0


@pytest.mark.parametrize(
    ("email", "home"),
    [
        ("requestor@demo.test", "/requests/"),
        ("staff@demo.test", "/queue/"),
        ("member@demo.test", "/docket/"),
        ("chair@demo.test", "/docket/"),
        ("canleader@demo.test", "/can/"),
        ("admin@demo.test", "/admin/"),
    ],
)
def test_each_demo_user_signs_in_and_lands_on_their_home_page(client, demo, email, home):
    response = client.post("/accounts/login/", {"login": email, "password": PASSWORD}, follow=True)
    if email != "requestor@demo.test":
        # Every role but the requestor's signs in with the demo's authenticator-app key.
        assert response.redirect_chain == [("/accounts/2fa/authenticate/", 302)]
        code = code_for(TOTP_KEY)
        response = client.post("/accounts/2fa/authenticate/", {"code": code}, follow=True)
    assert response.redirect_chain[-1] == (home, 302)
    assert response.status_code == 200
