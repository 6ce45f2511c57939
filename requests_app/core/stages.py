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


def stage_q(stage, today=None):
    """The requests (AccessRequest rows) in `stage`, as a filter."""
    due = renewal_due_from(today)
    return {
        Stage.INTAKE: Q(status=Status.SUBMITTED),
        Stage.SCREENING: Q(status=Status.SCREENING),
        Stage.RETURNED: Q(status=Status.RETURNED),
        Stage.COMMITTEE: Q(status=Status.VETTING),
        Stage.ORGANIZATION_SIGNATURE: Q(
            status=Status.APPROVED, agreement__status=AgreementStatus.ISSUED
        ),
        Stage.COUNTERSIGNATURE: Q(status=Status.APPROVED, agreement__status=AgreementStatus.SIGNED),
        Stage.TRAINING: Q(status=Status.APPROVED, agreement__status=AgreementStatus.EXECUTED),
        Stage.ACTIVE: Q(status=Status.APPROVED, agreement__status=AgreementStatus.ACTIVE)
        & ~Q(agreement__ends_on__lte=due),
        Stage.RENEWAL_DUE: Q(
            status=Status.APPROVED,
            agreement__status=AgreementStatus.ACTIVE,
            agreement__ends_on__lte=due,
        ),
        Stage.DENIED: Q(status=Status.DENIED),
        Stage.WITHDRAWN: Q(status=Status.WITHDRAWN),
        Stage.ENDED: Q(status=Status.APPROVED, agreement__status__in=AgreementStatus.ENDED),
    }[Stage(stage)]


def work_q(today=None):
    """Stage.WORK, the queue's default, as the one filter PostgreSQL answers cheaply: the open
    statuses (the queue's partial index, open_requests_waiting) or an approval whose MOU is
    among the few waiting on someone, asked as IN a subquery of MOUs rather than a join of
    every request to its MOU (docs/performance.md). The same rows as the union of stage_q over
    Stage.WORK, which a test holds it to."""
    from requests_app.models import Agreement

    waiting = Agreement.objects.filter(
        Q(status__in=[AgreementStatus.ISSUED, AgreementStatus.SIGNED, AgreementStatus.EXECUTED])
        | Q(status=AgreementStatus.ACTIVE, ends_on__lte=renewal_due_from(today))
    )
    return Q(status__in=sorted(Status.OPEN)) | Q(
        status=Status.APPROVED, pk__in=waiting.values("request_id")
    )


def stage_annotation(today=None):
    """The stage of each row, for `.annotate(stage=stage_annotation())`: one CASE, no query of
    its own. A draft has no stage (None): it is its organization's alone."""
    whens = [When(stage_q(stage, today), then=Value(stage.value)) for stage in Stage]
    return Case(*whens, default=Value(None), output_field=models.CharField())


def stage_of(request, today=None):
    """The stage of one request already loaded with its agreement; None for a draft. An
    approval issues its MOU in the same transaction, so an approval without one is not met."""
    if request.status == Status.DRAFT:
        return None
    by_status = {
        Status.SUBMITTED: Stage.INTAKE,
        Status.SCREENING: Stage.SCREENING,
        Status.RETURNED: Stage.RETURNED,
        Status.VETTING: Stage.COMMITTEE,
        Status.DENIED: Stage.DENIED,
        Status.WITHDRAWN: Stage.WITHDRAWN,
    }
    if request.status in by_status:
        return by_status[request.status]
    agreement = request.agreement
    if agreement.status in AgreementStatus.ENDED:
        return Stage.ENDED
    if agreement.status == AgreementStatus.ACTIVE:
        if agreement.ends_on is not None and agreement.ends_on <= renewal_due_from(today):
            return Stage.RENEWAL_DUE
        return Stage.ACTIVE
    return {
        AgreementStatus.ISSUED: Stage.ORGANIZATION_SIGNATURE,
        AgreementStatus.SIGNED: Stage.COUNTERSIGNATURE,
        AgreementStatus.EXECUTED: Stage.TRAINING,
    }[agreement.status]
