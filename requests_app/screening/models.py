"""The policy's criteria, staff's assessment of each, a CAN's recommendation, and the request's
discussion."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from requests_app.core.records import AppendOnlyModel


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
        """Its number and short name, whole: what a list of criteria to cite shows (the
        decision forms); the clause's own words are on the checklist."""
        return f"{self.code} {self.short_name}"

    @property
    def short_name(self):
        """A few words naming the clause; its full text for a clause without one (another
        policy version's)."""
        return SHORT_NAMES.get((self.policy_version, self.code), self.text)


# Each clause of policy v1.0 in a few words (its own words: requests_app/pages/
# granting-hmis-access-policy-v1.0.txt; docs/policy-map.md maps each clause to its code).
SHORT_NAMES = {
    ("1.0", "1.1"): "Existing reporting does not meet the need",
    ("1.0", "1.2"): "An ongoing need",
    ("1.0", "1.3"): "Tied to a funding requirement or a homeless services provider",
    ("1.0", "1.4"): "Works with people experiencing homelessness",
    ("1.0", "1.5"): "The named CANs take part",
    ("1.0", "1.6"): "The access level is in the MOU",
    ("1.0", "1.7"): "HMIS training",
    ("1.0", "1.8"): "Contributes to ending homelessness",
    ("1.0", "1.9"): "Researchers use aggregated data where possible",
    ("1.0", "1.10"): "Good standing, no revoked access",
    ("1.0", "2.1"): "One-time access only",
    ("1.0", "2.2"): "Possibility of high abuse",
}


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

    request = models.ForeignKey(
        "requests_app.AccessRequest", on_delete=models.PROTECT, related_name="assessments"
    )
    criterion = models.ForeignKey(
        "requests_app.Criterion", on_delete=models.PROTECT, related_name="+"
    )
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


class CANRecommendation(AppendOnlyModel):
    """The CAN's say in a request naming it (1.5, 4.2): by its leadership, or waived by staff."""

    class Position(models.TextChoices):
        SUPPORT = "support", "Support"
        OPPOSE = "oppose", "Do not support"
        NO_POSITION = "no_position", "No position"
        WAIVED = "waived", "Waived by CCEH staff"

    request = models.ForeignKey(
        "requests_app.AccessRequest", on_delete=models.PROTECT, related_name="can_recommendations"
    )
    can = models.ForeignKey("requests_app.CAN", on_delete=models.PROTECT, related_name="+")
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

    request = models.ForeignKey(
        "requests_app.AccessRequest", on_delete=models.PROTECT, related_name="comments"
    )
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    visibility = models.CharField(max_length=10, choices=Visibility.choices)
    body = models.TextField(max_length=10000)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self):
        return f"{self.author} on {self.request}"
