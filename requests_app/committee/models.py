"""The committee's voting rounds and the votes cast in them."""

from django.conf import settings
from django.db import models
from django.db.models import F
from django.utils import timezone

from requests_app.application.models import AccessRequest
from requests_app.core.records import AppendOnlyModel, AppendOnlyQuerySet, latest_per


class VotingRound(models.Model):
    """One vote of the committee on a request, opened by an escalation: its deadline and staff's
    note of what is unclear. A request returned from the committee and escalated again gets a
    new round; the request's `voting_round` is the latest, and only its votes count.

    Not append-only, unlike the votes: the one change made later is `quorum_announced_at`, set
    once (announce_quorum). What a decision rests on cannot change all the same: which round a
    vote belongs to is fixed with the vote (Vote is append-only), and the escalation's note and
    deadline are also in its Event."""

    request = models.ForeignKey(
        "requests_app.AccessRequest", on_delete=models.PROTECT, related_name="voting_rounds"
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

    request = models.ForeignKey(
        "requests_app.AccessRequest", on_delete=models.PROTECT, related_name="votes"
    )
    # The round the vote was cast in; when not given, its request's current round.
    round = models.ForeignKey(
        "requests_app.VotingRound", on_delete=models.PROTECT, related_name="votes"
    )
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
            # What a member voted on: the docket's past tab.
            models.Index(fields=["voter", "request"], name="votes_of_voter"),
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
