"""Where a request stands in its whole life, from intake to renewal: the request's status until
the decision, then its MOU's. One definition for the queue's stage filter and column and the
dashboard's counts (docs/design.md, section 4)."""

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Case, Q, Value, When
from django.utils import timezone

from .states import AgreementStatus, Status


class Stage(models.TextChoices):
    INTAKE = "intake", "Intake"
    SCREENING = "screening", "Screening"
    RETURNED = "returned", "Returned for information"
    COMMITTEE = "committee", "With the committee"
    ORGANIZATION_SIGNATURE = "organization_signature", "MOU waiting for the organization"
    COUNTERSIGNATURE = "countersignature", "Waiting for CCEH's countersignature"
    TRAINING = "training", "Waiting for training"
    ACTIVE = "active", "Active"
    RENEWAL_DUE = "renewal_due", "Renewal due"
    DENIED = "denied", "Denied"
    WITHDRAWN = "withdrawn", "Withdrawn"
    ENDED = "ended", "Access ended"


# Every stage in which somebody at CCEH has something to do: the queue's default.
Stage.WORK = (
    Stage.INTAKE,
    Stage.SCREENING,
    Stage.RETURNED,
    Stage.COMMITTEE,
    Stage.ORGANIZATION_SIGNATURE,
    Stage.COUNTERSIGNATURE,
    Stage.TRAINING,
    Stage.RENEWAL_DUE,
)
# Before a decision: the request's own status says the stage.
Stage.BEFORE_DECISION = (Stage.INTAKE, Stage.SCREENING, Stage.RETURNED, Stage.COMMITTEE)


def renewal_due_from(today=None):
    """An active MOU ending on or before this date is due for renewal."""
    today = today or timezone.localdate()
    return today + datetime.timedelta(days=settings.GRANT_RENEWAL_WINDOW_DAYS)


def _mou_q(**mou):
    """Approved requests whose MOU matches `mou` (Agreement lookups): IN a subquery of MOUs,
    which the database answers once for the whole list, not a join of every request to its MOU
    (docs/performance.md)."""
    from requests_app.models import Agreement

    return Q(status=Status.APPROVED, pk__in=Agreement.objects.filter(**mou).values("request_id"))


def stage_q(stage, today=None):
    """The requests (AccessRequest rows) in `stage`, as a filter."""
    due = renewal_due_from(today)
    if stage == Stage.ACTIVE:
        return _mou_q(status=AgreementStatus.ACTIVE) & ~stage_q(Stage.RENEWAL_DUE, today)
    return {
        Stage.INTAKE: Q(status=Status.SUBMITTED),
        Stage.SCREENING: Q(status=Status.SCREENING),
        Stage.RETURNED: Q(status=Status.RETURNED),
        Stage.COMMITTEE: Q(status=Status.VETTING),
        Stage.ORGANIZATION_SIGNATURE: _mou_q(status=AgreementStatus.ISSUED),
        Stage.COUNTERSIGNATURE: _mou_q(status=AgreementStatus.SIGNED),
        Stage.TRAINING: _mou_q(status=AgreementStatus.EXECUTED),
        Stage.RENEWAL_DUE: _mou_q(status=AgreementStatus.ACTIVE, ends_on__lte=due),
        Stage.DENIED: Q(status=Status.DENIED),
        Stage.WITHDRAWN: Q(status=Status.WITHDRAWN),
        Stage.ENDED: _mou_q(status__in=AgreementStatus.ENDED),
    }[Stage(stage)]


def work_q(today=None):
    """Stage.WORK, the queue's default, as the one filter PostgreSQL answers cheaply: the open
    statuses or an approval whose MOU is
    among the few waiting on someone, asked as IN a subquery of MOUs rather than a join of
    every request to its MOU (docs/performance.md). The same rows as the union of stage_q over
    Stage.WORK, which a test holds it to."""
    from requests_app.models import Agreement

    waiting = Agreement.objects.filter(
        Q(status__in=[AgreementStatus.ISSUED, AgreementStatus.SIGNED, AgreementStatus.EXECUTED])
        | Q(status=AgreementStatus.ACTIVE, ends_on__lte=renewal_due_from(today))
    )
    either = Q(status__in=sorted(Status.OPEN)) | Q(
        status=Status.APPROVED, pk__in=waiting.values("request_id")
    )
    # Said again as the partial index work_waiting's own condition (application/models.py),
    # which PostgreSQL cannot prove from the OR alone: with it, the first page walks that index
    # alone (8 ms at 100,000 requests), without it every request's row (130 ms).
    return Q(status__in=sorted(Status.OPEN | {Status.APPROVED})) & either


def stage_annotation(today=None):
    """The stage of each row, for `.annotate(stage=stage_annotation())`: one CASE, no query of
    its own. A draft has no stage (None): it is its organization's alone."""
    whens = [When(stage_q(stage, today), then=Value(stage.value)) for stage in Stage]
    return Case(*whens, default=Value(None), output_field=models.CharField())


def stage_of(request, today=None):
    """The stage of one request already loaded with its agreement; None for a draft. An
    approval issues its MOU in the same transaction, so an approval without one is not met."""
    if request.status != Status.APPROVED:
        return stage_from(request.status, None, False)
    agreement = request.agreement
    due = agreement.ends_on is not None and agreement.ends_on <= renewal_due_from(today)
    return stage_from(request.status, agreement.status, due)


BY_STATUS = {
    Status.SUBMITTED: Stage.INTAKE,
    Status.SCREENING: Stage.SCREENING,
    Status.RETURNED: Stage.RETURNED,
    Status.VETTING: Stage.COMMITTEE,
    Status.DENIED: Stage.DENIED,
    Status.WITHDRAWN: Stage.WITHDRAWN,
}
BY_MOU = {
    AgreementStatus.ISSUED: Stage.ORGANIZATION_SIGNATURE,
    AgreementStatus.SIGNED: Stage.COUNTERSIGNATURE,
    AgreementStatus.EXECUTED: Stage.TRAINING,
}


def stage_from(status, mou_status, renewal_due):
    """The stage of a request in `status` whose MOU (if approved) is in `mou_status` and, if
    active, is or is not due for renewal (ends by renewal_due_from): stage_q's rules, for a
    row already read or a count grouped by these three."""
    if status == Status.DRAFT:
        return None
    if status in BY_STATUS:
        return BY_STATUS[status]
    if mou_status in AgreementStatus.ENDED:
        return Stage.ENDED
    if mou_status == AgreementStatus.ACTIVE:
        return Stage.RENEWAL_DUE if renewal_due else Stage.ACTIVE
    return BY_MOU[mou_status]
