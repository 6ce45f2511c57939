import functools

from django.conf import settings


def site(request):
    return {"committee_name": settings.COMMITTEE_NAME}


def notices(request):
    """The unread count in the header: counted once per page, and only if a page shows it."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    @functools.cache
    def unread():
        return user.notifications.filter(read_at__isnull=True).count()

    return {"unread_notices": unread}
