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
# Neither decided nor withdrawn, drafts included: only then does the application read as a draft
# MOU; after a decision a draft would contradict the decision and its final MOU.
Status.UNDECIDED = frozenset(Status) - Status.CLOSED
# Submitted and not yet decided or withdrawn: the request is somebody's work in progress.
Status.OPEN = frozenset({Status.SUBMITTED, Status.SCREENING, Status.RETURNED, Status.VETTING})
Status.WITHDRAWABLE = Status.OPEN
# Everything staff can see: a draft belongs to its organization alone.
Status.AFTER_SUBMISSION = frozenset(Status) - {Status.DRAFT}
# The requestor may change the answers: while writing, and when staff ask for more.
Status.EDITABLE = frozenset({Status.DRAFT, Status.RETURNED})

# What the requesting organization can expect next, in words ("My requests", the request page).
# `{committee}` is the committee's display name, a setting.
Status.NEXT_FOR_REQUESTOR = {
    Status.DRAFT: "Finish the application and submit it. Nobody outside your organization "
    "sees it until then.",
    Status.SUBMITTED: "CCEH staff will take it up for screening against the policy's criteria.",
    Status.SCREENING: "CCEH staff are checking it against the policy's criteria. They will "
    "decide, ask you a question, or send it to the {committee}.",
    Status.RETURNED: "CCEH staff asked you a question. Answer it, change your answers if "
    "needed, and resubmit.",
    Status.VETTING: "The {committee} is voting on it. CCEH staff will write when it is decided.",
    Status.APPROVED: "Access is granted. The MOU states each person's access level.",
    Status.DENIED: "Access was refused. The decision below gives the reasons and the "
    "criteria it rests on.",
    Status.WITHDRAWN: "Nothing more: your organization withdrew it.",
}


class AccessLevel(models.TextChoices):
    FULL = "full", "Full access"
    VIEW = "view", "View only"
    REPORTING = "reporting", "Reporting only"


# Higher rank, more access: a grant may be lower than what was asked, never higher.
AccessLevel.RANK = {AccessLevel.REPORTING: 1, AccessLevel.VIEW: 2, AccessLevel.FULL: 3}


class AgreementStatus(models.TextChoices):
    """The life of an approval's MOU and the access it grants (docs/design.md section 4, after
    approval)."""

    ISSUED = "issued", "Issued: waiting for the organization's signature"
    SIGNED = "signed", "Signed by the organization: waiting for CCEH's countersignature"
    EXECUTED = "executed", "Executed: waiting for training and activation"
    ACTIVE = "active", "Active"
    EXPIRED = "expired", "Expired"
    REVOKED = "revoked", "Revoked"


# Before CCEH countersigns, the MOU can still be corrected (and is then signed again).
AgreementStatus.AMENDABLE = frozenset({AgreementStatus.ISSUED, AgreementStatus.SIGNED})
AgreementStatus.ENDED = frozenset({AgreementStatus.EXPIRED, AgreementStatus.REVOKED})
AgreementStatus.LIVE = frozenset(AgreementStatus) - AgreementStatus.ENDED
# Training is recorded, and people activated, once the MOU is signed by both parties.
AgreementStatus.EXECUTED_OR_ACTIVE = frozenset({AgreementStatus.EXECUTED, AgreementStatus.ACTIVE})


class AccessEnd(models.TextChoices):
    """Why one person's access ended (agreement/access.py, end_access). Each puts the person on
    the deprovisioning list until staff close their HMIS account."""

    DEPARTED = "departed", "Left the organization"
    REMOVED = "removed", "Removed by an amendment or a review"
    EXPIRED = "expired", "The MOU expired"
    REVOKED = "revoked", "Revoked"
    SUSPENDED = "suspended", "Suspended: training, user agreement or review overdue"


# Only a suspension is undone: the person returns to active once current, without a new
# application. The others are final; a person comes back only through an addition or a request.
AccessEnd.FINAL = frozenset(AccessEnd) - {AccessEnd.SUSPENDED}
