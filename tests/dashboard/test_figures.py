"""The dashboard's figures against a history built by hand, whose answers are worked out below:
medians and 90th percentiles (PostgreSQL's PERCENTILE_CONT, interpolated), counts by CAN, an
empty range, and what the committee and the CANs' leaders are shown of it."""

import datetime

import pytest
from django.utils import timezone

from requests_app.core.states import AccessLevel, AgreementStatus, Status
from requests_app.dashboard import figures
from requests_app.dashboard.figures import CCEH, COMMITTEE, STATEWIDE, DateRange
from requests_app.models import AccessRequest, Agreement, Event, Grant, PersonAccess
from tests.support.factories import AccessRequestFactory

pytestmark = pytest.mark.django_db

K = Event.Kind
S = Status
QUARTER = DateRange(datetime.date(2025, 1, 1), datetime.date(2025, 3, 31))
EMPTY = DateRange(datetime.date(2024, 1, 1), datetime.date(2024, 6, 30))
TODAY = datetime.date(2025, 4, 15)


def at(month, day):
    """10:00 in Connecticut on a day of 2025, before the clocks change on 9 March."""
    return timezone.make_aware(datetime.datetime(2025, month, day, 10))


def history(cans, steps, final):
    """A request naming `cans` (none: statewide) whose events are `steps`: (kind, from, to,
    (month, day)). Its status is set to `final` as the workflow would have left it."""
    request = AccessRequestFactory(cans=cans)
    events = [
        Event(request=request, kind=kind, from_status=was, to_status=now, created_at=at(*day))
        for kind, was, now, day in steps
    ]
    Event.objects.bulk_create(Event.linked(request, events))
    AccessRequest.objects.filter(pk=request.pk).update(status=final)
    return request


def screened(submitted, screening):
    return [
        (K.SUBMITTED, S.DRAFT, S.SUBMITTED, submitted),
        (K.SCREENING_STARTED, S.SUBMITTED, S.SCREENING, screening),
    ]


def escalated(day):
    return [(K.ESCALATED, S.SCREENING, S.VETTING, day)]


@pytest.fixture
def known(personas):
    """Six requests decided in the first quarter of 2025.
    CCEH: A 10 days (January), B 20 (January), C 30 (February), F 60 from its first submission
    (March). The committee: D 40 and E 50 days (February)."""
    hartford, eastern = personas.hartford, personas.eastern
    return {
        "A": history(
            [hartford],
            [*screened((1, 5), (1, 7)), (K.APPROVED, S.SCREENING, S.APPROVED, (1, 15))],
            S.APPROVED,
        ),
        "B": history(
            [hartford, eastern],
            [*screened((1, 10), (1, 11)), (K.DENIED, S.SCREENING, S.DENIED, (1, 30))],
            S.DENIED,
        ),
        "C": history(
            [],
            [*screened((1, 2), (1, 3)), (K.APPROVED, S.SCREENING, S.APPROVED, (2, 1))],
            S.APPROVED,
        ),
        "D": history(
            [eastern],
            [
                *screened((1, 1), (1, 2)),
                *escalated((1, 5)),
                (K.VOTED, "", "", (1, 20)),
                (K.COMMITTEE_DECIDED, S.VETTING, S.APPROVED, (2, 10)),
            ],
            S.APPROVED,
        ),
        "E": history(
            [eastern],
            [
                *screened((1, 1), (1, 2)),
                *escalated((1, 5)),
                (K.COMMITTEE_DECIDED, S.VETTING, S.DENIED, (2, 20)),
            ],
            S.DENIED,
        ),
        "F": history(
            [hartford],
            [
                *screened((1, 1), (1, 2)),
                (K.RETURNED, S.SCREENING, S.RETURNED, (1, 3)),
                (K.RESUBMITTED, S.RETURNED, S.SUBMITTED, (1, 13)),
                (K.SCREENING_STARTED, S.SUBMITTED, S.SCREENING, (1, 14)),
                (K.APPROVED, S.SCREENING, S.APPROVED, (3, 2)),
            ],
            S.APPROVED,
        ),
    }


