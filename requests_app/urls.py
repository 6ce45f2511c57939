from django.urls import path, register_converter

from .accounts import idle, role_views
from .accounts import views as accounts
from .agreement import people_views as people
from .agreement import views as agreement
from .application import page
from .application import views as application
from .audit import views as audit
from .committee import views as committee
from .core.converters import ReferenceConverter
from .core.web import action_urls
from .dashboard import views as dashboard
from .notifications import views as notifications
from .pages import views as pages
from .screening import views as screening

# Path values match a strict pattern or the address is not found: a `str` value passes a NUL
# or a control character through to the database, which answers with an error, not a 404.
register_converter(ReferenceConverter, "reference")

urlpatterns = [
    path("", accounts.home, name="home"),
    path("healthz", accounts.healthz, name="healthz"),
    # Open to anyone, signed in or not: the policy the site implements, and help.
    path("policy/", pages.policy_page, name="policy"),
    path(
        "policy/granting-hmis-access-policy-v1.0.txt",
        pages.policy_download,
        name="policy_text",
    ),
    path("help/", pages.help_page, name="help"),
    # The idle warning's check and its "Stay signed in" (static/js/idle.js).
    path("session/activity", idle.activity, name="idle_activity"),
    path("requests/", application.my_requests, name="my_requests"),
    path("queue/", screening.queue, name="queue"),
    path("queue/export.csv", screening.queue_export, name="queue_export"),
    path("docket/", committee.docket, name="docket"),
    path("can/", screening.can_requests, name="can_requests"),
    path("organization/", accounts.organization, name="organization"),
    path("organization/new", accounts.organization_create, name="organization_create"),
    path("organization/join", accounts.organization_join, name="organization_join"),
    path(
        "organization/memberships/<int:pk>/accept",
        accounts.membership_accept,
        name="membership_accept",
    ),
    path(
        "organization/memberships/<int:pk>/decline",
        accounts.membership_decline,
        name="membership_decline",
    ),
    # An organization's signatory and security officer: members propose, staff confirm.
    path("organization/<int:pk>/roles/propose", role_views.role_propose, name="role_propose"),
    path("organization/roles/", role_views.organization_roles, name="organization_roles"),
    path("organization/roles/<int:pk>/confirm", role_views.role_confirm, name="role_confirm"),
    path("organization/roles/<int:pk>/decline", role_views.role_decline, name="role_decline"),
    path("requests/new", application.request_new, name="request_new"),
    path("r/<reference:reference>/", page.request_detail, name="request_detail"),
    path(
        "r/<reference:reference>/apply/<slug:step>",
        application.application_step,
        name="application_step",
    ),
    path("r/<reference:reference>/submit", application.application_submit, name="submit"),
    path("r/<reference:reference>/resubmit", application.application_resubmit, name="resubmit"),
    path("r/<reference:reference>/withdraw", application.application_withdraw, name="withdraw"),
    path("r/<reference:reference>/delete", application.draft_delete, name="delete"),
    path("r/<reference:reference>/draft-mou.pdf", application.mou_draft, name="mou_draft"),
    path(
        "r/<reference:reference>/application/v<int:number>.json",
        application.application_version,
        name="application_version",
    ),
    path("r/<reference:reference>/mou/", agreement.agreement, name="agreement"),
    path(
        "r/<reference:reference>/mou/v<int:version>.pdf",
        agreement.mou_download,
        name="mou_download",
    ),
    path("r/<reference:reference>/mou/renew", agreement.renewal_start, name="renew"),
    path("r/<reference:reference>/mou/review", agreement.review, name="review"),
    path("provisioning/", agreement.provisioning, name="provisioning"),
    path("my/agreement/", agreement.my_agreement, name="my_agreement"),
    path(
        "my/agreement/<int:person_id>/sign",
        agreement.my_agreement_sign,
        name="my_agreement_sign",
    ),
    path(
        "provisioning/export.csv",
        agreement.provisioning_export,
        name="provisioning_export",
    ),
    # Who holds access now, and whose access ended (agreement/people_views.py).
    path("register/", people.register, name="register"),
    path("register/export.csv", people.register_export, name="register_export"),
    path("organization/register/", people.organization_register, name="organization_register"),
    path(
        "organization/register/export.csv",
        people.organization_register_export,
        name="organization_register_export",
    ),
    path("deprovisioning/", people.deprovisioning, name="deprovisioning"),
    path(
        "deprovisioning/export.csv",
        people.deprovisioning_export,
        name="deprovisioning_export",
    ),
    path("r/<reference:reference>/files/<int:pk>", page.attachment, name="attachment"),
    # The read log: who has seen a request, and the whole log for administrators.
    path("r/<reference:reference>/reads/", audit.request_reads, name="request_reads"),
    path("audit/", audit.audit, name="audit"),
    path("audit/export.csv", audit.audit_export, name="audit_export"),
    # How the caseload is doing, for staff, the committee and the CANs' leaders.
    path("dashboard/", dashboard.dashboard, name="dashboard"),
    path("dashboard/<slug:table>.csv", dashboard.dashboard_export, name="dashboard_export"),
    # Every action with a form: requests_app/actions.py.
    *action_urls(),
]

# Notices, e-mail preferences and failed e-mails.
urlpatterns += [
    path("notices/", notifications.notices, name="notices"),
    path("notices/read", notifications.notices_mark_all_read, name="notices_mark_all_read"),
    path("notices/<int:pk>/", notifications.notice_open, name="notice_open"),
    path(
        "profile/notifications",
        notifications.notification_preferences,
        name="notification_preferences",
    ),
    path("failed-emails/", notifications.failed_emails, name="failed_emails"),
    path(
        "failed-emails/<int:pk>/retry",
        notifications.failed_email_retry,
        name="failed_email_retry",
    ),
]
