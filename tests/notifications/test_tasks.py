"""Delivery through the task queue: with the database backend and its worker, a
failed send is retried with backoff and then shown to staff as failed; a task that runs again
sends nothing twice; a send whose worker died is taken back by the sweep."""

import datetime
import signal

import pytest
from django.core import mail
from django.core.management import call_command
from django.db.models import F
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from requests_app import tasks, workflow
from requests_app.models import Agreement, Event, Notification
from requests_app.notifications import services as notifications
from tests.support.journey import Journey
from tests.support.personas import make_personas

Delivery = Notification.Delivery
DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.fixture
def database_queue(settings):
    settings.TASKS = DATABASE_TASKS
    settings.NOTIFICATION_MAX_ATTEMPTS = 3
    settings.NOTIFICATION_RETRY_SECONDS = 60


@pytest.fixture
def worker():
    """Runs `manage.py db_worker --batch` as production would, and puts back the signal
    handlers it installs, so Ctrl-C still stops pytest."""
    handlers = {
        sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT)
    }

    def run():
        call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)

    yield run
    for sig, handler in handlers.items():
        signal.signal(sig, handler)


def time_passes(notice, **delta):
    """Move the notice's clock back by `delta`, as if that much time had gone by."""
    delta = datetime.timedelta(**delta)
    Notification.objects.filter(pk=notice.pk).update(
        claimed_at=F("claimed_at") - delta, next_try_at=F("next_try_at") - delta
    )


def past_the_timeout(settings):
    return {"minutes": settings.NOTIFICATION_SENDING_TIMEOUT_MINUTES + 1}


def make_due():
    """Time passes until every waiting retry is due: its task and its notice."""
    now = timezone.now()
    DBTaskResult.objects.filter(status="READY").update(run_after=now)
    Notification.objects.filter(delivery=Delivery.PENDING).update(next_try_at=now)


@pytest.mark.django_db(transaction=True)
def test_smtp_down_is_retried_with_backoff_then_shown_to_staff_as_failed_and_resent(
    catalogue, database_queue, worker, settings, client
):
    settings.EMAIL_BACKEND = "tests.support.mail_backends.SMTPDown"
    personas = make_personas()
    request = workflow.submit(Journey(personas).draft(cans=[]), personas.riley)
    notice = Notification.objects.get(request=request)
    # Committed, queued, and not sent until a worker runs.
    assert (notice.delivery, DBTaskResult.objects.count()) == (Delivery.PENDING, 1)

    waits = []
    for attempt in (1, 2):
        worker()
        notice.refresh_from_db()
        assert (notice.delivery, notice.attempts) == (Delivery.PENDING, attempt)
        assert notice.last_error == "SMTPException: Connection refused by the test's mail server"
        waits.append(round((notice.next_try_at - notice.claimed_at).total_seconds()))
        retry = DBTaskResult.objects.filter(status="READY").get()
        assert retry.run_after == notice.next_try_at
        worker()  # not due yet: nothing runs
        assert Notification.objects.get(pk=notice.pk).attempts == attempt
        make_due()
    worker()

    notice.refresh_from_db()
    assert (notice.delivery, notice.attempts, waits) == (Delivery.FAILED, 3, [60, 120])
    assert DBTaskResult.objects.filter(status="READY").count() == 0
    assert mail.outbox == []

    client.force_login(personas.sam)
    page = client.get("/failed-emails/").content.decode()
    assert request.reference in page and "SMTPException" in page

    # The mail server is back: staff send it again.
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert client.post(f"/failed-emails/{notice.pk}/retry").status_code == 302
    worker()
    notice.refresh_from_db()
    assert (notice.delivery, notice.attempts, notice.last_error) == (Delivery.SENT, 1, "")
    assert [m.to for m in mail.outbox] == [[personas.sam.email]]


@pytest.mark.django_db(transaction=True)
def test_with_a_worker_the_action_only_queues_and_the_worker_sends(
    catalogue, database_queue, worker
):
    personas = make_personas()
    request = workflow.submit(Journey(personas).draft(), personas.riley)

    assert mail.outbox == []
    assert (
        DBTaskResult.objects.filter(task_path="requests_app.tasks.deliver_notification").count()
        == 2
    )
    worker()

    assert sorted(m.to[0] for m in mail.outbox) == sorted([personas.sam.email, personas.lee.email])
    assert set(Notification.objects.filter(request=request).values_list("delivery", flat=True)) == {
        Delivery.SENT
    }


@pytest.fixture
def notice(journey, personas):
    """A committed-looking notice waiting for its e-mail (tests here call the task directly)."""
    request = journey.submitted(cans=[])
    return Notification.objects.get(request=request, recipient=personas.sam)


def send(notice):
    """The task, run as a worker runs it (the immediate backend catches what it raises)."""
    tasks.deliver_notification.enqueue(notice.pk)
    notice.refresh_from_db()
    return notice.delivery


def test_a_task_run_again_for_a_sent_notice_sends_nothing(notice):
    assert send(notice) == Delivery.SENT
    assert send(notice) == Delivery.SENT
    assert len(mail.outbox) == 1


