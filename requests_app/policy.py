"""The policy's rules about a request's own state: the guards of the transitions (conditions=),
the committee's quorum and tally, and the suggestions staff see while screening.
Clause numbers are those of "Granting CT HMIS access" v1.0.

One module over 450 lines on purpose: it is read against the policy clause by clause
(docs/policy-map.md), and a reader checking a clause should find every rule that cites it
here, not in eight packages."""

import datetime
import functools
from collections import Counter
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from fractions import Fraction

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, Prefetch, Q
from django.utils import timezone

from requests_app.core.dates import long_date
from requests_app.core.states import AccessLevel, AgreementStatus, Status

POLICY_VERSION = "1.0"


class Condition:
    """A guard django-fsm can call, which can also say in words what is unmet."""

    def __init__(self, problems):
        self.problems = problems
        self.__name__ = problems.__name__

    def __call__(self, request):
        return not self.problems(request)


def condition(problems):
    return Condition(problems)


_reading = ContextVar("policy_reading", default=None)


@contextmanager
def one_reading():
    """While a page renders, nothing it shows changes: what the policy reads of a request (its
    assessments, the criteria) is read once for the whole page, not once for each action the
    page asks about. Outside one, every call reads afresh, as an action must."""
    token = _reading.set({})
    try:
        yield
    finally:
        _reading.reset(token)


def _once(key, read):
    memo = _reading.get()
    if memo is None:
        return read()
    if key not in memo:
        memo[key] = read()
    return memo[key]


def _models():
    from . import models

    return models


# The application's sections (docs/design.md section 3), in the order the form asks them.
SECTIONS = ("organization", "people", "scope", "eligibility", "research", "attestations")


def missing_answers(request):
    """What submit still needs, as (section, what) pairs, so the review page can send the
    person straight to the step that asks it."""
    org = request.organization
    required = [
        ("organization", org.name, "the organization's legal name"),
        ("organization", org.kind, "the organization's type"),
        ("organization", org.address, "the organization's address"),
        ("people", request.program, "the program or department (3.3)"),
        ("people", request.contact_name, "a contact name (3.3)"),
        ("people", request.contact_email, "a contact e-mail address (3.3)"),
        ("scope", request.purpose, "the purpose of the request (3.1)"),
        ("scope", request.contribution, "how access contributes to ending homelessness (3.2, 1.8)"),
        (
            "scope",
            request.existing_reporting_gap,
            "why existing reporting does not meet the need (1.1)",
        ),
        ("eligibility", request.need_type, "whether the need is ongoing or one-time (1.2)"),
        ("eligibility", request.usage_frequency, "how often the data will be used (1.2)"),
        (
            "eligibility",
            request.funding_relation,
            "the funding requirement or provider it relates to (1.3)",
        ),
        (
            "eligibility",
            request.homeless_relationship,
            "the working relationship with people experiencing homelessness (1.4)",
        ),
    ]
    missing = [(section, label) for section, value, label in required if not value]
    if not request.people.exists():
        missing.append(("people", "at least one named person who will use HMIS (3.3)"))
    if not request.statewide and not request.cans.exists():
        missing.append(("scope", "the scope: statewide, or at least one CAN (1.5)"))
    if request.had_prior_access is None:
        missing.append(("eligibility", "whether the organization had HMIS access before (1.10)"))
    elif request.had_prior_access and request.prior_access_revoked is None:
        missing.append(("eligibility", "whether that earlier access was ever revoked (1.10)"))
    if request.is_researcher is None:
        missing.append(("research", "whether the requestor is a researcher (1.9)"))
    elif request.is_researcher:
        if request.aggregated_data_sufficient is None:
            missing.append(("research", "whether aggregated, de-identified data would serve (1.9)"))
        elif not request.aggregated_data_sufficient and not request.identified_data_justification:
            missing.append(("research", "why identified data is needed (1.9)"))
    if not request.attests_training:
        missing.append(
            (
                "attestations",
                "the attestation that every named person will complete HMIS training (1.7)",
            )
        )
    if not request.attests_accuracy:
        missing.append(("attestations", "the attestation that the answers are accurate"))
    return missing


@condition
def answers_complete(request):
    """submit: every required answer and attestation is given (3.x, 1.x)."""
    return [f"Missing: {label}." for _section, label in missing_answers(request)]


