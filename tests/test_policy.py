"""The policy's rules about a request's own state (requests_app/policy.py): what a submission
must answer, what the screening page suggests to staff, and the committee's count."""

import datetime

import pytest

from requests_app import policy, workflow
from requests_app.core.states import Status
from requests_app.models import CAN, AccessRequest, Criterion, Vote
from requests_app.policy import Suggestion
from tests.support.factories import (
    AccessRequestFactory,
    NamedPersonFactory,
    OrganizationFactory,
    RevocationFactory,
    UserFactory,
    VotingRoundFactory,
)

APPROVE, DENY = Vote.Choice.APPROVE, Vote.Choice.DENY
ABSTAIN, RECUSE = Vote.Choice.ABSTAIN, Vote.Choice.RECUSE

# Midday, so the date reads the same in UTC and in Connecticut.
MARCH_7 = datetime.datetime(2023, 3, 7, 12, 0, tzinfo=datetime.UTC)


def long_date(moment):
    """How the suggestions write a date: "March 7, 2023"."""
    return f"{moment:%B} {moment.day}, {moment.year}"


# answers_complete: what submit requires (docs/design.md section 3).


@pytest.mark.parametrize(
    ("answers", "problems"),
    [
        ({}, []),
        ({"program": ""}, ["Missing: the program or department (3.3)."]),
        ({"contact_name": ""}, ["Missing: a contact name (3.3)."]),
        ({"contact_email": ""}, ["Missing: a contact e-mail address (3.3)."]),
        ({"purpose": ""}, ["Missing: the purpose of the request (3.1)."]),
        (
            {"contribution": ""},
            ["Missing: how access contributes to ending homelessness (3.2, 1.8)."],
        ),
        (
            {"existing_reporting_gap": ""},
            ["Missing: why existing reporting does not meet the need (1.1)."],
        ),
        ({"need_type": ""}, ["Missing: whether the need is ongoing or one-time (1.2)."]),
        ({"usage_frequency": ""}, ["Missing: how often the data will be used (1.2)."]),
        (
            {"funding_relation": ""},
            ["Missing: the funding requirement or provider it relates to (1.3)."],
        ),
        (
            {"homeless_relationship": ""},
            ["Missing: the working relationship with people experiencing homelessness (1.4)."],
        ),
        ({"people": 0}, ["Missing: at least one named person who will use HMIS (3.3)."]),
        ({"statewide": False}, ["Missing: the scope: statewide, or at least one CAN (1.5)."]),
        ({"is_researcher": None}, ["Missing: whether the requestor is a researcher (1.9)."]),
        (
            {"is_researcher": True, "aggregated_data_sufficient": None},
            ["Missing: whether aggregated, de-identified data would serve (1.9)."],
        ),
        (
            {"is_researcher": True, "aggregated_data_sufficient": False},
            ["Missing: why identified data is needed (1.9)."],
        ),
        # A researcher content with aggregated data owes no justification for identified data.
        ({"is_researcher": True, "aggregated_data_sufficient": True}, []),
        (
            {
                "is_researcher": True,
                "aggregated_data_sufficient": False,
                "identified_data_justification": "Matching to hospital discharge records.",
            },
            [],
        ),
        # The 1.9 follow-ups are asked of researchers only.
        ({"is_researcher": False, "aggregated_data_sufficient": None}, []),
        (
            {"had_prior_access": None},
            ["Missing: whether the organization had HMIS access before (1.10)."],
        ),
        (
            {"had_prior_access": True, "prior_access_revoked": None},
            ["Missing: whether that earlier access was ever revoked (1.10)."],
        ),
        ({"had_prior_access": True, "prior_access_revoked": False}, []),
        ({"had_prior_access": False, "prior_access_revoked": None}, []),
        (
            {"attests_training": False},
            ["Missing: the attestation that every named person will complete HMIS training (1.7)."],
        ),
        ({"attests_accuracy": False}, ["Missing: the attestation that the answers are accurate."]),
        (
            {"purpose": "", "people": 0, "attests_accuracy": False},
            [
                "Missing: the purpose of the request (3.1).",
                "Missing: at least one named person who will use HMIS (3.3).",
                "Missing: the attestation that the answers are accurate.",
            ],
        ),
    ],
)
def test_answers_complete_names_each_missing_answer(db, answers, problems):
    request = AccessRequestFactory(**answers)

    assert policy.answers_complete.problems(request) == problems
    assert policy.answers_complete(request) is (problems == [])


