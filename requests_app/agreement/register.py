"""The register of who holds HMIS access now: each person activated under an active MOU whose
access has not ended, with their level, CAN scope, term, MOU version and training. Staff read
every organization's (never their own's: core/visibility.py); an organization's members read
their own people's. Filters and search (django-filter, as the queue), counts by level and by
CAN, and a CSV of the same rows (docs/design.md, the life of access)."""

import django_filters
from django.db.models import Case, Count, Exists, F, OuterRef, Q, Subquery, TextField, Value, When

from requests_app.agreement.due import with_dues
from requests_app.application.record import STATEWIDE
from requests_app.core.exports import joined, label
from requests_app.core.states import AccessLevel, AgreementStatus
from requests_app.core.visibility import active_organization_ids, seen_internally
from requests_app.decision.models import level_now
from requests_app.models import (
    CAN,
    AccessRequest,
    MOUVersion,
    PersonAccess,
)


def holding_access():
    """Everyone who holds access now: activated, not ended, their MOU active."""
    return PersonAccess.objects.filter(
        agreement__status=AgreementStatus.ACTIVE,
        activated_at__isnull=False,
        ended_on__isnull=True,
        revoked_at__isnull=True,
    )


def staff_register(user):
    """Every organization's people `user` sees as staff: never their own organization's."""
    return _annotated(holding_access().filter(seen_internally(user, "agreement__request__")))


def organization_register(user):
    """The people of `user`'s own organizations (active memberships)."""
    return _annotated(
        holding_access().filter(
            agreement__request__organization_id__in=active_organization_ids(user)
        )
    )


def _annotated(rows):
    # The level granted now (a correction adds a newer grant), the MOU's newest version, and
    # the latest training and user agreement (agreement/due.py), each a subquery of the row:
    # one query whatever the number of people.
    return with_dues(rows).annotate(
        level=level_now(),
        mou_version=Subquery(
            MOUVersion.objects.filter(agreement=OuterRef("agreement"))
            .order_by("-version")
            .values("version")[:1]
        ),
    )


class RegisterFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label="Search", method="search", help_text="A person's name or e-mail."
    )
    # A part of the name, not a list to choose from: staff's register spans every organization
    # (10,000 of them made a page of 650 KB), found through the name's trigram index.
    organization = django_filters.CharFilter(
        label="Organization",
        field_name="agreement__request__organization__name",
        lookup_expr="icontains",
        help_text="A part of its name.",
    )
    level = django_filters.ChoiceFilter(
        label="Access level", choices=AccessLevel.choices, empty_label="Any level"
    )
    can = django_filters.ModelChoiceFilter(
        label="CAN",
        queryset=CAN.objects.all(),
        method="filter_can",
        empty_label="Any CAN",
        help_text="Statewide access counts in every CAN.",
    )

    class Meta:
        model = PersonAccess
        fields = []

    def search(self, queryset, name, value):
        return queryset.filter(Q(person__name__icontains=value) | Q(person__email__icontains=value))

    def filter_can(self, queryset, name, value):
        return queryset.filter(
            Q(agreement__request__statewide=True)
            | Exists(
                AccessRequest.cans.through.objects.filter(
                    accessrequest_id=OuterRef("agreement__request_id"), can=value
                )
            )
        )


def register_filter(data, rows):
    return RegisterFilter(data or None, queryset=rows)


def counts(rows):
    """({level label: people}, {CAN name or Statewide: people}) of `rows`, one query each."""
    by_level = {
        AccessLevel(row["level"]).label: row["n"]
        for row in rows.order_by().values("level").annotate(n=Count("pk")).order_by("level")
        if row["level"]
    }
    scope = Case(
        When(agreement__request__statewide=True, then=Value(STATEWIDE)),
        default=F("agreement__request__cans__name"),
        output_field=TextField(),
    )
    by_can = {
        row["scope"]: row["n"]
        for row in rows.order_by()
        .annotate(scope=scope)
        .values("scope")
        .annotate(n=Count("pk", distinct=True))
        .order_by("scope")
        if row["scope"]
    }
    return by_level, by_can


def register_table(rows):
    """The register as plain values, in one query whatever its length (core/exports.py)."""
    return (
        rows.select_related(None)
        .prefetch_related(None)
        .annotate(
            level_label=label("level", AccessLevel.choices),
            scope=joined(CAN.objects.all(), "name", by="requests", to="agreement__request"),
        )
        .order_by("agreement__request__organization__name", "person__name", "pk")
        .values_list(
            "person__name",
            "person__email",
            "agreement__request__organization__name",
            "level_label",
            "agreement__request__statewide",
            "scope",
            "activated_at",
            "agreement__ends_on",
            "agreement__request__reference",
            "mou_version",
            "trained_on",
            "agreed_at",
            named=True,
        )
    )