def points_to_raise(request):
    """What a requestor should know before submitting, without being stopped: the answers
    that the policy counts against a request or that need more care (2.1, 1.9, 1.10)."""
    points = []
    if request.need_type == request.NeedType.ONE_TIME:
        points.append(
            (
                "eligibility",
                "You said the need is one-time only. The policy grants HMIS access for ongoing "
                "needs; a one-time need is a reason to deny access (2.1). A custom data pull or "
                "report from CCEH may serve you better.",
            )
        )
    if request.is_researcher and request.aggregated_data_sufficient is False:
        points.append(
            (
                "research",
                "You asked for identified data for research. The policy expects researchers to "
                "use aggregated, de-identified data unless identified data is truly needed "
                "(1.9): your reason and any IRB approval will be read closely.",
            )
        )
    if request.prior_access_revoked:
        points.append(
            (
                "eligibility",
                "You said earlier HMIS access was revoked. Staff weigh this under good standing "
                "(1.10); say what has changed since, in the details.",
            )
        )
    return points


def current_assessments(request):
    """{criterion: its newest assessment} for the request."""
    models = _models()

    def read():
        rows = models.latest_per(
            models.Assessment.objects.filter(request=request).select_related("criterion"),
            "request",
            "criterion",
        )
        return {row.criterion_id: row for row in rows}

    return _once(("assessments", request.pk), read)


def catalogue():
    """The criteria of the policy version, as a queryset (read once per page: one_reading)."""
    return _once(
        ("catalogue",), lambda: _models().Criterion.objects.filter(policy_version=POLICY_VERSION)
    )


# Which of the requestor's answers speaks to each criterion, as the application's questions
# cite the clauses they serve (docs/design.md section 3): the screening checklist shows them
# beside the criterion. Answers are the request's fields; "scope" is its CANs or statewide,
# "people" the people named with the level each asks for.
ANSWERS_FOR = {
    "1.1": ("existing_reporting_gap",),
    "1.2": ("need_type", "usage_frequency"),
    "1.3": ("funding_relation",),
    "1.4": ("homeless_relationship",),
    "1.5": ("scope",),
    "1.6": ("people",),
    "1.7": ("attests_training",),
    "1.8": ("contribution",),
    "1.9": ("is_researcher", "aggregated_data_sufficient", "identified_data_justification"),
    "1.10": ("had_prior_access", "prior_access_revoked", "prior_access_details"),
    "2.1": ("need_type", "usage_frequency"),
    "2.2": ("purpose",),
}


@condition
def criteria_all_pass(request):
    """approve: every core criterion met or not applicable, and no disqualifier (1.x, 2.x)."""
    current = current_assessments(request)
    problems = []
    for criterion in catalogue():
        assessment = current.get(criterion.pk)
        if assessment is None:
            problems.append(f"{criterion.code} is not assessed yet.")
        elif criterion.is_disqualifier and assessment.outcome == assessment.Outcome.MET:
            problems.append(f"{criterion.code} applies, and it prevents granting access.")
        elif not assessment.passes():
            problems.append(
                f"{criterion.code} is assessed as {assessment.get_outcome_display().lower()}."
            )
    return problems


def unheard_cans(request):
    """Named CANs whose recommendation is neither recorded nor waived."""
    if request.statewide:
        return []
    models = _models()
    settled = set(
        models.CANRecommendation.objects.filter(request=request).values_list("can_id", flat=True)
    )
    return [can for can in request.cans.all() if can.pk not in settled]


@condition
def can_recommendations_settled(request):
    """approve: each named CAN's recommendation is recorded or waived with a reason (1.5, 4.2)."""
    return [
        f"The recommendation of {can.name} is neither recorded nor waived (1.5, 4.2)."
        for can in unheard_cans(request)
    ]


ONE_TIME_NEED = (
    "The answers state a one-time need, which policy 2.1 does not consider. The request can be "
    "returned so the requestor can change the answer."
)


@condition
def need_is_ongoing(request):
    """approve, by staff or the committee: the answers do not state a one-time need. Policy 1.2
    and 2.1 say one-time access will not be considered, so the answer itself stops an approval,
    whatever the 2.1 assessment says."""
    if request.need_type == request.NeedType.ONE_TIME:
        return [ONE_TIME_NEED]
    return []


