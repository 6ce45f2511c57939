"""Data, the workflow's transitions and their guards. Everything that follows an action (events,
notifications, PDFs) lives in workflow.py; who may do what lives in rules.py."""

import hashlib
import os

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.files.storage import FileSystemStorage
from django.db import models
from django.db.models import Exists, F, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django_fsm import RETURN_VALUE, ConcurrentTransitionMixin, FSMField, transition

from requests_app.core.states import AccessLevel, AgreementStatus, Status

from . import policy


class UserQuerySet(models.QuerySet):
    """People by role, active only: who is told of what (notifications.AUDIENCES), who votes,
    who leads a CAN. Each role is asked one way."""

    def active(self):
        return self.filter(is_active=True)

    def staff(self):
        return self.active().filter(is_cceh_staff=True)

    def committee(self):
        return self.active().filter(is_committee_member=True)

    def chairs(self):
        return self.active().filter(is_committee_chair=True)

    def leaders_of(self, cans):
        return self.active().filter(led_cans__in=cans).distinct()

    def members_of(self, organization):
        return self.active().filter(
            memberships__organization=organization,
            memberships__state=Membership.State.ACTIVE,
        )


class UserManager(BaseUserManager.from_queryset(UserQuerySet)):
    use_in_migrations = True

    def create_user(self, email, password=None, **fields):
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email, password=None, **fields):
        fields.update(is_staff=True, is_superuser=True)
        return self.create_user(email, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    """A person. Roles are set by an administrator; requestors get theirs by joining an
    organization. One person can hold several roles."""

    email = models.EmailField("e-mail address", unique=True)
    name = models.CharField("full name", max_length=150, db_index=True)
    is_active = models.BooleanField(default=True)
    # Django's own flag: may use the admin site. Not the same as CCEH staff.
    is_staff = models.BooleanField("administrator (admin site)", default=False)
    is_cceh_staff = models.BooleanField(
        "CCEH staff", default=False, help_text="Screens and decides requests."
    )
    is_committee_member = models.BooleanField(
        "sub-committee member", default=False, help_text="Votes on escalated requests."
    )
    is_committee_chair = models.BooleanField(
        "sub-committee chair",
        default=False,
        help_text="Records the committee's decision. A chair is always also a member.",
    )
    led_cans = models.ManyToManyField(
        "CAN", blank=True, related_name="leaders", verbose_name="leads CANs"
    )
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["name"]

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name or self.email

    def save(self, *args, **kwargs):
        if self.is_committee_chair:
            self.is_committee_member = True
        self.email = self.email.lower()
        super().save(*args, **kwargs)

    def get_full_name(self):
        return self.name

    def get_short_name(self):
        return self.name.split(" ")[0] if self.name else self.email


class CAN(models.Model):
    """A Coordinated Access Network: Connecticut's regions for homeless services."""

    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=50, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = "CAN"
        verbose_name_plural = "CANs"

    def __str__(self):
        return self.name


class Organization(models.Model):
    class Kind(models.TextChoices):
        NONPROFIT = "nonprofit", "Nonprofit"
        GOVERNMENT = "government", "Government"
        HEALTH_CARE = "health_care", "Health care"
        RESEARCH = "research", "Research institution"
        FUNDER = "funder", "Funder"
        OTHER = "other", "Other"

    name = models.CharField("legal name", max_length=200, unique=True)
    kind = models.CharField("type", max_length=20, choices=Kind.choices)
    address = models.TextField(max_length=500, blank=True)
    website = models.URLField(max_length=200, blank=True)
    funded_for_homeless_services = models.BooleanField(
        "funded to provide homeless services", default=False
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Membership(models.Model):
    """A person in an organization. Joining an existing organization waits for one of its
    active members to accept, so nobody reads an organization's requests by claiming it."""

    class State(models.TextChoices):
        PENDING = "pending", "Waiting for approval"
        ACTIVE = "active", "Active"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="memberships"
    )
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    is_authorized_signatory = models.BooleanField(default=False)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "organization"], name="one_membership_per_org")
        ]

    def __str__(self):
        return f"{self.user} in {self.organization} ({self.get_state_display()})"


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError(f"{self.model.__name__} rows are append-only: add a new row instead.")

    def delete(self):
        raise TypeError(f"{self.model.__name__} rows are append-only and cannot be deleted.")


