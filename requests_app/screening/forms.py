"""Staff's screening, the CAN's recommendation, and the request's discussion."""

from django import forms

from requests_app.core.forms import long_text
from requests_app.models import (
    CAN,
    Assessment,
    CANRecommendation,
)


class ReturnForm(forms.Form):
    prefix = "return"

    message = long_text(
        "Question for the requestor",
        "What is missing or unclear. The requestor reads this and answers it.",
    )


class AssessmentForm(forms.Form):
    # Rendered by hand in requests_app/screening/includes/checklist.html (inline radios), so
    # the classes live here.
    outcome = forms.ChoiceField(widget=forms.RadioSelect(attrs={"class": "form-check-input"}))
    note = forms.CharField(
        label="Note",
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": 4000, "class": "form-control"}),
    )

    def __init__(self, *args, criterion, **kwargs):
        super().__init__(*args, prefix=f"assess-{criterion.pk}", **kwargs)
        self.criterion = criterion
        self.fields["outcome"].choices = Assessment.outcome_choices(criterion.is_disqualifier)
        self.fields["outcome"].label = f"Assessment of {criterion.code}"


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