def _joined(items):
    items = list(items)
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def researcher_conditions_missing(request, levels, conditions):
    """An approval's grants to a researcher that need a written condition the MOU states (1.9:
    aggregated, de-identified data whenever possible): full access to any researcher; full or
    view access where the answers say aggregated data would serve. `levels`: {person id: level}.
    The sentences that refuse the approval, or [] when none is needed or the condition is
    written."""
    if not request.is_researcher or conditions.strip():
        return []
    client_level = {AccessLevel.FULL}
    if request.aggregated_data_sufficient:
        client_level.add(AccessLevel.VIEW)
    grants = [
        f"{AccessLevel(levels[person.pk]).label.lower()} to {person.name}"
        for person in request.people.all()
        if levels.get(person.pk) in client_level
    ]
    if not grants:
        return []
    if request.aggregated_data_sufficient:
        rule = (
            "the answers say aggregated, de-identified data would serve this researcher, so "
            "full or view access needs a written condition (1.9)"
        )
    else:
        rule = "a researcher given full access needs a written condition (1.9)"
    return [f"Write the conditions the MOU will state before granting {_joined(grants)}: {rule}."]


@functools.lru_cache(maxsize=4096)
def working_days_between(start, end):
    """Monday-to-Friday days from `start` to `end` (dates), not counting `start` itself. Kept
    per pair of dates: an export asks it of 50,000 rows that share a few thousand dates."""
    whole_weeks, rest = divmod((end - start).days, 7)
    days = whole_weeks * 5
    for offset in range(1, rest + 1):
        if (start.weekday() + offset) % 7 < 5:
            days += 1
    return days


def days_in_status(request, today=None):
    """Calendar days since the request entered its status, in Connecticut's dates."""
    today = today or timezone.localdate()
    return (today - timezone.localtime(request.status_changed_at).date()).days


def waiting_too_long(request, today=None):
    """Past the staff threshold (STAFF_WAITING_THRESHOLD_WORKING_DAYS) in its current status."""
    today = today or timezone.localdate()
    return waited_too_long(timezone.localtime(request.status_changed_at).date(), today)


@functools.lru_cache(maxsize=4096)
def add_working_days(start, days):
    """The date `days` Monday-to-Friday days after `start` (a date): the first date `end` with
    working_days_between(start, end) == days."""
    end = start
    while days > 0:
        end += datetime.timedelta(days=1)
        if end.weekday() < 5:
            days -= 1
    return end


@dataclass(frozen=True)
class Clock:
    """How a request stands against the target of the stage it is in (docs/design.md, section
    4, "Stages and targets"): whose decision is due, by when, and how many days are left
    (negative: overdue), in working days for CCEH's and calendar days for the committee's."""

    who: str  # "CCEH" or the committee's name
    due: datetime.date
    left: int
    working: bool
    today: datetime.date

    @property
    def overdue(self):
        return self.today > self.due

    @property
    def words(self):
        unit = "working day" if self.working else "day"
        if self.left == 0:
            # A weekend day after a working-day target: no working day past it yet.
            return f"Overdue: was due {self.due:%b} {self.due.day}" if self.overdue else "Due today"
        count = abs(self.left)
        plural = "" if count == 1 else "s"
        if self.left > 0:
            return f"Due in {count} {unit}{plural}"
        return f"{count} {unit}{plural} overdue"


# The stages whose decision CCEH owes within CCEH_DECISION_TARGET_WORKING_DAYS of submission;
# the committee's is owed within COMMITTEE_DECISION_TARGET_DAYS of the escalation.
CCEH_CLOCK_STATUSES = frozenset({Status.SUBMITTED, Status.SCREENING, Status.RETURNED})


def deadline(request, today=None):
    """The decision target's clock of `request` (a Clock), or None when no decision is due
    (a draft, a decided or withdrawn request). Read from columns every list loads (submitted_at,
    and the voting round's opened_at), so a list of requests asks no query per row."""
    escalated = request.status_changed_at
    if request.status == Status.VETTING and request.voting_round_id:
        # The round the latest escalation opened (a request is with the committee only by one).
        escalated = request.voting_round.opened_at
    return clock_of(
        request.status,
        timezone.localtime(request.submitted_at).date() if request.submitted_at else None,
        timezone.localtime(escalated).date(),
        today or timezone.localdate(),
    )


