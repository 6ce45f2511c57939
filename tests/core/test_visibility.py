"""Who sees which request, vote, comment and event (docs/design.md section 2), through the scoping
functions every page uses (requests_app/core/visibility.py), and the request page itself.

Speed: fifteen requests moved through the workflow cost seconds, and there are 164 tests, so the
personas and every request below are built once for this module inside an outer transaction
(`stage`); each test runs in pytest-django's per-test transaction, a savepoint inside it that is
rolled back, so a test that votes or moves a request leaves the stage as it was. The stage is
rolled back at the end of the module. Every database test here uses `stage`; a test that built
its own `personas` while the stage is open would collide with the stage's organizations.
"""

from dataclasses import dataclass

import pytest
from django.db import transaction
from django.urls import reverse

from requests_app import workflow
from requests_app.core.states import Status
from requests_app.core.visibility import (
    comments_visible_to,
    events_visible_to,
    requests_visible_to,
    seen_internally_by_key,
    votes_visible_to,
)
from requests_app.models import AccessRequest, Comment, Event, Vote
from tests.support.factories import AccessRequestFactory
from tests.support.journey import Journey, staged_journey
from tests.support.personas import PERSONA_NAMES, Personas

# The stage's requests. Unless the name says otherwise, each is Harbor's (riley's organization)
# and names Greater Hartford (lee's CAN), and got to its status through the workflow.
DRAFT = "draft"
SUBMITTED = "submitted"
SCREENING = "screening"
RETURNED = "returned"
VETTING = "vetting, morgan and casey voted"
APPROVED = "approved by staff"
DENIED = "denied by staff"
WITHDRAWN = "withdrawn"
VETTING_CHAIR_VOTED = "vetting, only casey voted"
VOTED_THEN_RETURNED = "returned from vetting after morgan and casey voted"
VOTED_THEN_DECIDED = "approved by the committee after morgan and casey voted"
NAMES_EASTERN = "submitted, names Eastern (pat's CAN)"
STATEWIDE = "submitted, statewide"
ELSEWHERE_DRAFT = "Elsewhere's draft (quinn's organization)"
ELSEWHERE_SUBMITTED = "Elsewhere's submitted request, names Greater Hartford"

# What each persona sees of each request (docs/design.md section 2):
#   ALL: the request, every comment on it, every event and (for those who may) its votes;
#   SHARE: the requestor's share: the request, messages with the requestor (comments with
#          visibility REQUESTOR) and the events marked visible to the requestor.
# A request not listed for a persona is invisible to them, and so is everything on it.
ALL = "everything"
SHARE = "the requestor's share"

SEEN = {
    "anonymous": {},
    # A requestor sees every request of their organization, drafts included, and only its
    # requestor's share.
    "riley": {
        DRAFT: SHARE,
        SUBMITTED: SHARE,
        SCREENING: SHARE,
        RETURNED: SHARE,
        VETTING: SHARE,
        APPROVED: SHARE,
        DENIED: SHARE,
        WITHDRAWN: SHARE,
        VETTING_CHAIR_VOTED: SHARE,
        VOTED_THEN_RETURNED: SHARE,
        VOTED_THEN_DECIDED: SHARE,
        NAMES_EASTERN: SHARE,
        STATEWIDE: SHARE,
    },
    "quinn": {
        ELSEWHERE_DRAFT: SHARE,
        ELSEWHERE_SUBMITTED: SHARE,
    },
    # Staff see every request once submitted; nobody but its organization sees a draft.
    "sam": {
        SUBMITTED: ALL,
        SCREENING: ALL,
        RETURNED: ALL,
        VETTING: ALL,
        APPROVED: ALL,
        DENIED: ALL,
        WITHDRAWN: ALL,
        VETTING_CHAIR_VOTED: ALL,
        VOTED_THEN_RETURNED: ALL,
        VOTED_THEN_DECIDED: ALL,
        NAMES_EASTERN: ALL,
        STATEWIDE: ALL,
        ELSEWHERE_SUBMITTED: ALL,
    },
    # Members see what is in vetting, and what they voted on, whatever became of it.
    "morgan": {
        VETTING: ALL,
        VETTING_CHAIR_VOTED: ALL,
        VOTED_THEN_RETURNED: ALL,
        VOTED_THEN_DECIDED: ALL,
    },
    "casey": {
        VETTING: ALL,
        VETTING_CHAIR_VOTED: ALL,
        VOTED_THEN_RETURNED: ALL,
        VOTED_THEN_DECIDED: ALL,
    },
    # A CAN's leader sees the submitted requests naming their CAN, whichever organization's.
    "lee": {
        SUBMITTED: ALL,
        SCREENING: ALL,
        RETURNED: ALL,
        VETTING: ALL,
        APPROVED: ALL,
        DENIED: ALL,
        WITHDRAWN: ALL,
        VETTING_CHAIR_VOTED: ALL,
        VOTED_THEN_RETURNED: ALL,
        VOTED_THEN_DECIDED: ALL,
        ELSEWHERE_SUBMITTED: ALL,
    },
    "pat": {
        NAMES_EASTERN: ALL,
    },
    # The administrator sees everything submitted, like staff.
    "alex": {
        SUBMITTED: ALL,
        SCREENING: ALL,
        RETURNED: ALL,
        VETTING: ALL,
        APPROVED: ALL,
        DENIED: ALL,
        WITHDRAWN: ALL,
        VETTING_CHAIR_VOTED: ALL,
        VOTED_THEN_RETURNED: ALL,
        VOTED_THEN_DECIDED: ALL,
        NAMES_EASTERN: ALL,
        STATEWIDE: ALL,
        ELSEWHERE_SUBMITTED: ALL,
    },
}

