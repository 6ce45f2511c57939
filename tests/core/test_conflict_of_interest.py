"""A conflict of interest hides as well as blocks: CCEH staff, a committee member or a CAN
leader who belongs to the requesting organization sees its request exactly as its requestors
do, in pages, lists, counts, CSVs and e-mails, and is told why.

Three personas are added to the shared ones for this: Ivy (CCEH staff), Mo (a committee
member) and Leo (leader of Greater Hartford, the CAN the requests name), each an active member
of Harbor Health Partners, the requesting organization. Riley, Harbor's requestor, is the
yardstick: whatever Riley sees of Harbor's requests, they see, and nothing more."""

import csv
import io

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from requests_app import workflow
from requests_app.core import actions
from requests_app.core.states import Status
from requests_app.core.visibility import (
    comments_visible_to,
    events_visible_to,
    requests_seen_internally_by,
    requests_visible_to,
    votes_visible_to,
)
from requests_app.models import Agreement, Comment, Notification, Vote
from tests.support.factories import MembershipFactory, UserFactory
from tests.support.journey import agree
from tests.support.pages import parsed

CONFLICTED = ["ivy", "mo", "leo"]
NOTE = (
    "You belong to Harbor Health Partners, the requesting organization, so you see this "
    "request as its requestors do: not its screening, internal discussion, votes or "
    "recommendations, and you take no part in deciding it (a conflict of interest)."
)


@pytest.fixture
def insiders(personas):
    """Harbor's own people who also hold a role inside the process."""
    made = {
        "ivy": UserFactory(name="Ivy Insider", is_cceh_staff=True),
        "mo": UserFactory(name="Mo Member", is_committee_member=True),
        "leo": UserFactory(name="Leo Leader", led_cans=[personas.hartford]),
    }
    for user in made.values():
        MembershipFactory(organization=personas.harbor, user=user)
    return made


@pytest.fixture
def harbors(journey, personas, insiders):
    """Harbor's requests in every status, with both kinds of comment, votes and a CAN's
    recommendation where the status has them."""
    requests = {
        "draft": journey.draft(),
        "submitted": journey.submitted(),
        "screening": journey.ready_to_approve(),
        "returned": journey.returned(),
        "vetting": journey.with_quorum(),
        "approved": journey.approved(),
        "denied": journey.denied(),
    }
    workflow.cast_vote(requests["vetting"], insiders["mo"], Vote.Choice.RECUSE, "I work there.")
    for request in requests.values():
        if request.status != Status.DRAFT:
            for visibility in Comment.Visibility:
                Comment.objects.create(
                    request=request, author=personas.sam, body="Noted.", visibility=visibility
                )
    return requests


def seen_by(user, harbor_ids):
    """Everything of Harbor's requests a person sees, through every scoping function."""
    return {
        "requests": set(requests_visible_to(user).filter(pk__in=harbor_ids).values_list("pk")),
        "internally": set(
            requests_seen_internally_by(user).filter(pk__in=harbor_ids).values_list("pk")
        ),
        "comments": set(
            comments_visible_to(user).filter(request_id__in=harbor_ids).values_list("pk")
        ),
        "events": set(events_visible_to(user).filter(request_id__in=harbor_ids).values_list("pk")),
        "votes": set(votes_visible_to(user).filter(request_id__in=harbor_ids).values_list("pk")),
    }


@pytest.mark.parametrize("who", CONFLICTED)
def test_they_see_of_their_organizations_requests_exactly_what_its_requestor_sees(
    harbors, personas, insiders, who
):
    harbor_ids = [r.pk for r in harbors.values()]

    assert seen_by(insiders[who], harbor_ids) == seen_by(personas.riley, harbor_ids)
    assert seen_by(insiders[who], harbor_ids)["internally"] == set()
    assert seen_by(insiders[who], harbor_ids)["votes"] == set()


@pytest.mark.parametrize("who", CONFLICTED)
@pytest.mark.parametrize("status", ["submitted", "screening", "vetting", "approved", "denied"])
def test_the_request_page_is_the_requestors_with_the_reason_said(
    client, harbors, insiders, who, status
):
    request = harbors[status]
    client.force_login(insiders[who])

    page = client.get(request.get_absolute_url())

    assert page.status_code == 200
    assert (page.context["internal"], page.context["own"], page.context["conflict"]) == (
        False,
        True,
        True,
    )
    html = parsed(page)
    assert html.find("div", cls="conflict-of-interest").find("p").text == NOTE
    for internal_part in ("checklist-heading", "committee-heading", "can-heading"):
        assert html.find("section", aria_labelledby=internal_part) is None
    assert "Escalated because:" not in page.content.decode()
    assert page.context["internal_comments"] == []