def clock_of(status, submitted_on, escalated_on, today):
    """The clock from the dates (in Connecticut) a request was first submitted and last
    escalated: what `deadline` reads of a request, and an export of its columns.

    CCEH's target counts from the first submission, a return for information included: the
    target is a decision within so many working days of the application."""
    if status in CCEH_CLOCK_STATUSES and submitted_on is not None:
        due = add_working_days(submitted_on, settings.CCEH_DECISION_TARGET_WORKING_DAYS)
        if today <= due:
            left = working_days_between(today, due)
        else:
            left = -working_days_between(due, today)
        return Clock("CCEH", due, left, working=True, today=today)
    if status == Status.VETTING:
        due = escalated_on + datetime.timedelta(days=settings.COMMITTEE_DECISION_TARGET_DAYS)
        left = (due - today).days
        return Clock(f"the {settings.COMMITTEE_NAME}", due, left, working=False, today=today)
    return None


def waited_too_long(since, today):
    """Past the staff threshold for a status entered on the date `since`: what an export asks
    of each of its rows, with the date the database worked out."""
    return working_days_between(since, today) >= settings.STAFF_WAITING_THRESHOLD_WORKING_DAYS


def failing_criteria(request):
    """The criteria whose current assessment stands against the request."""
    current = current_assessments(request)
    return [a.criterion for a in current.values() if a.fails()]


@condition
def has_failing_criterion(request):
    """deny: a disqualifier (2.1, 2.2) or an unmet criterion can be cited."""
    if failing_criteria(request):
        return []
    return [
        "No criterion is assessed as unmet and no disqualifier as applying, so there is "
        "nothing to cite for a denial."
    ]


def current_votes(request):
    """Each member's newest vote in the request's current voting round: the votes that count
    (the rule is VoteQuerySet.current's)."""
    return _models().Vote.objects.filter(request=request).current().select_related("voter")


def tally(request):
    """The committee's count from the current vote of each current member."""
    members = list(get_user_model().objects.committee().values_list("pk", flat=True))
    counts = {"approve": 0, "deny": 0, "abstain": 0, "recuse": 0}
    for vote in current_votes(request).filter(voter_id__in=members):
        counts[vote.choice] += 1
    counts["members"] = len(members)
    counts["voted"] = counts["approve"] + counts["deny"] + counts["abstain"]
    share = Fraction(settings.COMMITTEE_QUORUM_SHARE)
    counts["needed"] = int(share * len(members)) + 1
    counts["quorum"] = bool(members) and counts["voted"] >= counts["needed"]
    if counts["approve"] > counts["deny"]:
        counts["majority"] = "approve"
    elif counts["deny"] > counts["approve"]:
        counts["majority"] = "deny"
    else:
        counts["majority"] = None
    return counts


def suggested_levels(request):
    """For the chair: each named person's level as the approving votes recommend it, the most
    often recommended; on a tie, the lower level."""
    counts = {}
    committee = get_user_model().objects.committee()
    for vote in current_votes(request).filter(choice="approve", voter__in=committee):
        for person_id, level in vote.recommended_levels.items():
            counts.setdefault(int(person_id), Counter())[level] += 1
    return {
        person_id: max(levels, key=lambda level: (levels[level], -AccessLevel.RANK[level]))
        for person_id, levels in counts.items()
    }


@condition
def quorum_reached(request):
    """record committee decision: quorum of current members cast a vote that is not a recusal."""
    count = tally(request)
    if count["quorum"]:
        return []
    return [
        f"Quorum is not reached: {count['voted']} of {count['members']} members have voted "
        f"(recusals do not count); {count['needed']} are needed."
    ]


@dataclass(frozen=True)
class Suggestion:
    code: str
    message: str
    concern: bool = True


def suggestions(request):
    """What the answers and history tell staff before they assess (docs/design.md section 4)."""
    found = []
    if request.need_type == request.NeedType.ONE_TIME:
        found.append(Suggestion("2.1", "The requestor says the need is one-time only."))
    if request.is_researcher and request.aggregated_data_sufficient is False:
        found.append(
            Suggestion(
                "1.9",
                "A researcher asks for identified data rather than aggregated, de-identified "
                "data; check the reason given.",
            )
        )
    found += [Suggestion("1.10", message) for message in standing_concerns(request)]
    if not request.statewide and request.cans.exists():
        names = ", ".join(can.name for can in request.cans.all())
        found.append(
            Suggestion(
                "1.5",
                f"It names {names}: their leadership is to be informed and involved (1.5, 4.2).",
                concern=False,
            )
        )
    return found


