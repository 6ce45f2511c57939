"""CCEH's decision of a clear case: approve with each person's level, or deny citing criteria."""

from django import forms

from requests_app.core.forms import RequestPageForm, level_fields, long_text
from requests_app.models import (
    Criterion,
)


class ApproveForm(RequestPageForm):
    id_prefix = "approve"

    conditions = long_text("Conditions", "Conditions the MOU will state, if any.", required=False)

    def __init__(self, *args, access_request, unheard_cans=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.people = list(access_request.people.all())
        level_fields(self, self.people, "Level granted to {name}")
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
