import unicodedata

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse, reverse_lazy
from django.utils.html import format_html
from django.utils.module_loading import autodiscover_modules
from django.views.decorators.http import require_POST

from requests_app.accounts import sessions
from requests_app.core.paging import BoundedPaginator
from requests_app.core.visibility import requests_visible_to

from .accounts.forms import OrganizationForm
from .models import (
    CAN,
    AccessRequest,
    Assessment,
    CANRecommendation,
    Comment,
    Criterion,
    Decision,
    Event,
    Membership,
    NamedPerson,
    Notification,
    Organization,
    ReadLogEntry,
    Revocation,
    User,
    Vote,
    VotingRound,
)

# The admin speaks as the site. Its "View site" opens the help page: the site's root sends an
# administrator straight back to the admin (accounts/views.py HOME_PAGES), and the help page
# is the one page of the site meant for every role.
admin.site.site_header = "HMIS Access administration"
admin.site.site_title = "HMIS Access"
admin.site.index_title = "People, CANs and settings"
admin.site.site_url = reverse_lazy("help")


def _has_control_character(*texts):
    return any(unicodedata.category(character) == "Cc" for text in texts for character in text)


class ControlCharacterGuard:
    """Refuses a control character in a change list's query string or in a search, as Django
    refuses any other wrong filter. Django checks a filter value's type, but a NUL in a text
    filter (?status=%00) or a search reaches PostgreSQL, which raises an error: a 500. Nobody
    types a control character into a filter or a search box."""

    def get_changelist_instance(self, request):
        # Back to the unfiltered list with ?e=1, as for a filter on a field that is not there.
        if _has_control_character(*(t for k, v in request.GET.lists() for t in (k, *v))):
            raise IncorrectLookupParameters("A control character in the query string.")
        return super().get_changelist_instance(request)

    def get_search_results(self, request, queryset, search_term):
        # Also the search of an autocomplete field (a revocation's organization), whose view
        # asks this model's admin.
        if _has_control_character(search_term):
            return queryset.none(), False
        return super().get_search_results(request, queryset, search_term)


@admin.register(User)
class UserAdmin(ControlCharacterGuard, BaseUserAdmin):
    ordering = ["email"]
    list_display = [
        "email",
        "name",
        "is_cceh_staff",
        "is_committee_member",
        "is_committee_chair",
        "is_staff",
        "is_active",
    ]
    list_filter = [
        "is_cceh_staff",
        "is_committee_member",
        "is_committee_chair",
        "led_cans",
        "is_staff",
        "is_superuser",
        "is_active",
    ]
    search_fields = ["email", "name"]
    # Plain multiple selects: admin's filter_horizontal widget and split date-time inputs fail
    # WCAG 2.1 AA (unlabelled inputs, aria-label on a role-less span); the dates are
    # the system's record anyway, not something to edit.
    readonly_fields = ["last_login", "date_joined"]
    filter_horizontal = ()
    fieldsets = [
        (None, {"fields": ["email", "name", "password"]}),
        (
            "Roles",
            {"fields": ["is_cceh_staff", "is_committee_member", "is_committee_chair", "led_cans"]},
        ),
        (
            "Administration",
            {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]},
        ),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (None, {"classes": ["wide"], "fields": ["email", "name", "password1", "password2"]})
    ]
    actions = ["end_sessions"]

    def _end_sessions(self, request, user_ids):
        # The administrator's own session stays, should they pick themselves.
        ended = sessions.end_sessions(
            user_ids, sessions.ENDED_BY_ADMINISTRATOR, keep=request.session.session_key
        )
        noun = "session" if ended == 1 else "sessions"
        self.message_user(request, f"Ended {ended} {noun}. Each person must sign in again.")

    @admin.action(description="End the selected people's sessions", permissions=["change"])
    def end_sessions(self, request, queryset):
        self._end_sessions(request, list(queryset.values_list("pk", flat=True)))

    def get_urls(self):
        # The same, from a person's change page (templates/admin/requests_app/user/).
        end = self.admin_site.admin_view(require_POST(self.end_sessions_view))
        return [
            path("<int:pk>/end-sessions/", end, name="requests_app_user_end_sessions"),
            *super().get_urls(),
        ]

    def end_sessions_view(self, request, pk):
        user = get_object_or_404(User, pk=pk)
        if not self.has_change_permission(request, user):
            raise PermissionDenied
        self._end_sessions(request, [user.pk])
        return redirect("admin:requests_app_user_change", user.pk)


class MembershipInline(admin.StackedInline):
    # Stacked, so each field has its own label: a tabular inline names its columns with
    # headers only, which leaves the inputs without an accessible name.
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]
    readonly_fields = ["accepted_by", "created_at"]
    fk_name = "organization"


