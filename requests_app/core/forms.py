"""What the forms of a request's page share: the page's version, long texts, and a level for
each named person."""

from django import forms

from requests_app.core.states import AccessLevel


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
