"""Automatic sign-out after inactivity: each person's limit, the moment of
their last activity kept in the session, the answers of an application step posted after the
session ended, and the endpoint the warning dialog (static/js/idle.js) asks and extends.

Everything lives in the session, which every signed-in page reads anyway: timing a page costs
no query, and writing the stamp only when it is older than STAMP_STEP_SECONDS keeps
consecutive pages from writing the session each time."""

import time

from django.conf import settings
from django.contrib.auth import SESSION_KEY, user_logged_in
from django.contrib.auth.decorators import login_required
from django.dispatch import receiver
from django.http import JsonResponse, QueryDict
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

# Session keys. LIMIT is the person's limit in seconds, decided at sign-in; LAST the moment
# (seconds since the epoch) of their last activity, to within STAMP_STEP_SECONDS.
LIMIT = "idle_limit"
LAST = "idle_last"
# In the anonymous session an idle sign-out leaves: whose session it ended, so a step's answers
# posted after it are kept for that person only; and the kept answers, by path.
SIGNED_OUT = "idle_signed_out"
KEPT = "idle_kept"

# The stamp is rewritten only when it is at least this old (or a tenth of the limit, for a
# limit of a few minutes): a person is signed out at most this much before their full limit.
STAMP_STEP_SECONDS = 60


def limit_minutes(user):
    if user.decides():
        return settings.IDLE_LOGOUT_DECIDING_MINUTES
    return settings.IDLE_LOGOUT_REQUESTOR_MINUTES


def now():
    return time.time()


@receiver(user_logged_in)
def _start_timing(sender, request, user, **kwargs):
    """The limit is decided once, at sign-in, so no page asks for the CAN leadership again.
    A deciding role's session cookie ends with the browser: staying signed in across a closed
    browser ("remember me") is not offered to anyone (settings.ACCOUNT_SESSION_REMEMBER), and
    this holds it whatever signs the person in."""
    session = getattr(request, "session", None)
    if session is None:
        return
    session[LIMIT] = round(limit_minutes(user) * 60)
    session[LAST] = now()
    session.pop(SIGNED_OUT, None)
    # Answers kept for someone else who used this browser stay theirs: dropped, never shown.
    kept = {
        path: entry for path, entry in session.get(KEPT, {}).items() if entry["user"] == user.pk
    }
    if kept:
        session[KEPT] = kept
    else:
        session.pop(KEPT, None)
    if user.decides():
        session.set_expiry(0)


def limit_of(request):
    """The signed-in person's limit in seconds, from the session; decided again (and kept,
    timed from now) only for a session that began before this rule."""
    session = request.session
    limit = session.get(LIMIT)
    if limit is None:
        limit = session[LIMIT] = round(limit_minutes(request.user) * 60)
    if LAST not in session:
        session[LAST] = now()
    return limit


def signed_in(session):
    return SESSION_KEY in session


def remaining(session, at=None):
    """Seconds left before the session ends for inactivity (negative once it has)."""
    at = now() if at is None else at
    return session[LAST] + session[LIMIT] - at


def stamp(session, force=False):
    at = now()
    step = min(STAMP_STEP_SECONDS, session[LIMIT] / 10)
    if force or LAST not in session or at - session[LAST] >= step:
        session[LAST] = at


def keep_answers(request, user_pk):
    """Keeps a step's posted fields (never its files) in the anonymous session, by path, for
    the person `user_pk` to find after signing in again."""
    fields = {
        name: values for name, values in request.POST.lists() if name != "csrfmiddlewaretoken"
    }
    kept = request.session.get(KEPT, {})
    kept[request.path] = {"user": user_pk, "fields": fields, "files": bool(request.FILES)}
    request.session[KEPT] = kept


def take_kept(request):
    """The answers kept for this path and this person, as posted, or None; taken only once.
    Kept answers of someone else (another person signed in on the same browser) are dropped."""
    kept = request.session.get(KEPT)
    if not kept or request.path not in kept:
        return None
    entry = kept.pop(request.path)
    request.session[KEPT] = kept
    if entry["user"] != request.user.pk:
        return None
    data = QueryDict(mutable=True)
    for name, values in entry["fields"].items():
        data.setlist(name, values)
    data.had_files = entry["files"]
    return data


def minutes(seconds):
    """The limit in words: "15 minutes", "1 minute", or seconds for a limit under a minute."""
    if seconds < 60:
        return f"{seconds} seconds"
    count = round(seconds / 60)
    return f"{count} minute{'s' if count != 1 else ''}"


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def activity(request):
    """GET: the seconds left, without counting as activity (IdleLogoutMiddleware leaves the
    stamp alone), so a tab left open asks before it warns: the person may be busy in another.
    POST ("Stay signed in"): counts as activity, whatever the stamp's age."""
    if request.method == "POST":
        stamp(request.session, force=True)
    return JsonResponse({"remaining": max(0, int(remaining(request.session)))})
