from django.urls import path, register_converter

from . import views, views_agreement, views_application, views_notices
from .converters import ReferenceConverter

# Path values match a strict pattern or the address is not found: a `str` value passes a NUL
# or a control character through to the database, which answers with an error, not a 404.
register_converter(ReferenceConverter, "reference")

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("requests/", views.my_requests, name="my_requests"),
    path("queue/", views.queue, name="queue"),
    path("queue/export.csv", views.queue_export, name="queue_export"),
    path("docket/", views.docket, name="docket"),
    path("can/", views.can_requests, name="can_requests"),
    path("organization/", views.organization, name="organization"),
    path("organization/new", views.organization_create, name="organization_create"),
    path("organization/join", views.organization_join, name="organization_join"),
    path(
        "organization/memberships/<int:pk>/accept",
        views.membership_accept,
        name="membership_accept",
    ),
    path(
        "organization/memberships/<int:pk>/decline",
        views.membership_decline,
        name="membership_decline",
    ),
    path("requests/new", views_application.request_new, name="request_new"),
    path("r/<reference:reference>/", views.request_detail, name="request_detail"),
    path(
        "r/<reference:reference>/apply/<slug:step>",
        views_application.application_step,
        name="application_step",
    ),
    path("r/<reference:reference>/submit", views_application.application_submit, name="submit"),
    path(
        "r/<reference:reference>/resubmit", views_application.application_resubmit, name="resubmit"
    ),
    path(
        "r/<reference:reference>/withdraw", views_application.application_withdraw, name="withdraw"
    ),
    path("r/<reference:reference>/delete", views_application.draft_delete, name="draft_delete"),
    path("r/<reference:reference>/draft-mou.pdf", views_application.mou_draft, name="mou_draft"),
    path(
        "r/<reference:reference>/application/v<int:number>.json",
        views_application.application_version,
        name="application_version",
    ),
    path("r/<reference:reference>/mou/", views_agreement.agreement, name="agreement"),
    path(
        "r/<reference:reference>/mou/v<int:version>.pdf",
        views_agreement.mou_download,
        name="mou_download",
    ),
    path("r/<reference:reference>/mou/sign", views_agreement.mou_sign, name="mou_sign"),
    path(
        "r/<reference:reference>/mou/countersign",
        views_agreement.mou_countersign,
        name="mou_countersign",
    ),
    path("r/<reference:reference>/mou/amend", views_agreement.mou_amend, name="mou_amend"),
    path("r/<reference:reference>/mou/training", views_agreement.training_record, name="training"),
    path("r/<reference:reference>/mou/activate", views_agreement.access_activate, name="activate"),
    path("r/<reference:reference>/mou/revoke", views_agreement.access_revoke, name="revoke"),
    path("r/<reference:reference>/mou/prepare", views_agreement.mou_prepare, name="mou_prepare"),
    path("r/<reference:reference>/mou/renew", views_agreement.renewal_start, name="renew"),
    path("provisioning/", views_agreement.provisioning, name="provisioning"),
    path(
        "provisioning/export.csv",
        views_agreement.provisioning_export,
        name="provisioning_export",
    ),
    path("r/<reference:reference>/files/<int:pk>", views.attachment, name="attachment"),
    path("r/<reference:reference>/take", views.take_request, name="take_request"),
    path("r/<reference:reference>/return", views.return_request, name="return_request"),
    path("r/<reference:reference>/assess/<int:criterion_id>", views.assess, name="assess"),
    path("r/<reference:reference>/approve", views.approve, name="approve"),
    path("r/<reference:reference>/deny", views.deny, name="deny"),
    path("r/<reference:reference>/escalate", views.escalate, name="escalate"),
    path("r/<reference:reference>/vote", views.vote, name="vote"),
    path("r/<reference:reference>/decide", views.decide, name="decide"),
    path("r/<reference:reference>/recommend", views.recommend, name="recommend"),
    path("r/<reference:reference>/comment/<slug:visibility>", views.comment, name="comment"),
]

# Notices, e-mail preferences and failed e-mails.
urlpatterns += [
    path("notices/", views_notices.notices, name="notices"),
    path("notices/read", views_notices.notices_mark_all_read, name="notices_mark_all_read"),
    path("notices/<int:pk>/", views_notices.notice_open, name="notice_open"),
    path(
        "profile/notifications",
        views_notices.notification_preferences,
        name="notification_preferences",
    ),
    path("failed-emails/", views_notices.failed_emails, name="failed_emails"),
    path(
        "failed-emails/<int:pk>/retry",
        views_notices.failed_email_retry,
        name="failed_email_retry",
    ),
]
