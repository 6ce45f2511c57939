"""An organization's roles (docs/design.md section 2, "Organization roles"): a member proposes
its authorized signatory or security officer, CCEH staff confirm or decline; once a signatory is
confirmed only they sign the MOU. Who may propose, confirm, decline and sign, by role; the
notices; the pages and their costs."""

import pytest
from django.conf import settings
from django.core import mail
from django.urls import reverse

from requests_app.accounts import role_services, roles
from requests_app.core import actions
from requests_app.models import (
    Membership,
    Notification,
    RoleDecision,
    RoleProposal,
    Signature,
)
from requests_app.notifications import services as notifications
from tests.support.factories import MembershipFactory, OrganizationFactory, confirmed_role
from tests.support.journey import fresh
from tests.support.pages import parsed

SIGNATORY, SECURITY_OFFICER = RoleProposal.Role.SIGNATORY, RoleProposal.Role.SECURITY_OFFICER
Kind = Notification.Kind

ROLES = [
    "signatory",
    "security officer",
    "other member",
    "staff",
    "committee",
    "CAN leader",
    "another organization",
    "anonymous",
]
MEMBERS = {"signatory", "security officer", "other member"}

ONLY_MEMBERS_PROPOSE = (
    "Only active members of the organization can propose its signatory or security officer."
)
ONLY_STAFF_DECIDE = "Only CCEH staff can confirm or decline an organization's roles."
CONFLICT = (
    "You belong to this organization, so you cannot confirm or decline its roles (a conflict "
    "of interest)."
)
ONLY_MEMBERS_SIGN = "Only members of the requesting organization can do this."
ONLY_AVERY = (
    "Only Avery Signatory, the authorized signatory of Harbor Health Partners, can sign its MOU."
)
NO_ACCESS = "You do not have access to this request."


@pytest.fixture(autouse=True)
def private_files(settings, tmp_path):
    settings.PRIVATE_FILES_ROOT = tmp_path / "private"


@pytest.fixture
def cast(personas):
    """Harbor with two more members, Avery (to be its signatory) and Sol (its security
    officer); riley is a member with no role. {role: user}."""
    avery = MembershipFactory(
        organization=personas.harbor, user__name="Avery Signatory", user__email="avery@harbor.test"
    ).user
    sol = MembershipFactory(
        organization=personas.harbor, user__name="Sol Officer", user__email="sol@harbor.test"
    ).user
    return {
        "signatory": avery,
        "security officer": sol,
        "other member": personas.riley,
        "staff": personas.sam,
        "committee": personas.morgan,
        "CAN leader": personas.lee,
        "another organization": personas.quinn,
        "anonymous": personas.anonymous,
    }


def confirm_both(personas, cast):
    confirmed_role(personas.harbor, cast["signatory"], SIGNATORY, "Executive Director")
    confirmed_role(personas.harbor, cast["security officer"], SECURITY_OFFICER, "IT Manager")


def refused(call):
    with pytest.raises(actions.ActionRefused) as caught:
        call()
    return caught.value.problems


def proposal_by(personas, cast, role=SIGNATORY):
    return RoleProposal.objects.create(
        organization=personas.harbor,
        role=role,
        person=cast["other member"],
        title="Director",
        proposed_by=cast["other member"],
    )


# Who may do what, by role (docs/design.md section 4, "Organization roles").

PROPOSE = [
    pytest.param(role, None if role in MEMBERS else [ONLY_MEMBERS_PROPOSE], id=role)
    for role in ROLES
]


@pytest.mark.parametrize(("role", "problems"), PROPOSE)
def test_who_may_propose_a_role(personas, cast, role, problems):
    confirm_both(personas, cast)
    user = cast[role]
    propose = lambda: role_services.propose_role(  # noqa: E731
        personas.harbor, user, SIGNATORY, cast["other member"], "Deputy Director"
    )

    if problems is None:
        proposal = propose()
        assert (proposal.person, proposal.title, proposal.proposed_by) == (
            personas.riley,
            "Deputy Director",
            user,
        )
        assert list(roles.pending()) == [proposal]
    else:
        assert refused(propose) == problems
        assert RoleProposal.objects.filter(decision__isnull=True).count() == 0


DECIDE = [
    pytest.param(role, None if role == "staff" else [ONLY_STAFF_DECIDE], id=role) for role in ROLES
]


