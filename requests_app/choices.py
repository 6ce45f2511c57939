"""Status and access-level values with their named groups, shared by every module."""

from django.db import models


class Status(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"
    SCREENING = "screening", "In screening"
    RETURNED = "returned", "Returned for information"
    VETTING = "vetting", "With the committee"
    APPROVED = "approved", "Approved"
    DENIED = "denied", "Denied"
    WITHDRAWN = "withdrawn", "Withdrawn"


# Named groups, so no file repeats a list of status strings.
Status.DECIDED = frozenset({Status.APPROVED, Status.DENIED})
Status.CLOSED = Status.DECIDED | {Status.WITHDRAWN}
# Submitted and not yet decided or withdrawn: the request is somebody's work in progress.
Status.OPEN = frozenset({Status.SUBMITTED, Status.SCREENING, Status.RETURNED, Status.VETTING})
Status.WITHDRAWABLE = Status.OPEN
# Everything staff can see: a draft belongs to its organization alone.
Status.AFTER_SUBMISSION = frozenset(Status) - {Status.DRAFT}


class AccessLevel(models.TextChoices):
    FULL = "full", "Full access"
    VIEW = "view", "View only"
    REPORTING = "reporting", "Reporting only"


# Higher rank, more access: a grant may be lower than what was asked, never higher.
AccessLevel.RANK = {AccessLevel.REPORTING: 1, AccessLevel.VIEW: 2, AccessLevel.FULL: 3}
