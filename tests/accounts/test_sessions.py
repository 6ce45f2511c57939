"""Session rules (requests_app/accounts/sessions.py): signing in gives a new session key; a
person who decides holds one session at a time and is told when a sign-in ends another; a
change of roles ends a person's sessions; an administrator can end them."""

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client

from requests_app.accounts import role_services
from requests_app.accounts.sessions import (
    ENDED_BY_ADMINISTRATOR,
    REASONS,
    ROLES_CHANGED,
    SIGNED_IN_ELSEWHERE,
)
from requests_app.models import Membership, UserSession
from tests.support.factories import PASSWORD, MembershipFactory, UserFactory
from tests.support.mfa import current_code, has_totp

pytestmark = pytest.mark.django_db

# A page only a signed-in person may open (the site's root shows anyone else the landing page).
PAGE = "/notices/"
SIGNED_OUT_AT = f"/accounts/login/?next={PAGE}"


def sign_in(client, user, address="127.0.0.1"):
    """Through allauth's form, as a person does; returns the messages of the page it lands on."""
    response = client.post(
        "/accounts/login/",
        {"login": user.email, "password": PASSWORD},
        REMOTE_ADDR=address,
        follow=True,
    )
    if has_totp(user):
        # A person who decides answers the second factor's page too (accounts/mfa.py).
        response = client.post(
            "/accounts/2fa/authenticate/",
            {"code": current_code(user, reusable=True)},
            REMOTE_ADDR=address,
            follow=True,
        )
    assert response.context["user"] == user
    return messages_of(response)


def messages_of(response):
    return [message.message for message in response.context["messages"]]


def signed_in(user):
    client = Client()
    client.force_login(user)
    return client


def assert_signed_out(client, reason):
    """The ended session's next page sends it to sign in and says why, once."""
    response = client.get(PAGE, follow=True)
    assert response.redirect_chain[0] == (SIGNED_OUT_AT, 302)
    assert messages_of(response) == [REASONS[reason]]
    assert client.get(PAGE)["Location"] == SIGNED_OUT_AT
    assert messages_of(client.get(SIGNED_OUT_AT)) == []


def assert_still_signed_in(client, user):
    assert client.session["_auth_user_id"] == str(user.pk)
    assert client.get(PAGE).get("Location") != SIGNED_OUT_AT


def test_signing_in_gives_the_session_a_new_key_and_records_it(client, personas):
    before = client.session.session_key  # an anonymous session, as a visitor's browser has
    sign_in(client, personas.riley, address="203.0.113.9")
    after = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert after != before
    assert Session.objects.filter(session_key=before).exists() is False
    assert list(UserSession.objects.values_list("session_id", "user", "ip")) == [
        (after, personas.riley.pk, "203.0.113.9")
    ]


def test_signing_out_forgets_the_session(client, personas):
    sign_in(client, personas.sam)
    client.post("/accounts/logout/")
    assert UserSession.objects.count() == 0


# Who decides or administers holds one session at a time; a requestor may hold several.
ONE_SESSION = {
    "riley": False,
    "quinn": False,
    "sam": True,
    "morgan": True,
    "casey": True,
    "lee": True,
    "pat": True,
    "alex": True,
}
ENDED_ONE = (
    "Signing in here ended your 1 other session: people who decide on requests keep one "
    "session at a time."
)


@pytest.mark.parametrize(("persona", "one_session"), ONE_SESSION.items())
def test_a_second_sign_in_ends_the_first_session_of_who_decides(personas, persona, one_session):
    user = personas.by_name(persona)
    first, second = Client(), Client()
    assert ENDED_ONE not in sign_in(first, user)
    told = sign_in(second, user, address="198.51.100.4")
    if one_session:
        assert ENDED_ONE in told
        assert_signed_out(first, SIGNED_IN_ELSEWHERE)
    else:
        assert ENDED_ONE not in told
        assert_still_signed_in(first, user)
    assert_still_signed_in(second, user)


