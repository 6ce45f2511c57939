"""People, their roles, the CANs and the organizations people belong to."""

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.utils import timezone

from requests_app.core.records import AppendOnlyModel


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


class RememberedRoles:
    """Remembers the roles a row was read with, so that a save that changes them can end the
    person's sessions (requests_app/accounts/sessions.py) without reading the row again."""

    ROLE_FIELDS = ()

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        if set(cls.ROLE_FIELDS) <= set(field_names):
            instance._saved_roles = instance.roles()
        return instance

    def roles(self):
        return tuple(getattr(self, field) for field in self.ROLE_FIELDS)


class User(RememberedRoles, AbstractBaseUser, PermissionsMixin):
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

    # What a person may see and do; a change ends their sessions. CAN leadership too (m2m).
    ROLE_FIELDS = (
        "is_active",
        "is_staff",
        "is_superuser",
        "is_cceh_staff",
        "is_committee_member",
        "is_committee_chair",
    )

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["name"]

    class Meta:
        ordering = ["name"]
        indexes = [
            # Each deciding role's people by name, as their lists read them (the queue's
            # assignees, who is told, who votes): a handful among every account, read by
            # their own index instead of a scan of them all (docs/performance.md).
            models.Index(
                fields=["name", "id"],
                condition=models.Q(is_active=True, is_cceh_staff=True),
                name="staff_by_name",
            ),
            models.Index(
                fields=["name", "id"],
                condition=models.Q(is_active=True, is_committee_member=True),
                name="committee_by_name",
            ),
        ]

    def __str__(self):
        return self.name or self.email

    def save(self, *args, **kwargs):
        if self.is_committee_chair:
            self.is_committee_member = True
        self.email = self.email.lower()
        super().save(*args, **kwargs)

    def get_full_name(self):
        return self.name

    def deciding_roles(self, leads=None):
        """The roles of this person that decide on requests or run the site, by name: they
        sign in with a second factor (accounts/mfa.py), hold one session at a time
        (accounts/sessions.py) and are signed out sooner when idle (accounts/idle.py), as
        docs/security.md says. `leads`: whether they lead a CAN, when already read; otherwise
        read here (one query)."""
        if not self.is_active:
            return []
        if leads is None:
            leads = self.led_cans.exists()
        held = [
            (self.is_cceh_staff, "CCEH staff"),
            (self.is_committee_chair, "sub-committee chair"),
            (self.is_committee_member and not self.is_committee_chair, "sub-committee member"),
            (leads, "CAN leader"),
            (self.is_staff or self.is_superuser, "administrator"),
        ]
        return [name for holds, name in held if holds]

    def decides(self):
        return bool(self.deciding_roles())

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


class Membership(RememberedRoles, models.Model):
    """A person in an organization. Joining an existing organization waits for one of its
    active members to accept, so nobody reads an organization's requests by claiming it."""

    class State(models.TextChoices):
        PENDING = "pending", "Waiting for approval"
        ACTIVE = "active", "Active"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    organization = models.ForeignKey(
        "requests_app.Organization", on_delete=models.CASCADE, related_name="memberships"
    )
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    # Being an active member lets a person see the organization's requests (and sign its MOU
    # while it has no confirmed authorized signatory: RoleProposal).
    ROLE_FIELDS = ("state",)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "organization"], name="one_membership_per_org")
        ]

    def __str__(self):
        return f"{self.user} in {self.organization} ({self.get_state_display()})"


class UserSession(models.Model):
    """A person's signed-in session, written at sign-in (requests_app/accounts/sessions.py), so
    ending a person's sessions reads their keys here instead of decoding every session. It goes
    with its session: at sign-out, at the key's rotation, and when `clearsessions` sweeps it."""

    session = models.OneToOneField(
        "sessions.Session", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sessions"
    )
    created_at = models.DateTimeField(default=timezone.now)
    ip = models.GenericIPAddressField("address", null=True, blank=True)

    def __str__(self):
        return f"{self.user} since {self.created_at:%Y-%m-%d %H:%M}"


class RoleProposal(AppendOnlyModel):
    """A member proposes someone of their organization for one of its roles (docs/design.md
    section 2, "Organization roles"). Never changed: CCEH staff's answer is a RoleDecision of
    its own, and a replacement is a new proposal, so the rows are the roles' whole history."""

    class Role(models.TextChoices):
        SIGNATORY = "signatory", "Authorized signatory"
        SECURITY_OFFICER = "security_officer", "Security officer"

    organization = models.ForeignKey(
        "requests_app.Organization", on_delete=models.PROTECT, related_name="role_proposals"
    )
    role = models.CharField(max_length=20, choices=Role.choices)
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="role_proposals"
    )
    title = models.CharField(max_length=150)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    proposed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["pk"]
        indexes = [models.Index(fields=["organization", "role"], name="role_proposals_of_org")]

    def __str__(self):
        return f"{self.person} as {self.get_role_display().lower()} of {self.organization}"


class RoleDecision(AppendOnlyModel):
    """CCEH staff's answer to one proposal, once: confirmed (the person holds the role from
    then on, superseding whoever held it) or declined, with the reason."""

    class Outcome(models.TextChoices):
        CONFIRMED = "confirmed", "Confirmed"
        DECLINED = "declined", "Declined"

    proposal = models.OneToOneField(RoleProposal, on_delete=models.PROTECT, related_name="decision")
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    reason = models.TextField(max_length=2000, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["pk"]

    def __str__(self):
        return f"{self.proposal}: {self.get_outcome_display().lower()}"
