"""The dashboard's date range: two days, both included, the last twelve months by default."""

import datetime

from django import forms

from requests_app.dashboard.figures import DateRange

DEFAULT_DAYS = 365
# Days people type far outside the site's life are a typing slip, not a question.
EARLIEST = datetime.date(2000, 1, 1)


def default_range(today):
    return DateRange(today - datetime.timedelta(days=DEFAULT_DAYS - 1), today)


class DateRangeForm(forms.Form):
    since = forms.DateField(
        label="From (first day)",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="For example 2026-01-01.",
    )
    until = forms.DateField(
        label="To (last day)",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Included.",
    )

    def __init__(self, data, today):
        self.today = today
        super().__init__(data or None)

    def clean(self):
        cleaned = super().clean()
        default = default_range(self.today)
        since, until = cleaned.get("since"), cleaned.get("until")
        if "since" in cleaned and since is not None and since < EARLIEST:
            self.add_error("since", f"Choose a day on or after {EARLIEST:%-d %B %Y}.")
        if "until" in cleaned and until is not None and until > self.today:
            self.add_error("until", "Choose today or a day before it: the figures are history.")
        if self.errors:
            return cleaned
        since = since or default.since
        until = until or self.today
        if since > until:
            self.add_error("until", "The last day comes on or after the first day.")
        cleaned["range"] = DateRange(since, until)
        return cleaned

    def date_range(self):
        """The range asked for; the default when nothing was asked."""
        if not self.is_bound:
            return default_range(self.today)
        return self.cleaned_data["range"]
