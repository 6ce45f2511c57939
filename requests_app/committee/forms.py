"""Sending a request to the committee, a member's vote, and the chair's decision."""

from django import forms

from requests_app.core.forms import LevelsForm, level_fields, long_text
from requests_app.core.states import Status
from requests_app.models import (
    Criterion,
    Vote,
)


class EscalateForm(forms.Form):
    prefix = "escalate"

    note = long_text(
        "What is unclear", "The committee and the named CANs' leaders read this (policy 4.3)."
    )


class VoteForm(LevelsForm):
    """A member's vote. `current` is their vote in this round, if any: the form starts from it,
    and `replaces` carries it, so a vote changed in another window meanwhile is noticed rather
    than overwritten."""

    prefix = "vote"

    choice = forms.ChoiceField(label="Your vote", widget=forms.RadioSelect)
    reason = long_text("Reason", "Needed to deny or to recuse.", required=False)
    replaces = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, access_request, recuse_only=False, current=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.people = list(access_request.people.all())
        if current is not None:
            # Changing a vote starts from the vote as it stands, levels included.
            self.initial.update(
                choice=current.choice,
                reason=current.reason,
                replaces=current.pk,
                **{f"level_{pk}": level for pk, level in current.recommended_levels.items()},
            )
        choices = Vote.Choice.choices
        if recuse_only:
            choices = [(Vote.Choice.RECUSE, Vote.Choice.RECUSE.label)]
        self.fields["choice"].choices = choices
        if not recuse_only:
            level_fields(self, self.people, "Level you recommend for {name}, if you approve")

    @property
    def level_rows(self):
        """(named person, their level's field): the template sets each choice beside what the
        application says of that person (committee/includes/vote_levels.html)."""
        return [
            (person, self[f"level_{person.pk}"])
            for person in self.people
            if f"level_{person.pk}" in self.fields
        ]


class CommitteeDecisionForm(LevelsForm):
    prefix = "decide"

    outcome = forms.ChoiceField(
        label="The committee's decision",
        widget=forms.RadioSelect,
        choices=[(Status.APPROVED, "Approve"), (Status.DENIED, "Deny")],
    )
    reason = long_text("Reason the requestor will read", "Needed to deny.", required=False)
    cited = forms.ModelMultipleChoiceField(
        label="Criteria a denial rests on",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        queryset=Criterion.objects.none(),
        error_messages={
            "invalid_list": "Choose the criteria from the list.",
            "invalid_pk_value": "Choose the criteria from the list.",
        },
    )
    conditions = long_text("Conditions", "Conditions the MOU will state, if any.", required=False)
    departs_reason = long_text(
        "Why the decision differs from the tally",
        "Needed when the decision is not the votes' majority, or the vote is tied.",
        required=False,
    )

    def __init__(self, *args, access_request, suggested_levels, catalogue, **kwargs):
        super().__init__(*args, **kwargs)
        self.people = list(access_request.people.all())
        self.fields["cited"].queryset = catalogue
        level_fields(self, self.people, "Level granted to {name}", initial=suggested_levels)
        self.order_fields(["outcome", *(f"level_{p.pk}" for p in self.people), "conditions"])
