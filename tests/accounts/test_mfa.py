"""Two-factor sign-in (requests_app/accounts/mfa.py): every role that decides must have a second
factor before it can act; a requestor may have one."""

from urllib.parse import quote

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import SECRET_SESSION_KEY
from django.urls import reverse

from requests_app.core.states import Status
from requests_app.models import CAN, CANRecommendation, Vote
from tests.support.factories import PASSWORD
from tests.support.mfa import code_for, current_code, enrol_recovery_codes, enrol_totp
from tests.support.pages import form_data, parsed

pytestmark = pytest.mark.django_db

SET_UP = "/accounts/2fa/totp/activate/"
# allauth asks for the password again before any change of a second factor, even just after
# signing in (MFA_REAUTHENTICATION_REQUIRED, its default).
CONFIRM = "/accounts/reauthenticate/"
DECIDING = ["sam", "morgan", "casey", "lee", "pat", "alex"]
# Where each persona starts, and acts from.
HOME = {
    "riley": "/requests/",
    "sam": "/queue/",
    "morgan": "/docket/",
    "casey": "/docket/",
    "lee": "/can/",
    "pat": "/can/",
    "alex": "/admin/",
}
WHY = {
    "sam": "Your role as CCEH staff requires two-factor sign-in.",
    "morgan": "Your role as sub-committee member requires two-factor sign-in.",
    "casey": "Your role as sub-committee chair requires two-factor sign-in.",
    "lee": "Your role as CAN leader requires two-factor sign-in.",
    "pat": "Your role as CAN leader requires two-factor sign-in.",
    "alex": "Your role as administrator requires two-factor sign-in.",
}


def without_second_factor(user):
    Authenticator.objects.filter(user=user).delete()
    return user


def sign_in(client, user, code=None):
    """Through allauth's forms, as a person does: the password, then the code if asked."""
    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    if code is not None:
        assert response["Location"] == reverse("mfa_authenticate")
        response = client.post(reverse("mfa_authenticate"), {"code": code})
    return response


def confirm_password(client):
    response = client.post(CONFIRM, {"password": PASSWORD})
    assert response.status_code == 302


def alerts(response):
    return [div.text for div in parsed(response).find_all("div", cls="alert")]


@pytest.mark.parametrize("persona", ["riley", *DECIDING])
def test_at_first_sign_in_a_deciding_role_is_sent_to_set_up_a_second_factor(
    client, personas, persona
):
    user = without_second_factor(personas.by_name(persona))

    response = client.get(sign_in(client, user)["Location"], follow=True)

    if persona == "riley":
        assert (response.request["PATH_INFO"], response.status_code) == (HOME["riley"], 200)
    else:
        assert response.redirect_chain[-2:] == [
            (SET_UP, 302),
            (f"{CONFIRM}?next={quote(SET_UP, safe='')}", 302),
        ]
        assert response.status_code == 200
        assert alerts(response) == [
            f"Successfully signed in as {user.name}.",
            f"{WHY[persona]} Set up an authenticator app or a security key before you continue.",
        ]


@pytest.mark.parametrize("persona", DECIDING)
def test_every_other_page_sends_them_back_until_they_have_enrolled(client, personas, persona):
    user = without_second_factor(personas.by_name(persona))
    sign_in(client, user)

    answers = [client.get(path) for path in (HOME[persona], "/notices/", "/organization/")]

    assert [(a.status_code, a["Location"]) for a in answers] == [(302, SET_UP)] * 3


@pytest.mark.parametrize(
    ("persona", "page"),
    [
        ("sam", "/accounts/2fa/"),
        ("sam", SET_UP),
        ("sam", "/accounts/2fa/webauthn/add/"),
        ("alex", "/accounts/2fa/"),
        # Help, linked in every footer, and the policy it cites.
        ("sam", "/help/"),
        ("lee", "/policy/"),
    ],
)
def test_the_set_up_pages_stay_open_to_them(client, personas, persona, page):
    sign_in(client, without_second_factor(personas.by_name(persona)))
    confirm_password(client)

    assert client.get(page).status_code == 200


@pytest.mark.parametrize(
    ("persona", "sign_out", "answer"),
    [("sam", "/accounts/logout/", 302), ("alex", "/admin/logout/", 200)],
)
def test_signing_out_stays_open_to_them(client, personas, persona, sign_out, answer):
    sign_in(client, without_second_factor(personas.by_name(persona)))

    response = client.post(sign_out)

    assert response.status_code == answer
    assert "_auth_user_id" not in client.session


# A deciding action of each role, which the same person takes once enrolled: (the address, what
# the form posts, what it changes).
def _take(journey, p):
    request = journey.submitted()
    return (
        reverse("take", args=[request.reference]),
        {},
        lambda: type(request).objects.get(pk=request.pk).status,
    )