def rows(table):
    return table.rows


def test_days_from_submission_to_a_cceh_decision_by_month(known, personas):
    found = figures.decisions(personas.sam, QUARTER)

    assert rows(figures.decision_times(found, QUARTER, CCEH)) == [
        # A 10 and B 20: median 15; 90th percentile 10 + 0.9 x (20 - 10).
        ["2025-01", 2, 15.0, 19.0],
        ["2025-02", 1, 30.0, 30.0],
        # From F's first submission (1 January), not its resubmission.
        ["2025-03", 1, 60.0, 60.0],
    ]


def test_days_from_submission_to_a_committee_decision_by_month(known, personas):
    found = figures.decisions(personas.sam, QUARTER)

    assert rows(figures.decision_times(found, QUARTER, COMMITTEE)) == [
        ["2025-01", 0, None, None],
        # D 40 and E 50: median 45, 90th percentile 49.
        ["2025-02", 2, 45.0, 49.0],
        ["2025-03", 0, None, None],
    ]


def test_decisions_by_outcome(known, personas):
    found = figures.decisions(personas.sam, QUARTER)

    assert rows(figures.outcomes(found)) == [
        ["Approved by CCEH staff", 3],
        ["Denied by CCEH staff", 1],
        ["Approved by the committee", 1],
        ["Denied by the committee", 1],
    ]


def test_decisions_by_can_count_a_request_in_each_can_it_names(known, personas):
    # Hartford: A, F approved, B denied. Eastern: D approved, B and E denied. C statewide.
    assert rows(figures.decisions_by_can(personas.sam, QUARTER)) == [
        ["Eastern", 1, 2, 3],
        ["Greater Hartford", 2, 1, 3],
        [STATEWIDE, 1, 0, 1],
    ]


def test_time_in_each_status_counts_the_stays_that_ended_in_the_range(known, personas):
    assert rows(figures.time_in_status(personas.sam, QUARTER)) == [
        # A 2, B 1, C 1, D 1, E 1, F 1 and 1 again after its resubmission.
        ["Submitted", 7, 1.0, 1.4],
        # 1, 3, 3, 8, 19, 29, 47: the 90th percentile 29 + 0.4 x (47 - 29).
        ["In screening", 7, 8.0, 36.2],
        ["Returned for information", 1, 10.0, 10.0],
        # D 36, E 46.
        ["With the committee", 2, 41.0, 45.0],
    ]


def test_the_database_writes_when_each_stay_began_as_the_event_is_inserted(known):
    """A bulk insert too (the benchmark's COPY, these tests): a trigger, not the workflow."""
    began = Event.objects.filter(request=known["F"]).values_list("kind", "stay_began_at")

    assert list(began) == [
        (K.SUBMITTED, None),
        (K.SCREENING_STARTED, at(1, 1)),
        (K.RETURNED, at(1, 2)),
        (K.RESUBMITTED, at(1, 3)),
        (K.SCREENING_STARTED, at(1, 13)),
        (K.APPROVED, at(1, 14)),
    ]


def test_two_status_changes_in_one_instant_follow_each_other_in_the_order_inserted(personas):
    tied = history(
        [],
        [*screened((1, 1), (1, 1)), (K.APPROVED, S.SCREENING, S.APPROVED, (1, 5))],
        S.APPROVED,
    )

    began = Event.objects.filter(request=tied).values_list("kind", "stay_began_at")

    assert list(began) == [
        (K.SUBMITTED, None),
        (K.SCREENING_STARTED, at(1, 1)),
        (K.APPROVED, at(1, 1)),
    ]


def test_the_workflow_s_events_carry_when_each_stay_began(journey):
    request = journey.screening()
    submitted, screening = Event.objects.filter(request=request).exclude(to_status="")

    assert screening.stay_began_at == submitted.created_at