class AppendOnlyModel(models.Model):
    """Records a decision rests on. A change is a new row; the old one stays as it was.
    PostgreSQL enforces the same with a trigger (see the migrations)."""

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise TypeError(f"{type(self).__name__} rows are append-only: add a new row instead.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError(f"{type(self).__name__} rows are append-only and cannot be deleted.")


def latest_per(queryset, *keys):
    """The newest row for each combination of `keys`: the current vote of each member,
    the current assessment of each criterion. Portable across SQLite and PostgreSQL."""
    newer = queryset.model.objects.filter(
        pk__gt=OuterRef("pk"), **{key: OuterRef(key) for key in keys}
    )
    return queryset.filter(~Exists(newer))


class Criterion(models.Model):
    """One clause of the policy's core criteria (1.x) or disqualifiers (2.x), in its own words."""

    code = models.CharField(max_length=10)
    policy_version = models.CharField(max_length=10, default="1.0")
    text = models.TextField()
    is_disqualifier = models.BooleanField(default=False)
    order = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["order"]
        verbose_name_plural = "criteria"
        constraints = [
            models.UniqueConstraint(
                fields=["code", "policy_version"], name="one_criterion_per_code"
            )
        ]

    def __str__(self):
        return f"{self.code} {self.text[:60]}"


class AccessRequestQuerySet(models.QuerySet):
    pass


class AccessRequest(ConcurrentTransitionMixin, models.Model):
    class NeedType(models.TextChoices):
        ONGOING = "ongoing", "Ongoing"
        ONE_TIME = "one_time", "One time only"

    # Null until the first save gives the row its primary key, from which the reference is made.
    reference = models.CharField(max_length=20, unique=True, editable=False, null=True)  # noqa: DJ001
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="requests"
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

    # The answers (DESIGN section 3), clause numbers in the help texts.
    program = models.CharField("program or department", max_length=200, blank=True)
    contact_name = models.CharField(max_length=150, blank=True)
    contact_email = models.EmailField(max_length=254, blank=True)
    contact_phone = models.CharField("contact phone", max_length=40, blank=True)
    statewide = models.BooleanField("statewide scope", default=False, help_text="1.5, 4.2")
    cans = models.ManyToManyField(CAN, blank=True, related_name="requests", verbose_name="CANs")
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
        indexes = [models.Index(fields=["status", "status_changed_at"])]

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

    # Transitions. They change only the status; workflow.py does everything that follows.

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
        # workflow.record_committee_decision applies policy.need_is_ongoing when approving.
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

    request = models.ForeignKey(AccessRequest, on_delete=models.CASCADE, related_name="people")
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

    def __str__(self):
        return f"{self.name} ({self.get_requested_level_display()})"

    def save(self, *args, **kwargs):
        self.email = self.email.lower()
        super().save(*args, **kwargs)


class PrivateStorage(FileSystemStorage):
    """Files outside every web root, in PRIVATE_FILES_ROOT, served only by a view that checks
    who asks. The setting is read when a file is stored or opened, not at import."""

    @property
    def base_location(self):
        return str(settings.PRIVATE_FILES_ROOT)

    @property
    def location(self):
        return os.path.abspath(self.base_location)


def private_storage():
    return PrivateStorage()


def stored_sha256(field_file):
    """The SHA-256 of a stored file's bytes, read in chunks, not held whole."""
    digest = hashlib.sha256()
    with field_file.open("rb") as stored:
        for chunk in iter(lambda: stored.read(1 << 16), b""):
            digest.update(chunk)
    return digest.hexdigest()


class Attachment(models.Model):
    request = models.ForeignKey(AccessRequest, on_delete=models.CASCADE, related_name="attachments")
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

    request = models.ForeignKey(AccessRequest, on_delete=models.PROTECT, related_name="versions")
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


class Assessment(AppendOnlyModel):
    """Staff's judgement of one criterion. For a disqualifier (2.x), "met" means it applies."""

    class Outcome(models.TextChoices):
        MET = "met", "Met"
        NOT_MET = "not_met", "Not met"
        NOT_APPLICABLE = "not_applicable", "Not applicable"
        UNCLEAR = "unclear", "Unclear"

    # For a disqualifier, "met" means it applies: the words staff choose from and the history
    # reads, so the two never say different things.
    DISQUALIFIER_WORDS = {
        Outcome.MET: "Applies (prevents access)",
        Outcome.NOT_MET: "Does not apply",
    }

    request = models.ForeignKey(AccessRequest, on_delete=models.PROTECT, related_name="assessments")
    criterion = models.ForeignKey(Criterion, on_delete=models.PROTECT, related_name="+")
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    note = models.TextField(max_length=4000, blank=True)
    assessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    assessed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["pk"]
        indexes = [models.Index(fields=["request", "criterion"])]

    def __str__(self):
        return f"{self.criterion.code}: {self.outcome_words}"

    @classmethod
    def outcome_choices(cls, disqualifier):
        """Each outcome with its words, for a core criterion or for a disqualifier."""
        words = cls.DISQUALIFIER_WORDS if disqualifier else {}
        return [(value, words.get(value, label)) for value, label in cls.Outcome.choices]

    @property
    def outcome_words(self):
        return dict(self.outcome_choices(self.criterion.is_disqualifier))[self.outcome]

    def passes(self):
        if self.criterion.is_disqualifier:
            return self.outcome in (self.Outcome.NOT_MET, self.Outcome.NOT_APPLICABLE)
        return self.outcome in (self.Outcome.MET, self.Outcome.NOT_APPLICABLE)

    def fails(self):
        bad = self.Outcome.MET if self.criterion.is_disqualifier else self.Outcome.NOT_MET
        return self.outcome == bad


class VotingRound(models.Model):
    """One vote of the committee on a request, opened by an escalation: its deadline and staff's
    note of what is unclear. A request returned from the committee and escalated again gets a
    new round; the request's `voting_round` is the latest, and only its votes count.

    Not append-only, unlike the votes: the one change made later is `quorum_announced_at`, set
    once (announce_quorum). What a decision rests on cannot change all the same: which round a
    vote belongs to is fixed with the vote (Vote is append-only), and the escalation's note and
    deadline are also in its Event."""

    request = models.ForeignKey(
        AccessRequest, on_delete=models.PROTECT, related_name="voting_rounds"
    )
    opened_at = models.DateTimeField(default=timezone.now)
    deadline = models.DateTimeField()
    note = models.TextField(blank=True)
    # Null for a round recorded before rounds were (migration 0012) whose escalation is unknown.
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # When the chairs were told quorum is reached: once per round.
    quorum_announced_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["opened_at", "pk"]

    def __str__(self):
        return f"Vote opened {timezone.localtime(self.opened_at):%Y-%m-%d %H:%M}"

    @classmethod
    def announce_quorum(cls, round_id):
        """Record that quorum was announced in the round, unless it was already: True the first
        time only (a changed vote can lose quorum and win it back). One conditional UPDATE, so
        of two callers only one is first."""
        unannounced = cls.objects.filter(pk=round_id, quorum_announced_at__isnull=True)
        return unannounced.update(quorum_announced_at=timezone.now()) == 1


class VoteQuerySet(AppendOnlyQuerySet):
    def current(self):
        """The votes that count: each voter's newest vote in the current round of its request,
        the one opened by the latest escalation (AccessRequest.voting_round). A request returned
        from the committee and escalated again is a new question: the votes of an earlier
        round do not count. The one place this rule is written; policy.current_votes, the
        docket and the reminders read it here."""
        return latest_per(self.filter(round=F("request__voting_round")), "round", "voter")


class Vote(AppendOnlyModel):
    """A member's vote in a voting round. Changing it adds a row; the newest row per member in
    the request's current round counts (VoteQuerySet.current)."""

    class Choice(models.TextChoices):
        APPROVE = "approve", "Approve"
        DENY = "deny", "Deny"
        ABSTAIN = "abstain", "Abstain"
        RECUSE = "recuse", "Recuse"

    request = models.ForeignKey(AccessRequest, on_delete=models.PROTECT, related_name="votes")
    # The round the vote was cast in; when not given, its request's current round.
    round = models.ForeignKey(VotingRound, on_delete=models.PROTECT, related_name="votes")
    voter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="votes"
    )
    choice = models.CharField(max_length=10, choices=Choice.choices)
    reason = models.TextField(max_length=4000, blank=True)
    # {named person id: access level} recommended with an approve vote.
    recommended_levels = models.JSONField(default=dict, blank=True)
    cast_at = models.DateTimeField(default=timezone.now)

    objects = VoteQuerySet.as_manager()

    class Meta:
        ordering = ["pk"]
        indexes = [
            models.Index(fields=["request", "voter"]),
            models.Index(fields=["round", "voter"]),
        ]

    def __str__(self):
        return f"{self.voter}: {self.get_choice_display()}"

    def save(self, *args, **kwargs):
        if self.round_id is None and self._state.adding:
            # Cast in the round open now: its request's current one.
            self.round_id = (
                AccessRequest.objects.filter(pk=self.request_id)
                .values_list("voting_round", flat=True)
                .first()
            )
        super().save(*args, **kwargs)