def test_a_send_interrupted_before_the_mail_server_took_it_is_delivered_once(notice, settings):
    settings.EMAIL_BACKEND = "tests.support.mail_backends.DiesBeforeSending"
    assert send(notice) == Delivery.SENDING
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

    # The task runs again (a worker retried it) while the claim is fresh: nothing is sent.
    assert send(notice) == Delivery.SENDING
    assert notifications.sweep() == (0, 0)
    assert mail.outbox == []

    # Past the timeout the sweep takes the send back, and it goes out once.
    time_passes(notice, **past_the_timeout(settings))
    assert notifications.sweep() == (1, 1)
    notice.refresh_from_db()
    assert (notice.delivery, notice.attempts) == (Delivery.SENT, 2)
    assert [m.to for m in mail.outbox] == [[notice.recipient.email]]
    assert send(notice) == Delivery.SENT
    assert len(mail.outbox) == 1


def test_a_send_interrupted_after_the_mail_server_took_it_is_sent_again_with_its_message_id(
    notice, settings
):
    """The trade-off chosen (at-least-once): a worker that dies between the mail server taking
    the message and recording it sent leaves a duplicate, the only one the design allows, and
    it carries the first one's Message-ID."""
    settings.EMAIL_BACKEND = "tests.support.mail_backends.DiesAfterSending"
    assert send(notice) == Delivery.SENDING
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert len(mail.outbox) == 1

    assert send(notice) == Delivery.SENDING  # a rerun of the task within the timeout
    assert len(mail.outbox) == 1

    time_passes(notice, **past_the_timeout(settings))
    notifications.sweep()
    assert Notification.objects.get(pk=notice.pk).delivery == Delivery.SENT
    first, second = mail.outbox
    assert first.extra_headers["Message-ID"] == second.extra_headers["Message-ID"]


def test_a_send_whose_worker_died_on_the_last_try_is_shown_as_failed(notice, settings):
    settings.NOTIFICATION_MAX_ATTEMPTS = 1
    settings.EMAIL_BACKEND = "tests.support.mail_backends.DiesBeforeSending"
    assert send(notice) == Delivery.SENDING

    time_passes(notice, **past_the_timeout(settings))
    assert notifications.sweep() == (0, 1)
    notice.refresh_from_db()
    assert (notice.delivery, notice.last_error) == (
        Delivery.FAILED,
        "The worker stopped while sending; the e-mail may not have gone out.",
    )


def test_without_a_worker_a_failed_send_waits_for_the_sweep(notice, settings):
    settings.EMAIL_BACKEND = "tests.support.mail_backends.SMTPDown"
    assert send(notice) == Delivery.PENDING
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

    assert notifications.sweep() == (0, 0)  # the retry is not due yet
    assert send(notice) == Delivery.PENDING  # nor does a task sent early jump the wait
    time_passes(notice, seconds=settings.NOTIFICATION_RETRY_SECONDS + 1)
    assert notifications.sweep() == (1, 0)
    assert Notification.objects.get(pk=notice.pk).delivery == Delivery.SENT
    assert len(mail.outbox) == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.pdf
def test_with_a_worker_the_approval_only_queues_its_mou_and_the_worker_renders_it_once(
    catalogue, database_queue, worker, settings, tmp_path
):
    settings.PRIVATE_FILES_ROOT = tmp_path
    personas = make_personas()
    journey = Journey(personas)
    request = journey.approved()
    agreement = request.agreement
    # Nobody waits for a render on the approval: it is a task for the worker.
    queued = DBTaskResult.objects.filter(task_path="requests_app.tasks.render_mou")
    assert (agreement.mous.count(), queued.count()) == (0, 1)

    worker()
    worker()  # A second run finds nothing left to do.
    tasks.render_mou.enqueue(agreement.pk, 1)
    worker()  # The same version queued again renders nothing new.

    assert list(agreement.mous.values_list("version", "kind")) == [(1, "issued")]
    stored = agreement.mous.get()
    assert (tmp_path / stored.file.name).read_bytes()[:5] == b"%PDF-"


@pytest.mark.django_db(transaction=True)
def test_a_render_whose_worker_died_is_rendered_once_by_the_next_worker_to_start(
    catalogue, database_queue, worker, settings, tmp_path
):
    settings.PRIVATE_FILES_ROOT = tmp_path
    personas = make_personas()
    journey = Journey(personas)
    request = journey.approved()
    agreement = Agreement.objects.get(request=request)
    # A worker took the render and was killed: its task stays running and nothing is stored.
    renders = DBTaskResult.objects.filter(task_path="requests_app.tasks.render_mou")
    renders.update(status="RUNNING", started_at=timezone.now())
    minutes = settings.MOU_RENDER_TIMEOUT_MINUTES + 1
    Agreement.objects.filter(pk=agreement.pk).update(
        mou_queued_at=timezone.now() - datetime.timedelta(minutes=minutes)
    )

    worker()  # The next worker to start queues the render again, then runs it.
    worker()  # And the one after finds nothing lost.

    assert list(agreement.mous.values_list("version", "kind")) == [(1, "issued")]
    assert request.events.filter(kind=Event.Kind.MOU_ISSUED).count() == 1
    assert renders.filter(status="SUCCESSFUL").count() == 1
