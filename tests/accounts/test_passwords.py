"""The password rules (settings.AUTH_PASSWORD_VALIDATORS): at least 12 characters, not like
the e-mail address or the name, not containing the site's name or the e-mail's local part,
not a common password, not all digits; on the sign-up form and on the password change form."""

import pytest
from django.contrib.auth.password_validation import validate_password

from requests_app.management.commands.demo import PASSWORD as DEMO_PASSWORD
from requests_app.management.commands.demo import PEOPLE
from requests_app.models import User
from tests.support.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

TOO_SHORT = "This password is too short. It must contain at least 12 characters."
SITE_NAME = "This password contains the site's name (HMIS). Choose one that does not."
EMAIL = "This password contains your e-mail address. Choose one that does not."

# (password, what the person is told), for dana@clinic.example.org.
REFUSED = [
    ("hmis-demo-2026", [SITE_NAME]),
    ("Summer2026", [TOO_SHORT]),
    ("Hartford1", [TOO_SHORT]),
    ("HMIS_Access_rocks", [SITE_NAME]),  # any case, any separators
    ("Dana.Clinic.2026x", [EMAIL]),
    ("clinic.example.org", ["The password is too similar to the e-mail address."]),
    ("qwerty123456", ["This password is too common."]),
    ("730429168305", ["This password is entirely numeric."]),
]
GOOD = "lantern-quarry-7-meadow"


def sign_up(client, password):
    return client.post(
        "/accounts/signup/",
        {
            "name": "Dana Analyst",
            "email": "dana@clinic.example.org",
            "password1": password,
            "password2": password,
        },
    )


@pytest.mark.parametrize(("password", "errors"), REFUSED, ids=[p for p, _ in REFUSED])
def test_sign_up_refuses_a_weak_password_and_keeps_what_was_typed(client, password, errors):
    response = sign_up(client, password)
    assert response.status_code == 200
    assert response.context["form"].errors["password1"] == errors
    assert 'value="dana@clinic.example.org"' in response.content.decode()
    assert 'value="Dana Analyst"' in response.content.decode()
    assert User.objects.count() == 0


def test_sign_up_accepts_a_password_that_keeps_every_rule(client):
    response = sign_up(client, GOOD)
    assert response["Location"] == "/accounts/confirm-email/"
    assert User.objects.get().check_password(GOOD) is True


def change_password(client, password):
    return client.post(
        "/accounts/password/change/",
        {"oldpassword": PASSWORD, "password1": password, "password2": password},
    )


@pytest.fixture
def dana(client):
    dana = UserFactory(email="dana@clinic.example.org", name="Dana Analyst")
    client.force_login(dana)
    return dana


@pytest.mark.parametrize(
    ("password", "errors"),
    [
        *REFUSED,
        # The change form knows the person's name as well.
        ("Analyst-Dana-99", ["The password is too similar to the full name.", EMAIL]),
    ],
    ids=[*(p for p, _ in REFUSED), "Analyst-Dana-99"],
)
def test_password_change_refuses_a_weak_password(client, dana, password, errors):
    response = change_password(client, password)
    assert response.status_code == 200
    assert response.context["form"].errors["password1"] == errors
    dana.refresh_from_db()
    assert dana.check_password(PASSWORD) is True


def test_password_change_accepts_a_password_that_keeps_every_rule(client, dana):
    response = change_password(client, GOOD)
    assert response.status_code == 302
    dana.refresh_from_db()
    assert dana.check_password(GOOD) is True


def test_a_short_local_part_is_not_refused_inside_a_password():
    # "jo" would refuse every password with "jo" in it: the local part counts from 4 letters.
    assert validate_password("enjoy-the-long-river", User(email="jo@example.org")) is None


@pytest.mark.parametrize(("email", "name"), [(email, name) for email, name, _, _ in PEOPLE])
def test_the_demo_password_keeps_the_rules_for_every_demo_login(email, name):
    assert validate_password(DEMO_PASSWORD, User(email=email, name=name)) is None


def test_the_tests_password_keeps_the_rules_for_the_personas(personas):
    for name in ["riley", "quinn", "sam", "morgan", "casey", "lee", "pat", "alex"]:
        assert validate_password(PASSWORD, personas.by_name(name)) is None
