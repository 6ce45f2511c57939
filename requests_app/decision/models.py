"""A decision, and the level it grants each named person."""

from django.conf import settings
from django.db import models
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from requests_app.core.records import AppendOnlyModel
from requests_app.core.states import AccessLevel, Status


class Decision(AppendOnlyModel):
    """The outcome and everything it rested on. Written once."""

    request = models.OneToOneField(
        "requests_app.AccessRequest", on_delete=models.PROTECT, related_name="decision"
    )
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
    cited_criteria = models.ManyToManyField("requests_app.Criterion", blank=True, related_name="+")
    # The committee's count when it decided: {"approve": n, "deny": n, "abstain": n,
    # "recuse": n, "members": n, "majority": "approve"|"deny"|None}.
    tally = models.JSONField(null=True, blank=True)
    departs_from_tally_reason = models.TextField(max_length=4000, blank=True)

    def __str__(self):
        return f"{self.request}: {self.get_outcome_display()}"


class Grant(AppendOnlyModel):
    """The access level granted to one named person by an approval (1.6)."""

    decision = models.ForeignKey(
        "requests_app.Decision", on_delete=models.PROTECT, related_name="grants"
    )
    # Indexed by `grants_newest` below, which leads with it.
    person = models.ForeignKey(
        "requests_app.NamedPerson", on_delete=models.PROTECT, related_name="grants", db_index=False
    )
    level = models.CharField(max_length=10, choices=AccessLevel.choices)

    class Meta:
        ordering = ["pk"]
        indexes = [
            # A person's newest grant, read from the index alone (`level_now`): the dashboard
            # asks it of every person holding access.
            models.Index(fields=["person", "-id"], include=["level"], name="grants_newest"),
        ]

    def __str__(self):
        return f"{self.person.name}: {self.get_level_display()}"


def level_now(person="person"):
    """The level granted now to the named person at `person` (a path from the outer row): the
    newest grant's, as a correction or a lowered level adds a grant and never edits one."""
    newest = Grant.objects.filter(person=OuterRef(person)).order_by("-pk")
    return Subquery(newest.values("level")[:1])
