"""The staff queue's filters, search and sorting (django-filter)."""

import django_filters
from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, Q

from requests_app import policy
from requests_app.core.stages import Stage, stage_q, work_q
from requests_app.core.states import Status
from requests_app.models import CAN, AccessRequest, NamedPerson

MINE, UNASSIGNED = "mine", "unassigned"
# Every filter's empty choice is "Any": no filter. The stage's empty choice is the queue's
# default, the stages with staff work (Stage.WORK); ANY_STAGE lists every stage.
ANY = "Any"
ANY_STAGE = "any"
SEARCH_MIN = 3


class AnyYesNo(django_filters.widgets.BooleanWidget):
    """Yes, no, or "Any" (no filter), where django-filter says "Unknown"."""

    def __init__(self, attrs=None):
        super().__init__(attrs)
        self.choices = [("", ANY), ("true", "Yes"), ("false", "No")]


class QueueFilter(django_filters.FilterSet):
    # At least three characters: a trigram index finds nothing shorter, so "ar" read every
    # named person and every request (1.2 s at 100,000 requests; docs/performance.md).
    q = django_filters.CharFilter(
        label="Search",
        method="search",
        min_length=SEARCH_MIN,
        error_messages={
            "min_length": f"Type at least {SEARCH_MIN} characters to search.",
        },
        help_text=(
            f"A reference, an organization, or a named person's name or e-mail: at least "
            f"{SEARCH_MIN} characters."
        ),
    )
    stage = django_filters.ChoiceFilter(
        label="Stage",
        choices=[(ANY_STAGE, ANY), *Stage.choices],
        empty_label="Staff work (every stage but active and closed)",
        method="filter_stage",
        help_text="Where each request stands, from intake to renewal; “Any” lists every stage.",
    )
    status = django_filters.ChoiceFilter(
        choices=[(s.value, s.label) for s in Status if s in Status.AFTER_SUBMISSION],
        empty_label=ANY,
        method="filter_status",
    )
    can = django_filters.ModelChoiceFilter(
        label="CAN",
        queryset=CAN.objects.all(),
        method="filter_can",
        empty_label=ANY,
    )
    assignee = django_filters.ChoiceFilter(
        label="Assignee",
        method="filter_assignee",
        empty_label=ANY,
    )
    researcher = django_filters.BooleanFilter(
        label="Researcher",
        field_name="is_researcher",
        widget=AnyYesNo,
    )
    flagged = django_filters.BooleanFilter(
        label="Flagged by a suggestion",
        method="filter_flagged",
        widget=AnyYesNo,
    )
    sort = django_filters.OrderingFilter(
        fields=[
            ("status_changed_at", "waiting"),
            ("reference", "reference"),
            ("organization__name", "organization"),
            ("status", "status"),
            ("assignee__name", "assignee"),
        ],
        field_labels={"status_changed_at": "Days in status"},
        label="Sort by",
        empty_label="Longest waiting first",
    )

    class Meta:
        model = AccessRequest
        fields = []

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        staff = get_user_model().objects.staff()
        self.filters["assignee"].extra["choices"] = [
            (MINE, "Me"),
            (UNASSIGNED, "Nobody"),
            *[(str(person.pk), person.name) for person in staff],
        ]

    @property
    def qs(self):
        queryset = super().qs
        chosen = self.form.cleaned_data if self.is_bound and self.form.is_valid() else {}
        if not chosen.get("stage") and not chosen.get("status"):
            # The default: every request with something for CCEH to do, from intake to renewal.
            queryset = queryset.filter(work_q())
        if not chosen.get("sort"):
            queryset = queryset.order_by("status_changed_at", "pk")  # the longest waiting first
        return queryset

    def search(self, queryset, name, value):
        """The requests whose reference, organization or a named person matches: each found
        through its own index (a trigram index on PostgreSQL, migration 0013), then joined,
        rather than every request tested in turn."""
        people = NamedPerson.objects.filter(Q(name__icontains=value) | Q(email__icontains=value))
        found = (
            people.order_by()
            .values("request_id")
            .union(
                AccessRequest.objects.filter(organization__name__icontains=value)
                .order_by()
                .values("pk"),
                AccessRequest.objects.filter(reference__icontains=value).order_by().values("pk"),
            )
        )
        return queryset.filter(pk__in=found)

    def filter_stage(self, queryset, name, value):
        if value == ANY_STAGE:
            return queryset
        return queryset.filter(stage_q(value))

    def filter_status(self, queryset, name, value):
        return queryset.filter(status=value)

    def filter_can(self, queryset, name, value):
        return queryset.filter(
            Exists(
                AccessRequest.cans.through.objects.filter(
                    accessrequest_id=OuterRef("pk"), can=value
                )
            )
        )

    def filter_assignee(self, queryset, name, value):
        if value == MINE:
            return queryset.filter(assignee=self.user)
        if value == UNASSIGNED:
            return queryset.filter(assignee__isnull=True)
        return queryset.filter(assignee_id=value)

    def filter_flagged(self, queryset, name, value):
        condition = policy.flagged_condition()
        return queryset.filter(condition if value else ~condition)
