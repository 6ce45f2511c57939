import functools

from django.conf import settings
from django.db.models import Exists, OuterRef

from requests_app.accounts import idle as idle_rule
from requests_app.agreement.due import verified_emails
from requests_app.core.paging import BoundedCount
from requests_app.core.states import AgreementStatus
from requests_app.models import Agreement, Membership, NamedPerson, Notification, User

UNREAD_SHOWN = 99


def site(request):
    return {"committee_name": settings.COMMITTEE_NAME}


@functools.cache
def _header_query():
    """What the header reads of everyone, built once per process: building these subqueries
    cost about as much as running them (0.9 of 1.9 ms), on every page (docs/performance.md).
    Each page filters it to its person, which makes a new query and leaves this one unread."""
    unread = Notification.objects.filter(recipient=OuterRef("pk"), read_at__isnull=True)
    return (
        User.objects.annotate(
            member=Exists(Membership.objects.filter(user=OuterRef("pk"))),
            leads=Exists(User.led_cans.through.objects.filter(user=OuterRef("pk"))),
            # Named on a live MOU by a verified e-mail: their own user agreement's page. The
            # MOU asked for by its request's key, not through a join of the request table,
            # whose partial indexes PostgreSQL tries against the query while planning it: on
            # every page, 0.51 ms of planning that way, 0.25 this way (docs/performance.md).
            named=Exists(
                NamedPerson.objects.filter(
                    email__in=verified_emails(OuterRef(OuterRef("pk"))),
                    request_id__in=Agreement.objects.filter(status__in=AgreementStatus.LIVE).values(
                        "request_id"
                    ),
                )
            ),
            unread=BoundedCount(unread.order_by().values("pk")[: UNREAD_SHOWN + 1]),
        )
        .values("member", "leads", "named", "unread")
        .order_by()
    )


def header(request):
    """What the header shows of the person (the links their roles open, the unread count), read
    in one query, only if a page shows the header. The count stops at UNREAD_SHOWN + 1 (the
    badge says "99+" beyond): staff may have tens of thousands unread, and counting them all
    would cost every page (docs/performance.md)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    @functools.cache
    def read():
        return _header_query().filter(pk=user.pk).get()

    return {"header": read}


def idle(request):
    """The idle deadline of a signed-in person, for the warning (templates/includes/idle.html,
    static/js/idle.js): read from the session, no query."""
    session = getattr(request, "session", None)
    if session is None or not idle_rule.signed_in(session) or idle_rule.LIMIT not in session:
        return {}
    return {
        "idle": {
            "remaining": max(0, int(idle_rule.remaining(session))),
            "limit": idle_rule.minutes(session[idle_rule.LIMIT]),
            "warning": settings.IDLE_WARNING_SECONDS,
        }
    }
