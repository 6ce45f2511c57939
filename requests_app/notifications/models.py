"""Notices to people, their e-mail delivery, and each person's choice of e-mails."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class Notification(models.Model):
    """Somebody is to hear of an event, or is reminded of a request. Recorded in the event's
    transaction and shown in the person's notices; its e-mail is sent after commit by a task
    (notifications/services.py), whose progress `delivery` records."""

    class Kind(models.TextChoices):
        SUBMITTED = "submitted", "A request was submitted"
        RETURNED = "returned", "A request was returned for information"
        RESUBMITTED = "resubmitted", "A request was resubmitted"
        ESCALATED = "escalated", "A request was escalated to the committee"
        VOTE_CAST = "vote_cast", "A vote was cast"
        QUORUM_REACHED = "quorum_reached", "Quorum was reached"
        DECIDED = "decided", "A request was decided"
        WITHDRAWN = "withdrawn", "A request was withdrawn"
        # The grant's life after an approval: recorded by the agreement's actions.
        MOU_READY = "mou_ready", "An MOU is ready to sign"
        COUNTERSIGNED = "countersigned", "An MOU was countersigned"
        SIGNED = "signed", "An MOU was signed and waits for CCEH's countersignature"
        ACCESS_ACTIVE = "access_active", "Access is active"
        RENEWAL_DUE = "renewal_due", "A renewal is due"
        EXPIRED = "expired", "Access expired"
        REVOKED = "revoked", "Access was revoked"
        DEPARTED = "departed", "A person left an organization"
        # An organization's roles (accounts/roles.py): of no request.
        ROLE_PROPOSED = "role_proposed", "A signatory or security officer was proposed"
        ROLE_CONFIRMED = "role_confirmed", "A signatory or security officer was confirmed"
        ROLE_DECLINED = "role_declined", "A proposed signatory or security officer was declined"
        # Amendments of an active MOU and the yearly review (agreement/amendments.py).
        ADDITION_ASKED = "addition_asked", "A person's addition waits for CCEH's decision"
        ADDITION_DECIDED = "addition_decided", "A person's addition was decided"
        AMENDMENT_SIGNED = "amendment_signed", "An MOU amendment was signed"
        ACCESS_AMENDED = "access_amended", "A person was removed or their level lowered"
        RECERTIFIED = "recertified", "An MOU's people were reviewed"
        # Keeping access current (agreement/due.py): the person's own and the organization's.
        USER_AGREEMENT_SIGNED = "user_agreement", "A user agreement was signed"
        SUSPENDED = "suspended", "Access was suspended"
        RESUMED = "resumed", "Access was resumed"
        TRAINING_DUE = "training_due", "Reminder: HMIS training is due"
        USER_AGREEMENT_DUE = "agreement_due", "Reminder: a user agreement is due"
        REVIEW_DUE = "review_due", "Reminder: the yearly review of access is due"
        # Reminders, from `manage.py send_reminders`.
        VOTE_REMINDER = "vote_reminder", "Reminder: your vote is due"
        WAITING_REMINDER = "waiting_reminder", "Reminder: a request is waiting for staff"
        RETURN_REMINDER = "return_reminder", "Reminder: a question is unanswered"

    class Delivery(models.TextChoices):
        PENDING = "pending", "Waiting to be sent"
        SENDING = "sending", "Being sent"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        SKIPPED = "skipped", "Not e-mailed"

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    # None for a notice of an organization's role, which names its proposal instead.
    request = models.ForeignKey(
        "requests_app.AccessRequest",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="notifications",
    )
    role = models.ForeignKey(
        "requests_app.RoleProposal",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="notifications",
    )
    # None for a reminder: it follows from the passing of time, not from an event.
    event = models.ForeignKey(
        "requests_app.Event",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="notifications",
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    # The day a reminder is for: at most one of each kind per person, request and day.
    reminder_day = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    delivery = models.CharField(max_length=10, choices=Delivery.choices, default=Delivery.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    # When the next attempt may start (pending); a sweep queues those whose time has come.
    next_try_at = models.DateTimeField(default=timezone.now)
    # When the current attempt started (sending): how a dead worker's send is recognised.
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "event", "kind"], name="one_notice_per_event"
            ),
            models.CheckConstraint(
                condition=Q(request__isnull=False) | Q(role__isnull=False),
                name="notice_of_a_request_or_a_role",
            ),
            models.UniqueConstraint(
                fields=["recipient", "role", "kind"],
                condition=Q(role__isnull=False),
                name="one_notice_per_role_change",
            ),
            models.UniqueConstraint(
                fields=["recipient", "request", "kind", "reminder_day"],
                condition=Q(reminder_day__isnull=False),
                name="one_reminder_per_day",
            ),
        ]
        indexes = [
            models.Index(fields=["recipient", "read_at"]),
            # A person's notices, newest first, a page at a time (docs/performance.md).
            models.Index(fields=["recipient", "-created_at", "-id"], name="notices_newest_first"),
            # The e-mails that could not be sent, newest first.
            models.Index(
                fields=["-created_at", "-id"],
                condition=Q(delivery="failed"),
                name="failed_notices_newest_first",
            ),
            models.Index(fields=["delivery", "next_try_at"]),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} for {self.recipient}"


# What the requesting organization hears. Its own people hear nothing else of its request,
# whatever other role they hold: a conflict of interest hides as well as blocks.
Notification.Kind.FOR_REQUESTORS = frozenset(
    {
        Notification.Kind.RETURNED,
        Notification.Kind.DECIDED,
        Notification.Kind.MOU_READY,
        Notification.Kind.COUNTERSIGNED,
        Notification.Kind.ACCESS_ACTIVE,
        Notification.Kind.RENEWAL_DUE,
        Notification.Kind.EXPIRED,
        Notification.Kind.REVOKED,
        Notification.Kind.DEPARTED,
        Notification.Kind.RETURN_REMINDER,
        Notification.Kind.ADDITION_DECIDED,
        Notification.Kind.ACCESS_AMENDED,
        Notification.Kind.USER_AGREEMENT_SIGNED,
        Notification.Kind.SUSPENDED,
        Notification.Kind.RESUMED,
        Notification.Kind.TRAINING_DUE,
        Notification.Kind.USER_AGREEMENT_DUE,
        Notification.Kind.REVIEW_DUE,
    }
)


class NotificationPreference(models.Model):
    """Whether a person also wants e-mail for one kind of notice. No row means yes; the in-app
    notice is always kept. Staff cannot turn off what they must act on
    (notifications/services.py)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notice_preferences"
    )
    kind = models.CharField(max_length=20, choices=Notification.Kind.choices)
    email = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="one_preference_per_kind")
        ]

    def __str__(self):
        return f"{self.user}: {self.get_kind_display()} by e-mail {'on' if self.email else 'off'}"
