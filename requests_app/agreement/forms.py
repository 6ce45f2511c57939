"""Forms of the MOU page, and staff's provisioning list: they parse, and offer only the people of
the agreement (or the list) they belong to; the services decide."""

from django import forms
from django.utils import timezone

from requests_app.core.forms import choose_among, refuse_fields_for_others
from requests_app.core.states import AccessLevel
from requests_app.core.visibility import seen_internally
from requests_app.decision.levels import above_decided_grant
from requests_app.models import PersonAccess


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

    def clean(self):
        cleaned = super().clean()
        refuse_fields_for_others(
            self, ["name_", "level_"], self.people, "Choose people this MOU names."
        )
        return cleaned

    def names(self):
        """{named person: name}."""
        return {p: self.cleaned_data[f"name_{p.pk}"] for p in self.people}

    def levels(self):
        """{named person: level}."""
        return {p: self.cleaned_data[f"level_{p.pk}"] for p in self.people}


class TrainingForm(forms.Form):
    # Cleans to the NamedPerson chosen, one of the MOU's own people.
    person = forms.TypedChoiceField(label="Person")
    completed_on = forms.DateField(
        label="Completed on", widget=forms.DateInput(attrs={"type": "date"})
    )
    course = forms.CharField(label="Course", max_length=200, initial="CT HMIS new user training")

    def __init__(self, *args, people, **kwargs):
        super().__init__(*args, **kwargs)
        choose_among(self.fields["person"], people, label=lambda person: person.name)
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
        self.people = {str(p.pk): p for p in people}
        self.fields["whom"].choices = [
            (self.WHOLE, "Everyone: the whole organization's access"),
            *[(pk, p.name) for pk, p in self.people.items()],
        ]

    def person(self):
        """The NamedPerson chosen, or None for everyone."""
        whom = self.cleaned_data["whom"]
        return None if whom == self.WHOLE else self.people[whom]


class PrepareForm(forms.Form):
    """Nothing to fill in: the button asks again for a version whose render failed."""


class ProvisionForm(forms.Form):
    """The people staff tick on the provisioning list: rows of the requests they see as staff
    (a row marked meanwhile is still one of them: the service says who marked it)."""

    access = forms.ModelMultipleChoiceField(
        queryset=PersonAccess.objects.none(),
        required=False,
        error_messages={
            key: "Choose people from the list."
            for key in ("invalid_list", "invalid_choice", "invalid_pk_value")
        },
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["access"].queryset = PersonAccess.objects.filter(
            seen_internally(user, "agreement__request__")
        )


class DepartureForm(forms.Form):
    """Who left the organization and when: one of the MOU's people whose access has not ended,
    on a date that defaults to today (the service refuses a future date, or one before their
    access began)."""

    # Cleans to the PersonAccess chosen.
    access = forms.TypedChoiceField(label="Person who left")
    left_on = forms.DateField(
        label="Date they left", widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, accesses, **kwargs):
        super().__init__(*args, **kwargs)
        choose_among(self.fields["access"], accesses, label=lambda access: access.person.name)
        self.fields["left_on"].initial = timezone.localdate()


class DeprovisionForm(ProvisionForm):
    """The people staff tick on the deprovisioning list: rows of the requests they see as
    staff (a row marked meanwhile is still one of them: the service says who marked it)."""


# Amendments of an executed or active MOU and the yearly review (agreement/amendments.py). The
# forms parse and offer only the MOU's own people; the services apply the rules.


def _reason(label="Reason"):
    return forms.CharField(
        label=label,
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": 4000}),
    )


def _level_choices(below=None):
    """Every level, or those lower than `below`."""
    return [
        (v, t)
        for v, t in AccessLevel.choices
        if below is None or AccessLevel.RANK[v] < AccessLevel.RANK[below]
    ]


class AddPersonForm(forms.Form):
    name = forms.CharField(label="Full name", max_length=150)
    title = forms.CharField(label="Title", max_length=150, required=False)
    email = forms.EmailField(
        label="E-mail", max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "off"})
    )
    level = forms.ChoiceField(label="Access level asked for", choices=AccessLevel.choices)
    reason = forms.CharField(
        label="Why they need HMIS access",
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": 4000}),
    )


class RemovePersonForm(forms.Form):
    person = forms.TypedChoiceField(label="Person to remove")
    reason = forms.CharField(
        label="Why they are removed",
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": 4000}),
    )

    def __init__(self, *args, people, **kwargs):
        super().__init__(*args, **kwargs)
        choose_among(self.fields["person"], people, label=lambda person: person.name)