def test_a_range_with_nothing_in_it(known, personas):
    found = figures.decisions(personas.sam, EMPTY)

    assert rows(figures.decision_times(found, EMPTY, CCEH)) == [
        [f"2024-0{m}", 0, None, None] for m in range(1, 7)
    ]
    assert rows(figures.outcomes(found)) == [
        ["Approved by CCEH staff", 0],
        ["Denied by CCEH staff", 0],
        ["Approved by the committee", 0],
        ["Denied by the committee", 0],
    ]
    assert rows(figures.decisions_by_can(personas.sam, EMPTY)) == []
    assert [row[1:] for row in rows(figures.time_in_status(personas.sam, EMPTY))] == [
        [0, None, None]
    ] * 4
    assert rows(figures.access_by_level(personas.sam, EMPTY)) == [
        ["Full access", 0],
        ["View only", 0],
        ["Reporting only", 0],
    ]
    assert rows(figures.access_by_can(personas.sam, EMPTY)) == []


def test_a_range_ending_before_a_decision_leaves_it_out(known, personas):
    january = DateRange(datetime.date(2025, 1, 1), datetime.date(2025, 1, 31))
    found = figures.decisions(personas.sam, january)

    assert rows(figures.outcomes(found)) == [
        ["Approved by CCEH staff", 1],
        ["Denied by CCEH staff", 1],
        ["Approved by the committee", 0],
        ["Denied by the committee", 0],
    ]


# Scoping: the committee's members and the CANs' leaders see the figures of what they see inside.


def test_a_can_leader_counts_only_the_requests_naming_their_can(known, personas):
    lee = personas.lee  # leads Greater Hartford: A, B and F
    found = figures.decisions(lee, QUARTER)

    assert rows(figures.decision_times(found, QUARTER, CCEH)) == [
        ["2025-01", 2, 15.0, 19.0],
        ["2025-02", 0, None, None],
        ["2025-03", 1, 60.0, 60.0],
    ]
    assert rows(figures.decision_times(found, QUARTER, COMMITTEE))[1] == ["2025-02", 0, None, None]
    # B names Eastern too, so Eastern's row shows B alone.
    assert rows(figures.decisions_by_can(lee, QUARTER)) == [
        ["Eastern", 0, 1, 1],
        ["Greater Hartford", 2, 1, 3],
    ]


def test_a_committee_member_counts_what_is_with_the_committee_or_what_they_voted_on(
    known, personas
):
    morgan = personas.morgan
    vetting = history(
        [personas.eastern], [*screened((1, 1), (1, 2)), *escalated((1, 6))], S.VETTING
    )
    found = figures.decisions(morgan, QUARTER)

    # Decided requests they did not vote on are out of their sight (core/visibility.py).
    assert rows(figures.outcomes(found)) == [
        ["Approved by CCEH staff", 0],
        ["Denied by CCEH staff", 0],
        ["Approved by the committee", 0],
        ["Denied by the committee", 0],
    ]
    assert rows(figures.time_in_status(morgan, QUARTER)) == [
        ["Submitted", 1, 1.0, 1.0],
        ["In screening", 1, 4.0, 4.0],
        ["Returned for information", 0, None, None],
        ["With the committee", 0, None, None],
    ]
    assert dict(rows(figures.stages(morgan, QUARTER, TODAY)))["With the committee"] == 1
    assert vetting.status == S.DRAFT  # the factory's row; the database holds vetting


def test_nobody_counts_their_own_organizations_requests(known, personas):
    known["A"].organization.memberships.create(user=personas.sam, state="active")

    found = figures.decisions(personas.sam, QUARTER)

    assert rows(figures.decision_times(found, QUARTER, CCEH))[0] == ["2025-01", 1, 20.0, 20.0]