@pytest.mark.parametrize(("role", "problems"), DECIDE)
def test_who_may_confirm_a_role(personas, cast, role, problems):
    proposal = proposal_by(personas, cast)
    confirm = lambda: role_services.confirm_role(proposal, cast[role])  # noqa: E731

    if problems is None:
        decision = confirm()
        assert (decision.outcome, decision.decided_by) == (
            RoleDecision.Outcome.CONFIRMED,
            cast[role],
        )
        assert roles.authorized_signatory(personas.harbor) == personas.riley
    else:
        assert refused(confirm) == problems
        assert (RoleDecision.objects.count(), roles.authorized_signatory(personas.harbor)) == (
            0,
            None,
        )


@pytest.mark.parametrize(("role", "problems"), DECIDE)
def test_who_may_decline_a_role(personas, cast, role, problems):
    proposal = proposal_by(personas, cast)
    decline = lambda: role_services.decline_role(proposal, cast[role], "Not on our list.")  # noqa: E731

    if problems is None:
        decision = decline()
        assert (decision.outcome, decision.reason) == (
            RoleDecision.Outcome.DECLINED,
            "Not on our list.",
        )
        assert list(roles.pending()) == []
    else:
        assert refused(decline) == problems
        assert list(roles.pending()) == [proposal]


# Sign: any member while no signatory is confirmed; the confirmed signatory alone after.
SIGN_BEFORE = {
    "signatory": [],
    "security officer": [],
    "other member": [],
    "staff": [ONLY_MEMBERS_SIGN],
    "committee": [NO_ACCESS],
    "CAN leader": [ONLY_MEMBERS_SIGN],
    "another organization": [NO_ACCESS],
    "anonymous": [NO_ACCESS],
}
SIGN_AFTER = {
    **SIGN_BEFORE,
    "security officer": [ONLY_AVERY],
    "other member": [ONLY_AVERY],
    "staff": [ONLY_AVERY],
    "CAN leader": [ONLY_AVERY],
}
SIGN = [
    pytest.param(role, confirmed, table[role], id=f"{role}-{when}")
    for confirmed, when, table in [
        (False, "none-confirmed", SIGN_BEFORE),
        (True, "confirmed", SIGN_AFTER),
    ]
    for role in ROLES
]


@pytest.mark.parametrize(("role", "confirmed", "problems"), SIGN)
def test_who_may_sign_the_mou(stage, personas, cast, role, confirmed, problems):
    if confirmed:
        confirm_both(personas, cast)
    agreement = stage.issued()

    assert actions.refusals(agreement, cast[role], "sign") == problems
    assert ("sign" in actions.available(agreement, cast[role])) == (problems == [])


def test_a_member_signs_before_a_signatory_is_confirmed_and_is_refused_after(stage, personas, cast):
    before = stage.issued()
    signed = stage.sign(before, personas.riley)
    assert signed.signatures.get().signer == personas.riley

    confirm_both(personas, cast)
    after = stage.issued()
    assert refused(lambda: stage.sign(after, personas.riley)) == [ONLY_AVERY]
    assert fresh(after).signatures.count() == 0
    stage.sign(after, cast["signatory"], full_name="Avery Signatory", title="Executive Director")
    assert Signature.objects.filter(agreement=after).get().signer == cast["signatory"]


def test_a_signatory_who_leaves_the_organization_signs_nothing_and_members_sign_again(
    stage, personas, cast
):
    confirm_both(personas, cast)
    Membership.objects.filter(user=cast["signatory"]).delete()
    agreement = stage.issued()

    assert roles.authorized_signatory(personas.harbor) is None
    assert actions.refusals(agreement, personas.riley, "sign") == []


# The rules of a proposal and a decision.


def test_a_replacement_is_a_new_proposal_and_its_confirmation_supersedes_the_old(personas, cast):
    confirm_both(personas, cast)
    first = RoleProposal.objects.get(role=SIGNATORY)

    proposal = role_services.propose_role(
        personas.harbor, personas.riley, SIGNATORY, personas.riley, "Deputy Director"
    )
    assert roles.authorized_signatory(personas.harbor) == cast["signatory"]
    role_services.confirm_role(proposal, personas.sam)

    assert roles.authorized_signatory(personas.harbor) == personas.riley
    assert roles.security_officer(personas.harbor) == cast["security officer"]
    # The history stays: both proposals, both decisions, as they were.
    assert list(
        RoleProposal.objects.filter(role=SIGNATORY).values_list("person__name", "decision__outcome")
    ) == [("Avery Signatory", "confirmed"), ("Riley Requestor", "confirmed")]
    assert first.decision.decided_by is not None
    with pytest.raises(TypeError):
        first.save()


