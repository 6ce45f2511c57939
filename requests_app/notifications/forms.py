"""The form of a person's notice preferences: one checkbox per kind they can receive."""

from django import forms

from requests_app.notifications import services as notifications


class NotificationPreferencesForm(forms.Form):
    """A checkbox for each kind the person can receive in their roles (notifications.kinds_for):
    a requestor is not asked about the committee's votes."""

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        chosen = notifications.email_choices(user)
        for kind in notifications.kinds_for(user):
            locked = notifications.mandatory(user, kind)
            # A disabled field ignores what is posted and keeps its initial value: on.
            self.fields[kind.value] = forms.BooleanField(
                label=kind.label,
                required=False,
                initial=chosen[kind.value],
                disabled=locked,
                help_text="Always e-mailed to CCEH staff: you act on it." if locked else "",
            )

    def choices(self):
        return dict(self.cleaned_data)
