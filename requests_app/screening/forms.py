"""Staff's screening, the CAN's recommendation, and the request's discussion."""

from django import forms

from requests_app.core.forms import long_text
from requests_app.models import (
    CAN,
    Assessment,
    CANRecommendation,
)
from requests_app.screening.services import unchanged


class ReturnForm(forms.Form):
    prefix = "return"

    message = long_text(
        "Question for the requestor",
        "What is missing or unclear. The requestor reads this and answers it.",
    )


class ChecklistForm(forms.Form):
    """The whole screening checklist in one form: for each criterion of the policy in force an
    outcome and a note (fields `<code>-outcome`, `<code>-note`), at first what its current
    assessment says. `changes()` is the rows that differ from it, for
    screening.services.save_checklist. Rendered by hand in
    requests_app/screening/includes/checklist.html, so the widgets' classes live here."""

    prefix = "checklist"

    def __init__(self, *args, criteria, current, **kwargs):
        super().__init__(*args, **kwargs)
        self.criteria, self.current = list(criteria), current
        for criterion in self.criteria:
            now = current.get(criterion.pk)
            self.fields[f"{criterion.code}-outcome"] = forms.ChoiceField(
                label=f"Assessment of {criterion.code}",
                required=False,
                choices=Assessment.outcome_choices(criterion.is_disqualifier),
                widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
                initial=now.outcome if now else None,
            )
            self.fields[f"{criterion.code}-note"] = forms.CharField(
                label=f"Note on {criterion.code}",
                required=False,
                max_length=4000,
                initial=now.note if now else "",
                widget=forms.Textarea(
                    attrs={"rows": 1, "maxlength": 4000, "class": "form-control form-control-sm"}
                ),
            )

    def rows(self):
        """(criterion, its outcome field, its note field), in the policy's order."""
        return [(c, self[f"{c.code}-outcome"], self[f"{c.code}-note"]) for c in self.criteria]

    def clean(self):
        cleaned = super().clean()
        for criterion in self.criteria:
            outcome = cleaned.get(f"{criterion.code}-outcome")
            note = (cleaned.get(f"{criterion.code}-note") or "").strip()
            current = self.current.get(criterion.pk)
            if f"{criterion.code}-outcome" in self.errors:
                continue  # refused already, in its own words
            # A blank outcome is a criterion left alone (a browser cannot clear a radio), unless
            # a note was written for it.
            if not outcome and note and note != (current.note if current else ""):
                self.add_error(
                    f"{criterion.code}-outcome", f"Choose an outcome for {criterion.code}."
                )
        return cleaned

    def changes(self):
        """[(criterion, outcome, note)] of the rows that differ from the current assessment."""
        return [
            (c, outcome, note)
            for c in self.criteria
            if self.cleaned_data.get(f"{c.code}-outcome")
            and not unchanged(
                self.current.get(c.pk),
                outcome := self.cleaned_data.get(f"{c.code}-outcome") or "",
                note := (self.cleaned_data.get(f"{c.code}-note") or "").strip(),
            )
        ]

    def done(self):
        """The words for the checklist saved, once the form is valid."""
        changed = [c.code for c, _, _ in self.changes()] if self.is_valid() else []
        if not changed:
            return "Nothing changed in the checklist."
        noun = "assessment" if len(changed) == 1 else "assessments"
        return f"The checklist is saved: {len(changed)} new {noun} ({', '.join(changed)})."


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

    def __init__(self, *args, to_staff=False, **kwargs):
        # The requesting organization writes to CCEH; staff write to the requestor. Each is told
        # who reads the message, in their own terms.
        super().__init__(*args, **kwargs)
        if to_staff:
            self.fields["body"].label = "Message to CCEH staff"


class RecommendationForm(forms.Form):
    prefix = "recommend"

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