class LowerForm(forms.Form):
    person = forms.TypedChoiceField(label="Person")
    level = forms.ChoiceField(
        label="New, lower level", choices=_level_choices(below=AccessLevel.FULL)
    )
    reason = forms.CharField(
        label="Why the level is lowered",
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": 4000}),
    )

    def __init__(self, *args, people, granted, **kwargs):
        super().__init__(*args, **kwargs)
        choose_among(
            self.fields["person"],
            people,
            label=lambda person: f"{person.name} ({AccessLevel(granted[person.pk]).label.lower()})",
        )


class DecideAdditionForm(forms.Form):
    APPROVE, DECLINE = "approve", "decline"

    amendment = forms.TypedChoiceField(label="Addition", widget=forms.RadioSelect)
    outcome = forms.ChoiceField(
        label="Decision",
        choices=[(APPROVE, "Approve"), (DECLINE, "Decline")],
        widget=forms.RadioSelect,
    )
    level = forms.ChoiceField(
        label="Level granted",
        choices=[("", "As asked"), *AccessLevel.choices],
        required=False,
        help_text="Never above the level asked; leave as asked, or choose a lower one.",
    )
    reason = _reason("Reason (needed to decline; the organization reads it)")

    def __init__(self, *args, pending, **kwargs):
        super().__init__(*args, **kwargs)
        choose_among(
            self.fields["amendment"],
            pending,
            label=lambda a: f"{a.name} <{a.email}>, {a.get_level_display().lower()}",
        )
        if len(pending) == 1:
            self.fields["amendment"].initial = str(pending[0].pk)

    def approve(self):
        return self.cleaned_data["outcome"] == self.APPROVE

    def granted_level(self):
        return self.cleaned_data["level"] or self.cleaned_data["amendment"].level


class ReviewForm(forms.Form):
    """The yearly review: for each person who holds access, keep, lower (with the level) or
    remove, and a reason for a change; fields `choice_<id>`, `level_<id>`, `reason_<id>`."""

    CHOICES = [("keep", "Keep"), ("lower", "Lower the level"), ("remove", "Remove")]

    note = _reason("Note on the review (optional)")

    def __init__(self, *args, people, granted, **kwargs):
        super().__init__(*args, **kwargs)
        self.people = people
        self.granted = granted
        for person in people:
            self.fields[f"choice_{person.pk}"] = forms.ChoiceField(
                label=f"{person.name}",
                choices=self.CHOICES,
                widget=forms.RadioSelect,
                error_messages={"required": f"Choose keep, lower or remove for {person.name}."},
            )
            self.fields[f"level_{person.pk}"] = forms.ChoiceField(
                label=f"Lower {person.name} to",
                choices=[("", "Choose a level"), *_level_choices()],
                required=False,
            )
            self.fields[f"reason_{person.pk}"] = _reason(f"Why (for a change to {person.name})")
        self.order_fields([*(n for n in self.fields if n != "note"), "note"])

    def rows(self):
        """Each person with their three fields, for the template."""
        return [
            {
                "person": person,
                "granted": AccessLevel(self.granted[person.pk]).label,
                "choice": self[f"choice_{person.pk}"],
                "level": self[f"level_{person.pk}"],
                "reason": self[f"reason_{person.pk}"],
            }
            for person in self.people
        ]

    def clean(self):
        cleaned = super().clean()
        refuse_fields_for_others(
            self,
            ["choice_", "level_", "reason_"],
            self.people,
            "Someone reviewed is not named on this MOU: reload the page.",
        )
        return cleaned

    def choices(self):
        """{named person: (keep|lower|remove, level, reason)}."""
        return {
            p: (
                self.cleaned_data[f"choice_{p.pk}"],
                self.cleaned_data[f"level_{p.pk}"],
                self.cleaned_data[f"reason_{p.pk}"],
            )
            for p in self.people
        }


class UserAgreementForm(forms.Form):
    """A named person signs their own user agreement (agreement/due.py). One form a person
    the MOUs name them as; its prefix names the person, so several can share a page."""

    full_name = forms.CharField(
        label="Your full name, typed as your signature",
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    affirmed = forms.BooleanField(
        label="I have read the HMIS user agreement above and will keep it."
    )
    # The SHA-256 of the text the page showed: the signature names what was read.
    text_sha256 = forms.RegexField(regex=r"^[0-9a-f]{64}$", widget=forms.HiddenInput)

    def __init__(self, *args, person, sha256, **kwargs):
        super().__init__(*args, prefix=f"acknowledge-{person.pk}", **kwargs)
        self.person = person
        self.initial.setdefault("text_sha256", sha256)

    def clean(self):
        cleaned = super().clean()
        if self.errors.pop("text_sha256", None):
            raise forms.ValidationError(
                "This page did not say which text of the agreement you read. Reload it, read "
                "it, then sign."
            )
        return cleaned