def _day(moment):
    """The date as it was in Connecticut (TIME_ZONE), not in UTC."""
    return long_date(timezone.localtime(moment))


def flagged_condition():
    """The concerns of `suggestions` as one database condition, so the queue can filter on them
    without computing each request's suggestions. A test holds the two in agreement."""
    models = _models()
    abuse_denied = models.Decision.objects.filter(outcome=Status.DENIED, cited_criteria__code="2.2")
    revoked_person = models.NamedPerson.objects.filter(
        request=OuterRef("pk"),
        email__in=models.Revocation.objects.exclude(person_email="").values("person_email"),
    )
    # Each person this request names is looked up by their e-mail (its index) on the other
    # requests: as "e-mail IN (everyone on another request ...)" the database read every
    # named person for each one, 11 s for the queue's flagged filter at 100,000 requests.
    named_elsewhere = models.NamedPerson.objects.filter(email=OuterRef("email")).exclude(
        request=OuterRef("request")
    )
    # People this request names who were named on another request denied for possible abuse.
    denied_person = models.NamedPerson.objects.filter(
        Exists(named_elsewhere.filter(request__in=abuse_denied.values("request"))),
        request=OuterRef("pk"),
    )
    # An MOU of the organization, or naming a person this request names, while the answers
    # say there was no earlier HMIS access (1.10, as standing_concerns raises it). The other
    # request's MOU is asked for by its key: joined through the requests, the database read
    # every request to build the set, twice a page (docs/performance.md).
    person_on_mou = models.NamedPerson.objects.filter(
        Exists(named_elsewhere.filter(request__in=models.Agreement.objects.values("request"))),
        request=OuterRef("pk"),
    )
    organization_mou = models.Agreement.objects.filter(
        request__organization=OuterRef("organization")
    ).exclude(request=OuterRef("pk"))
    return (
        Q(had_prior_access=False) & (Q(Exists(organization_mou)) | Q(Exists(person_on_mou)))
        | Q(need_type=models.AccessRequest.NeedType.ONE_TIME)
        | Q(is_researcher=True, aggregated_data_sufficient=False)
        | Q(prior_access_revoked=True)
        | Q(Exists(models.Revocation.objects.filter(organization=OuterRef("organization"))))
        | Q(Exists(revoked_person))
        | Q(
            Exists(
                abuse_denied.filter(request__organization=OuterRef("organization")).exclude(
                    request=OuterRef("pk")
                )
            )
        )
        | Q(Exists(denied_person))
    )


def agreement_state(agreement):
    """Where an MOU stands, with its dates, in words: what 1.10 weighs of earlier access."""
    if agreement.status == AgreementStatus.ACTIVE:
        return f"active until {long_date(agreement.ends_on)}"
    if agreement.status == AgreementStatus.EXPIRED:
        return f"expired on {_day(agreement.ended_at)}"
    if agreement.status == AgreementStatus.REVOKED:
        return f"revoked on {_day(agreement.ended_at)}"
    if agreement.status == AgreementStatus.EXECUTED:
        return f"executed on {_day(agreement.executed_at)}, not active yet"
    if agreement.status == AgreementStatus.SIGNED:
        return f"issued on {_day(agreement.issued_at)}, signed, not countersigned yet"
    return f"issued on {_day(agreement.issued_at)}, not signed yet"


def _requests_of(organization_id, emails):
    """The ids of the requests of the organization or naming any of `emails`, as a subquery:
    two indexed lookups joined by UNION (an OR across the two tables scans both whole)."""
    models = _models()
    return (
        models.AccessRequest.objects.filter(organization=organization_id)
        .order_by()
        .values("pk")
        .union(models.NamedPerson.objects.filter(email__in=emails).order_by().values("request"))
    )


def other_agreements(request, emails):
    """The MOUs, other than this request's own, of the organization or naming any of `emails`;
    each request's `named_here` holds the people among `emails` it names. One query, and one
    more when any is found."""
    models = _models()
    named = models.NamedPerson.objects.filter(email__in=emails)
    return (
        models.Agreement.objects.filter(request__in=_requests_of(request.organization_id, emails))
        .exclude(request=request.pk)
        .select_related("request")
        .prefetch_related(Prefetch("request__people", queryset=named, to_attr="named_here"))
        .order_by("issued_at", "pk")
    )