def _vote(journey, p):
    request = journey.vetting()
    return (
        reverse("vote", args=[request.reference]),
        form_data(
            "vote",
            {
                "choice": Vote.Choice.DENY,
                "reason": "Not met (1.9).",
                # The level selects a browser sends with every vote.
                **{f"level_{p.pk}": p.requested_level for p in request.people.all()},
            },
        ),
        lambda: Vote.objects.filter(request=request).count(),
    )


def _recommend(journey, p):
    request = journey.vetting(cans=[p.hartford])
    return (
        reverse("recommend", args=[request.reference]),
        form_data(
            "recommend",
            {"can": p.hartford.pk, "position": "support", "reason": "A known partner."},
        ),
        lambda: CANRecommendation.objects.filter(request=request).count(),
    )


def _add_a_can(journey, p):
    return (
        "/admin/requests_app/can/add/",
        {"name": "Quiet Corner", "slug": "quiet-corner"},
        lambda: CAN.objects.filter(slug="quiet-corner").count(),
    )


def _withdraw(journey, p):
    request = journey.submitted()
    return (
        reverse("withdraw", args=[request.reference]),
        {"reason": "We no longer need it."},
        lambda: type(request).objects.get(pk=request.pk).status,
    )


ACTIONS = [
    ("sam", _take),
    ("morgan", _vote),
    ("casey", _vote),
    ("lee", _recommend),
    ("alex", _add_a_can),
]


@pytest.mark.parametrize(("persona", "action"), ACTIONS)
def test_a_deciding_action_is_refused_until_a_second_factor_is_set_up(
    client, journey, personas, persona, action
):
    user = without_second_factor(personas.by_name(persona))
    address, posted, observed = action(journey, personas)
    before = observed()
    sign_in(client, user)

    refused = client.post(address, posted)

    assert (refused.status_code, refused["Location"], observed()) == (302, SET_UP, before)

    enrol_totp(user)  # as in another browser: this session lets them through at once
    done = client.post(address, posted)

    assert done.status_code == 302
    assert done["Location"] != SET_UP
    assert observed() != before


def test_a_requestor_acts_without_a_second_factor(client, journey, personas):
    address, posted, observed = _withdraw(journey, personas)
    sign_in(client, personas.riley)

    response = client.post(address, posted)

    assert response.status_code == 302
    assert response["Location"] != SET_UP
    assert observed() == Status.WITHDRAWN


def test_a_requestor_may_enrol_from_their_preferences_page(client, personas):
    sign_in(client, personas.riley)

    preferences = client.get(reverse("notification_preferences"))
    index = client.get(reverse("mfa_index"))

    assert [a.text for a in parsed(preferences).find_all("a", href="/accounts/2fa/")] == [
        "Two-factor sign-in"
    ]
    assert [a.text for a in parsed(index).find_all("a", href=SET_UP)] == [
        "Set up an authenticator app"
    ]


def test_enrolling_through_the_set_up_page_lets_them_act(client, personas):
    user = without_second_factor(personas.sam)
    sign_in(client, user)
    confirm_password(client)
    client.get(SET_UP)
    secret = client.session[SECRET_SESSION_KEY]

    enrolled = client.post(SET_UP, {"code": code_for(secret)})
    queue = client.get("/queue/")

    assert (enrolled.status_code, enrolled["Location"]) == (302, "/accounts/2fa/recovery-codes/")
    assert list(
        Authenticator.objects.filter(user=user).values_list("type", flat=True).order_by("type")
    ) == [
        "recovery_codes",
        "totp",
    ]
    assert queue.status_code == 200


def test_an_enrolled_person_signs_in_with_the_code_and_a_recovery_code_once(client, personas):
    codes = enrol_recovery_codes(personas.sam)

    signed_in = sign_in(client, personas.sam, code=current_code(personas.sam))
    client.post(reverse("account_logout"))
    with_recovery = sign_in(client, personas.sam, code=codes[0])
    client.post(reverse("account_logout"))
    again = sign_in(client, personas.sam, code=codes[0])

    assert (signed_in.status_code, signed_in["Location"]) == (302, "/")
    assert (with_recovery.status_code, with_recovery["Location"]) == (302, "/")
    assert again.status_code == 200
    assert "_auth_user_id" not in client.session


def test_a_person_who_removes_their_last_second_factor_is_sent_back_to_set_up(client, personas):
    sign_in(client, personas.sam, code=current_code(personas.sam))
    confirm_password(client)

    removed = client.post(reverse("mfa_deactivate_totp"))
    queue = client.get("/queue/")

    assert (removed.status_code, removed["Location"]) == (302, "/accounts/2fa/")
    assert (queue.status_code, queue["Location"]) == (302, SET_UP)
