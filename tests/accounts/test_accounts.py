"""Signing up, verifying the e-mail address, signing in: allauth, as configured here."""

import re

import pytest
from django.core import mail

from tests.support.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def sign_up(client, email="dana@clinic.example.org"):
    return client.post(
        "/accounts/signup/",
        {
            "name": "Dana Analyst",
            "email": email,
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )


def confirmation_link(message):
    return re.search(r"https?://[^/\s]+(/accounts/confirm-email/\S+/)", message.body).group(1)


def test_sign_up_sends_one_verification_email_and_waits_for_it(client):
    response = sign_up(client)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/confirm-email/"
    assert [(m.to, m.subject) for m in mail.outbox] == [
        (["dana@clinic.example.org"], "[HMIS Access] Please Confirm Your Email Address")
    ]


def test_the_emailed_link_verifies_the_address_and_signs_the_person_in(client, django_user_model):
    sign_up(client)
    link = confirmation_link(mail.outbox[0])
    assert client.get(link).status_code == 200  # a page with a button: a GET changes nothing
    response = client.post(link, follow=True)
    assert response.redirect_chain[-1] == ("/organization/", 302)
    user = django_user_model.objects.get(email="dana@clinic.example.org")
    assert (user.name, user.emailaddress_set.get().verified) == ("Dana Analyst", True)


def test_an_unverified_account_cannot_sign_in(client):
    sign_up(client)
    client.logout()
    mail.outbox.clear()
    response = client.post(
        "/accounts/login/",
        {
            "login": "dana@clinic.example.org",
            "password": PASSWORD,
        },
    )
    assert response["Location"] == "/accounts/confirm-email/"
    assert client.get("/requests/")["Location"] == "/accounts/login/?next=/requests/"


def test_signing_up_again_with_a_known_address_creates_nothing_and_tells_its_owner(
    client, django_user_model
):
    UserFactory(email="dana@clinic.example.org")
    response = sign_up(client, email="Dana@Clinic.example.org")
    # The page answers as for any sign-up, so nobody learns which addresses have accounts.
    assert response["Location"] == "/accounts/confirm-email/"
    assert django_user_model.objects.count() == 1
    assert [(m.to, m.subject) for m in mail.outbox] == [
        (["dana@clinic.example.org"], "[HMIS Access] Account Already Exists")
    ]


def test_a_wrong_password_is_refused_with_a_message_and_the_email_kept(client):
    UserFactory(email="sam@cceh.example.org")
    response = client.post(
        "/accounts/login/",
        {
            "login": "sam@cceh.example.org",
            "password": "not it",
        },
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "The email address and/or password you specified are not correct." in page
    assert 'value="sam@cceh.example.org"' in page


def test_repeated_failed_logins_are_rate_limited(client):
    UserFactory(email="sam@cceh.example.org")
    for _ in range(5):
        client.post("/accounts/login/", {"login": "sam@cceh.example.org", "password": "no"})
    response = client.post(
        "/accounts/login/",
        {
            "login": "sam@cceh.example.org",
            "password": PASSWORD,
        },
    )
    assert response.status_code == 200
    assert "Too many failed login attempts. Try again later." in response.content.decode()


def test_password_reset_mails_a_link(client):
    UserFactory(email="sam@cceh.example.org")
    response = client.post("/accounts/password/reset/", {"email": "sam@cceh.example.org"})
    assert response.status_code == 302
    assert [m.subject for m in mail.outbox] == ["[HMIS Access] Password Reset Email"]