@pytest.mark.parametrize(
    ("case", "problems"),
    [
        (
            "not a member",
            [
                "Choose an active member of Harbor Health Partners: only a member can hold its "
                "roles."
            ],
        ),
        ("no title", ["Give their title."]),
        (
            "already holds it",
            ["Avery Signatory is already the authorized signatory of Harbor Health Partners."],
        ),
        (
            "one waiting",
            [
                "Riley Requestor is already proposed as authorized signatory and waits for CCEH "
                "staff: they confirm or decline it first."
            ],
        ),
    ],
)
def test_a_proposal_says_what_is_wrong(personas, cast, case, problems):
    confirm_both(personas, cast)
    person, title = cast["other member"], "Director"
    if case == "not a member":
        person = personas.quinn
    elif case == "no title":
        title = "  "
    elif case == "already holds it":
        person = cast["signatory"]
    else:
        proposal_by(personas, cast)

    assert (
        refused(
            lambda: role_services.propose_role(
                personas.harbor, personas.riley, SIGNATORY, person, title
            )
        )
        == problems
    )


def test_staff_of_the_organization_cannot_confirm_its_roles(personas, cast):
    MembershipFactory(organization=personas.harbor, user=personas.sam)
    proposal = proposal_by(personas, cast)

    assert refused(lambda: role_services.confirm_role(proposal, personas.sam)) == [CONFLICT]


def test_a_proposal_is_answered_once(personas, cast):
    proposal = proposal_by(personas, cast)
    role_services.decline_role(proposal, personas.sam, "Unknown to us.")

    assert refused(lambda: role_services.confirm_role(proposal, personas.sam)) == [
        "This proposal has already been answered."
    ]


def test_a_decline_needs_a_reason(personas, cast):
    proposal = proposal_by(personas, cast)

    assert refused(lambda: role_services.decline_role(proposal, personas.sam, " ")) == [
        "Write why; the organization reads it."
    ]


# Notices and e-mails.


def notices(kind):
    return sorted(Notification.objects.filter(kind=kind).values_list("recipient__name", flat=True))


