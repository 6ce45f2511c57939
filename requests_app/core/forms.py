"""What the forms of a request's page share: long texts, and a level for each named person.
Each form's prefix is its action's name (requests_app/actions.py), so no two forms of a page
share a field's name or id."""

from django import forms

from requests_app.core.states import AccessLevel


def long_text(label, help_text="", required=True):
    """A few lines of free text, capped where the models cap it."""
    return forms.CharField(
        label=label,
        help_text=help_text,
        required=required,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": 4000}),
    )


def level_fields(form, people, label, initial=None):
    """A level per named person, never above what was asked for them (1.6)."""
    for person in people:
        asked = AccessLevel.RANK[person.requested_level]
        form.fields[f"level_{person.pk}"] = forms.ChoiceField(
            label=label.format(name=person.name),
            choices=[(v, text) for v, text in AccessLevel.choices if AccessLevel.RANK[v] <= asked],
            initial=(initial or {}).get(person.pk, person.requested_level),
            help_text=f"Asked for: {person.get_requested_level_display().lower()}.",
        )


class LevelsForm(forms.Form):
    """A form with a level for each of `self.people` (level_fields): approving, voting to
    approve, the committee's decision. It takes nobody else's level, and gives the service
    {named person: level}."""

    def clean(self):
        cleaned = super().clean()
        refuse_fields_for_others(
            self,
            ["level_"],
            self.people,
            "A level was given for someone this request does not name.",
        )
        return cleaned

    def levels(self):
        return {person: self.cleaned_data.get(f"level_{person.pk}") for person in self.people}


def refuse_fields_for_others(form, stems, rows, someone_else, what="the people"):
    """A form with a field per row it offers ("level_<id>": a named person, "waive_<id>": a
    named CAN) takes no other's: a field posted for an id that is not one of `rows` (a tampered
    page) is refused with `someone_else`, or, when what follows the stem is not an id at all,
    "Choose `what` from the list." Called from the form's clean."""
    offered = {str(row.pk) for row in rows}
    for key in form.data:
        for stem in stems:
            start = form.add_prefix(stem)
            if key.startswith(start) and key[len(start) :] not in offered:
                raise forms.ValidationError(
                    someone_else if _is_id(key[len(start) :]) else f"Choose {what} from the list."
                )


def _is_id(value):
    try:
        int(value)
    except ValueError:
        return False
    return True


def choose_among(field, instances, label=str):
    """Make `field` (a TypedChoiceField or TypedMultipleChoiceField) offer `instances`, rows of
    the request or agreement the form belongs to, and clean to the chosen rows themselves: a
    value that is none of them is the field's invalid choice."""
    by_value = {str(instance.pk): instance for instance in instances}
    field.choices = [(value, label(instance)) for value, instance in by_value.items()]
    field.coerce = by_value.__getitem__
