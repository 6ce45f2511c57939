"""What `make run` prints before serving (manage.py dev_setup, then the demo the first time):
the demo logins and one line counting the e-mails the demo queued, never the e-mails; and,
once the demo is loaded, the logins again without loading anything."""

import pytest
from django.core import mail
from django.core.management import call_command

from requests_app.management.commands.demo import EMAILS_QUEUED, PASSWORD, PEOPLE, TOTP_KEY
from requests_app.models import AccessRequest, Event, Notification, User

# The demo's e-mails are sent when its transaction commits, as in a real run.
pytestmark = pytest.mark.django_db(transaction=True)

LOGINS = [f"  {email:<24} {PASSWORD}   {role}" for email, _, _, role in PEOPLE]
SECOND_FACTOR = (
    f"All but the requestor then give the code of the authenticator-app key {TOTP_KEY} "
    f"(add it to an app, or: oathtool --totp -b {TOTP_KEY})."
)


def dev_setup(capsys, settings):
    settings.DEBUG = True  # as make run sets it
    call_command("dev_setup")
    return capsys.readouterr().out.splitlines()


@pytest.mark.parametrize(
    "backend",
    [
        # Development's default (EMAIL_URL consolemail://): the e-mails are kept in memory.
        "django.core.mail.backends.console.EmailBackend",
        # Any other (a file, a mail catcher) gets them as usual; the tests' own is in memory.
        "django.core.mail.backends.locmem.EmailBackend",
    ],
    ids=["console", "other"],
)
def test_the_first_run_prints_the_logins_and_one_line_for_the_emails(capsys, settings, backend):
    settings.EMAIL_BACKEND = backend
    lines = dev_setup(capsys, settings)
    assert lines == [
        "Demo data loaded. Sign in with any of these:",
        *LOGINS,
        SECOND_FACTOR,
        EMAILS_QUEUED.format(Notification.objects.count()),
    ]
    # The e-mails were made, one for each notice, only not printed.
    assert len(mail.outbox) == Notification.objects.count()
    assert len(mail.outbox) > 0


def test_a_second_run_loads_nothing_and_prints_the_logins_again(capsys, settings):
    dev_setup(capsys, settings)
    mail.outbox.clear()
    models = (User, AccessRequest, Event, Notification)
    before = {model.__name__: model.objects.count() for model in models}
    lines = dev_setup(capsys, settings)
    assert lines == [
        "The demo data is already loaded (`python manage.py demo` loads it again). "
        "Sign in with any of these:",
        *LOGINS,
        SECOND_FACTOR,
    ]
    assert {model.__name__: model.objects.count() for model in models} == before
    assert mail.outbox == []
