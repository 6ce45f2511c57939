import functools

from django.conf import settings


def site(request):
    return {"committee_name": settings.COMMITTEE_NAME}


UNREAD_SHOWN = 99


def notices(request):
    """The unread count in the header: counted once per page, only if a page shows it, and
    only up to UNREAD_SHOWN + 1 (the badge says "99+" beyond): staff may have tens of thousands
    unread, and counting them all would cost every page (docs/performance.md)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    @functools.cache
    def unread():
        return (
            user.notifications.filter(read_at__isnull=True).values("pk")[: UNREAD_SHOWN + 1].count()
        )

    return {"unread_notices": unread}
