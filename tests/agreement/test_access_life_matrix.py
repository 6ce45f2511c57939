"""Who may take each action of access's life, and open each of its pages, once the organization
has a confirmed authorized signatory and security officer (docs/design.md, "Organization
roles"): the signatory changes the MOU (adds, removes, lowers, reviews, signs an amendment);
any member, or staff, reports a departure; staff decide additions and close accounts. The
security officer is a contact, with no more say than any other member."""

import pytest
from django.urls import reverse

from requests_app import workflow
from requests_app.core import actions
from requests_app.models import RoleProposal
from tests.support.factories import MembershipFactory, confirmed_role
from tests.support.journey import fresh

WHO = ["signatory", "officer", "member", "staff", "committee", "leader", "elsewhere", "anonymous"]

# Each action and who may take it, on an active MOU with an addition waiting (or, for
# sign_amendment, approved and not signed yet).
MAY = {
    "add": {"signatory"},
    "remove": {"signatory"},
    "lower": {"signatory"},
    "review": {"signatory"},
    "sign_amendment": {"signatory"},
    "depart": {"signatory", "officer", "member", "staff"},
    "decide_addition": {"staff"},
    "deprovision": {"staff"},
}


@pytest.fixture(autouse=True)
def private_files(settings, tmp_path):
    settings.PRIVATE_FILES_ROOT = tmp_path / "private"


@pytest.fixture
def people(personas):
    organization = personas.harbor
    officer = MembershipFactory(organization=organization, user__name="Olu Officer").user
    member = MembershipFactory(organization=organization, user__name="Mo Member").user
    confirmed_role(organization, personas.riley)
    confirmed_role(organization, officer, RoleProposal.Role.SECURITY_OFFICER, "IT lead")
    return {
        "signatory": personas.riley,
        "officer": officer,
        "member": member,
        "staff": personas.sam,
        "committee": personas.morgan,
        "leader": personas.lee,
        "elsewhere": personas.quinn,
        "anonymous": personas.anonymous,
    }


def _ask(stage, agreement):
    with stage.capture(execute=True):
        return workflow.request_addition(
            agreement,
            stage.p.riley,
            "Dee Data",
            "Data lead",
            "dee@harbor.example",
            "view",
            "Runs our reports.",
        )


@pytest.fixture
def waiting(stage, people):
    """An active MOU naming the Greater Hartford CAN, with an addition waiting for staff."""
    agreement = stage.active()
    _ask(stage, agreement)
    return fresh(agreement)


@pytest.fixture
def approved(stage, waiting):
    """The same, the addition approved: the organization signs the amended MOU next."""
    with stage.capture(execute=True):
        workflow.decide_addition(waiting, stage.p.sam, waiting.amendments.get(), True, "view", "")
    return fresh(waiting)


@pytest.mark.parametrize("who", WHO)
@pytest.mark.parametrize("action", sorted(MAY))
def test_who_may_take_each_action_of_access_life(request, people, who, action):
    agreement = request.getfixturevalue("approved" if action == "sign_amendment" else "waiting")

    allowed = actions.refusals(agreement, people[who], action) == []

    assert allowed == (who in MAY[action])


# Each page of access's life and what it answers: 200 to whom it is for; a signed-in person it is
# not for is refused (403 for staff lists, as the provisioning list; 404 where the page is of a
# request or organization they do not see); anonymous people are sent to sign in (302).
PAGES = {
    "register": {"staff": 200, "anonymous": 302, None: 403},
    "register_export": {"staff": 200, "anonymous": 302, None: 403},
    "deprovisioning": {"staff": 200, "anonymous": 302, None: 403},
    "deprovisioning_export": {"staff": 200, "anonymous": 302, None: 403},
    "organization_roles": {"staff": 200, "anonymous": 302, None: 403},
    # Each organization's own: another organization's member sees theirs (below, not Harbor's).
    "organization_register": {
        "signatory": 200,
        "officer": 200,
        "member": 200,
        "elsewhere": 200,
        "anonymous": 302,
        None: 404,
    },
    # Whoever sees the MOU but may not review it is sent back to it, told why in words.
    "review": {
        "signatory": 200,
        "officer": 302,
        "member": 302,
        "staff": 302,
        "leader": 302,
        "anonymous": 302,
        None: 404,
    },
}


@pytest.mark.parametrize("who", WHO)
@pytest.mark.parametrize("page", sorted(PAGES))
def test_who_may_open_each_page_of_access_life(client, waiting, people, who, page):
    args = [waiting.request.reference] if page == "review" else []
    if who != "anonymous":
        client.force_login(people[who])

    response = client.get(reverse(page, args=args))
    if response.streaming:
        b"".join(response.streaming_content)

    expected = PAGES[page]
    assert response.status_code == expected.get(who, expected[None])


@pytest.mark.parametrize("who", ["signatory", "officer", "member", "elsewhere"])
def test_each_organization_register_lists_its_own_people_alone(client, waiting, people, who):
    client.force_login(people[who])

    page = client.get(reverse("organization_register")).content.decode()

    held = [a.person.email for a in waiting.people.select_related("person")]
    assert [email in page for email in held] == [who != "elsewhere"] * len(held)
