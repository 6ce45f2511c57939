"""Session rules: a person who decides holds one session at a time, a change of roles ends a
person's sessions, and an administrator can end them. Each signed-in session is recorded
(UserSession) at sign-in, so ending a person's sessions reads their keys, not the session
table. An ended session is not deleted: its data is replaced by the reason it ended, so its
next request says why before it lands on the sign-in page, without a query on other pages."""

from allauth.core.internal.httpkit import get_client_ip
from django.contrib import messages
from django.contrib.auth.signals import user_logged_in
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone

from requests_app.accounts.models import Membership, User, UserSession

# The key an ended session holds instead of its data, and what each reason tells the person.
ENDED = "ended_because"
SIGNED_IN_ELSEWHERE = "signed_in_elsewhere"
ROLES_CHANGED = "roles_changed"
ENDED_BY_ADMINISTRATOR = "ended_by_administrator"
REASONS = {
    SIGNED_IN_ELSEWHERE: "You were signed out here because your account signed in on another "
    "device or browser. Sign in again to continue here.",
    ROLES_CHANGED: "Your roles changed, so you were signed out. Sign in again to continue "
    "with your new roles.",
    ENDED_BY_ADMINISTRATOR: "An administrator ended your session. Sign in again to continue.",
}


def end_sessions(user_ids, reason, keep=None):
    """Ends the live sessions of these people (but `keep`, a session key) and returns how
    many were live. Their next request finds `reason` in place of their data."""
    records = UserSession.objects.filter(user_id__in=user_ids)
    if keep is not None:
        records = records.exclude(session_id=keep)
    keys = list(records.values_list("session_id", flat=True))
    if not keys:
        return 0
    ended = Session.objects.filter(session_key__in=keys, expire_date__gt=timezone.now()).update(
        session_data=SessionStore().encode({ENDED: reason})
    )
    UserSession.objects.filter(session_id__in=keys).delete()
    return ended


def record(request, user):
    if request.session.session_key is None:
        # Signing in over another person's session flushes it: its successor has no key yet.
        request.session.save()
    # Signing in again over one's own session keeps its key (django.contrib.auth.login).
    UserSession.objects.update_or_create(
        session_id=request.session.session_key,
        defaults={"user": user, "ip": get_client_ip(request)},
    )


def rotate(request):
    """The person's own action changed their roles (they set up an organization): this session
    goes on under a new key, recorded as theirs; their other sessions were ended."""
    request.session.cycle_key()
    record(request, request.user)


@receiver(user_logged_in)
def one_session_for_who_decides(sender, request, user, **kwargs):
    # Django's login() has already given the session a new key (django.contrib.auth.login),
    # keeping its data: a sign-in over an ended session no request has yet cleared must not
    # carry the end into the new one.
    request.session.pop(ENDED, None)
    record(request, user)
    if not user.decides():
        return
    ended = end_sessions([user.pk], SIGNED_IN_ELSEWHERE, keep=request.session.session_key)
    if ended:
        sessions = "session" if ended == 1 else "sessions"
        messages.info(
            request,
            f"Signing in here ended your {ended} other {sessions}: people who decide on "
            "requests keep one session at a time.",
            fail_silently=True,  # Django's test client signs in with a bare request
        )


class EndedSessionMiddleware:
    """An ended session's next request: the reason becomes a message, the session a new empty
    one, and the page's own rule sends the now anonymous person to sign in. The session is
    loaded by the sign-in check of every page anyway, so reading it here costs no query."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        reason = request.session.get(ENDED)
        if reason is not None:
            request.session.flush()
            messages.warning(request, REASONS[reason])
        return self.get_response(request)


# Role changes. Each model remembers the roles it was read with (its from_db); a save that
# changes them ends the person's sessions. Updates by queryset bypass this, as they bypass
# every save rule; nothing in the project changes roles that way.


def _roles_changed(instance, created, update_fields):
    """Whether this save changed the instance's roles, as read from the database or last saved."""
    fields = set(instance.ROLE_FIELDS)
    if fields & instance.get_deferred_fields():
        return False  # read without its roles (.only()), so a save cannot have changed them
    if update_fields is not None and not fields & set(update_fields):
        return False
    before = getattr(instance, "_saved_roles", None)
    instance._saved_roles = instance.roles()
    return not created and before is not None and before != instance._saved_roles


@receiver(post_save, sender=User)
def user_roles_changed(sender, instance, created, update_fields, **kwargs):
    if _roles_changed(instance, created, update_fields):
        end_sessions([instance.pk], ROLES_CHANGED)


@receiver(m2m_changed, sender=User.led_cans.through)
def can_leadership_changed(sender, instance, action, reverse, pk_set, **kwargs):
    if action in ("post_add", "post_remove") and pk_set:
        user_ids = pk_set if reverse else [instance.pk]
    elif action == "pre_clear":
        user_ids = list(instance.leaders.values_list("pk", flat=True)) if reverse else [instance.pk]
    else:
        return
    end_sessions(user_ids, ROLES_CHANGED)


@receiver(post_save, sender=Membership)
def membership_changed(sender, instance, created, update_fields, **kwargs):
    changed = _roles_changed(instance, created, update_fields)
    # Asking to join grants nothing until a member accepts.
    if changed or (created and instance.state == Membership.State.ACTIVE):
        end_sessions([instance.user_id], ROLES_CHANGED)


@receiver(post_delete, sender=Membership)
def membership_ended(sender, instance, **kwargs):
    if instance.state == Membership.State.ACTIVE:
        end_sessions([instance.user_id], ROLES_CHANGED)
