"""The organization page: for a member, the organization's details, its members and their roles,
who asks to join (to those who may accept them) and the forms to set up or join another folded
below; for someone in no organization yet, the two forms."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from requests_app.accounts.views import MEMBERS_PAGE_SIZE, PENDING_SHOWN
from requests_app.models import Membership, Organization, RoleProposal, User
from tests.support.factories import (
    MembershipFactory,
    OrganizationFactory,
    UserFactory,
    confirmed_role,
)
from tests.support.pages import pages_of, parsed

# The session, the person, their memberships with their organizations, their organizations'
# roles and the role proposals waiting, a page of members (its keys, its rows, its bounded
# count), the oldest requests to join, and the header's notices.
MEMBER_PAGE_QUERIES = 10
PENDING = Membership.State.PENDING
SECURITY_OFFICER = RoleProposal.Role.SECURITY_OFFICER


@pytest.fixture
def harbor(personas):
    """Riley's organization, with its details given, a signatory and a plain member."""
    harbor = personas.harbor
    harbor.kind = Organization.Kind.HEALTH_CARE
    harbor.address = "12 Harbor Way\nNew London, CT 06320"
    harbor.website = "https://harbor.example.org"
    harbor.funded_for_homeless_services = True
    harbor.save()
    avery = MembershipFactory(
        organization=harbor,
        user__name="Avery Signatory",
        user__email="avery@harbor.example.org",
    ).user
    confirmed_role(harbor, avery, title="Executive Director")
    MembershipFactory(
        organization=harbor, user__name="Blake Member", user__email="blake@harbor.example.org"
    )
    return harbor


def details(main):
    section = main.find("dl", cls="organization-details")
    return dict(
        zip(
            [dt.text for dt in section.find_all("dt")],
            [dd.text for dd in section.find_all("dd")],
            strict=True,
        )
    )


def members(main):
    return [
        [td.text for td in tr.find_all("td")]
        for tr in main.find("table", cls="members").find("tbody").find_all("tr")
    ]


def pending(main):
    listed = main.find("ul", cls="pending")
    return (
        []
        if listed is None
        else [li.find("span").text.split(", since")[0] for li in listed.find_all("li")]
    )


def test_a_member_sees_the_organizations_details_as_text_not_in_a_form_field(
    client, personas, harbor
):
    client.force_login(personas.riley)
    main = parsed(client.get(reverse("organization")))
    set_up = timezone.localtime(harbor.created_at)

    assert main.find("h2", id=f"organization-{harbor.pk}-heading").text == harbor.name
    assert details(main) == {
        "Type": "Health care",
        "Address": "12 Harbor Way New London, CT 06320",
        "Website": "https://harbor.example.org",
        "Funded to provide homeless services": "Yes",
        # The day in Connecticut, as the page says it: after 7 PM there it is already
        # tomorrow in UTC.
        "Set up on": f"{set_up:%b} {set_up.day}, {set_up:%Y}",
        "Your role": "Member",
    }
    assert main.find("section", cls="organization").find("input") is None


def test_a_member_sees_every_member_with_their_role(client, personas, harbor):
    # Not members: someone still asking, and a member of another organization.
    MembershipFactory(organization=harbor, state=PENDING, user__name="Casey Hopeful")
    client.force_login(personas.riley)
    main = parsed(client.get(reverse("organization")))

    assert main.find("table", cls="members").find("caption").text == "3 members"
    assert members(main) == [
        ["Avery Signatory", "avery@harbor.example.org", "Authorized signatory"],
        ["Blake Member", "blake@harbor.example.org", "Member"],
        ["Riley Requestor (you)", personas.riley.email, "Member"],
    ]


def test_a_member_of_two_organizations_sees_both_and_which_each_member_belongs_to(
    client, personas, harbor
):
    MembershipFactory(user=personas.riley, organization=personas.elsewhere)
    client.force_login(personas.riley)
    main = parsed(client.get(reverse("organization")))

    assert [h.text for h in main.find_all("h2") if h.attrs.get("id", "").startswith("org")] == [
        "Elsewhere Services",
        "Harbor Health Partners",
    ]
    assert [row[2] for row in members(main)] == [
        "Elsewhere Services",
        "Elsewhere Services",
        "Harbor Health Partners",
        "Harbor Health Partners",
        "Harbor Health Partners",
    ]


@pytest.mark.parametrize(
    ("who", "sees"),
    [
        # Every active member may accept or decline (membership_accept): each sees the queue.
        ("riley", ["Casey Hopeful (casey@example.org) asks to join Harbor Health Partners"]),
        ("signatory", ["Casey Hopeful (casey@example.org) asks to join Harbor Health Partners"]),
        # One who is still asking, and a member of another organization, see none of it.
        ("hopeful", None),
        ("quinn", []),
    ],
)
def test_requests_to_join_are_shown_to_those_who_may_accept_them(
    client, personas, harbor, who, sees
):
    MembershipFactory(
        organization=harbor,
        state=PENDING,
        user__name="Casey Hopeful",
        user__email="casey@example.org",
    )
    people = {
        "riley": personas.riley,
        "signatory": User.objects.get(email="avery@harbor.example.org"),
        "hopeful": Membership.objects.get(state=PENDING).user,
        "quinn": personas.quinn,
    }
    client.force_login(people[who])
    main = parsed(client.get(reverse("organization")))

    heading = main.find("h2", id="pending-heading")
    assert (None if heading is None else pending(main)) == sees


