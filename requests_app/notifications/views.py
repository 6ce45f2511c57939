"""A person's notices, their e-mail preferences, and the e-mails that could not be sent."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from requests_app.core import permissions
from requests_app.core.paging import paginate
from requests_app.core.web import role_required
from requests_app.models import Notification
from requests_app.notifications import services as notifications
from requests_app.notifications.forms import NotificationPreferencesForm

NOTICES_PAGE_SIZE = 50
NEWEST_FIRST = ["-created_at", "-pk"]
# What both lists show of a notice: its title (notifications.title: the request's reference,
# its organization's name, the event's outcome) and when. The request's status too, which a
# request always loads: django-fsm reads it as the row is made.
SHOWN = (
    "kind",
    "created_at",
    "request__reference",
    "request__status",
    "request__organization__name",
    "event__to_status",
    # A notice of an organization's role: the proposal's role, person and organization.
    "role__role",
    "role__person__name",
    "role__organization__name",
)
RELATED = ("request__organization", "event", "role__person", "role__organization")


def titled(page):
    """The page's notices, each with its title."""
    for notice in page.rows:
        notice.title = notifications.title(notice)
    return page


@login_required
@require_GET
def notices(request):
    mine = request.user.notifications.select_related(*RELATED, "event__actor").only(
        *SHOWN, "recipient", "read_at", "event__actor__name", "event__actor__email"
    )
    page = paginate(
        request,
        mine,
        ordering=NEWEST_FIRST,
        size=NOTICES_PAGE_SIZE,
        noun=("notice", "notices"),
        newest_first=True,
    )
    return render(request, "requests_app/notifications/notices.html", {"page": titled(page)})


@login_required
@require_GET
def notice_open(request, pk):
    """Opening a notice marks it read and leads to the page where the person acts on it."""
    notice = get_object_or_404(request.user.notifications.select_related("request"), pk=pk)
    if notice.read_at is None:
        Notification.objects.filter(pk=notice.pk, read_at__isnull=True).update(
            read_at=timezone.now()
        )
    return redirect(notifications.action_path(notice))


@login_required
@require_POST
def notices_mark_all_read(request):
    marked = request.user.notifications.filter(read_at__isnull=True).update(read_at=timezone.now())
    messages.success(request, f"{marked} notice{'' if marked == 1 else 's'} marked as read.")
    return redirect("notices")


@login_required
def notification_preferences(request):
    posted = request.POST if request.method == "POST" else None
    form = NotificationPreferencesForm(posted, user=request.user)
    if request.method == "POST" and form.is_valid():
        notifications.set_email_choices(request.user, form.choices())
        messages.success(request, "Your e-mail choices are saved.")
        return redirect("notification_preferences")
    return render(
        request,
        "requests_app/notifications/preferences.html",
        {"form": form},
        status=400 if form.is_bound else 200,
    )


@role_required(permissions.is_cceh_staff)
@require_GET
def failed_emails(request):
    failed = (
        notifications.failed_deliveries()
        .select_related(*RELATED)
        .only(*SHOWN, "attempts", "last_error", "recipient__name", "recipient__email")
    )
    page = paginate(
        request,
        failed,
        ordering=NEWEST_FIRST,
        size=NOTICES_PAGE_SIZE,
        noun=("failed e-mail", "failed e-mails"),
        newest_first=True,
    )
    return render(request, "requests_app/notifications/failed_emails.html", {"page": titled(page)})


@role_required(permissions.is_cceh_staff)
@require_POST
def failed_email_retry(request, pk):
    notice = get_object_or_404(notifications.failed_deliveries(), pk=pk)
    notifications.retry(notice)
    about = notice.request or notice.role.organization
    messages.success(
        request, f"The e-mail to {notice.recipient} about {about} is being sent again."
    )
    return redirect("failed_emails")