def test_stages_and_waiting_today(journey, personas):
    eastern = [personas.eastern]
    journey.submitted(cans=eastern)
    journey.submitted(cans=[personas.hartford])
    journey.screening(cans=eastern)
    long_ago = timezone.now() - datetime.timedelta(days=30)
    waiting = journey.submitted(cans=eastern)
    AccessRequest.objects.filter(pk=waiting.pk).update(status_changed_at=long_ago)
    journey.draft()
    today = timezone.localdate()

    stages = dict(rows(figures.stages(personas.sam, None, today)))
    assert stages["Intake"] == 3
    assert stages["Screening"] == 1
    assert sum(stages.values()) == 4
    assert rows(figures.waiting(personas.sam, None, today)) == [
        ["Submitted", 3, 1],
        ["In screening", 1, 0],
        ["Returned for information", 0, 0],
        ["With the committee", 0, 0],
    ]
    # Lee leads Greater Hartford: one request names it.
    assert sum(dict(rows(figures.stages(personas.lee, None, today))).values()) == 1


def test_access_held_at_the_end_of_the_range_from_its_dates(stage, personas):
    """Two people active from 10 January; one revoked on 20 February; the agreement of another
    request ended (expired) on 1 March."""
    agreement = stage.active(cans=[personas.hartford])
    other = stage.active(cans=[])
    people = list(PersonAccess.objects.filter(agreement__in=[agreement, other]))
    PersonAccess.objects.filter(pk__in=[p.pk for p in people]).update(activated_at=at(1, 10))
    PersonAccess.objects.filter(agreement=agreement).update(revoked_at=at(2, 20))
    Agreement.objects.filter(pk=other.pk).update(status=AgreementStatus.EXPIRED, ended_at=at(3, 1))
    level = AccessLevel(people[0].person.grants.get().level).label

    def held(until):
        when = DateRange(datetime.date(2025, 1, 1), until)
        by_level = dict(rows(figures.access_by_level(personas.sam, when)))
        return by_level[level], rows(figures.access_by_can(personas.sam, when))

    assert held(datetime.date(2025, 1, 9)) == (0, [])
    assert held(datetime.date(2025, 2, 19))[0] == 2
    assert [row[0] for row in held(datetime.date(2025, 2, 19))[1]] == [
        "Greater Hartford",
        STATEWIDE,
    ]
    assert held(datetime.date(2025, 2, 28)) == (1, [[STATEWIDE, *held_row(level)]])
    assert held(datetime.date(2025, 3, 1)) == (0, [])


def held_row(level):
    return [1 if choice.label == level else 0 for choice in AccessLevel] + [1]


def test_a_lowered_level_counts_each_person_once_at_the_newest_grant(stage, personas):
    """A correction or a lowering adds a grant (the old one stays, append-only): the person
    holds access once, at the newest grant's level, in both tables of access."""
    agreement = stage.active(cans=[personas.hartford])
    PersonAccess.objects.filter(agreement=agreement).update(activated_at=at(1, 10))
    accesses = list(PersonAccess.objects.filter(agreement=agreement).select_related("person"))
    lowered = accesses[0].person
    decision = agreement.request.decision
    Grant.objects.create(decision=decision, person=lowered, level=AccessLevel.VIEW)
    Grant.objects.create(decision=decision, person=lowered, level=AccessLevel.REPORTING)
    when = DateRange(datetime.date(2025, 1, 1), datetime.date(2025, 3, 31))

    by_level = dict(rows(figures.access_by_level(personas.sam, when)))
    assert sum(by_level.values()) == len(accesses)
    expected = {level.label: 0 for level in AccessLevel}
    for access in accesses[1:]:
        expected[AccessLevel(access.person.grants.get().level).label] += 1
    expected[AccessLevel.REPORTING.label] += 1
    assert by_level == expected
    (hartford,) = rows(figures.access_by_can(personas.sam, when))
    assert hartford == ["Greater Hartford", *expected.values(), len(accesses)]