def access_record(request):
    """What CCEH's own record holds of the organization's HMIS access, for the MOU to state
    beside the answer (1.10): its other MOUs and the revocations of its access or people."""
    models = _models()
    organization = request.organization_id
    agreements = (
        models.Agreement.objects.filter(request__organization=organization)
        .exclude(request=request.pk)
        .select_related("request")
        .order_by("issued_at", "pk")
    )
    revocations = models.Revocation.objects.filter(
        Q(organization=organization) | Q(request__organization=organization)
    ).order_by("revoked_at", "pk")
    return {
        "mous": [(a.request.reference, agreement_state(a)) for a in agreements],
        "revocations": [
            (r.person_email or "the organization", _day(r.revoked_at), r.reason)
            for r in revocations
        ],
    }


def standing_concerns(request):
    """1.10: earlier revocations (with their reasons) and denials for possible abuse (2.2), of
    the organization or of any person this request names; an MOU of either while the answers
    say there was no earlier access; and what the requestor says of their own history."""
    models = _models()
    emails = [e.lower() for e in request.people.values_list("email", flat=True)]
    concerns = []
    revocations = (
        models.Revocation.objects.filter(
            Q(organization=request.organization) | Q(person_email__in=emails)
        )
        .select_related("organization")
        .order_by("revoked_at", "pk")
    )
    for revocation in revocations:
        who = revocation.person_email or revocation.organization.name
        concerns.append(
            f"HMIS access of {who} was revoked on {_day(revocation.revoked_at)}. "
            f"Reason: “{revocation.reason}”"
        )
    abuse_denials = (
        models.Decision.objects.filter(outcome=Status.DENIED, cited_criteria__code="2.2")
        .exclude(request=request)
        .filter(request__in=_requests_of(request.organization_id, emails))
        .select_related("request")
    )
    for decision in abuse_denials:
        concerns.append(
            f"{decision.request.reference} was denied for possible abuse (2.2) on "
            f"{_day(decision.decided_at)}."
        )
    if request.had_prior_access is False:
        for agreement in other_agreements(request, emails):
            if agreement.request.organization_id == request.organization_id:
                who = "this organization"
            else:
                who = _joined([p.email for p in agreement.request.named_here])
            # An MOU not yet active grants access to come; one active or ended gave it.
            started = agreement.status in {AgreementStatus.ACTIVE, *AgreementStatus.ENDED}
            verb = "gave" if started else "grants"
            concerns.append(
                f"{agreement.request.reference} {verb} {who} HMIS access "
                f"({agreement_state(agreement)}), yet the answers say there was no earlier "
                "access."
            )
    if request.prior_access_revoked:
        concerns.append("The requestor says earlier HMIS access was revoked.")
    return concerns


def purpose_ceiling(request):
    """The highest level the MOU's purpose supports for a person added by an amendment: the
    highest its decision granted anyone. The decision weighed the purpose (3.1) and the levels
    asked (3.3); an addition cannot stretch the purpose past what was decided (1.6)."""
    levels = (
        _models().Grant.objects.filter(decision__request=request).values_list("level", flat=True)
    )
    return max(set(levels), key=AccessLevel.RANK.__getitem__, default=None)


def addition_problems(request, email, level):
    """Why a person cannot be added to `request`'s MOU at `level`: above what its purpose
    supports (1.6, `purpose_ceiling`); full access (or view, where the answers say aggregated
    data would serve) to a researcher without the written conditions the decision gave (1.9);
    a person whose HMIS access was revoked (1.10). [] when none."""
    models = _models()
    problems = []
    ceiling = purpose_ceiling(request)
    if ceiling is None or AccessLevel.RANK[level] > AccessLevel.RANK[ceiling]:
        problems.append(
            f"The purpose this MOU was decided for supports at most "
            f"{AccessLevel(ceiling).label.lower() if ceiling else 'no access'}; "
            f"{AccessLevel(level).label.lower()} needs a new request (1.6)."
        )
    client_level = {AccessLevel.FULL}
    if request.aggregated_data_sufficient:
        client_level.add(AccessLevel.VIEW)
    if request.is_researcher and level in client_level and not request.decision.conditions:
        problems.append(
            f"The decision wrote no conditions for a researcher's access to client data, so "
            f"{AccessLevel(level).label.lower()} cannot be added (1.9)."
        )
    if models.Revocation.objects.filter(person_email=email.lower()).exists():
        problems.append(f"The HMIS access of {email} was revoked before (1.10).")
    return problems