class CANRecommendation(AppendOnlyModel):
    """The CAN's say in a request naming it (1.5, 4.2): by its leadership, or waived by staff."""

    class Position(models.TextChoices):
        SUPPORT = "support", "Support"
        OPPOSE = "oppose", "Do not support"
        NO_POSITION = "no_position", "No position"
        WAIVED = "waived", "Waived by CCEH staff"

    request = models.ForeignKey(
        AccessRequest, on_delete=models.PROTECT, related_name="can_recommendations"
    )
    can = models.ForeignKey(CAN, on_delete=models.PROTECT, related_name="+")
    position = models.CharField(max_length=20, choices=Position.choices)
    reason = models.TextField(max_length=4000)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["pk"]

    def __str__(self):
        return f"{self.can}: {self.get_position_display()}"


class Comment(models.Model):
    class Visibility(models.TextChoices):
        INTERNAL = "internal", "Internal: staff, committee and the named CANs' leaders"
        REQUESTOR = "requestor", "Message with the requestor"

    request = models.ForeignKey(AccessRequest, on_delete=models.PROTECT, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    visibility = models.CharField(max_length=10, choices=Visibility.choices)
    body = models.TextField(max_length=10000)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self):
        return f"{self.author} on {self.request}"


class Decision(AppendOnlyModel):
    """The outcome and everything it rested on. Written once."""

    request = models.OneToOneField(AccessRequest, on_delete=models.PROTECT, related_name="decision")
    outcome = models.CharField(
        max_length=10, choices=[(s.value, s.label) for s in sorted(Status.DECIDED)]
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(default=timezone.now)
    by_committee = models.BooleanField(default=False)
    reason = models.TextField(max_length=4000, blank=True)
    conditions = models.TextField(max_length=4000, blank=True)
    cited_criteria = models.ManyToManyField(Criterion, blank=True, related_name="+")
    # The committee's count when it decided: {"approve": n, "deny": n, "abstain": n,
    # "recuse": n, "members": n, "majority": "approve"|"deny"|None}.
    tally = models.JSONField(null=True, blank=True)
    departs_from_tally_reason = models.TextField(max_length=4000, blank=True)

    def __str__(self):
        return f"{self.request}: {self.get_outcome_display()}"


class Grant(AppendOnlyModel):
    """The access level granted to one named person by an approval (1.6)."""

    decision = models.ForeignKey(Decision, on_delete=models.PROTECT, related_name="grants")
    person = models.ForeignKey(NamedPerson, on_delete=models.PROTECT, related_name="grants")
    level = models.CharField(max_length=10, choices=AccessLevel.choices)

    class Meta:
        ordering = ["pk"]

    def __str__(self):
        return f"{self.person.name}: {self.get_level_display()}"


class Revocation(AppendOnlyModel):
    """Access that was taken away, from this system or recorded from before it. Feeds the
    good-standing check (1.10) of every later request by the organization or the person, so it
    is append-only like the other records a decision rests on: a correction is a new row."""

    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.PROTECT, related_name="revocations"
    )
    person_email = models.EmailField(
        blank=True, help_text="Set when one person's access was revoked."
    )
    request = models.ForeignKey(
        AccessRequest, null=True, blank=True, on_delete=models.PROTECT, related_name="revocations"
    )
    reason = models.TextField(max_length=4000)
    revoked_at = models.DateTimeField(default=timezone.now)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(organization__isnull=False) | ~Q(person_email=""),
                name="revocation_names_someone",
            )
        ]

    def __str__(self):
        return (
            f"Revocation of {self.person_email or self.organization} on {self.revoked_at:%Y-%m-%d}"
        )

    def save(self, *args, **kwargs):
        self.person_email = self.person_email.lower()
        super().save(*args, **kwargs)


