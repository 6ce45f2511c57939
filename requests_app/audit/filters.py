"""The audit page's filters (django-filter): by person, kind, request, address and dates."""

import datetime

import django_filters
from django import forms
from django.db.models import Subquery

from requests_app.audit.models import ReadLogEntry
from requests_app.core.dates import start_of
from requests_app.models import User


class AuditFilterForm(forms.Form):
    def clean(self):
        cleaned = super().clean()
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and since > until:
            self.add_error("until", "The last day comes on or after the first day.")
        return cleaned


class AddressFilter(django_filters.Filter):
    field_class = forms.GenericIPAddressField


class ReadLogFilter(django_filters.FilterSet):
    person = django_filters.CharFilter(
        label="Person's e-mail",
        method="filter_person",
        help_text="The whole address, e.g. sam@cceh.example.",
    )
    kind = django_filters.ChoiceFilter(
        label="What was read", choices=ReadLogEntry.Kind.choices, empty_label="Anything"
    )
    reference = django_filters.CharFilter(
        label="Request reference", method="filter_reference", help_text="e.g. HMIS-2026-0042"
    )
    address = AddressFilter(label="Address (IP)", field_name="address")
    since = django_filters.DateFilter(
        label="From (first day)",
        method="filter_since",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    until = django_filters.DateFilter(
        label="To (last day)",
        method="filter_until",
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    class Meta:
        model = ReadLogEntry
        fields = []
        form = AuditFilterForm

    def filter_person(self, queryset, name, value):
        # E-mails are kept in lower case (accounts/models.py), so the unique index finds one.
        # The reader's key, then their reads by the (reader, time) index: joined on the e-mail,
        # the planner reckoned on an average reader's reads and sorted all of a staff member's
        # (119,000 in the benchmark: 150 ms, docs/performance.md).
        reader = User.objects.filter(email=value.strip().lower()).values("pk")
        return queryset.filter(reader=Subquery(reader))

    def filter_reference(self, queryset, name, value):
        return queryset.filter(reference=value.strip().upper())

    def filter_since(self, queryset, name, value):
        return queryset.filter(created_at__gte=start_of(value))

    def filter_until(self, queryset, name, value):
        return queryset.filter(created_at__lt=start_of(value + datetime.timedelta(days=1)))

    @property
    def qs(self):
        # A filter that could not be read lists nothing, not everything: the audit must never
        # show a list that looks filtered but is not. The form says what to correct.
        if self.is_bound and not self.is_valid():
            return self.queryset.none()
        return super().qs