@pytest.mark.parametrize(
    ("organization", "problem"),
    [
        ({"name": ""}, "Missing: the organization's legal name."),
        ({"kind": ""}, "Missing: the organization's type."),
        ({"address": ""}, "Missing: the organization's address."),
    ],
)
def test_answers_complete_asks_for_the_organizations_own_details(db, organization, problem):
    request = AccessRequestFactory(organization=OrganizationFactory(**organization))

    assert policy.answers_complete.problems(request) == [problem]


def test_a_named_can_is_a_scope(personas):
    request = AccessRequestFactory(cans=[personas.eastern])

    assert request.statewide is False
    assert policy.answers_complete.problems(request) == []


# suggestions: what the system can tell staff before they assess (docs/design.md section 4).


@pytest.mark.parametrize(
    ("need_type", "expected"),
    [
        (
            AccessRequest.NeedType.ONE_TIME,
            [Suggestion("2.1", "The requestor says the need is one-time only.")],
        ),
        (AccessRequest.NeedType.ONGOING, []),
    ],
)
def test_a_one_time_need_flags_2_1(db, need_type, expected):
    assert policy.suggestions(AccessRequestFactory(need_type=need_type)) == expected


IDENTIFIED_DATA = Suggestion(
    "1.9",
    "A researcher asks for identified data rather than aggregated, de-identified data; "
    "check the reason given.",
)


@pytest.mark.parametrize(
    ("is_researcher", "aggregated_data_sufficient", "expected"),
    [
        (True, False, [IDENTIFIED_DATA]),
        (True, True, []),
        # Not answered yet: nothing to flag (submit asks for it).
        (True, None, []),
        (False, False, []),
        (False, None, []),
    ],
)
def test_a_researcher_asking_for_identified_data_flags_1_9(
    db, is_researcher, aggregated_data_sufficient, expected
):
    request = AccessRequestFactory(
        is_researcher=is_researcher,
        aggregated_data_sufficient=aggregated_data_sufficient,
        identified_data_justification="Matching to hospital discharge records.",
    )

    assert policy.suggestions(request) == expected


def test_an_earlier_revocation_of_the_organization_flags_1_10(db):
    harbor = OrganizationFactory(name="Harbor Health Partners")
    RevocationFactory(organization=harbor, revoked_at=MARCH_7)

    assert policy.suggestions(AccessRequestFactory(organization=harbor)) == [
        Suggestion(
            "1.10",
            "HMIS access of Harbor Health Partners was revoked on March 7, 2023. "
            "Reason: \u201cShared a login.\u201d",
        )
    ]


def test_an_earlier_revocation_of_a_named_person_flags_1_10_whatever_the_letter_case(db):
    RevocationFactory(person_email="Dana.Reyes@Example.ORG", revoked_at=MARCH_7)
    request = AccessRequestFactory(people=0)
    NamedPersonFactory(request=request, email="dana.reyes@example.org")

    assert policy.suggestions(request) == [
        Suggestion(
            "1.10",
            "HMIS access of dana.reyes@example.org was revoked on March 7, 2023. "
            "Reason: \u201cShared a login.\u201d",
        )
    ]


def test_a_revocation_names_the_date_as_it_was_in_connecticut(db, settings):
    # 1:30 UTC on March 7 is the evening of March 6 in Connecticut (TIME_ZONE), the date
    # staff recorded and would look up.
    settings.TIME_ZONE = "America/New_York"
    harbor = OrganizationFactory(name="Harbor Health Partners")
    RevocationFactory(
        organization=harbor, revoked_at=datetime.datetime(2023, 3, 7, 1, 30, tzinfo=datetime.UTC)
    )

    assert policy.suggestions(AccessRequestFactory(organization=harbor)) == [
        Suggestion(
            "1.10",
            "HMIS access of Harbor Health Partners was revoked on March 6, 2023. "
            "Reason: \u201cShared a login.\u201d",
        )
    ]


