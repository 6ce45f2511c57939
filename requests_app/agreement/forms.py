"""Forms of the MOU page: they only parse; the services decide."""

from django import forms
from django.utils import timezone

from requests_app.core.states import AccessLevel
from requests_app.decision.levels import above_decided_grant


class SignForm(forms.Form):
    full_name = forms.CharField(
        label="Your full name, typed as your signature",
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    title = forms.CharField(label="Your title", max_length=150)
    affirmed = forms.BooleanField(label="I confirm the statement above.")
    # The version the page showed and its SHA-256: the signature names what was read.
    mou_version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    mou_sha256 = forms.RegexField(regex=r"^[0-9a-f]{64}$", widget=forms.HiddenInput)

    def __init__(self, *args, statement, mou=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.statement = statement
        self.fields["affirmed"].label = statement
        if mou is not None:
            self.initial.update(mou_version=mou.version, mou_sha256=mou.sha256)

    def clean(self):
        cleaned = super().clean()
        if "mou_version" in self.errors or "mou_sha256" in self.errors:
            # Hidden fields: their errors would point at nothing the signer can see.
            self.errors.pop("mou_version", None)
            self.errors.pop("mou_sha256", None)
            raise forms.ValidationError(
                "This page did not say which version of the MOU you read. Reload it, read the "
                "newest version, then sign."
            )
        return cleaned

    def given(self):
        return (self.cleaned_data["mou_version"], self.cleaned_data["mou_sha256"])


class AmendForm(forms.Form):
    reason = forms.CharField(
        label="Why the MOU changes",
        help_text="The organization reads this. A signed MOU is signed again after a change.",
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, people, granted, decided, **kwargs):
        """`granted`: {person id: level} as the MOU states it now; `decided`: as the decision
        granted it, the highest level a correction may offer (1.6)."""
        super().__init__(*args, **kwargs)
        self.people = people
        for person in people:
            ceiling = decided.get(person.pk, person.requested_level)
            self.fields[f"name_{person.pk}"] = forms.CharField(
                label=f"Name of {person.name}", max_length=150, initial=person.name
            )
            self.fields[f"level_{person.pk}"] = forms.ChoiceField(
                label=f"Level granted to {person.name}",
                choices=[
                    (v, t)
                    for v, t in AccessLevel.choices
                    if AccessLevel.RANK[v] <= AccessLevel.RANK[ceiling]
                ],
                initial=granted.get(person.pk),
                help_text=f"Asked for: {person.get_requested_level_display().lower()}; "
                f"decided: {AccessLevel(ceiling).label.lower()}.",
                # A level not offered is one above the decided grant, or no level at all.
                error_messages={"invalid_choice": above_decided_grant(person.name, ceiling)},
            )
        self.order_fields([*(n for n in self.fields if n != "reason"), "reason"])

    def names(self):
        return {p.pk: self.cleaned_data[f"name_{p.pk}"] for p in self.people}

    def levels(self):
        return {p.pk: self.cleaned_data[f"level_{p.pk}"] for p in self.people}


class TrainingForm(forms.Form):
    person = forms.TypedChoiceField(label="Person", coerce=int)
    completed_on = forms.DateField(
        label="Completed on", widget=forms.DateInput(attrs={"type": "date"})
    )
    course = forms.CharField(label="Course", max_length=200, initial="CT HMIS new user training")

    def __init__(self, *args, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].choices = [(p.pk, p.name) for p in people]
        self.fields["completed_on"].initial = timezone.localdate()


class ActivateForm(forms.Form):
    note = forms.CharField(
        label="Note",
        required=False,
        max_length=4000,
        help_text="Needed when you activate some people before the others are trained.",
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class RevokeForm(forms.Form):
    WHOLE = "all"

    whom = forms.ChoiceField(label="Revoke access of", widget=forms.RadioSelect)
    reason = forms.CharField(
        label="Reason",
        help_text="The organization reads it; it counts against good standing later (1.10).",
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["whom"].choices = [
            (self.WHOLE, "Everyone: the whole organization's access"),
            *[(str(p.pk), p.name) for p in people],
        ]

    def person_id(self):
        whom = self.cleaned_data["whom"]
        return None if whom == self.WHOLE else int(whom)


class PrepareForm(forms.Form):
    """Nothing to fill in: the button asks again for a version whose render failed."""