def test_someone_still_asking_to_join_is_told_so_and_sees_nothing_of_the_organization(
    client, personas, harbor
):
    hopeful = MembershipFactory(organization=harbor, state=PENDING).user
    client.force_login(hopeful)
    main = parsed(client.get(reverse("organization")))

    assert [li.text for li in main.find("ul", cls="asked").find_all("li")] == [
        "You asked to join Harbor Health Partners. One of its members will accept you; until "
        "then you do not see its requests."
    ]
    assert (main.find("dl", cls="organization-details"), main.find("table")) == (None, None)
    # Nothing to fold away: the forms are the page.
    assert main.find("details") is None
    assert main.find("h2", id="create-heading").text == "Set up a new organization"


def test_a_members_forms_to_set_up_or_join_another_are_folded_below_the_rest(
    client, personas, harbor
):
    client.force_login(personas.riley)
    main = parsed(client.get(reverse("organization")))

    folded = main.find("details", cls="other-organization")
    assert (folded.find("summary").text, "open" in folded.attrs) == (
        "Set up or join another organization",
        False,
    )
    assert [h.text for h in folded.find_all("h2")] == [
        "Set up a new organization",
        "Join an existing organization",
    ]
    # Below the details, the members and who asks to join.
    headings = [h.text for h in main.find_all("h2")]
    assert headings.index("Set up a new organization") > headings.index("People asking to join")


def test_a_members_failed_form_comes_back_unfolded_with_what_was_typed(client, personas, harbor):
    client.force_login(personas.riley)
    response = client.post(reverse("organization_join"), {"name": "Harbour Health"})
    main = parsed(response)

    assert response.status_code == 400
    assert "open" in main.find("details", cls="other-organization").attrs
    joining = main.find("form", action=reverse("organization_join"))
    assert joining.find("input", name="name").attrs["value"] == "Harbour Health"


def test_a_long_member_list_comes_a_page_at_a_time(client, personas, harbor):
    for i in range(MEMBERS_PAGE_SIZE):
        MembershipFactory(organization=harbor, user__name=f"Zed {i:02}")
    client.force_login(personas.riley)
    first = client.get(reverse("organization"))

    assert len(members(parsed(first))) == MEMBERS_PAGE_SIZE
    position, links = pages_of(first)
    assert (position, list(links)) == (f"Members 1 to {MEMBERS_PAGE_SIZE} of 28", ["Next"])
    second = client.get(links["Next"])
    assert [row[0] for row in members(parsed(second))] == ["Zed 22", "Zed 23", "Zed 24"]


def test_the_oldest_requests_to_join_are_shown_and_the_page_says_more_wait(
    client, personas, harbor
):
    for i in range(PENDING_SHOWN + 1):
        MembershipFactory(organization=harbor, state=PENDING, user__name=f"Hopeful {i:02}")
    client.force_login(personas.riley)
    main = parsed(client.get(reverse("organization")))

    shown = pending(main)
    assert (len(shown), shown[0].split(" (")[0], shown[-1].split(" (")[0]) == (
        PENDING_SHOWN,
        "Hopeful 00",
        f"Hopeful {PENDING_SHOWN - 1:02}",
    )
    assert main.find("p", cls="more-pending").text == (
        f"These are the {PENDING_SHOWN} oldest requests to join; the others follow as you "
        "accept or decline these."
    )


def test_the_page_runs_as_many_queries_for_a_large_organization_as_for_a_small_one(
    client, personas, harbor, django_assert_num_queries
):
    MembershipFactory(organization=harbor, state=PENDING)
    client.force_login(personas.riley)
    with django_assert_num_queries(MEMBER_PAGE_QUERIES):
        response = client.get(reverse("organization"))
    assert (len(members(parsed(response))), len(pending(parsed(response)))) == (3, 1)

    other = OrganizationFactory()
    MembershipFactory(user=personas.riley, organization=other)
    confirmed_role(other, personas.riley)
    for i in range(40):
        membership = MembershipFactory(organization=[harbor, other][i % 2])
        if i % 3 == 0:
            confirmed_role(membership.organization, membership.user, SECURITY_OFFICER)
        MembershipFactory(organization=[harbor, other][i % 2], state=PENDING)
    # A new membership ends the person's sessions (accounts/sessions.py): they sign in again.
    client.force_login(personas.riley)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("organization"))
    assert (len(members(parsed(response))), len(pending(parsed(response)))) == (
        MEMBERS_PAGE_SIZE,
        PENDING_SHOWN,
    )
    assert len(captured.captured_queries) == MEMBER_PAGE_QUERIES


def test_someone_in_no_organization_gets_the_two_forms_unfolded(client, db):
    client.force_login(UserFactory())
    main = parsed(client.get(reverse("organization")))

    assert main.find("details") is None
    assert [h.text for h in main.find_all("h2")] == [
        "Set up a new organization",
        "Join an existing organization",
    ]
