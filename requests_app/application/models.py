"""A request for HMIS access: the application its organization writes, the people it names, its
files, and each submitted version, frozen."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django_fsm import RETURN_VALUE, ConcurrentTransitionMixin, FSMField, transition

from requests_app import policy
from requests_app.core.records import AppendOnlyModel, private_storage
from requests_app.core.states import AccessLevel, Status


class AccessRequestQuerySet(models.QuerySet):
    pass


class AccessRequest(ConcurrentTransitionMixin, models.Model):
    class NeedType(models.TextChoices):
        ONGOING = "ongoing", "Ongoing"
        ONE_TIME = "one_time", "One time only"

    # Null until the first save gives the row its primary key, from which the reference is made.
    reference = models.CharField(max_length=20, unique=True, editable=False, null=True)  # noqa: DJ001
    organization = models.ForeignKey(
        "requests_app.Organization", on_delete=models.PROTECT, related_name="requests"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    status = FSMField(default=Status.DRAFT, choices=Status.choices, protected=True, db_index=True)
    status_changed_at = models.DateTimeField(default=timezone.now, db_index=True)
    # Bumped by every action on the request, inside the action's transaction: the page records
    # the number it showed, and an action from an older page is refused under the row lock.
    revision = models.PositiveIntegerField(default=0, editable=False)
    submitted_at = models.DateTimeField(null=True, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assigned_requests",
    )
    renews = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="renewals"
    )

    # The answers (docs/design.md section 3), clause numbers in the help texts.
    program = models.CharField("program or department", max_length=200, blank=True)
    contact_name = models.CharField(max_length=150, blank=True)
    contact_email = models.EmailField(max_length=254, blank=True)
    contact_phone = models.CharField("contact phone", max_length=40, blank=True)
    statewide = models.BooleanField("statewide scope", default=False, help_text="1.5, 4.2")
    cans = models.ManyToManyField(
        "requests_app.CAN", blank=True, related_name="requests", verbose_name="CANs"
    )
    purpose = models.TextField("purpose", max_length=4000, blank=True, help_text="3.1")
    contribution = models.TextField(
        "contribution to ending homelessness", max_length=4000, blank=True, help_text="3.2, 1.8"
    )
    existing_reporting_gap = models.TextField(
        "why existing reporting does not serve", max_length=4000, blank=True, help_text="1.1"
    )
    need_type = models.CharField(
        "ongoing or one-time need",
        max_length=10,
        choices=NeedType.choices,
        blank=True,
        help_text="1.2, 2.1",
    )
    usage_frequency = models.CharField(
        "how often the data will be used", max_length=200, blank=True, help_text="1.2"
    )
    funding_relation = models.TextField(
        "funding requirement or provider", max_length=4000, blank=True, help_text="1.3"
    )
    homeless_relationship = models.TextField(
        "working relationship with people experiencing homelessness",
        max_length=4000,
        blank=True,
        help_text="1.4",
    )
    is_researcher = models.BooleanField(
        "researcher", null=True, blank=True, db_index=True, help_text="1.9"
    )
    aggregated_data_sufficient = models.BooleanField(
        "aggregated data would serve", null=True, blank=True, help_text="1.9"
    )
    identified_data_justification = models.TextField(
        "why identified data is needed", max_length=4000, blank=True, help_text="1.9"
    )
    had_prior_access = models.BooleanField(
        "earlier HMIS access", null=True, blank=True, help_text="1.10"
    )
    prior_access_details = models.TextField(
        "details of earlier access", max_length=2000, blank=True, help_text="1.10"
    )
    prior_access_revoked = models.BooleanField(
        "earlier access revoked", null=True, blank=True, help_text="1.10"
    )
    attests_training = models.BooleanField("training attestation", default=False, help_text="1.7")
    attests_accuracy = models.BooleanField("accuracy attestation", default=False)

    # Where the application was last saved, so a person coming back resumes there.
    last_step = models.CharField(max_length=20, blank=True)
    last_edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # {user id: when they last saved}, so a save from a page read before a colleague's save is
    # caught even if its author saved something else in between.
    saved_by = models.JSONField(default=dict, blank=True, editable=False)

    # Set by the workflow: the committee's round opened by the latest escalation, kept after the
    # request leaves vetting, so its page still shows the vote it went through. Only this
    # round's votes count (Vote.objects.current).
    voting_round = models.ForeignKey(
        "VotingRound", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = AccessRequestQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        # Each index serves a list's order a page at a time (core/paging.py, docs/performance.md).
        indexes = [
            models.Index(fields=["status", "status_changed_at"]),
            # The queue's default: open requests, the longest waiting first, with what the
            # visibility rules read, so its page and its count never visit the wide row.
            models.Index(
                fields=["status_changed_at", "id"],
                include=["organization", "status"],
                condition=Q(status__in=sorted(Status.OPEN)),
                name="open_requests_waiting",
            ),
            # The queue's default, every stage with staff work (core/stages.work_q): the open
            # requests and the approvals, whose MOU says whether work is left, in the same order.
            models.Index(
                fields=["status_changed_at", "id"],
                include=["organization", "status"],
                condition=Q(status__in=sorted(Status.OPEN | {Status.APPROVED})),
                name="work_waiting",
            ),
            # Decided requests, the latest decided first: the docket's past tab walks it and
            # keeps the ones the member voted on.
            models.Index(
                fields=["-status_changed_at", "-id"],
                include=["organization", "status"],
                condition=Q(status__in=sorted(Status.DECIDED)),
                name="decided_newest_first",
            ),
            # The queue sorted by status, either way.
            models.Index(fields=["status", "id"], name="requests_by_status"),
            # An organization's own requests, the latest changed first.
            models.Index(
                fields=["organization", "-updated_at", "-id"], name="requests_of_organization"
            ),
            # What every visibility rule reads of a request (core/visibility.py), without its
            # wide row: a list of events, MOUs or people joins it to each of its rows.
            models.Index(
                fields=["id"], include=["status", "organization"], name="requests_seen_by"
            ),
        ]

    def __str__(self):
        return self.reference or f"Draft {self.pk}"

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        if not self.reference:
            # From the primary key, so two requests created at once never share a number.
            self.reference = f"HMIS-{self.created_at:%Y}-{self.pk:04d}"
            type(self).objects.filter(pk=self.pk).update(reference=self.reference)

    def get_absolute_url(self):
        return reverse("request_detail", args=[self.reference])

    @property
    def has_draft_mou(self):
        """Whether the application is offered, and served, as a draft MOU: every link to it and
        its download ask this one question."""
        return self.status in Status.UNDECIDED

    # Transitions. They change only the status; each action's service does everything that
    # follows (requests_app/actions.py).

    @transition(
        status,
        source=Status.DRAFT,
        target=Status.SUBMITTED,
        conditions=[policy.answers_complete],
    )
    def submit(self):
        self.submitted_at = timezone.now()

    @transition(status, source=Status.SUBMITTED, target=Status.SCREENING)
    def start_screening(self, by):
        self.assignee = by

    @transition(
        status,
        source=[Status.SUBMITTED, Status.SCREENING, Status.VETTING],
        target=Status.RETURNED,
    )
    def return_for_information(self):
        pass

    @transition(status, source=Status.RETURNED, target=Status.SUBMITTED)
    def resubmit(self):
        pass

    @transition(
        status,
        source=Status.SCREENING,
        target=Status.APPROVED,
        conditions=[
            policy.criteria_all_pass,
            policy.can_recommendations_settled,
            policy.need_is_ongoing,
        ],
    )
    def approve(self):
        pass

    @transition(
        status,
        source=Status.SCREENING,
        target=Status.DENIED,
        conditions=[policy.has_failing_criterion],
    )
    def deny(self):
        pass

    @transition(status, source=Status.SCREENING, target=Status.VETTING)
    def escalate(self, deadline, note, by):
        # A new round: a request returned from the committee and escalated again is a new
        # question, and the votes of an earlier round stay with that round.
        # Imported here: votes and their rounds are the committee's, and depend on requests.
        from requests_app.committee.models import VotingRound

        self.voting_round = VotingRound.objects.create(
            request=self, opened_at=timezone.now(), deadline=deadline, note=note, opened_by=by
        )

    @transition(
        status,
        source=Status.VETTING,
        target=RETURN_VALUE(Status.APPROVED, Status.DENIED),
        conditions=[policy.quorum_reached],
    )
    def record_committee_decision(self, outcome):
        # A guard cannot see the outcome, and a one-time need (2.1) stops only an approval:
        # committee.services.record_committee_decision applies policy.need_is_ongoing when
        # approving.
        return outcome

    @transition(
        status,
        source=list(Status.WITHDRAWABLE),
        target=Status.WITHDRAWN,
    )
    def withdraw(self):
        pass


class NamedPerson(models.Model):
    """Someone who will use HMIS under this request (3.3), with the level asked for them (1.6)."""

    request = models.ForeignKey(
        "requests_app.AccessRequest", on_delete=models.CASCADE, related_name="people"
    )
    name = models.CharField(max_length=150)
    title = models.CharField(max_length=150, blank=True)
    email = models.EmailField(max_length=254)
    requested_level = models.CharField(max_length=10, choices=AccessLevel.choices)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(
                models.functions.Lower("email"), "request", name="person_named_once_per_request"
            )
        ]
        # policy.standing_concerns looks a person up by e-mail across every request (1.10);
        # e-mails are kept lower-case (save), so the plain column is what is compared.
        indexes = [models.Index(fields=["email"], name="people_by_email")]

    def __str__(self):
        return f"{self.name} ({self.get_requested_level_display()})"

    def save(self, *args, **kwargs):
        self.email = self.email.lower()
        super().save(*args, **kwargs)


class Attachment(models.Model):
    request = models.ForeignKey(
        "requests_app.AccessRequest", on_delete=models.CASCADE, related_name="attachments"
    )
    file = models.FileField(upload_to="attachments/%Y/%m/", storage=private_storage)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    description = models.CharField(max_length=200, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return self.original_name


class ApplicationVersion(AppendOnlyModel):
    """The application exactly as its organization submitted it: everything it stated, frozen
    at each submission with its SHA-256. Everyone who reads the request after submission, the
    decision and the MOU read this, never the live draft or the organization's current row, so
    a decided request never changes when anything it was built from changes later."""

    request = models.ForeignKey(
        "requests_app.AccessRequest", on_delete=models.PROTECT, related_name="versions"
    )
    number = models.PositiveIntegerField()
    # The canonical JSON text whose SHA-256 is `sha256`: what a download gives, byte for byte.
    content = models.TextField()
    sha256 = models.CharField(max_length=64)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["request", "number"]
        constraints = [
            models.UniqueConstraint(fields=["request", "number"], name="one_application_version")
        ]

    def __str__(self):
        return f"{self.request} as submitted, version {self.number}"

    def named(self):
        """The version as its submission's event names it: its hash then sits in the request's
        hash chain, so an exported history proves what was submitted."""
        return {"version": self.number, "sha256": self.sha256}
