from django import forms

from .choices import AccessLevel, Status
from .models import CAN, Assessment, CANRecommendation, Criterion, Membership, Organization, Vote


class SignupForm(forms.Form):
    """Extra fields on allauth's sign-up form."""

    name = forms.CharField(
        label="Full name", max_length=150, widget=forms.TextInput(attrs={"autocomplete": "name"})
    )

    def signup(self, request, user):
        user.name = self.cleaned_data["name"]
        user.save(update_fields=["name"])


class OrganizationForm(forms.ModelForm):
    # A website typed without a scheme is taken as https, as Django 6 will do by default.
    website = forms.URLField(max_length=200, required=False, assume_scheme="https")

    class Meta:
        model = Organization
        fields = ["name", "kind", "address", "website", "funded_for_homeless_services"]
        widgets = {"address": forms.Textarea(attrs={"rows": 3})}
        help_texts = {
            "name": "As it appears on legal documents; the MOU is made with this name.",
            "funded_for_homeless_services": "Tick if federal or state funds pay the organization "
            "to provide homeless services.",
        }


class JoinOrganizationForm(forms.Form):
    """Joining by the organization's exact name: the list of organizations that applied for
    HMIS access is not for everyone who signs up to browse."""

    name = forms.CharField(
        label="The organization's legal name",
        max_length=200,
        help_text="Exactly as your colleague set it up. One of its members accepts you before "
        "you see its requests.",
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_name(self):
        organization = Organization.objects.filter(
            name__iexact=self.cleaned_data["name"].strip()
        ).first()
        if organization is None:
            raise forms.ValidationError(
                "No organization by that name is set up here. Check the exact name with your "
                "colleague, or set the organization up yourself."
            )
        if Membership.objects.filter(user=self.user, organization=organization).exists():
            raise forms.ValidationError(
                "You have already joined or asked to join this organization."
            )
        self.organization = organization
        return organization.name


# The actions on a request. Each form only parses; workflow.py decides.


class RequestPageForm(forms.Form):
    """A form that shares the request page with others: its fields' ids start with its own
    name, so no two forms' fields share an id and every label names its own field."""

    id_prefix = None

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", f"{self.id_prefix}_%s")
        super().__init__(*args, **kwargs)


def long_text(label, help_text="", required=True):
    """A few lines of free text, capped where the models cap it."""
    return forms.CharField(
        label=label,
        help_text=help_text,
        required=required,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": 4000}),
    )


class ReturnForm(RequestPageForm):
    id_prefix = "return"

    message = long_text(
        "Question for the requestor",
        "What is missing or unclear. The requestor reads this and answers it.",
    )


class AssessmentForm(forms.Form):
    # Rendered by hand in includes/checklist.html (inline radios), so the classes live here.
    outcome = forms.ChoiceField(widget=forms.RadioSelect(attrs={"class": "form-check-input"}))
    note = forms.CharField(
        label="Note",
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": 4000, "class": "form-control"}),
    )

    def __init__(self, *args, criterion, **kwargs):
        super().__init__(*args, prefix=f"c{criterion.pk}", **kwargs)
        self.criterion = criterion
        self.fields["outcome"].choices = Assessment.outcome_choices(criterion.is_disqualifier)
        self.fields["outcome"].label = f"Assessment of {criterion.code}"


def _level_fields(form, people, label, initial=None):
    """A level per named person, never above what was asked for them (1.6)."""
    for person in people:
        asked = AccessLevel.RANK[person.requested_level]
        form.fields[f"level_{person.pk}"] = forms.ChoiceField(
            label=label.format(name=person.name),
            choices=[(v, text) for v, text in AccessLevel.choices if AccessLevel.RANK[v] <= asked],
            initial=(initial or {}).get(person.pk, person.requested_level),
            help_text=f"Asked for: {person.get_requested_level_display().lower()}.",
        )


class ApproveForm(RequestPageForm):
    id_prefix = "approve"

    conditions = long_text("Conditions", "Conditions the MOU will state, if any.", required=False)

    def __init__(self, *args, access_request, unheard_cans=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.people = list(access_request.people.all())
        _level_fields(self, self.people, "Level granted to {name}")
        for can in unheard_cans:
            self.fields[f"waive_{can.pk}"] = long_text(
                f"Why decide without {can.name}'s recommendation",
                "Policy 1.5 and 4.2: the CAN takes part in the decision unless waived.",
            )
        # Who gets what first, then the waivers, then the conditions.
        self.order_fields([*(name for name in self.fields if name != "conditions"), "conditions"])

    def levels(self):
        return {p.pk: self.cleaned_data[f"level_{p.pk}"] for p in self.people}

    def waivers(self):
        return {
            int(name.removeprefix("waive_")): value
            for name, value in self.cleaned_data.items()
            if name.startswith("waive_")
        }


class DenyForm(RequestPageForm):
    id_prefix = "deny"

    cited = forms.ModelMultipleChoiceField(
        label="Criteria the denial rests on",
        queryset=Criterion.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text="Only criteria assessed as unmet, or disqualifiers assessed as applying.",
    )
    reason = long_text("Reason the requestor will read")

    def __init__(self, *args, failing=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cited"].queryset = Criterion.objects.filter(pk__in=[c.pk for c in failing])


class EscalateForm(RequestPageForm):
    id_prefix = "escalate"

    note = long_text(
        "What is unclear", "The committee and the named CANs' leaders read this (policy 4.3)."
    )


class CommentForm(forms.Form):
    body = forms.CharField(
        label="Internal comment",
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": 10000}),
    )


class MessageForm(CommentForm):
    body = forms.CharField(
        label="Message to the requestor",
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": 10000}),
    )


class VoteForm(RequestPageForm):
    """A member's vote. `current` is their vote in this round, if any: the form starts from it,
    and `replaces` carries it, so a vote changed in another window meanwhile is noticed rather
    than overwritten."""

    id_prefix = "vote"

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
            _level_fields(self, self.people, "Level you recommend for {name}, if you approve")

    def levels(self):
        return {p.pk: self.cleaned_data.get(f"level_{p.pk}") for p in self.people}


class CommitteeDecisionForm(RequestPageForm):
    id_prefix = "decide"

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
        _level_fields(self, self.people, "Level granted to {name}", initial=suggested_levels)
        self.order_fields(["outcome", *(f"level_{p.pk}" for p in self.people), "conditions"])

    def levels(self):
        return {p.pk: self.cleaned_data[f"level_{p.pk}"] for p in self.people}


class RecommendationForm(RequestPageForm):
    id_prefix = "recommend"

    can = forms.ModelChoiceField(label="For the CAN", queryset=CAN.objects.none(), empty_label=None)
    position = forms.ChoiceField(
        label="The CAN's recommendation",
        widget=forms.RadioSelect,
        choices=[
            c
            for c in CANRecommendation.Position.choices
            if c[0] != CANRecommendation.Position.WAIVED
        ],
    )
    reason = long_text("Reason")

    def __init__(self, *args, cans, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["can"].queryset = cans