class Event(AppendOnlyModel):
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

    request = models.ForeignKey(AccessRequest, on_delete=models.PROTECT, related_name="events")
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

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["request", "created_at"])]

    def __str__(self):
        return f"{self.request}: {self.get_kind_display()}"

    def headline(self):
        """What happened, in a line: the kind, with the details its data holds."""
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
        ):
            return f"{self.get_kind_display()}: {', '.join(data['people'])}"
        if self.kind == self.Kind.RENEWAL_STARTED:
            return f"Renewal started: {data['renewal']}"
        if self.kind in (self.Kind.DENIED, self.Kind.COMMITTEE_DECIDED) and data.get("cited"):
            return f"{self.get_kind_display()}, citing {', '.join(data['cited'])}"
        return self.get_kind_display()


class Notification(models.Model):
    """Somebody is to hear of an event, or is reminded of a request. Recorded in the event's
    transaction and shown in the person's notices; its e-mail is sent after commit by a task
    (notifications.py), whose progress `delivery` records."""

    class Kind(models.TextChoices):
        SUBMITTED = "submitted", "A request was submitted"
        RETURNED = "returned", "A request was returned for information"
        RESUBMITTED = "resubmitted", "A request was resubmitted"
        ESCALATED = "escalated", "A request was escalated to the committee"
        VOTE_CAST = "vote_cast", "A vote was cast"
        QUORUM_REACHED = "quorum_reached", "Quorum was reached"
        DECIDED = "decided", "A request was decided"
        WITHDRAWN = "withdrawn", "A request was withdrawn"
        # The grant's life after an approval: recorded by the grant issue's actions.
        MOU_READY = "mou_ready", "An MOU is ready to sign"
        COUNTERSIGNED = "countersigned", "An MOU was countersigned"
        SIGNED = "signed", "An MOU was signed and waits for CCEH's countersignature"
        ACCESS_ACTIVE = "access_active", "Access is active"
        RENEWAL_DUE = "renewal_due", "A renewal is due"
        EXPIRED = "expired", "Access expired"
        REVOKED = "revoked", "Access was revoked"
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
    request = models.ForeignKey(
        AccessRequest, on_delete=models.PROTECT, related_name="notifications"
    )
    # None for a reminder: it follows from the passing of time, not from an event.
    event = models.ForeignKey(
        Event, null=True, blank=True, on_delete=models.PROTECT, related_name="notifications"
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
            models.UniqueConstraint(
                fields=["recipient", "request", "kind", "reminder_day"],
                condition=Q(reminder_day__isnull=False),
                name="one_reminder_per_day",
            ),
        ]
        indexes = [
            models.Index(fields=["recipient", "read_at"]),
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
        Notification.Kind.RETURN_REMINDER,
    }
)


