from django.urls import path

from . import views, views_application

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
    path("r/<str:reference>/", views.request_detail, name="request_detail"),
    path(
        "r/<str:reference>/apply/<slug:step>",
        views_application.application_step,
        name="application_step",
    ),
    path("r/<str:reference>/submit", views_application.application_submit, name="submit"),
    path("r/<str:reference>/resubmit", views_application.application_resubmit, name="resubmit"),
    path("r/<str:reference>/withdraw", views_application.application_withdraw, name="withdraw"),
    path("r/<str:reference>/delete", views_application.draft_delete, name="draft_delete"),
    path("r/<str:reference>/draft-mou.pdf", views_application.mou_draft, name="mou_draft"),
    path("r/<str:reference>/files/<int:pk>", views.attachment, name="attachment"),
    path("r/<str:reference>/take", views.take_request, name="take_request"),
    path("r/<str:reference>/return", views.return_request, name="return_request"),
    path("r/<str:reference>/assess/<int:criterion_id>", views.assess, name="assess"),
    path("r/<str:reference>/approve", views.approve, name="approve"),
    path("r/<str:reference>/deny", views.deny, name="deny"),
    path("r/<str:reference>/escalate", views.escalate, name="escalate"),
    path("r/<str:reference>/vote", views.vote, name="vote"),
    path("r/<str:reference>/decide", views.decide, name="decide"),
    path("r/<str:reference>/recommend", views.recommend, name="recommend"),
    path("r/<str:reference>/comment/<str:visibility>", views.comment, name="comment"),
]
