"""A password rule Django's own validators lack: no site name and no e-mail address in it.
The other rules (length, likeness to the e-mail and the name, the common-password list, all
digits) are Django's, listed in settings.AUTH_PASSWORD_VALIDATORS; allauth's forms and the
admin's run them all."""

import re

from django.core.exceptions import ValidationError

# The product's names: a password made of them is the first one anybody guesses here.
SITE_NAMES = ("hmis", "hmisaccess")
# A local part shorter than this (jo@...) is too common a string to refuse in every password.
SHORTEST_REFUSED_LOCAL_PART = 4


def _letters_and_digits(text):
    """Lowercase, separators dropped: "HMIS-Access" and "hmis_access" are "hmisaccess"."""
    return re.sub(r"[\W_]+", "", text.lower())


class SiteNameValidator:
    """Refuses a password that contains the site's name or the person's e-mail local part,
    whatever the case and whatever separators stand between the letters."""

    def validate(self, password, user=None):
        compact = _letters_and_digits(password)
        if any(name in compact for name in SITE_NAMES):
            raise ValidationError(
                "This password contains the site's name (HMIS). Choose one that does not.",
                code="password_contains_site_name",
            )
        email = getattr(user, "email", "") or ""
        local_part = _letters_and_digits(email.partition("@")[0])
        if len(local_part) >= SHORTEST_REFUSED_LOCAL_PART and local_part in compact:
            raise ValidationError(
                "This password contains your e-mail address. Choose one that does not.",
                code="password_contains_email",
            )

    def get_help_text(self):
        return "Your password cannot contain the site's name (HMIS) or your e-mail address."
