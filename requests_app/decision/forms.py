"""CCEH's decision of a clear case: approve with each person's level, or deny citing criteria."""

from django import forms

from requests_app.core.forms import LevelsForm, level_fields, long_text, refuse_fields_for_others
from requests_app.models import (
    Criterion,
)


class ApproveForm(LevelsForm):
    prefix = "approve"

    conditions = long_text("Conditions", "Conditions the MOU will state, if any.", required=False)

    def __init__(self, *args, access_request, unheard_cans=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.people = list(access_request.people.all())
        self.named_cans = access_request.cans.all()
        self.unheard_cans = list(unheard_cans)
        level_fields(self, self.people, "Level granted to {name}")
        for can in self.unheard_cans:
            self.fields[f"waive_{can.pk}"] = long_text(
                f"Why decide without {can.name}'s recommendation",
                "Policy 1.5 and 4.2: the CAN takes part in the decision unless waived.",
            )
        # Who gets what first, then the waivers, then the conditions.
        self.order_fields([*(name for name in self.fields if name != "conditions"), "conditions"])

    def clean(self):
        cleaned = super().clean()
        # A waiver of a named CAN heard since the page was read has no field now, and is moot.
        refuse_fields_for_others(
            self,
            ["waive_"],
            self.named_cans,
            "Only a CAN this request names can be waived.",
            what="the CANs",
        )
        return cleaned

    def waivers(self):
        """{CAN: reason} for each CAN decided on without its recommendation."""
        return {can: self.cleaned_data[f"waive_{can.pk}"] for can in self.unheard_cans}


class DenyForm(forms.Form):
    prefix = "deny"

    cited = forms.ModelMultipleChoiceField(
        label="Criteria the denial rests on",
        queryset=Criterion.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text="Only criteria assessed as unmet, or disqualifiers assessed as applying.",
        error_messages={
            "invalid_list": "Choose the criteria from the list.",
            "invalid_pk_value": "Choose the criteria from the list.",
        },
    )
    reason = long_text("Reason the requestor will read")

    def __init__(self, *args, failing=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cited"].queryset = Criterion.objects.filter(pk__in=[c.pk for c in failing])
