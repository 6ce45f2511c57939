from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from .forms import OrganizationForm
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
    Revocation,
    User,
    Vote,
)
from .visibility import requests_visible_to


@admin.register(User)
class UserAdmin(BaseUserAdmin):
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


class MembershipInline(admin.StackedInline):
    # Stacked, so each field has its own label: a tabular inline names its columns with
    # headers only, which leaves the inputs without an accessible name.
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]
    readonly_fields = ["accepted_by", "created_at"]
    fk_name = "organization"


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    form = OrganizationForm
    list_display = ["name", "kind", "funded_for_homeless_services"]
    list_filter = ["kind"]
    search_fields = ["name"]
    inlines = [MembershipInline]


@admin.register(CAN)
class CANAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Criterion)
class CriterionAdmin(admin.ModelAdmin):
    list_display = ["code", "policy_version", "is_disqualifier", "text"]
    list_filter = ["policy_version", "is_disqualifier"]


@admin.register(Revocation)
class RevocationAdmin(admin.ModelAdmin):
    """Also for revocations from before this system: they count under 1.10 all the same."""

    list_display = ["revoked_at", "organization", "person_email", "recorded_by"]
    search_fields = ["organization__name", "person_email"]
    autocomplete_fields = ["organization"]
    readonly_fields = ["recorded_by"]
    raw_id_fields = ["request"]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.recorded_by = request.user
        super().save_model(request, obj, form, change)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records nobody edits in place: the admin shows them, nothing more."""

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


class EventInline(ReadOnlyInline):
    model = Event
    fields = ["created_at", "kind", "actor", "from_status", "to_status", "note"]


@admin.register(AccessRequest)
class AccessRequestAdmin(ReadOnlyAdmin):
    list_display = ["reference", "organization", "status", "status_changed_at", "assignee"]
    list_filter = ["status", "cans", "statewide", "is_researcher"]
    search_fields = ["reference", "organization__name", "people__name", "people__email"]
    inlines = [PersonInline, EventInline]

    def get_queryset(self, request):
        return requests_visible_to(request.user).select_related("organization", "assignee")


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "request", "kind", "actor", "from_status", "to_status"]
    list_filter = ["kind"]
    search_fields = ["request__reference"]


for model in (Assessment, Vote, CANRecommendation, Decision, Comment, Notification):
    admin.site.register(model, ReadOnlyAdmin)