def test_revocations_of_other_organizations_and_people_do_not_flag_1_10(db):
    RevocationFactory(organization=OrganizationFactory(), revoked_at=MARCH_7)
    RevocationFactory(person_email="someone.else@example.org", revoked_at=MARCH_7)
    request = AccessRequestFactory(people=0)
    NamedPersonFactory(request=request, email="dana.reyes@example.org")

    assert policy.suggestions(request) == []


def test_the_requestors_own_word_of_a_revocation_flags_1_10(db):
    request = AccessRequestFactory(had_prior_access=True, prior_access_revoked=True)

    assert policy.suggestions(request) == [
        Suggestion("1.10", "The requestor says earlier HMIS access was revoked.")
    ]


def test_earlier_access_that_was_not_revoked_does_not_flag_1_10(db):
    request = AccessRequestFactory(had_prior_access=True, prior_access_revoked=False)

    assert policy.suggestions(request) == []


@pytest.fixture
def utc_calendar(settings):
    """A decision is dated now; on UTC's calendar its date is the same whether it is read in
    UTC or in local time, so these tests pass at any hour (the local date has its own test)."""
    settings.TIME_ZONE = "UTC"


def denied_by_staff(journey, personas, request, *codes):
    """Take `request` (submitted) through screening to a denial citing `codes`."""
    screening = workflow.start_screening(request, personas.sam)
    journey.assess_all(screening, failing=codes)
    cited = [Criterion.objects.get(code=code) for code in codes]
    return workflow.deny(screening, personas.sam, cited, "See the criteria cited.")


def abuse_concern(denied):
    decided_at = denied.decision.decided_at
    return Suggestion(
        "1.10",
        f"{denied.reference} was denied for possible abuse (2.2) on {long_date(decided_at)}.",
    )


@pytest.mark.parametrize("codes", [("2.2",), ("2.1", "2.2")])
def test_an_earlier_denial_of_the_organization_for_possible_abuse_flags_1_10(
    journey, personas, utc_calendar, codes
):
    denied = denied_by_staff(journey, personas, journey.submitted(cans=[]), *codes)

    assert policy.suggestions(journey.draft(cans=[])) == [abuse_concern(denied)]


def test_an_earlier_committee_denial_for_possible_abuse_flags_1_10(journey, personas, utc_calendar):
    vetting = journey.vetting(cans=[])
    for member in (personas.morgan, personas.casey):
        workflow.cast_vote(vetting, member, DENY, "Abuse risk.")
    denied = workflow.record_committee_decision(
        vetting,
        personas.casey,
        Status.DENIED,
        "Abuse risk.",
        cited=[Criterion.objects.get(code="2.2")],
    )

    assert policy.suggestions(journey.draft(cans=[])) == [abuse_concern(denied)]


def test_a_denial_for_possible_abuse_flags_1_10_on_another_organizations_request_naming_the_person(
    journey, personas, utc_calendar
):
    theirs = AccessRequestFactory(organization=personas.elsewhere, created_by=personas.quinn)
    NamedPersonFactory(request=theirs, email="dana.reyes@example.org")
    denied = denied_by_staff(journey, personas, workflow.submit(theirs, personas.quinn), "2.2")
    ours = journey.draft(cans=[], people=0)
    NamedPersonFactory(request=ours, email="Dana.Reyes@example.org")

    assert policy.suggestions(ours) == [abuse_concern(denied)]


def test_a_denial_citing_only_2_1_does_not_flag_1_10(journey, personas):
    # A one-time need says nothing of the organization's standing.
    denied_by_staff(journey, personas, journey.submitted(cans=[]), "2.1")

    assert policy.suggestions(journey.draft(cans=[])) == []