def promote(field):
    def change(p):
        setattr(p.riley, field, True)
        p.riley.save()
        return p.riley

    return change


def deactivate(p):
    p.sam.is_active = False
    p.sam.save()
    return p.sam


def give_a_can(p):
    p.riley.led_cans.add(p.eastern)
    return p.riley


def take_a_can(p):
    p.lee.led_cans.remove(p.hartford)
    return p.lee


def clear_a_cans_leaders(p):
    p.hartford.leaders.clear()
    return p.lee


def end_a_membership(p):
    Membership.objects.get(user=p.riley).delete()
    return p.riley


def accept_into_an_organization(p):
    pending = MembershipFactory(user=p.quinn, organization=p.harbor, state=Membership.State.PENDING)
    pending = Membership.objects.get(pk=pending.pk)
    pending.state = Membership.State.ACTIVE
    pending.save(update_fields=["state"])
    return p.quinn


def make_a_signatory(p):
    proposal = role_services.propose_role(p.harbor, p.riley, "signatory", p.riley, "Director")
    role_services.confirm_role(proposal, p.sam)
    return p.riley


ROLE_CHANGES = {
    "made CCEH staff": promote("is_cceh_staff"),
    "made committee member": promote("is_committee_member"),
    "made committee chair": promote("is_committee_chair"),
    "made administrator": promote("is_staff"),
    "made superuser": promote("is_superuser"),
    "deactivated": deactivate,
    "given a CAN to lead": give_a_can,
    "a CAN taken away": take_a_can,
    "a CAN's leaders cleared": clear_a_cans_leaders,
    "membership ended": end_a_membership,
    "accepted into an organization": accept_into_an_organization,
    "confirmed as authorized signatory": make_a_signatory,
}


@pytest.mark.parametrize("change", ROLE_CHANGES.values(), ids=ROLE_CHANGES.keys())
def test_a_change_of_roles_ends_the_persons_sessions(personas, change):
    clients = {name: signed_in(personas.by_name(name)) for name in ["riley", "quinn", "sam", "lee"]}
    changed = change(personas)
    for name, client in clients.items():
        if personas.by_name(name) == changed:
            assert_signed_out(client, ROLES_CHANGED)
        else:
            assert_still_signed_in(client, personas.by_name(name))


def test_signing_in_again_over_an_ended_session_starts_afresh(personas):
    client = signed_in(personas.sam)
    personas.sam.is_committee_member = True
    personas.sam.save()
    client.force_login(personas.sam)  # before any request has cleared the ended session
    assert_still_signed_in(client, personas.sam)
    assert messages_of(client.get("/", follow=True)) == []


def rename(p):
    p.riley.name = "Riley Renamed"
    p.riley.save()


def record_a_sign_in(p):
    p.riley.save(update_fields=["last_login"])


def ask_to_join(p):
    MembershipFactory(user=p.riley, organization=p.elsewhere, state=Membership.State.PENDING)


def save_read_without_roles(p):
    type(p.riley).objects.only("name").get(pk=p.riley.pk).save(update_fields=["name"])


@pytest.mark.parametrize(
    "change",
    [rename, record_a_sign_in, ask_to_join, save_read_without_roles],
    ids=["renamed", "last sign-in recorded", "asked to join", "saved as read without roles"],
)
def test_a_change_that_grants_nothing_keeps_the_session(personas, change):
    client = signed_in(personas.riley)
    change(personas)
    assert_still_signed_in(client, personas.riley)


def test_the_administrators_change_form_ends_the_sessions_of_who_it_promotes(personas):
    riley = signed_in(personas.riley)
    form = {
        "email": personas.riley.email,
        "name": personas.riley.name,
        "is_active": "on",
        "is_cceh_staff": "on",
    }
    page = signed_in(personas.alex).post(
        f"/admin/requests_app/user/{personas.riley.pk}/change/", form
    )
    assert page["Location"] == "/admin/requests_app/user/"
    personas.riley.refresh_from_db()
    assert personas.riley.is_cceh_staff is True
    assert_signed_out(riley, ROLES_CHANGED)