def test_a_member_of_the_organization_may_still_record_a_recusal_and_sees_no_vote(
    client, harbors, insiders
):
    client.force_login(insiders["mo"])

    page = client.get(harbors["vetting"].get_absolute_url())

    assert page.context["recused"].choice == Vote.Choice.RECUSE
    assert page.context.get("votes") is None
    assert page.context.get("tally") is None


def test_staffs_queue_its_count_and_its_csv_leave_their_organizations_requests_out(
    client, harbors, insiders, personas
):
    client.force_login(insiders["ivy"])

    queue = client.get(reverse("queue"), {"status": ""})
    listed = {r.reference for r, _ in queue.context["rows"]}
    download = b"".join(client.get(reverse("queue_export")).streaming_content).decode()
    exported = {row["Reference"] for row in csv.DictReader(io.StringIO(download))}

    assert listed == set()
    assert queue.context["page"].count == 0
    assert exported == set()
    # Sam, who does not belong to Harbor, has them all.
    client.force_login(personas.sam)
    assert client.get(reverse("queue"), {"status": ""}).context["page"].count > 0


def test_the_docket_and_the_can_list_leave_their_organizations_requests_out(
    client, harbors, insiders
):
    client.force_login(insiders["mo"])
    docket = client.get(reverse("docket"))
    past = client.get(reverse("docket"), {"tab": "past"})
    client.force_login(insiders["leo"])
    can_list = client.get(reverse("can_requests"))

    assert (docket.context["rows"], past.context["rows"], can_list.context["rows"]) == ([], [], [])


@pytest.mark.parametrize("who", CONFLICTED)
def test_their_organizations_request_cannot_be_acted_on_from_inside(harbors, insiders, who):
    user, request = insiders[who], harbors["screening"]

    assert actions.refusals(request, user, "comment") == [
        "Only CCEH staff, sub-committee members and the named CANs' leaders take part in the "
        "internal discussion, and none of them on a request of their own organization."
    ]


def test_no_internal_notice_or_e_mail_reaches_them_but_the_requestors_do(
    journey, personas, insiders, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        submitted = journey.submitted()
        request = workflow.start_screening(submitted, personas.sam)
        workflow.escalate(request, personas.sam, "Is identified data needed? Internal only.")
        returned = workflow.return_for_information(
            journey.screening(), personas.sam, "Who else will use it?"
        )

    told = {
        (n.recipient.name, n.kind)
        for n in Notification.objects.filter(recipient__in=insiders.values())
    }
    assert told == {(user.name, Notification.Kind.RETURNED) for user in insiders.values()}
    insider_mail = [m for m in mail.outbox if set(m.to) & {u.email for u in insiders.values()}]
    assert all(returned.reference in m.subject + m.body for m in insider_mail)
    assert not any("Internal only." in m.body for m in insider_mail)


def test_the_provisioning_list_and_its_csv_leave_their_organizations_people_out(
    client, journey, personas, insiders, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        request = journey.approved()
    agreement = Agreement.objects.get(request=request)
    with django_capture_on_commit_callbacks(execute=True):
        workflow.sign_mou(agreement, personas.riley, "Riley Requestor", "Director", True)
    agreement = Agreement.objects.get(pk=agreement.pk)
    with django_capture_on_commit_callbacks(execute=True):
        workflow.countersign_mou(agreement, personas.sam, "Sam Staff", "Admin", True)
    agreement = Agreement.objects.get(pk=agreement.pk)
    person = request.people.get()
    workflow.record_training(agreement, personas.sam, person, timezone.localdate(), "CT HMIS")
    agree(person)
    workflow.activate_access(Agreement.objects.get(pk=agreement.pk), personas.sam)

    client.force_login(insiders["ivy"])
    page = client.get(reverse("provisioning"))
    download = b"".join(client.get(reverse("provisioning_export")).streaming_content).decode()

    assert page.context["rows"] == []
    assert list(csv.DictReader(io.StringIO(download))) == []
    assert [a.person.name for a in workflow.provisioning_list(personas.sam)] == [person.name]