def test_a_denial_for_possible_abuse_of_someone_else_does_not_flag_1_10(journey, personas):
    theirs = AccessRequestFactory(organization=personas.elsewhere, created_by=personas.quinn)
    denied_by_staff(journey, personas, workflow.submit(theirs, personas.quinn), "2.2")

    assert policy.suggestions(journey.draft(cans=[])) == []


def test_a_request_is_not_flagged_by_its_own_denial(journey, personas):
    denied = denied_by_staff(journey, personas, journey.submitted(cans=[]), "2.2")

    assert policy.suggestions(denied) == []


@pytest.mark.parametrize(
    ("can_slugs", "message"),
    [
        (
            ["greater-hartford"],
            "It names Greater Hartford: their leadership is to be informed and involved "
            "(1.5, 4.2).",
        ),
        (
            ["greater-hartford", "eastern"],
            "It names Eastern, Greater Hartford: their leadership is to be informed and "
            "involved (1.5, 4.2).",
        ),
    ],
)
def test_a_named_can_reminds_staff_of_1_5_without_raising_a_concern(catalogue, can_slugs, message):
    request = AccessRequestFactory(cans=list(CAN.objects.filter(slug__in=can_slugs)))

    assert policy.suggestions(request) == [Suggestion("1.5", message, concern=False)]


def test_a_statewide_request_has_no_can_reminder(db):
    assert policy.suggestions(AccessRequestFactory(statewide=True)) == []


def test_suggestions_come_in_the_order_of_a_screening(personas):
    # Disqualifier first, then the criteria in the order staff assess them, then the reminder.
    harbor = personas.harbor
    RevocationFactory(organization=harbor, revoked_at=MARCH_7)
    request = AccessRequestFactory(
        organization=harbor,
        cans=[personas.hartford],
        need_type=AccessRequest.NeedType.ONE_TIME,
        is_researcher=True,
        aggregated_data_sufficient=False,
        had_prior_access=True,
        prior_access_revoked=True,
    )

    assert [(s.code, s.concern) for s in policy.suggestions(request)] == [
        ("2.1", True),
        ("1.9", True),
        ("1.10", True),
        ("1.10", True),
        ("1.5", False),
    ]


# tally and quorum: the committee's count (docs/design.md section 4, "Voting").

TALLY_KEYS = ("approve", "deny", "abstain", "recuse", "members", "voted", "needed", "quorum")


def committee_voting(choices):
    """A request and one current member per entry of `choices`: the member's vote, or None."""
    request = VotingRoundFactory().request
    for choice in choices:
        member = UserFactory(is_committee_member=True)
        if choice:
            Vote.objects.create(request=request, voter=member, choice=choice)
    return request


@pytest.mark.parametrize(
    ("choices", "counts", "majority"),
    [
        # approve, deny, abstain, recuse, members, voted, needed, quorum
        ([], (0, 0, 0, 0, 0, 0, 1, False), None),
        ([APPROVE], (1, 0, 0, 0, 1, 1, 1, True), "approve"),
        ([APPROVE, None], (1, 0, 0, 0, 2, 1, 2, False), "approve"),
        ([APPROVE, DENY], (1, 1, 0, 0, 2, 2, 2, True), None),
        ([DENY, DENY, None], (0, 2, 0, 0, 3, 2, 2, True), "deny"),
        ([APPROVE, APPROVE, None, None], (2, 0, 0, 0, 4, 2, 3, False), "approve"),
        ([APPROVE, DENY, DENY, None], (1, 2, 0, 0, 4, 3, 3, True), "deny"),
        # Abstentions count towards quorum and take no side.
        ([APPROVE, ABSTAIN, ABSTAIN, None], (1, 0, 2, 0, 4, 3, 3, True), "approve"),
        ([ABSTAIN, ABSTAIN, ABSTAIN], (0, 0, 3, 0, 3, 3, 2, True), None),
        # Recusals do not count towards quorum, but the recused stay members.
        ([APPROVE, APPROVE, RECUSE, None], (2, 0, 0, 1, 4, 2, 3, False), "approve"),
        ([APPROVE, RECUSE, RECUSE], (1, 0, 0, 2, 3, 1, 2, False), "approve"),
        ([RECUSE, RECUSE, RECUSE, RECUSE], (0, 0, 0, 4, 4, 0, 3, False), None),
    ],
    ids=[
        "no-members",
        "1-of-1",
        "1-of-2",
        "2-of-2-tied",
        "2-of-3",
        "2-of-4",
        "3-of-4",
        "abstentions-count",
        "all-abstain",
        "recusal-does-not-count",
        "recusals-leave-too-few",
        "all-recuse",
    ],
)
def test_tally_counts_the_current_members_votes(db, choices, counts, majority):
    request = committee_voting(choices)

    assert policy.tally(request) == dict(zip(TALLY_KEYS, counts, strict=True)) | {
        "majority": majority
    }
    assert policy.quorum_reached(request) is counts[-1]