# Which votes each persona sees, as (request, voter). Staff, the administrator and the chair
# see every vote; a member sees the others' votes only on requests they voted on themselves;
# requestors and CAN leaders see none.
EVERY_VOTE = {
    (VETTING, "morgan"),
    (VETTING, "casey"),
    (VETTING_CHAIR_VOTED, "casey"),
    (VOTED_THEN_RETURNED, "morgan"),
    (VOTED_THEN_RETURNED, "casey"),
    (VOTED_THEN_DECIDED, "morgan"),
    (VOTED_THEN_DECIDED, "casey"),
}
VOTES_SEEN = {
    "anonymous": set(),
    "riley": set(),
    "quinn": set(),
    "sam": EVERY_VOTE,
    "morgan": {
        (VETTING, "morgan"),
        (VETTING, "casey"),
        (VOTED_THEN_RETURNED, "morgan"),
        (VOTED_THEN_RETURNED, "casey"),
        (VOTED_THEN_DECIDED, "morgan"),
        (VOTED_THEN_DECIDED, "casey"),
    },
    "casey": EVERY_VOTE,
    "lee": set(),
    "pat": set(),
    "alex": EVERY_VOTE,
}


@dataclass
class Stage:
    personas: Personas
    journey: Journey
    request_ids: dict

    def request(self, key):
        return AccessRequest.objects.get(pk=self.request_ids[key])

    def key_of(self, pk):
        keys = {pk: key for key, pk in self.request_ids.items()}
        return keys.get(pk, f"a request the stage did not build (pk {pk})")


def _build_requests(p, journey):
    requests = {
        DRAFT: journey.draft(),
        SUBMITTED: journey.submitted(),
        SCREENING: journey.ready_to_approve(),
        RETURNED: journey.returned(),
        VETTING: journey.with_quorum(),
        APPROVED: journey.approved(),
        DENIED: journey.denied(),
        WITHDRAWN: journey.withdrawn(),
        NAMES_EASTERN: journey.submitted(cans=[p.eastern]),
        STATEWIDE: journey.submitted(cans=[]),
    }

    chair_voted = journey.vetting()
    workflow.cast_vote(
        chair_voted, p.casey, Vote.Choice.APPROVE, levels=journey.levels(chair_voted)
    )
    requests[VETTING_CHAIR_VOTED] = chair_voted

    requests[VOTED_THEN_RETURNED] = workflow.return_for_information(
        journey.with_quorum(), p.sam, "Which data fields exactly?"
    )
    quorate = journey.with_quorum()
    requests[VOTED_THEN_DECIDED] = workflow.record_committee_decision(
        quorate, p.casey, Status.APPROVED, "As voted.", levels=journey.levels(quorate)
    )

    elsewhere = dict(organization=p.elsewhere, created_by=p.quinn, cans=[p.hartford])
    requests[ELSEWHERE_DRAFT] = AccessRequestFactory(**elsewhere)
    requests[ELSEWHERE_SUBMITTED] = workflow.submit(AccessRequestFactory(**elsewhere), p.quinn)
    return requests


