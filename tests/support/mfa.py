"""Second factors for test people, made through allauth's own API, and the code their
authenticator app would show now."""

import time

from allauth.mfa import app_settings
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import (
    TOTP,
    format_hotp_value,
    generate_totp_secret,
    hotp_value,
)
from allauth.mfa.utils import decrypt
from django.core.cache import cache


def enrol_totp(user, secret=None):
    """An authenticator app for `user`, as enrolling on the site makes one; returns its
    secret."""
    secret = secret or generate_totp_secret()
    TOTP.activate(user, secret)
    return secret


def enrol_recovery_codes(user):
    """A set of recovery codes for `user` (enrolling on the site makes one with the app);
    returns the codes."""
    return RecoveryCodes.activate(user).generate_codes()


def code_for(secret, at=None):
    """The code an authenticator app holding `secret` shows at time `at` (default now)."""
    counter = int(time.time() if at is None else at) // app_settings.TOTP_PERIOD
    return format_hotp_value(hotp_value(secret, counter))


def totp_secret(user):
    authenticator = Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP)
    return decrypt(authenticator.data["secret"])


def current_code(user, *, reusable=False):
    """The code `user`'s authenticator app shows now. allauth accepts a code once: a person
    signing in twice within one 30-second period waits for the next code. Browser journeys
    sign people in and out faster than that, so with `reusable` the earlier use is forgotten
    (allauth 65's replay marker in the cache) instead of waiting. A test of the refusal itself
    leaves it."""
    authenticator = Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP)
    # allauth accepts the code of the current 30-second window only (no tolerance): a code read
    # in a window's last moments could reach the server in the next one and be refused, so
    # then the next window's is awaited, as a person would wait for the app's next code.
    left = app_settings.TOTP_PERIOD - time.time() % app_settings.TOTP_PERIOD
    if left < 2:
        time.sleep(left)
    code = code_for(decrypt(authenticator.data["secret"]))
    if reusable:
        cache.delete(TOTP(authenticator)._get_used_cache_key(code))
    return code


def has_totp(user):
    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
