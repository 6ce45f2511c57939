"""Every model of the app, from the domain that owns it: Django loads the app's models from
here, and the migrations name UserManager, private_storage and mou_path by this module."""

from requests_app.accounts.models import (
    CAN,
    Membership,
    Organization,
    RoleDecision,
    RoleProposal,
    User,
    UserManager,
    UserSession,
)
from requests_app.agreement.models import (
    Agreement,
    Amendment,
    AmendmentDecision,
    MOUVersion,
    PersonAccess,
    Recertification,
    Revocation,
    Signature,
    Training,
    UserAgreement,
    mou_path,
)
from requests_app.application.models import (
    AccessRequest,
    ApplicationVersion,
    Attachment,
    NamedPerson,
)
from requests_app.audit.models import ReadLogEntry
from requests_app.committee.models import Vote, VotingRound
from requests_app.core.history import Event
from requests_app.core.records import StoredFileAltered, latest_per, private_storage, stored_sha256
from requests_app.decision.models import Decision, Grant
from requests_app.notifications.models import Notification, NotificationPreference
from requests_app.screening.models import Assessment, CANRecommendation, Comment, Criterion

__all__ = [
    "CAN",
    "AccessRequest",
    "Agreement",
    "Amendment",
    "AmendmentDecision",
    "ApplicationVersion",
    "Assessment",
    "Attachment",
    "CANRecommendation",
    "Comment",
    "Criterion",
    "Decision",
    "Event",
    "Grant",
    "MOUVersion",
    "Membership",
    "NamedPerson",
    "Notification",
    "NotificationPreference",
    "Organization",
    "PersonAccess",
    "ReadLogEntry",
    "Recertification",
    "Revocation",
    "RoleDecision",
    "RoleProposal",
    "Signature",
    "StoredFileAltered",
    "Training",
    "User",
    "UserAgreement",
    "UserManager",
    "UserSession",
    "Vote",
    "VotingRound",
    "latest_per",
    "mou_path",
    "private_storage",
    "stored_sha256",
]
