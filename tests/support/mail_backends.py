"""Real Django e-mail backends that fail the way a mail server or a worker does, for the
delivery tests: selected with the EMAIL_BACKEND setting, not by patching the code under test."""

import smtplib

from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend


class SMTPDown(BaseEmailBackend):
    """The mail server refuses every message."""

    def send_messages(self, email_messages):
        raise smtplib.SMTPException("Connection refused by the test's mail server")


class WorkerDied(BaseException):
    """The worker process ends here: nothing after it in the task runs, as with a SIGKILL."""


class DiesAfterSending(LocmemBackend):
    """The mail server takes the message, then the worker dies before recording that."""

    def send_messages(self, email_messages):
        super().send_messages(email_messages)
        raise WorkerDied


class DiesBeforeSending(BaseEmailBackend):
    """The worker dies while connecting: the message never reaches the mail server."""

    def send_messages(self, email_messages):
        raise WorkerDied