def test_tally_counts_each_members_newest_vote_only(db):
    request = committee_voting([APPROVE, None])
    changer = Vote.objects.get().voter
    Vote.objects.create(request=request, voter=changer, choice=DENY, reason="On reflection.")

    count = policy.tally(request)

    assert (count["approve"], count["deny"], count["voted"]) == (0, 1, 1)


@pytest.mark.parametrize(
    "departure",
    [{"is_committee_member": False}, {"is_active": False}],
    ids=["left-the-committee", "account-deactivated"],
)
def test_a_member_who_leaves_counts_neither_as_member_nor_as_vote(db, departure):
    request = committee_voting([APPROVE, APPROVE, None])
    leaver = Vote.objects.first().voter
    for field, value in departure.items():
        setattr(leaver, field, value)
    leaver.save()

    count = policy.tally(request)

    assert (count["approve"], count["members"], count["voted"], count["quorum"]) == (
        1,
        2,
        1,
        False,
    )


def test_a_vote_by_someone_who_was_never_a_member_is_not_counted(db):
    request = committee_voting([None, None])
    Vote.objects.create(request=request, voter=UserFactory(), choice=APPROVE)

    count = policy.tally(request)

    assert (count["approve"], count["members"], count["voted"]) == (0, 2, 0)


def test_a_member_who_joins_raises_the_bar(db):
    request = committee_voting([APPROVE, APPROVE])
    assert policy.tally(request)["quorum"] is True

    UserFactory(is_committee_member=True)
    UserFactory(is_committee_member=True)

    assert (policy.tally(request)["needed"], policy.tally(request)["quorum"]) == (3, False)


def test_the_chair_counts_as_a_member(db):
    request = committee_voting([APPROVE])
    UserFactory(is_committee_chair=True)

    assert (policy.tally(request)["members"], policy.tally(request)["needed"]) == (2, 2)


@pytest.mark.parametrize(
    ("share", "choices", "needed", "quorum"),
    [
        # Strictly more than two thirds: all three of three.
        ("2/3", [APPROVE, APPROVE, None], 3, False),
        ("2/3", [APPROVE, APPROVE, APPROVE], 3, True),
        ("2/3", [APPROVE, APPROVE, APPROVE, None], 3, True),
        ("1/3", [APPROVE, None, None], 2, False),
        ("1/3", [APPROVE, DENY, None], 2, True),
        ("3/4", [APPROVE, APPROVE, APPROVE, None], 4, False),
        # A decimal share reads the same as the fraction.
        ("0.5", [APPROVE, APPROVE, None, None], 3, False),
        ("0.5", [APPROVE, APPROVE, APPROVE, None], 3, True),
    ],
)
def test_the_quorum_share_is_a_setting(db, settings, share, choices, needed, quorum):
    settings.COMMITTEE_QUORUM_SHARE = share
    request = committee_voting(choices)

    count = policy.tally(request)

    assert (count["needed"], count["quorum"]) == (needed, quorum)


def test_quorum_reached_says_how_far_the_vote_is(db):
    request = committee_voting([APPROVE, RECUSE, None, None])

    assert policy.quorum_reached.problems(request) == [
        "Quorum is not reached: 1 of 4 members have voted (recusals do not count); 3 are needed."
    ]
    assert policy.quorum_reached(request) is False