# Every test is a database test, so each runs in a rolled-back savepoint of the stage, and the
# module stays together when pytest-django orders database tests before the others.
pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def stage(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        journey = staged_journey()
        personas = journey.p
        requests = _build_requests(personas, journey)
        # Both kinds of comment on every submitted request, so each persona's share shows.
        # Written directly: who may write them is test_permissions' business, not this one's.
        for request in requests.values():
            if request.status != Status.DRAFT:
                for visibility in Comment.Visibility:
                    Comment.objects.create(
                        request=request, author=personas.sam, body="Noted.", visibility=visibility
                    )
        yield Stage(personas, journey, {key: r.pk for key, r in requests.items()})
        transaction.set_rollback(True)


def _user(stage, persona):
    return stage.personas.by_name(persona)


def _ids_seen(stage, persona):
    """The ids of the requests `persona` sees everything of, and of those they see the
    requestor's share of."""
    seen = SEEN[persona]
    everything = [stage.request_ids[k] for k, what in seen.items() if what == ALL]
    shared = [stage.request_ids[k] for k, what in seen.items() if what == SHARE]
    return everything, shared


def test_the_tables_name_every_persona():
    assert set(SEEN) == set(PERSONA_NAMES)
    assert set(VOTES_SEEN) == set(PERSONA_NAMES)


def test_the_stage_holds_requests_in_the_statuses_their_names_say(stage):
    # A table row about the wrong request would pass or fail for the wrong reason.
    statuses = {key: stage.request(key).status for key in stage.request_ids}
    assert statuses == {
        DRAFT: Status.DRAFT,
        SUBMITTED: Status.SUBMITTED,
        SCREENING: Status.SCREENING,
        RETURNED: Status.RETURNED,
        VETTING: Status.VETTING,
        APPROVED: Status.APPROVED,
        DENIED: Status.DENIED,
        WITHDRAWN: Status.WITHDRAWN,
        VETTING_CHAIR_VOTED: Status.VETTING,
        VOTED_THEN_RETURNED: Status.RETURNED,
        VOTED_THEN_DECIDED: Status.APPROVED,
        NAMES_EASTERN: Status.SUBMITTED,
        STATEWIDE: Status.SUBMITTED,
        ELSEWHERE_DRAFT: Status.DRAFT,
        ELSEWHERE_SUBMITTED: Status.SUBMITTED,
    }


def test_every_submitted_request_has_internal_and_requestor_events(stage):
    # Otherwise "only the requestor's share of the events" could not be told from "all".
    submitted = [pk for key, pk in stage.request_ids.items() if key not in (DRAFT, ELSEWHERE_DRAFT)]
    kinds = set(
        Event.objects.filter(request_id__in=submitted).values_list(
            "visible_to_requestor", flat=True
        )
    )
    assert kinds == {True, False}


@pytest.mark.parametrize("persona", PERSONA_NAMES)
def test_persona_sees_exactly_the_requests_the_design_gives_them(stage, db, persona):
    visible = requests_visible_to(_user(stage, persona)).values_list("pk", flat=True)

    assert {stage.key_of(pk) for pk in visible} == set(SEEN[persona])


@pytest.mark.parametrize("persona", PERSONA_NAMES)
def test_persona_sees_exactly_the_votes_the_design_gives_them(stage, db, persona):
    p = stage.personas
    voters = {p.morgan.pk: "morgan", p.casey.pk: "casey"}
    visible = votes_visible_to(_user(stage, persona))

    assert {
        (stage.key_of(v.request_id), voters.get(v.voter_id, f"user {v.voter_id}")) for v in visible
    } == VOTES_SEEN[persona]


@pytest.mark.parametrize("persona", PERSONA_NAMES)
def test_persona_sees_exactly_the_comments_the_design_gives_them(stage, db, persona):
    everything, shared = _ids_seen(stage, persona)
    expected = set(Comment.objects.filter(request_id__in=everything).values_list("pk", flat=True))
    expected |= set(
        Comment.objects.filter(
            request_id__in=shared, visibility=Comment.Visibility.REQUESTOR
        ).values_list("pk", flat=True)
    )

    visible = comments_visible_to(_user(stage, persona)).values_list("pk", flat=True)

    assert set(visible) == expected


@pytest.mark.parametrize("persona", PERSONA_NAMES)
def test_persona_sees_exactly_the_events_the_design_gives_them(stage, db, persona):
    everything, shared = _ids_seen(stage, persona)
    # A vote's event tells the vote: only where the persona may see that request's votes.
    votes_seen_on = [stage.request_ids[key] for key, _ in VOTES_SEEN[persona]]
    internal = Event.objects.filter(request_id__in=everything).exclude(
        kind=Event.Kind.VOTED, request_id__in=set(everything) - set(votes_seen_on)
    )
    expected = set(internal.values_list("pk", flat=True))
    expected |= set(
        Event.objects.filter(request_id__in=shared, visible_to_requestor=True).values_list(
            "pk", flat=True
        )
    )

    visible = events_visible_to(_user(stage, persona)).values_list("pk", flat=True)

    assert set(visible) == expected


@pytest.mark.parametrize("persona", PERSONA_NAMES)
def test_persona_s_rows_of_another_table_by_key_are_exactly_those_of_the_requests_seen_inside(
    stage, db, persona
):
    """seen_internally_by_key (NOT IN the few requests unseen, for staff; IN those seen, for
    anyone else) picks the same rows as the requests seen inside (everything, not a share)."""
    everything, _ = _ids_seen(stage, persona)
    expected = set(Event.objects.filter(request_id__in=everything).values_list("pk", flat=True))

    scoped = Event.objects.filter(seen_internally_by_key(_user(stage, persona), "request_id"))

    assert set(scoped.values_list("pk", flat=True)) == expected


def test_a_requestor_sees_messages_but_no_internal_comment(stage, db):
    # The table test compares against sets built from the same rows; this one names them.
    screening = stage.request(SCREENING)
    seen = comments_visible_to(stage.personas.riley).filter(request=screening)

    assert list(seen.values_list("visibility", flat=True)) == [Comment.Visibility.REQUESTOR]


def test_a_member_sees_the_other_votes_only_after_casting_their_own(stage, db):
    p = stage.personas
    request = stage.request(VETTING_CHAIR_VOTED)
    casey_vote = Vote.objects.get(request=request, voter=p.casey)

    before = set(votes_visible_to(p.morgan).filter(request=request))
    morgan_vote = workflow.cast_vote(
        request, p.morgan, Vote.Choice.APPROVE, levels=stage.journey.levels(request)
    )
    after = set(votes_visible_to(p.morgan).filter(request=request))

    assert (before, after) == (set(), {casey_vote, morgan_vote})


def test_a_member_loses_sight_of_a_request_they_did_not_vote_on_once_it_leaves_vetting(stage, db):
    p = stage.personas
    request = workflow.return_for_information(
        stage.request(VETTING_CHAIR_VOTED), p.sam, "Which data fields exactly?"
    )

    # casey voted on it, so keeps it; morgan only saw it because it was in vetting.
    assert requests_visible_to(p.morgan).filter(pk=request.pk).exists() is False
    assert requests_visible_to(p.casey).filter(pk=request.pk).exists() is True


DETAIL_CELLS = [
    pytest.param(persona, key, id=f"{persona}-{key}")
    for persona in PERSONA_NAMES
    if persona != "anonymous"
    for key in (
        DRAFT,
        SUBMITTED,
        SCREENING,
        RETURNED,
        VETTING,
        APPROVED,
        DENIED,
        WITHDRAWN,
        VETTING_CHAIR_VOTED,
        VOTED_THEN_RETURNED,
        VOTED_THEN_DECIDED,
        NAMES_EASTERN,
        STATEWIDE,
        ELSEWHERE_DRAFT,
        ELSEWHERE_SUBMITTED,
    )
]


@pytest.mark.parametrize(("persona", "key"), DETAIL_CELLS)
def test_request_page_answers_404_to_whoever_cannot_see_the_request(
    stage, db, client, persona, key
):
    # 404 rather than 403: a request one may not see is not admitted to exist.
    client.force_login(_user(stage, persona))
    url = reverse("request_detail", args=[stage.request(key).reference])

    response = client.get(url)

    assert response.status_code == (200 if key in SEEN[persona] else 404)


def test_request_page_sends_anonymous_visitors_to_sign_in(stage, db, client):
    url = reverse("request_detail", args=[stage.request(SUBMITTED).reference])

    response = client.get(url)

    assert (response.status_code, response.url) == (302, f"{reverse('account_login')}?next={url}")


def test_request_page_shows_the_requestor_only_the_public_history(stage, db, client):
    # Screening left internal "Criterion assessed" events; the requestor's page must omit them.
    screening = stage.request(SCREENING)
    url = reverse("request_detail", args=[screening.reference])

    client.force_login(stage.personas.riley)
    requestor_page = client.get(url).content.decode()
    client.force_login(stage.personas.sam)
    staff_page = client.get(url).content.decode()

    assessed = Event.objects.filter(request=screening, kind=Event.Kind.ASSESSED).first().headline()
    assert (assessed in requestor_page, assessed in staff_page) == (False, True)
