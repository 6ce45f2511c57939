"""A request's decision clock (policy.deadline, policy.clock_of): CCEH's target in working days
from the first submission, the committee's in calendar days from the escalation, in words; and
where it is shown: the queue, the request's page."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from requests_app import policy
from requests_app.core.states import Status
from requests_app.models import AccessRequest, VotingRound
from tests.support import clock
from tests.support.pages import parsed

# 2026-11-27 is a Friday.
FRI = datetime.date(2026, 11, 27)
SAT, SUN, MON = (FRI + datetime.timedelta(days=n) for n in (1, 2, 3))


def day(offset, start=FRI):
    return start + datetime.timedelta(days=offset)


# (status, submitted on, escalated on, today) -> (due, days left, words)
CLOCKS = {
    "submitted on a Friday, read the same day": (
        (Status.SUBMITTED, FRI, None, FRI),
        (day(14), 10, "Due in 10 working days"),
    ),
    "the weekend does not count": (
        (Status.SCREENING, FRI, None, SUN),
        (day(14), 10, "Due in 10 working days"),
    ),
    "the Monday after counts one": (
        (Status.SCREENING, FRI, None, MON),
        (day(14), 9, "Due in 9 working days"),
    ),
    "one working day left": (
        (Status.SCREENING, FRI, None, day(13)),
        (day(14), 1, "Due in 1 working day"),
    ),
    "due today": ((Status.SCREENING, FRI, None, day(14)), (day(14), 0, "Due today")),
    "the weekend after the target: overdue, no working day past it yet": (
        (Status.SCREENING, FRI, None, day(16)),
        (day(14), 0, "Overdue: was due Dec 11"),
    ),
    "one working day overdue": (
        (Status.SCREENING, FRI, None, day(17)),
        (day(14), -1, "1 working day overdue"),
    ),
    "a week overdue": (
        (Status.SCREENING, FRI, None, day(21)),
        (day(14), -5, "5 working days overdue"),
    ),
    "submitted on a Saturday: ten working days from the Monday on": (
        (Status.SUBMITTED, SAT, None, SAT),
        (day(14), 10, "Due in 10 working days"),
    ),
    "returned: CCEH's clock runs from the submission still": (
        (Status.RETURNED, FRI, None, MON),
        (day(14), 9, "Due in 9 working days"),
    ),
    "with the committee: 30 calendar days from the escalation": (
        (Status.VETTING, FRI, MON, MON),
        (day(30, MON), 30, "Due in 30 days"),
    ),
    "the committee, one day left": (
        (Status.VETTING, FRI, MON, day(29, MON)),
        (day(30, MON), 1, "Due in 1 day"),
    ),
    "the committee, two days overdue": (
        (Status.VETTING, FRI, MON, day(32, MON)),
        (day(30, MON), -2, "2 days overdue"),
    ),
}


@pytest.mark.parametrize(("given", "expected"), CLOCKS.values(), ids=CLOCKS.keys())
def test_the_clock_counts_working_days_for_cceh_and_days_for_the_committee(given, expected):
    found = policy.clock_of(*given)

    assert (found.due, found.left, found.words) == expected
    assert found.overdue == (given[3] > expected[0])


@pytest.mark.parametrize("status", [Status.DRAFT, Status.APPROVED, Status.DENIED, Status.WITHDRAWN])
def test_no_decision_is_due_before_submission_nor_after_a_decision(status):
    assert policy.clock_of(status, FRI, MON, MON) is None


def test_the_targets_are_settings(settings):
    settings.CCEH_DECISION_TARGET_WORKING_DAYS = 5
    settings.COMMITTEE_DECISION_TARGET_DAYS = 10

    cceh = policy.clock_of(Status.SUBMITTED, FRI, None, FRI)
    committee = policy.clock_of(Status.VETTING, FRI, MON, MON)

    assert [(cceh.due, cceh.words), (committee.due, committee.words)] == [
        (day(7), "Due in 5 working days"),
        (day(10, MON), "Due in 10 days"),
    ]


def test_a_request_with_the_committee_counts_from_its_rounds_opening(journey):
    request = journey.vetting()
    VotingRound.objects.filter(pk=request.voting_round_id).update(opened_at=clock.days_ago(12))
    request = AccessRequest.objects.select_related("voting_round").get(pk=request.pk)

    due = policy.deadline(request)

    assert (due.left, due.words) == (18, "Due in 18 days")


def test_the_request_page_shows_the_clock_in_its_header(client, journey, personas):
    request = journey.vetting()
    VotingRound.objects.filter(pk=request.voting_round_id).update(opened_at=clock.days_ago(32))
    client.force_login(personas.sam)

    header = parsed(client.get(request.get_absolute_url())).find("span", cls="clock")
    due = timezone.localdate() - datetime.timedelta(days=2)

    assert header.text == (
        f"2 days overdue (the HMIS Steering Committee sub-committee's decision, by "
        f"{due:%b} {due.day}, {due.year})"
    )
    assert header.has_class("clock-overdue")


def test_the_queue_shows_each_requests_clock(client, journey, personas):
    request = journey.submitted()
    client.force_login(personas.sam)

    cell = parsed(client.get(reverse("queue"))).find("tbody").find_all("td")[3]
    due = policy.deadline(AccessRequest.objects.get(pk=request.pk)).due

    assert cell.text == f"Due in 10 working days by {due:%b} {due.day}, {due.year}"
