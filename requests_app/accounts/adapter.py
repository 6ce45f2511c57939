"""allauth, adapted where this project's rules differ from its defaults."""

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.internal.ratelimit import get_ip


class AccountAdapter(DefaultAccountAdapter):
    def _get_login_attempts_cache_key(self, request, **credentials):
        """Failed sign-ins are counted per account and address together (settings'
        ACCOUNT_RATE_LIMITS), not per account alone: with allauth's key, five wrong passwords
        from anywhere locked the account's owner out too. tests/accounts/test_lockout.py
        fails if an allauth upgrade stops asking this method."""
        return f"{super()._get_login_attempts_cache_key(request, **credentials)}:{get_ip(request)}"