def test_a_proposal_tells_the_members_and_staff_and_an_answer_tells_the_members(
    personas, cast, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        proposal = role_services.propose_role(
            personas.harbor, personas.riley, SECURITY_OFFICER, cast["security officer"], "IT"
        )
    assert notices(Kind.ROLE_PROPOSED) == ["Avery Signatory", "Sam Staff", "Sol Officer"]
    assert sorted(m.to[0] for m in mail.outbox) == [
        "avery@harbor.test",
        personas.sam.email,
        "sol@harbor.test",
    ]
    staff_mail = next(m for m in mail.outbox if m.to == [personas.sam.email])
    assert staff_mail.subject == (
        f"{settings.ACCOUNT_EMAIL_SUBJECT_PREFIX}Sol Officer proposed as security officer of "
        "Harbor Health Partners"
    )
    assert reverse("organization_roles") in staff_mail.body

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        role_services.decline_role(proposal, personas.sam, "Sol is a contractor.")
    assert notices(Kind.ROLE_DECLINED) == ["Avery Signatory", "Riley Requestor", "Sol Officer"]
    assert "because: Sol is a contractor." in mail.outbox[0].body
    assert reverse("organization") in mail.outbox[0].body

    with django_capture_on_commit_callbacks(execute=True):
        again = role_services.propose_role(
            personas.harbor, personas.riley, SECURITY_OFFICER, cast["security officer"], "IT"
        )
        role_services.confirm_role(again, personas.sam)
    assert notices(Kind.ROLE_CONFIRMED) == ["Avery Signatory", "Riley Requestor", "Sol Officer"]


@pytest.mark.parametrize("kind", sorted(notifications.ROLE_KINDS))
def test_each_role_notice_has_a_title_and_an_email_in_text_and_html(personas, cast, kind):
    proposal = proposal_by(personas, cast)
    if kind == Kind.ROLE_DECLINED:
        RoleDecision.objects.create(
            proposal=proposal, outcome="declined", reason="Unknown & new.", decided_by=personas.sam
        )
    notice = Notification.objects.create(recipient=cast["signatory"], role=proposal, kind=kind)

    message = notifications.email_for(notice)

    verb = {
        "role_proposed": "proposed",
        "role_confirmed": "confirmed",
        "role_declined": "not confirmed",
    }
    title = f"Riley Requestor {verb[kind]} as authorized signatory of Harbor Health Partners"
    assert notifications.title(notice) == title
    assert message.subject == f"{settings.ACCOUNT_EMAIL_SUBJECT_PREFIX}{title}"
    assert message.body.startswith("Hello Avery,")
    assert f"{settings.SITE_URL}{reverse('organization')}" in message.body
    assert message.alternatives[0][1] == "text/html"
    if kind == Kind.ROLE_DECLINED:
        assert "Unknown &amp; new." in message.alternatives[0][0]


# The pages.


def test_the_organization_page_shows_the_roles_and_who_waits(client, personas, cast):
    confirm_both(personas, cast)
    proposal_by(personas, cast)
    client.force_login(personas.riley)

    main = parsed(client.get(reverse("organization")))

    assert main.find("dd", cls="signatory").text.startswith(
        "Avery Signatory, Executive Director (confirmed by CCEH staff on "
    )
    assert main.find("dd", cls="security-officer").text.startswith(
        "Sol Officer, IT Manager, sol@harbor.test (confirmed on "
    )
    assert main.find("ul", cls="roles-waiting").text.startswith(
        "Riley Requestor (Director) is proposed as authorized signatory by Riley Requestor on "
    )


def test_a_member_proposes_from_the_organization_page(client, personas, cast):
    client.force_login(personas.riley)
    prefix = f"role-{personas.harbor.pk}"

    response = client.post(
        reverse("role_propose", args=[personas.harbor.pk]),
        {
            f"{prefix}-role": "signatory",
            f"{prefix}-email": "AVERY@harbor.test",
            f"{prefix}-title": "CEO",
        },
    )

    assert (response.status_code, response["Location"]) == (302, reverse("organization"))
    assert list(roles.pending().values_list("person__name", "title")) == [
        ("Avery Signatory", "CEO")
    ]


def test_a_proposal_of_someone_not_a_member_comes_back_with_what_was_typed(client, personas, cast):
    client.force_login(personas.riley)
    prefix = f"role-{personas.harbor.pk}"

    response = client.post(
        reverse("role_propose", args=[personas.harbor.pk]),
        {
            f"{prefix}-role": "signatory",
            f"{prefix}-email": personas.quinn.email,
            f"{prefix}-title": "CEO",
        },
    )

    assert response.status_code == 400
    form = parsed(response).find("div", cls="propose-role")
    assert form.find("input", id=f"id_{prefix}-title").attrs["value"] == "CEO"
    assert (
        "Nobody with this e-mail address is an active member of Harbor Health Partners."
        in form.text
    )
    assert RoleProposal.objects.count() == 0


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("signatory", 302),
        ("other member", 302),
        ("staff", 404),
        ("another organization", 404),
        ("anonymous", 302),
    ],
)
def test_only_a_member_reaches_the_propose_address(client, personas, cast, role, status):
    if role != "anonymous":
        client.force_login(cast[role])
    prefix = f"role-{personas.harbor.pk}"

    response = client.post(
        reverse("role_propose", args=[personas.harbor.pk]),
        {
            f"{prefix}-role": "security_officer",
            f"{prefix}-email": "sol@harbor.test",
            f"{prefix}-title": "IT",
        },
    )

    assert response.status_code == status
    assert RoleProposal.objects.count() == (1 if role in MEMBERS else 0)
    if role == "anonymous":
        assert response["Location"].startswith(reverse("account_login"))


WHO_SEES_THE_LIST = [
    pytest.param(role, 200 if role == "staff" else 302 if role == "anonymous" else 403, id=role)
    for role in ROLES
]


