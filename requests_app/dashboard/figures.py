"""The dashboard's figures (docs/design.md, section 11), each a table computed by one
aggregate query over the request's history (core/history.py), scoped to what the person sees
inside (core/visibility.py). What happened in a date range is read from the events of that range,
and access held from its dates (activated, revoked, ended), so a past range gives the same
figures whenever it is asked. Where a request stands now (its stage, how long it has waited) is
of today alone."""

import datetime
import json
from dataclasses import dataclass

from django.conf import settings
from django.db.models import (
    Aggregate,
    BooleanField,
    Case,
    CharField,
    Count,
    ExpressionWrapper,
    F,
    Field,
    FloatField,
    Func,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone

from requests_app import policy
from requests_app.core.dates import start_of
from requests_app.core.stages import Stage, renewal_due_from, stage_from
from requests_app.core.states import AccessLevel, Status
from requests_app.core.visibility import (
    requests_seen_internally_by,
    seen_internally_by_key,
)
from requests_app.decision.models import level_now
from requests_app.models import Event, PersonAccess

CCEH = "cceh"
COMMITTEE = "committee"
DECIDERS = {CCEH: "CCEH staff", COMMITTEE: "the committee"}
DECISION_KINDS = (Event.Kind.APPROVED, Event.Kind.DENIED, Event.Kind.COMMITTEE_DECIDED)
# A request named no CAN when it asked for statewide access (1.5).
STATEWIDE = "Statewide (no CAN named)"


@dataclass(frozen=True)
class DateRange:
    """From the first day to the last, both included, in the site's time zone."""

    since: datetime.date
    until: datetime.date

    @property
    def start(self):
        return start_of(self.since)

    @property
    def end(self):
        return start_of(self.until + datetime.timedelta(days=1))

    def months(self):
        """The first day of every month the range touches, in order."""
        month = self.since.replace(day=1)
        while month <= self.until:
            yield month
            month = (month + datetime.timedelta(days=32)).replace(day=1)

    def __str__(self):
        return f"{self.since:%-d %B %Y} to {self.until:%-d %B %Y}"


class Percentiles(Aggregate):
    """The median and the 90th percentile, as [median, p90], from one sort: PostgreSQL's
    PERCENTILE_CONT, interpolated between the two nearest values (the median of 1, 2, 3, 4 is
    2.5). SQLite, used only in development, runs the same definition in Python
    (register_sqlite)."""

    function = "PERCENTILE_CONT"
    template = "%(function)s(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY %(expressions)s)"
    # A bare field: the database's array (PostgreSQL) or JSON text (SQLite), read by `spread`.
    output_field = Field()

    def as_sqlite(self, compiler, connection, **extra_context):
        return super().as_sql(
            compiler, connection, template="HMIS_PERCENTILES(%(expressions)s)", **extra_context
        )


def spread(value):
    """(median, 90th percentile) from a Percentiles value; (None, None) for no values."""
    if isinstance(value, str):
        value = json.loads(value)
    return tuple(value) if value else (None, None)


def percentile(values, fraction):
    """PERCENTILE_CONT's definition, for SQLite and for checking by hand."""
    values = sorted(v for v in values if v is not None)
    if not values:
        return None
    position = fraction * (len(values) - 1)
    below = int(position)
    above = min(below + 1, len(values) - 1)
    return values[below] + (values[above] - values[below]) * (position - below)


class _SqlitePercentiles:
    def __init__(self):
        self.values = []

    def step(self, value):
        self.values.append(value)

    def finalize(self):
        if not self.values:
            return None
        return json.dumps([percentile(self.values, 0.5), percentile(self.values, 0.9)])


def register_sqlite(sender, connection, **kwargs):
    if connection.vendor == "sqlite":
        connection.connection.create_aggregate("HMIS_PERCENTILES", 1, _SqlitePercentiles)


class Days(Func):
    """Days (with their fraction) from the second timestamp to the first. DATE_PART, not
    EXTRACT: since PostgreSQL 14 EXTRACT gives a numeric, and the percentiles' sort of tens of
    thousands of numerics took twice as long as of floats (docs/performance.md)."""

    output_field = FloatField()
    arity = 2
    template = "DATE_PART('epoch', %(expressions)s) / 86400.0"
    arg_joiner = " - "

    def as_sqlite(self, compiler, connection, **extra_context):
        return super().as_sql(
            compiler,
            connection,
            template="(JULIANDAY(%(expressions)s))",
            arg_joiner=") - JULIANDAY(",
            **extra_context,
        )


@dataclass
class Table:
    """One figure: its columns and rows as the CSV gives them, and what its chart draws."""

    key: str
    title: str
    caption: str
    columns: list
    rows: list
    # The chart: the column of each bar's label and of its length; None draws none.
    chart: tuple | None = (0, 1)
    unit: str = ""

    def bars(self):
        if self.chart is None:
            return []
        label, value = self.chart
        return [(row[label], row[value] or 0) for row in self.rows]


def days(value):
    """A number of days as the tables show it: one decimal place."""
    return None if value is None else round(value, 1)


def _decisions(user, when):
    """The decisions of the range, of the requests the person sees inside: written with the
    condition of their partial index (core/history.py, decisions_made)."""
    return Event.objects.filter(
        seen_internally_by_key(user, "request_id"),
        kind__in=DECISION_KINDS,
        created_at__gte=when.start,
        created_at__lt=when.end,
    )


def _stays_ended(user, when):
    """The status changes of the range out of a submitted status (each ends a stay), of the
    requests the person sees inside. Written with the condition of their partial index
    (core/history.py, stays_ended), so the database reads that index alone."""
    return Event.objects.filter(
        ~Q(to_status="") & ~Q(from_status__in=["", Status.DRAFT]),
        seen_internally_by_key(user, "request_id"),
        created_at__gte=when.start,
        created_at__lt=when.end,
    )


def stages(user, when, today):
    """Where each request the person sees stands today: the requests counted by their status,
    their MOU's and whether it is due for renewal, each group's stage then named by
    core/stages.py (stage_from); a CASE of the stage on every row took longer."""
    found = (
        requests_seen_internally_by(user)
        .annotate(
            renewal_due=ExpressionWrapper(
                Q(agreement__ends_on__lte=renewal_due_from(today)), output_field=BooleanField()
            )
        )
        .order_by()
        .values_list("status", "agreement__status", "renewal_due")
        .annotate(n=Count("*"))
    )
    counts = {}
    for status, mou_status, due, n in found:
        stage = stage_from(status, mou_status, due)
        counts[stage] = counts.get(stage, 0) + n
    return Table(
        "stages",
        "Requests by stage today",
        "How many requests stand at each stage of their life today, from intake to the end "
        "of access.",
        ["Stage", "Requests"],
        [[stage.label, counts.get(stage.value, 0)] for stage in Stage],
        unit="requests",
    )


def past_threshold_from(today):
    """The last day on which a status entered is past the staff threshold today
    (policy.waited_too_long): the queue's mark, as one date a query compares with."""
    day = today
    while not policy.waited_too_long(day, today):
        day -= datetime.timedelta(days=1)
    return day


def waiting(user, when, today):
    """Open requests today, by status, and how many have waited past the threshold."""
    cutoff = start_of(past_threshold_from(today) + datetime.timedelta(days=1))
    found = (
        requests_seen_internally_by(user)
        .filter(status__in=Status.OPEN)
        .order_by()
        .values("status")
        .annotate(n=Count("*"), past=Count("pk", filter=Q(status_changed_at__lt=cutoff)))
    )
    counts = {row["status"]: row for row in found}
    threshold = settings.STAFF_WAITING_THRESHOLD_WORKING_DAYS
    order = [Status.SUBMITTED, Status.SCREENING, Status.RETURNED, Status.VETTING]
    return Table(
        "waiting",
        f"Open requests waiting past {threshold} working days",
        f"Open requests today by status, and how many have been in that status for "
        f"{threshold} working days or more (the queue marks them).",
        ["Status", "Open", f"Waiting {threshold} working days or more"],
        [[s.label, counts.get(s, {}).get("n", 0), counts.get(s, {}).get("past", 0)] for s in order],
        chart=(0, 2),
        unit="requests",
    )


def decisions(user, when):
    """Every decision of the range by month and by who decided: how many, approved or denied,
    and the median and 90th percentile of the days from the request's first submission."""
    first_submitted = (
        Event.objects.filter(request=OuterRef("request"), kind=Event.Kind.SUBMITTED)
        .exclude(to_status="")
        .order_by("created_at")
        .values("created_at")[:1]
    )
    found = (
        _decisions(user, when)
        .annotate(
            month=TruncMonth("created_at"),
            decider=Case(
                When(kind=Event.Kind.COMMITTEE_DECIDED, then=Value(COMMITTEE)),
                default=Value(CCEH),
                output_field=CharField(),
            ),
            # The database wrote it on the decision (Event.request_submitted_at); SQLite did not.
            waited=Days(
                F("created_at"), Coalesce(F("request_submitted_at"), Subquery(first_submitted))
            ),
        )
        .order_by()
        .values("month", "decider")
        .annotate(
            n=Count("*"),
            approved=Count("kind", filter=Q(to_status=Status.APPROVED)),
            denied=Count("kind", filter=Q(to_status=Status.DENIED)),
            spread=Percentiles("waited"),
        )
    )
    return {
        (timezone.localtime(r["month"]).date(), r["decider"]): {
            **r,
            **dict(zip(("median", "p90"), spread(r["spread"]), strict=True)),
        }
        for r in found
    }


def decision_times(found, when, decider):
    rows = []
    for month in when.months():
        r = found.get((month, decider), {})
        rows.append(
            [
                f"{month:%Y-%m}",
                r.get("n", 0),
                days(r.get("median")),
                days(r.get("p90")),
            ]
        )
    who = DECIDERS[decider]
    return Table(
        f"{decider}_times",
        f"Days from submission to decision: {who}",
        f"Decisions by {who} in each month of the range: how many, and the median and "
        f"90th percentile of the days from the request's first submission to the decision.",
        ["Month", "Decisions", "Median days", "90th percentile days"],
        rows,
        chart=(0, 2),
        unit="days",
    )


def outcomes(found):
    totals = {
        decider: {
            "approved": sum(r["approved"] for (_, d), r in found.items() if d == decider),
            "denied": sum(r["denied"] for (_, d), r in found.items() if d == decider),
        }
        for decider in DECIDERS
    }
    rows = [
        [f"{Status(outcome).label} by {DECIDERS[decider]}", totals[decider][outcome]]
        for decider in DECIDERS
        for outcome in ("approved", "denied")
    ]
    return Table(
        "outcomes",
        "Decisions by outcome",
        "Decisions made in the range, approved or denied, by CCEH staff and by the committee.",
        ["Outcome", "Decisions"],
        rows,
        unit="decisions",
    )


def decisions_by_can(user, when):
    """Decisions of the range by each CAN the request named: a request naming two CANs counts
    in both."""
    found = (
        _decisions(user, when)
        .order_by()
        .values("request__cans__name")
        .annotate(
            approved=Count("kind", filter=Q(to_status=Status.APPROVED)),
            denied=Count("kind", filter=Q(to_status=Status.DENIED)),
        )
        .order_by("request__cans__name")
    )
    rows = [[r["request__cans__name"] or STATEWIDE, r["approved"], r["denied"]] for r in found]
    for row in rows:
        row.append(row[1] + row[2])
    return Table(
        "decisions_by_can",
        "Decisions by CAN",
        "Decisions made in the range for each CAN the request named; a request naming "
        "several CANs counts in each.",
        ["CAN", "Approved", "Denied", "All decisions"],
        rows,
        chart=(0, 3),
        unit="decisions",
    )


def time_in_status(user, when):
    """Every stay in a status that ended in the range: from the status change that began it
    to the one that ended it, by the status."""
    began = (
        Event.objects.filter(request=OuterRef("request"), created_at__lt=OuterRef("created_at"))
        .exclude(to_status="")
        .order_by("-created_at")
        .values("created_at")[:1]
    )
    found = (
        _stays_ended(user, when)
        # The database wrote when each stay began (Event.stay_began_at); SQLite did not.
        .annotate(stayed=Days(F("created_at"), Coalesce(F("stay_began_at"), Subquery(began))))
        .order_by()
        .values("from_status")
        .annotate(
            n=Count("*"),
            spread=Percentiles("stayed"),
        )
    )
    counts = {
        r["from_status"]: {**r, **dict(zip(("median", "p90"), spread(r["spread"]), strict=True))}
        for r in found
    }
    order = [Status.SUBMITTED, Status.SCREENING, Status.RETURNED, Status.VETTING]
    rows = [
        [
            s.label,
            counts.get(s, {}).get("n", 0),
            days(counts.get(s, {}).get("median")),
            days(counts.get(s, {}).get("p90")),
        ]
        for s in order
    ]
    return Table(
        "time_in_status",
        "Time spent in each status",
        "Stays in each status that ended in the range (the request moved on): how many, and "
        "the median and 90th percentile of their days.",
        ["Status", "Stays ended", "Median days", "90th percentile days"],
        rows,
        chart=(0, 2),
        unit="days",
    )


def _held(user, when):
    """The people who held access at the end of the range's last day (activated by then, and
    neither revoked nor ended, expired or revoked as a whole, by then), of the requests the
    person sees inside, each at the level of their newest grant: a correction or a lowered
    level replaces the decision's, and the person counts once, at that level."""
    end = when.end
    return (
        PersonAccess.objects.filter(
            seen_internally_by_key(user, "agreement__request_id"), activated_at__lt=end
        )
        .exclude(revoked_at__lt=end)
        .exclude(agreement__ended_at__lt=end)
        .annotate(level=level_now())
    )


def access_by_level(user, when):
    found = _held(user, when).order_by().values("level").annotate(n=Count("*"))
    counts = {r["level"]: r["n"] for r in found}
    return Table(
        "access_by_level",
        "People holding access, by level",
        f"People whose HMIS access was active at the end of {when.until:%-d %B %Y}, by the "
        f"level granted (the newest: a correction or a lowered level counts at its level).",
        ["Level", "People"],
        [[level.label, counts.get(level.value, 0)] for level in AccessLevel],
        unit="people",
    )


def access_by_can(user, when):
    found = (
        _held(user, when)
        .order_by()
        .values("agreement__request__cans__name", "level")
        .annotate(n=Count("*"))
    )
    by_can = {}
    for r in found:
        name = r["agreement__request__cans__name"] or STATEWIDE
        by_can.setdefault(name, {})[r["level"]] = r["n"]
    rows = []
    for name in sorted(by_can, key=lambda n: (n == STATEWIDE, n)):
        levels = [by_can[name].get(level.value, 0) for level in AccessLevel]
        rows.append([name, *levels, sum(levels)])
    return Table(
        "access_by_can",
        "People holding access, by CAN",
        f"People whose HMIS access was active at the end of {when.until:%-d %B %Y}, by each "
        f"CAN their request named and the level granted; a request naming several CANs counts "
        f"in each.",
        ["CAN", *[level.label for level in AccessLevel], "All levels"],
        rows,
        chart=(0, len(AccessLevel) + 1),
        unit="people",
    )


def all_tables(user, when, today):
    """Every table of the dashboard, in its order: one query each, and one for the decisions'
    three tables."""
    found = decisions(user, when)
    return [
        stages(user, when, today),
        waiting(user, when, today),
        decision_times(found, when, CCEH),
        decision_times(found, when, COMMITTEE),
        outcomes(found),
        decisions_by_can(user, when),
        time_in_status(user, when),
        access_by_level(user, when),
        access_by_can(user, when),
    ]


def one_table(key, user, when, today):
    """The table `key` alone, for its CSV; None for no such table."""
    simple = {
        "stages": lambda: stages(user, when, today),
        "waiting": lambda: waiting(user, when, today),
        "decisions_by_can": lambda: decisions_by_can(user, when),
        "time_in_status": lambda: time_in_status(user, when),
        "access_by_level": lambda: access_by_level(user, when),
        "access_by_can": lambda: access_by_can(user, when),
        f"{CCEH}_times": lambda: decision_times(decisions(user, when), when, CCEH),
        f"{COMMITTEE}_times": lambda: decision_times(decisions(user, when), when, COMMITTEE),
        "outcomes": lambda: outcomes(decisions(user, when)),
    }
    return simple[key]() if key in simple else None


KEYS = (
    "stages",
    "waiting",
    f"{CCEH}_times",
    f"{COMMITTEE}_times",
    "outcomes",
    "decisions_by_can",
    "time_in_status",
    "access_by_level",
    "access_by_can",
)