def test_who_sets_up_an_organization_goes_on_in_a_new_session_and_their_others_end(db):
    newcomer = UserFactory()
    here, elsewhere = signed_in(newcomer), signed_in(newcomer)
    key = here.session.session_key
    response = here.post(
        "/organization/new", {"name": "Shoreline Shelter", "kind": "nonprofit"}, follow=True
    )
    assert response.redirect_chain == [("/requests/", 302)]
    assert messages_of(response) == ["Shoreline Shelter is set up. You can now start a request."]
    assert here.session.session_key != key
    assert_still_signed_in(here, newcomer)
    assert list(UserSession.objects.values_list("session_id", flat=True)) == [
        here.session.session_key
    ]
    assert_signed_out(elsewhere, ROLES_CHANGED)


def test_an_administrator_ends_the_selected_peoples_sessions(personas):
    sessions = {name: signed_in(personas.by_name(name)) for name in ["riley", "sam", "quinn"]}
    alex = signed_in(personas.alex)
    response = alex.post(
        "/admin/requests_app/user/",
        {"action": "end_sessions", "_selected_action": [personas.riley.pk, personas.sam.pk]},
        follow=True,
    )
    assert messages_of(response) == ["Ended 2 sessions. Each person must sign in again."]
    assert_signed_out(sessions["riley"], ENDED_BY_ADMINISTRATOR)
    assert_signed_out(sessions["sam"], ENDED_BY_ADMINISTRATOR)
    assert_still_signed_in(sessions["quinn"], personas.quinn)


def test_an_administrator_who_selects_themselves_keeps_their_own_session(personas):
    alex = signed_in(personas.alex)
    response = alex.post(
        "/admin/requests_app/user/",
        {"action": "end_sessions", "_selected_action": [personas.alex.pk]},
        follow=True,
    )
    assert messages_of(response) == ["Ended 0 sessions. Each person must sign in again."]
    assert_still_signed_in(alex, personas.alex)


def test_the_persons_admin_page_has_a_button_that_ends_their_sessions(personas):
    riley = signed_in(personas.riley)
    alex = signed_in(personas.alex)
    url = f"/admin/requests_app/user/{personas.riley.pk}/end-sessions/"
    page = alex.get(f"/admin/requests_app/user/{personas.riley.pk}/change/").content.decode()
    assert f'<form method="post" action="{url}">' in page
    assert alex.get(url).status_code == 405
    response = alex.post(url, follow=True)
    assert response.redirect_chain == [
        (f"/admin/requests_app/user/{personas.riley.pk}/change/", 302)
    ]
    assert messages_of(response) == ["Ended 1 session. Each person must sign in again."]
    assert_signed_out(riley, ENDED_BY_ADMINISTRATOR)
    assert alex.post("/admin/requests_app/user/999999/end-sessions/").status_code == 404


NOT_ADMINISTRATORS = ["anonymous", "riley", "quinn", "sam", "morgan", "casey", "lee", "pat"]


@pytest.mark.parametrize("persona", NOT_ADMINISTRATORS)
def test_only_an_administrator_can_end_someone_elses_sessions(personas, persona):
    sam = signed_in(personas.sam)
    client = Client()
    if persona != "anonymous":
        client.force_login(personas.by_name(persona))
    url = f"/admin/requests_app/user/{personas.sam.pk}/end-sessions/"
    response = client.post(url)
    assert response["Location"] == f"/admin/login/?next={url}"
    assert (
        client.post(
            "/admin/requests_app/user/",
            {"action": "end_sessions", "_selected_action": [personas.sam.pk]},
        )["Location"]
        == "/admin/login/?next=/admin/requests_app/user/"
    )
    if persona != "sam":
        assert_still_signed_in(sam, personas.sam)