@admin.register(Organization)
class OrganizationAdmin(ControlCharacterGuard, admin.ModelAdmin):
    form = OrganizationForm
    list_display = ["name", "kind", "funded_for_homeless_services"]
    list_filter = ["kind"]
    search_fields = ["name"]
    inlines = [MembershipInline]


@admin.register(CAN)
class CANAdmin(ControlCharacterGuard, admin.ModelAdmin):
    list_display = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Criterion)
class CriterionAdmin(ControlCharacterGuard, admin.ModelAdmin):
    list_display = ["code", "policy_version", "is_disqualifier", "text"]
    list_filter = ["policy_version", "is_disqualifier"]


@admin.register(Revocation)
class RevocationAdmin(ControlCharacterGuard, admin.ModelAdmin):
    """Also for revocations from before this system: they count under 1.10 all the same.

    Added, never changed or deleted: the policy's good-standing check (1.10) reads these rows,
    so an edit would silently change past and future decisions. A correction is a new row."""

    list_display = ["revoked_at", "organization", "person_email", "recorded_by"]
    list_select_related = ["organization", "recorded_by"]
    search_fields = ["organization__name", "person_email"]
    autocomplete_fields = ["organization"]
    readonly_fields = ["recorded_by"]
    raw_id_fields = ["request"]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.recorded_by = request.user
        super().save_model(request, obj, form, change)

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        # Without delete permission the admin also drops the "delete selected" action.
        return False


class ReadOnlyAdmin(ControlCharacterGuard, admin.ModelAdmin):
    """Records nobody edits in place: the admin shows them, nothing more. The newest first, by
    the primary key's index: in their own order (the time they were made) a list of 1,000,000
    events sorted every row first (1 s, docs/performance.md). A list counts its rows as far as
    the site's lists do (past that, "more than 1,000"), and a filtered one says how many match
    without counting the whole table a second time."""

    ordering = ["-pk"]
    paginator = BoundedPaginator
    show_full_result_count = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class PersonInline(ReadOnlyInline):
    model = NamedPerson
    fields = ["name", "title", "email", "requested_level"]


@admin.register(AccessRequest)
class AccessRequestAdmin(ReadOnlyAdmin):
    list_display = ["reference", "organization", "status", "status_changed_at", "assignee"]
    list_filter = ["status", "cans", "statewide", "is_researcher"]
    search_fields = ["reference", "organization__name", "people__name", "people__email"]
    # The history is a link to the events' own list, a page at a time: as rows of this page, a
    # request with 5,000 events drew each with its own queries.
    readonly_fields = ["history"]
    inlines = [PersonInline]

    @admin.display(description="History")
    def history(self, obj):
        url = reverse("admin:requests_app_event_changelist")
        return format_html('<a href="{}?request__id__exact={}">Its events</a>', url, obj.pk)

    def get_queryset(self, request):
        return requests_visible_to(request.user).select_related("organization", "assignee")


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "request", "kind", "actor", "from_status", "to_status"]
    list_filter = ["kind"]
    search_fields = ["request__reference"]
    list_select_related = ["request", "actor"]


@admin.register(ReadLogEntry)
class ReadLogEntryAdmin(ReadOnlyAdmin):
    """Shown, never added, changed or deleted: the database refuses it too (migration 0019)."""

    list_display = ["created_at", "reader", "kind", "reference", "subject", "address"]
    list_filter = ["kind"]
    search_fields = ["reference", "reader__email"]
    list_select_related = ["reader"]


# Each list names its records by their __str__: what that reads is joined in the list's one
# query, not read again for each row.
for model, named_by in (
    (Assessment, ["criterion"]),
    (VotingRound, []),
    (Vote, ["voter"]),
    (CANRecommendation, ["can"]),
    (Decision, ["request"]),
    (Comment, ["author", "request"]),
    (Notification, ["recipient"]),
):
    admin.site.register(
        model,
        type(f"{model.__name__}Admin", (ReadOnlyAdmin,), {"list_select_related": named_by}),
    )


def _guard_every_admin(site):
    """The other apps' admins (groups, e-mail addresses, tasks) get the same guard. An app after
    this one in INSTALLED_APPS has not registered its admin yet, so every app's admin module is
    imported first, as the admin's own autodiscovery does; it then finds them imported."""
    autodiscover_modules("admin", register_to=site)
    for model, model_admin in list(site._registry.items()):
        if isinstance(model_admin, ControlCharacterGuard):
            continue
        base = type(model_admin)
        guarded = type(
            base.__name__, (ControlCharacterGuard, base), {"__module__": base.__module__}
        )
        site.unregister(model)
        site.register(model, guarded)


_guard_every_admin(admin.site)
