"""Two-factor sign-in (allauth.mfa): required of every role that decides, optional for
requestors (README, Security).

A person whose role decides (CCEH staff, a committee member or the chair, a CAN leader, an
administrator) and who has no authenticator app or security key is sent to set one up from
every page but signing in and out and the two-factor pages themselves, with a message saying
why; a POST is refused the same way, before its view runs.

Whether the person leads a CAN and whether they have a second factor are read when they sign
in, in one query, and kept in their session: the other roles are flags on the user row every
request reads anyway, so no page of an enrolled person costs a query more
(docs/performance.md). Adding or removing an authenticator reads them again. Only a person
the session says has none, and whose role decides, is read again on each page, so one who
enrolled in another browser is let through at once."""

from functools import cached_property

from allauth.mfa.base import forms as base_forms
from allauth.mfa.models import Authenticator
from allauth.mfa.signals import authenticator_added, authenticator_removed
from allauth.mfa.totp import forms as totp_forms
from django.contrib import messages
from django.contrib.auth.signals import user_logged_in
from django.db.models import Exists, OuterRef
from django.dispatch import receiver
from django.shortcuts import redirect

from requests_app.models import User

SESSION_KEY = "second_factor"
# Recovery codes only back up one of these; they are never a second factor on their own.
SECOND_FACTORS = [Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN]
# Where a person who must enrol may still go: signing in and out (the admin's sign-out too),
# allauth's two-factor pages (their names all start with "mfa_": set-up, recovery codes,
# re-authentication), and help and the policy, which every page's footer links (WCAG 3.2.6).
OPEN_PAGES = {
    "account_login",
    "account_logout",
    "account_reauthenticate",
    "admin:logout",
    "help",
    "policy",
    "policy_text",
}
SET_UP_PAGE = "mfa_activate_totp"


def second_factor_state(user):
    """What sign-in keeps in the session for the rule: {"leads": ..., "enrolled": ...}."""
    return (
        User.objects.filter(pk=user.pk)
        .annotate(
            leads=Exists(User.led_cans.through.objects.filter(user=OuterRef("pk"))),
            enrolled=Exists(
                Authenticator.objects.filter(user=OuterRef("pk"), type__in=SECOND_FACTORS)
            ),
        )
        .values("leads", "enrolled")
        .get()
    )


def remember(request, user):
    """Reads and keeps in the session what the rule needs: does `user` lead a CAN, do they
    have a second factor."""
    state = request.session[SESSION_KEY] = second_factor_state(user)
    return state


@receiver(user_logged_in, dispatch_uid="second_factor_on_login")
def _on_login(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        remember(request, user)


@receiver(authenticator_added, dispatch_uid="second_factor_added")
@receiver(authenticator_removed, dispatch_uid="second_factor_removed")
def _on_change(sender, request, user, **kwargs):
    remember(request, user)


class SecondFactorRequiredMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = request.user
        if not user.is_authenticated:
            return None
        name = request.resolver_match.view_name
        if name in OPEN_PAGES or name.startswith("mfa_"):
            return None
        state = request.session.get(SESSION_KEY)
        if state is None or not state["enrolled"]:
            if state is not None and not user.deciding_roles(state["leads"]):
                return None
            state = remember(request, user)
        roles = user.deciding_roles(state["leads"])
        if state["enrolled"] or not roles:
            return None
        messages.warning(
            request,
            f"Your {'roles' if len(roles) > 1 else 'role'} as {_and(roles)} "
            f"{'require' if len(roles) > 1 else 'requires'} two-factor sign-in. Set up an "
            "authenticator app or a security key before you continue.",
        )
        return redirect(SET_UP_PAGE)


def _and(names):
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


# allauth's forms with labels that say what to type (settings.MFA_FORMS).


class AuthenticateForm(base_forms.AuthenticateForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["code"].label = "Authenticator or recovery code"
        self.fields[
            "code"
        ].help_text = (
            "The 6-digit code your authenticator app shows now, or one of your recovery codes."
        )
        self.fields["code"].widget.attrs.pop("placeholder", None)

    @cached_property
    def has_security_key(self):
        """Offer the security key only to a person who has added one."""
        return Authenticator.objects.filter(
            user=self.user, type=Authenticator.Type.WEBAUTHN
        ).exists()


class ReauthenticateForm(base_forms.ReauthenticateForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["code"].label = "Authenticator or recovery code"
        self.fields["code"].widget.attrs.pop("placeholder", None)


class ActivateTOTPForm(totp_forms.ActivateTOTPForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["code"].label = "Code from your authenticator app"
        self.fields["code"].help_text = "The 6-digit code the app shows for HMIS Access."
        self.fields["code"].widget.attrs.pop("placeholder", None)
