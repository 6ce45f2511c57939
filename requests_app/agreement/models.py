"""An approval's agreement (its MOU and the access it grants): the stored MOU versions, signatures,
training, each person's access, and revocations."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from requests_app.core.records import (
    AppendOnlyModel,
    StoredFileAltered,
    private_storage,
    stored_sha256,
)
from requests_app.core.states import AccessEnd, AccessLevel, AgreementStatus


class Revocation(AppendOnlyModel):
    """Access that was taken away, from this system or recorded from before it. Feeds the
    good-standing check (1.10) of every later request by the organization or the person, so it
    is append-only like the other records a decision rests on: a correction is a new row."""

    organization = models.ForeignKey(
        "requests_app.Organization",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="revocations",
    )
    person_email = models.EmailField(
        blank=True, help_text="Set when one person's access was revoked."
    )
    request = models.ForeignKey(
        "requests_app.AccessRequest",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="revocations",
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


class Agreement(ConcurrentTransitionMixin, models.Model):
    """An approval's MOU and the access it grants, from issue to expiry or revocation. The
    status changes only through its transitions; agreement/services.py and agreement/access.py do
    what follows each."""

    request = models.OneToOneField(
        "requests_app.AccessRequest", on_delete=models.PROTECT, related_name="agreement"
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
    # action so a render lost with its process is found and done again
    # (agreement.renders.sweep_renders).
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
        # A person added, removed or lowered on an executed or active MOU (agreement/amendments.py).
        AMENDMENT = "amendment", "Amendment: people or levels changed"

    agreement = models.ForeignKey(
        "requests_app.Agreement", on_delete=models.PROTECT, related_name="mous"
    )
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

    def named(self):
        """The version as an event's data names it: its hash then sits in the request's hash
        chain, so an exported history proves which PDF was issued and signed."""
        return {"version": self.version, "sha256": self.sha256}

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


class Signature(AppendOnlyModel):
    class Party(models.TextChoices):
        ORGANIZATION = "organization", "For the organization"
        CCEH = "cceh", "For CCEH"

    agreement = models.ForeignKey(
        "requests_app.Agreement", on_delete=models.PROTECT, related_name="signatures"
    )
    # The version the signer read and signed, and its SHA-256 as the signer's page gave it.
    mou = models.ForeignKey("requests_app.MOUVersion", on_delete=models.PROTECT, related_name="+")
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

    person = models.ForeignKey(
        "requests_app.NamedPerson", on_delete=models.PROTECT, related_name="trainings"
    )
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

    agreement = models.ForeignKey(
        "requests_app.Agreement", on_delete=models.PROTECT, related_name="people"
    )
    person = models.OneToOneField(
        "requests_app.NamedPerson", on_delete=models.PROTECT, related_name="access"
    )
    activated_at = models.DateTimeField(null=True, blank=True)
    provisioned_at = models.DateTimeField(null=True, blank=True)
    provisioned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    # When and why access ended (core/states.py AccessEnd), set by access.end_access alone; a
    # suspension is cleared by access.resume_access. The history is in the request's events.
    ended_on = models.DateField(null=True, blank=True)
    end_reason = models.CharField(max_length=20, choices=AccessEnd.choices, blank=True)
    # Staff closed the person's HMIS account after access ended (the deprovisioning list).
    deprovisioned_at = models.DateTimeField(null=True, blank=True)
    deprovisioned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["person_id"]
        verbose_name_plural = "people's access"
        indexes = [
            # The provisioning list, a page at a time: active, without an HMIS account yet.
            models.Index(
                fields=["activated_at", "id"],
                condition=Q(
                    activated_at__isnull=False,
                    provisioned_at__isnull=True,
                    revoked_at__isnull=True,
                    ended_on__isnull=True,
                ),
                name="access_to_provision",
            ),
            # The deprovisioning list, a page at a time: ended, account not closed yet.
            models.Index(
                fields=["ended_on", "id"],
                condition=Q(
                    ended_on__isnull=False,
                    activated_at__isnull=False,
                    deprovisioned_at__isnull=True,
                ),
                name="access_to_deprovision",
            ),
        ]

    def __str__(self):
        return f"{self.person.name}: {self.state_label()}"

    def state_label(self):
        if self.ended_on:
            return self.get_end_reason_display()
        if self.revoked_at:
            return "Revoked"
        if self.provisioned_at:
            return "Account given"
        if self.activated_at:
            return "Active: waiting for an HMIS account"
        return "Not active yet"


class Recertification(AppendOnlyModel):
    """One yearly review of an MOU's people by the organization's authorized signatory: each
    person kept, lowered or removed (the events say which). The next is due
    RECERTIFICATION_PERIOD_MONTHS after the latest, or after activation before the first."""

    agreement = models.ForeignKey(
        "requests_app.Agreement", on_delete=models.PROTECT, related_name="recertifications"
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(default=timezone.now)
    note = models.TextField(max_length=4000, blank=True)

    class Meta:
        ordering = ["pk"]
        indexes = [models.Index(fields=["agreement", "-reviewed_at"], name="recert_latest")]

    def __str__(self):
        return f"{self.agreement} reviewed {self.reviewed_at:%Y-%m-%d}"


class Amendment(AppendOnlyModel):
    """A change to who holds access under an executed or active MOU, asked by its organization
    without a new application (docs/design.md, "Amendments"): add a person (CCEH staff decide,
    AmendmentDecision), remove one, or lower one's level (both in effect at once). Each that
    takes effect makes a new MOU version of kind "amendment". Append-only: what was asked is
    kept as asked, and the decision is a row of its own."""

    class Kind(models.TextChoices):
        ADD = "add", "Add a person"
        REMOVE = "remove", "Remove a person"
        LOWER = "lower", "Lower a person's level"

    agreement = models.ForeignKey(
        "requests_app.Agreement", on_delete=models.PROTECT, related_name="amendments"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    # The person removed or lowered (one the MOU names); empty for an addition.
    person = models.ForeignKey(
        "requests_app.NamedPerson",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="amendments",
    )
    # The person to add, as the organization named them.
    name = models.CharField(max_length=150, blank=True)
    title = models.CharField(max_length=150, blank=True)
    email = models.EmailField(max_length=254, blank=True)
    # The level asked for the person added, or the lower level of a person lowered.
    level = models.CharField(max_length=10, choices=AccessLevel.choices, blank=True)
    reason = models.TextField(max_length=4000)
    # Set when the change was made by a yearly review rather than asked on its own.
    recertification = models.ForeignKey(
        "requests_app.Recertification",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="amendments",
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind="add") & ~Q(email="") & ~Q(level="") & Q(person__isnull=True))
                | (Q(kind="remove") & Q(person__isnull=False))
                | (Q(kind="lower") & Q(person__isnull=False) & ~Q(level="")),
                name="amendment_names_its_person",
            )
        ]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.person.name if self.person else self.name}"

    def save(self, *args, **kwargs):
        self.email = self.email.lower()
        super().save(*args, **kwargs)


class AmendmentDecision(AppendOnlyModel):
    """CCEH staff's decision on an addition: approved at a level (never above what was asked,
    nor above what the MOU's purpose supports: policy.addition_problems) or declined, with the
    reason. An approved addition's person, and the MOU version their organization signs."""

    amendment = models.OneToOneField(
        "requests_app.Amendment", on_delete=models.PROTECT, related_name="decision"
    )
    approved = models.BooleanField()
    level = models.CharField(max_length=10, choices=AccessLevel.choices, blank=True)
    reason = models.TextField(max_length=4000, blank=True)
    person = models.OneToOneField(
        "requests_app.NamedPerson",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="addition",
    )
    # The amendment version that names the person: the organization's signature on it, or on
    # any later version, is the addition's (amendments.awaiting_signature).
    mou_version = models.PositiveIntegerField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(approved=False)
                | (~Q(level="") & Q(person__isnull=False) & Q(mou_version__isnull=False)),
                name="approved_addition_names_its_grant",
            )
        ]

    def __str__(self):
        return f"{self.amendment}: {'approved' if self.approved else 'declined'}"


class UserAgreement(AppendOnlyModel):
    """A named person's own signed HMIS user agreement: signed by their own account (its
    verified e-mail is the person's), with the version of the text they were shown and the
    SHA-256 of its exact bytes (requests_app/agreement/user_agreement/). Current for
    USER_AGREEMENT_VALID_MONTHS; signed again yearly as a new row (docs/design.md)."""

    person = models.ForeignKey(
        "requests_app.NamedPerson", on_delete=models.PROTECT, related_name="user_agreements"
    )
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    full_name = models.CharField(max_length=150)
    text_version = models.CharField(max_length=20)
    text_sha256 = models.CharField(max_length=64)
    signed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["pk"]
        indexes = [models.Index(fields=["person", "-signed_at"], name="user_agreement_latest")]

    def __str__(self):
        return f"{self.full_name}: user agreement {self.text_version} on {self.signed_at:%Y-%m-%d}"