class Agreement(ConcurrentTransitionMixin, models.Model):
    """An approval's MOU and the access it grants, from issue to expiry or revocation. The
    status changes only through its transitions; workflow.py does what follows each."""

    request = models.OneToOneField(
        AccessRequest, on_delete=models.PROTECT, related_name="agreement"
    )
    status = FSMField(
        default=AgreementStatus.ISSUED,
        choices=AgreementStatus.choices,
        protected=True,
        db_index=True,
    )
    issued_at = models.DateTimeField(default=timezone.now)
    executed_at = models.DateTimeField(null=True, blank=True)
    activated_at = models.DateTimeField(null=True, blank=True)
    # The last day of access; set when access starts (GRANT_TERM_MONTHS).
    ends_on = models.DateField(null=True, blank=True, db_index=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    # Bumped by every change, inside its transaction (a correction before any render): a page
    # records the number it showed, and an action from an older page is refused.
    revision = models.PositiveIntegerField(default=0, editable=False)
    # The MOU version the latest action asked for, and how to render it, recorded with the
    # action so a render lost with its process is found and done again (workflow.sweep_renders).
    mou_version = models.PositiveIntegerField(default=0, editable=False)
    mou_kind = models.CharField(max_length=10, blank=True, editable=False)
    mou_reason = models.TextField(max_length=4000, blank=True, editable=False)
    mou_requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    # When the render was last queued; a sweep queues it again once this is long past.
    mou_queued_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Set when the render of mou_version failed, with what went wrong, for staff to retry.
    mou_failed_at = models.DateTimeField(null=True, blank=True, editable=False)
    mou_error = models.TextField(blank=True, editable=False)

    def __str__(self):
        return f"MOU {self.request.reference}: {self.get_status_display()}"

    def current_mou(self):
        return self.mous.order_by("-version").first()

    def pending_version(self, stored=None):
        """The version an action asked for that is not stored yet, or None. `stored` is the
        newest stored version's number (0 for none), when the caller has it already."""
        if stored is None:
            stored = self.mous.aggregate(newest=models.Max("version"))["newest"] or 0
        return self.mou_version if self.mou_version > stored else None

    @transition(
        status,
        source=AgreementStatus.ISSUED,
        target=AgreementStatus.SIGNED,
    )
    def sign(self):
        pass

    @transition(
        status,
        source=AgreementStatus.SIGNED,
        target=AgreementStatus.EXECUTED,
    )
    def countersign(self):
        self.executed_at = timezone.now()

    @transition(
        status,
        source=list(AgreementStatus.AMENDABLE),
        target=AgreementStatus.ISSUED,
    )
    def amend(self):
        pass

    @transition(
        status,
        source=AgreementStatus.EXECUTED,
        target=AgreementStatus.ACTIVE,
    )
    def activate(self, ends_on):
        self.activated_at = timezone.now()
        self.ends_on = ends_on

    @transition(status, source=AgreementStatus.ACTIVE, target=AgreementStatus.EXPIRED)
    def expire(self):
        self.ended_at = timezone.now()

    @transition(
        status,
        source=list(AgreementStatus.LIVE),
        target=AgreementStatus.REVOKED,
    )
    def revoke(self):
        self.ended_at = timezone.now()


def mou_path(instance, filename):
    # The version and hash in the name: a stored MOU is never overwritten.
    return (
        f"mou/{instance.agreement.request.reference}/v{instance.version}-{instance.sha256[:12]}.pdf"
    )


class MOUVersion(AppendOnlyModel):
    """One rendered MOU, stored once with its SHA-256. A change makes a new version."""

    class Kind(models.TextChoices):
        ISSUED = "issued", "Issued after the decision"
        AMENDED = "amended", "Corrected by CCEH staff"
        SIGNED = "signed", "Signed by the organization"
        EXECUTED = "executed", "Executed: signed by both parties"

    agreement = models.ForeignKey(Agreement, on_delete=models.PROTECT, related_name="mous")
    version = models.PositiveIntegerField()
    kind = models.CharField(max_length=10, choices=Kind.choices)
    reason = models.TextField(max_length=4000, blank=True)
    file = models.FileField(upload_to=mou_path, storage=private_storage, max_length=200)
    sha256 = models.CharField(max_length=64)
    size = models.PositiveIntegerField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["version"]
        constraints = [
            models.UniqueConstraint(fields=["agreement", "version"], name="one_mou_per_version")
        ]

    def __str__(self):
        return f"{self.agreement.request.reference} v{self.version}"

    def identity(self):
        """What a signer is shown and signs: the version and its SHA-256."""
        return (self.version, self.sha256)

    def matches_its_hash(self):
        """Whether the stored bytes are still those rendered: a missing file does not match."""
        try:
            return stored_sha256(self.file) == self.sha256
        except OSError:
            return False

    def open_verified(self):
        """The stored file, opened, once its bytes are checked against the SHA-256 recorded
        when it was rendered; StoredFileAltered when they differ."""
        if not self.matches_its_hash():
            raise StoredFileAltered(self)
        return self.file.open("rb")


class StoredFileAltered(Exception):
    """A stored MOU's bytes no longer match the SHA-256 recorded when it was rendered."""

    def __init__(self, mou):
        self.mou = mou
        super().__init__(f"{mou} does not match its SHA-256 {mou.sha256}.")


class Signature(AppendOnlyModel):
    class Party(models.TextChoices):
        ORGANIZATION = "organization", "For the organization"
        CCEH = "cceh", "For CCEH"

    agreement = models.ForeignKey(Agreement, on_delete=models.PROTECT, related_name="signatures")
    # The version the signer read and signed, and its SHA-256 as the signer's page gave it.
    mou = models.ForeignKey(MOUVersion, on_delete=models.PROTECT, related_name="+")
    mou_sha256 = models.CharField(max_length=64, blank=True)
    party = models.CharField(max_length=15, choices=Party.choices)
    signer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    full_name = models.CharField(max_length=150)
    title = models.CharField(max_length=150)
    statement = models.TextField(max_length=1000)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    signed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["pk"]

    def __str__(self):
        return f"{self.full_name}, {self.get_party_display().lower()}"


class Training(AppendOnlyModel):
    """A named person's completed HMIS training (1.7), as CCEH staff recorded it."""

    person = models.ForeignKey(NamedPerson, on_delete=models.PROTECT, related_name="trainings")
    completed_on = models.DateField()
    course = models.CharField(max_length=200)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["pk"]

    def __str__(self):
        return f"{self.person.name}: {self.course} on {self.completed_on}"


class PersonAccess(models.Model):
    """Where one named person's access stands. The history is in the request's events."""

    agreement = models.ForeignKey(Agreement, on_delete=models.PROTECT, related_name="people")
    person = models.OneToOneField(NamedPerson, on_delete=models.PROTECT, related_name="access")
    activated_at = models.DateTimeField(null=True, blank=True)
    provisioned_at = models.DateTimeField(null=True, blank=True)
    provisioned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["person_id"]
        verbose_name_plural = "people's access"

    def __str__(self):
        return f"{self.person.name}: {self.state_label()}"

    def state_label(self):
        if self.revoked_at:
            return "Revoked"
        if self.provisioned_at:
            return "Account given"
        if self.activated_at:
            return "Active: waiting for an HMIS account"
        return "Not active yet"


class NotificationPreference(models.Model):
    """Whether a person also wants e-mail for one kind of notice. No row means yes; the in-app
    notice is always kept. Staff cannot turn off what they must act on (notifications.py)."""

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