@pytest.mark.parametrize(("role", "status"), WHO_SEES_THE_LIST)
def test_only_staff_see_the_proposals_waiting_and_answer_them(client, personas, cast, role, status):
    proposal = proposal_by(personas, cast)
    if role != "anonymous":
        client.force_login(cast[role])

    listed = client.get(reverse("organization_roles"))
    confirmed = client.post(reverse("role_confirm", args=[proposal.pk]))

    assert listed.status_code == status
    assert confirmed.status_code == (302 if role == "staff" else status)
    assert RoleDecision.objects.count() == (1 if role == "staff" else 0)


def test_staff_decline_with_a_reason_and_a_missing_one_comes_back(client, personas, cast):
    proposal = proposal_by(personas, cast)
    client.force_login(personas.sam)
    field = f"decline-{proposal.pk}-reason"

    empty = client.post(reverse("role_decline", args=[proposal.pk]), {field: ""})
    assert empty.status_code == 400
    assert parsed(empty).find("details", cls="decline-role").attrs.get("open") == ""

    done = client.post(reverse("role_decline", args=[proposal.pk]), {field: "Not known to us."})
    assert (done.status_code, RoleDecision.objects.get().reason) == (302, "Not known to us.")
    # An answered proposal is no longer there to answer.
    again = client.post(reverse("role_confirm", args=[proposal.pk]))
    assert again.status_code == 404


def test_the_mou_page_says_which_rule_applies(client, stage, personas, cast):
    agreement = stage.issued()
    url = reverse("agreement", args=[agreement.request.reference])
    client.force_login(personas.riley)

    rule = parsed(client.get(url)).find("dd", cls="signing-rule").text
    assert rule == (
        "Your organization has no confirmed authorized signatory: any member who may sign for "
        "it can; propose one on the organization page."
    )

    confirm_both(personas, cast)
    main = parsed(client.get(url))
    assert main.find("dd", cls="signing-rule").text == (
        "Only Avery Signatory, your authorized signatory, can sign."
    )
    assert main.find("section", cls="mou-roles").find("dd", cls="security-officer").text == (
        "Sol Officer, IT Manager, sol@harbor.test"
    )
    assert main.find("form", action=reverse("sign", args=[agreement.request.reference])) is None


# Costs: the organization page and the staff's list, at two sizes.

# The session, the person, the proposals' page (its keys, its rows, its bounded count), the
# holders of the page's organizations, the viewer's own organizations, and the header.
PROPOSALS_PAGE_QUERIES = 8


@pytest.mark.parametrize("size", [2, 20])
def test_the_staff_list_runs_the_same_queries_for_2_or_20_proposals(
    client, personas, django_assert_num_queries, size
):
    for _ in range(size):
        organization = OrganizationFactory()
        member = MembershipFactory(organization=organization).user
        confirmed_role(organization, member, SIGNATORY)
        RoleProposal.objects.create(
            organization=organization,
            role=SIGNATORY,
            person=member,
            title="Chief",
            proposed_by=member,
        )
    client.force_login(personas.sam)

    with django_assert_num_queries(PROPOSALS_PAGE_QUERIES):
        response = client.get(reverse("organization_roles"))

    assert len(parsed(response).find("ul", cls="role-proposals").find_all("li")) == size


# tests/accounts/test_organization_page.py counts the page with one member and with a page of
# them; here, with 2 and with 20 members, each confirmed in turn (a history of 2 or 20
# decisions), and the proposals waiting: at most one per role (role_services.propose_role).
ORGANIZATION_PAGE_QUERIES = 10


@pytest.mark.parametrize("size", [2, 20])
def test_the_organization_page_runs_the_same_queries_for_2_or_20_members_and_decisions(
    client, personas, django_assert_num_queries, size
):
    for i in range(size):
        member = MembershipFactory(organization=personas.harbor).user
        confirmed_role(personas.harbor, member, [SIGNATORY, SECURITY_OFFICER][i % 2])
    for role in (SIGNATORY, SECURITY_OFFICER):
        role_services.propose_role(personas.harbor, personas.riley, role, personas.riley, "Chief")
    client.force_login(personas.riley)

    with django_assert_num_queries(ORGANIZATION_PAGE_QUERIES):
        response = client.get(reverse("organization"))

    main = parsed(response)
    assert len(main.find("table", cls="members").find("tbody").find_all("tr")) == size + 1
    assert len(main.find("ul", cls="roles-waiting").find_all("li")) == 2
