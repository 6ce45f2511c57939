"""A request's history: one append-only event per thing that happened to it, what a person may read
of it, and who is told."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from requests_app.core import chain
from requests_app.core.states import Status


class Event(chain.ChainedRecord):
    """The request's history: who did what, when, from what to what, and why."""

    class Kind(models.TextChoices):
        SUBMITTED = "submitted", "Submitted"
        SCREENING_STARTED = "screening_started", "Screening started"
        RETURNED = "returned", "Returned for information"
        RESUBMITTED = "resubmitted", "Resubmitted"
        APPROVED = "approved", "Approved"
        DENIED = "denied", "Denied"
        ESCALATED = "escalated", "Escalated to the committee"
        COMMITTEE_DECIDED = "committee_decided", "Committee decision recorded"
        WITHDRAWN = "withdrawn", "Withdrawn"
        ASSESSED = "assessed", "Criterion assessed"
        VOTED = "voted", "Vote cast"
        CAN_RECOMMENDED = "can_recommended", "CAN recommendation recorded"
        ANSWERS_CHANGED = "answers_changed", "Answers changed"
        MOU_ISSUED = "mou_issued", "MOU issued"
        MOU_AMENDED = "mou_amended", "MOU corrected"
        MOU_SIGNED = "mou_signed", "MOU signed by the organization"
        MOU_COUNTERSIGNED = "mou_countersigned", "MOU countersigned by CCEH"
        TRAINING_RECORDED = "training_recorded", "HMIS training recorded"
        ACCESS_ACTIVATED = "access_activated", "Access activated"
        ACCESS_PROVISIONED = "access_provisioned", "HMIS accounts given"
        ACCESS_EXPIRED = "access_expired", "Access expired"
        ACCESS_REVOKED = "access_revoked", "Access revoked"
        RENEWAL_STARTED = "renewal_started", "Renewal started"
        # After activation (docs/design.md, the life of access): a person left, and staff
        # closed the HMIS accounts of people whose access ended.
        PERSON_DEPARTED = "person_departed", "Left the organization"
        ACCESS_DEPROVISIONED = "access_deprovisioned", "HMIS accounts closed"
        # Amendments of an executed or active MOU and the yearly review (agreement/amendments.py).
        AMENDMENT_REQUESTED = "amendment_requested", "Person's addition asked for"
        PERSON_ADDED = "person_added", "Person added"
        ADDITION_DECLINED = "addition_declined", "Person's addition declined"
        AMENDMENT_SIGNED = "amendment_signed", "MOU amendment signed by the organization"
        ACCESS_LOWERED = "access_lowered", "Access level lowered"
        ACCESS_REMOVED = "access_removed", "Person removed"
        RECERTIFIED = "recertified", "Access reviewed (yearly recertification)"
        USER_AGREEMENT_SIGNED = "user_agreement_signed", "User agreement signed"
        ACCESS_SUSPENDED = "access_suspended", "Access suspended"
        ACCESS_RESUMED = "access_resumed", "Access resumed"

    request = models.ForeignKey(
        "requests_app.AccessRequest", on_delete=models.PROTECT, related_name="events"
    )
    kind = models.CharField(max_length=30, choices=Kind.choices)
    # Empty for what the system does on its own, such as an expiry at the end of the term.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    from_status = models.CharField(max_length=20, choices=Status.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=Status.choices, blank=True)
    note = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    visible_to_requestor = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    # For a status change: when the status it leaves was entered (the status change before it),
    # written by PostgreSQL as the row is inserted, whoever inserts it (a trigger), so the
    # dashboard reads a stay's length from one row (docs/performance.md). Derived from the
    # history, so outside the digest; empty on SQLite, where the dashboard asks the history.
    stay_began_at = models.DateTimeField(null=True, blank=True, editable=False)
    # For a decision: when its request was first submitted, written by the same trigger, so the
    # dashboard reads a decision's wait from the decision's own row.
    request_submitted_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The request's events form one hash chain, in the order they were recorded (core/chain.py).

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [
            models.Index(fields=["request", "created_at"]),
            # The dashboard reads the stays that ended (status changes out of a submitted
            # status) of a date range, by the status (docs/performance.md): the index gives
            # them in the order of the status, so no sort groups them, with only the columns
            # read.
            models.Index(
                fields=["from_status", "created_at"],
                include=["request", "stay_began_at"],
                condition=~models.Q(to_status="") & ~models.Q(from_status__in=["", "draft"]),
                name="stays_ended",
            ),
            models.Index(
                fields=["request", "created_at"],
                include=["kind"],
                condition=~models.Q(to_status=""),
                name="status_changes_by_request",
            ),
            models.Index(
                fields=["created_at"],
                include=["request", "kind", "to_status", "request_submitted_at"],
                condition=models.Q(kind__in=["approved", "denied", "committee_decided"]),
                name="decisions_made",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["request", "prev_digest"], name="one_event_after_each_event"
            )
        ]

    def __str__(self):
        return f"{self.request}: {self.get_kind_display()}"

    def save(self, *args, **kwargs):
        if self._state.adding:
            self.data = chain.jsonable(self.data)
        super().save(*args, **kwargs)

    def chain_records(self):
        return Event.objects.filter(request_id=self.request_id)

    def content(self, reference=None):
        """What the event's digest seals; `reference` is its request's, when already read."""
        return chain.event_content(
            reference or self.request.reference,
            self.kind,
            self.actor_id,
            self.from_status,
            self.to_status,
            self.note,
            self.data,
            self.visible_to_requestor,
            self.created_at,
        )

    @classmethod
    def linked(cls, request, events):
        """Unsaved `events` of `request`, chained in order after its newest event, for
        bulk_create (which skips save): generated data and tests that write many at once."""
        prev = cls.objects.filter(request=request).order_by("-pk").values_list("digest", flat=True)
        prev = prev.first() or chain.GENESIS
        for event in events:
            event.data = chain.jsonable(event.data)
            event.content_sha256 = chain.content_digest(event.content(request.reference))
            event.prev_digest = prev
            event.digest = prev = chain.link(prev, event.content_sha256)
        return events

    def headline(self):
        """What happened, in a line: the kind, with the details its data holds."""
        # Imported here: the history is every domain's, and the screening's words are its own.
        from requests_app.screening.models import Assessment, CANRecommendation, Criterion

        data = self.data
        if self.kind == self.Kind.ASSESSED:
            disqualifier = data.get("disqualifier")
            if disqualifier is None:
                # Recorded before the event said which kind of criterion it was.
                disqualifier = Criterion.objects.filter(
                    code=data["criterion"], is_disqualifier=True
                ).exists()
            outcome = dict(Assessment.outcome_choices(disqualifier))[data["outcome"]].lower()
            return f"Criterion {data['criterion']} assessed: {outcome}"
        if self.kind == self.Kind.CAN_RECOMMENDED:
            position = CANRecommendation.Position(data["position"]).label.lower()
            return f"{data['can']}: {position}"
        if self.kind == self.Kind.ANSWERS_CHANGED:
            return f"Answers changed: {'; '.join(data['changed'])}"
        if data.get("people") and self.kind in (
            self.Kind.TRAINING_RECORDED,
            self.Kind.ACCESS_ACTIVATED,
            self.Kind.ACCESS_PROVISIONED,
            self.Kind.ACCESS_REVOKED,
            self.Kind.PERSON_DEPARTED,
            self.Kind.ACCESS_DEPROVISIONED,
            self.Kind.AMENDMENT_REQUESTED,
            self.Kind.PERSON_ADDED,
            self.Kind.ADDITION_DECLINED,
            self.Kind.ACCESS_LOWERED,
            self.Kind.ACCESS_REMOVED,
        ):
            return f"{self.get_kind_display()}: {', '.join(data['people'])}"
        if self.kind == self.Kind.RENEWAL_STARTED:
            return f"Renewal started: {data['renewal']}"
        if self.kind in (self.Kind.DENIED, self.Kind.COMMITTEE_DECIDED) and data.get("cited"):
            return f"{self.get_kind_display()}, citing {', '.join(data['cited'])}"
        return self.get_kind_display()
