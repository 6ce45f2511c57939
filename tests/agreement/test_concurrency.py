"""Two people acting on one MOU at the same moment, on two real PostgreSQL connections: a
correction against a signature, in both orders and at once, two staff provisioning the same
person (or closing the same person's account), an action while the MOU renders, and two renders
of one version. SQLite cannot hold two transactions open, hence PostgreSQL."""

import threading

import pytest
from django.db import transaction
from django.db.models.signals import post_save
from django.utils import timezone

from requests_app import workflow
from requests_app.agreement import departures, deprovisioning, mou
from requests_app.core import actions
from requests_app.core.states import AccessLevel, AgreementStatus
from requests_app.models import Agreement, Event, MOUVersion, PersonAccess, Signature
from tests.support.journey import agree
from tests.support.races import RACES, Actor, race

pytestmark = RACES

TITLE = "Director of Community Programs"
IP = "203.0.113.7"


@pytest.fixture(autouse=True)
def private_files(settings, tmp_path):
    settings.PRIVATE_FILES_ROOT = tmp_path / "private"


def fresh(agreement):
    return Agreement.objects.select_related("request").get(pk=agreement.pk)


def issue(journey, personas):
    """An approval with version 1 stored (with no worker and outside a request, its render runs
    at once after commit)."""
    request = journey.ready_to_approve()
    workflow.approve(request, personas.sam, journey.levels(request, AccessLevel.VIEW))
    return Agreement.objects.select_related("request").get(request=request)


class Pages:
    """What the signer's and the corrector's pages showed, read before either acted."""

    def __init__(self, agreement):
        self.agreement = fresh(agreement)
        self.seen = actions.version(self.agreement)
        self.given = self.agreement.current_mou().identity()

    def sign(self, personas):
        return lambda: workflow.sign_mou(
            self.agreement,
            personas.riley,
            "Riley Requestor",
            TITLE,
            True,
            IP,
            seen=self.seen,
            given=self.given,
        )

    def correct(self, personas):
        ada = self.agreement.request.people.get()
        return lambda: workflow.amend_mou(
            self.agreement,
            personas.sam,
            "Lower the level.",
            levels={ada: AccessLevel.REPORTING},
            seen=self.seen,
        )


def assert_never_signed_over_a_superseded_text(agreement):
    """A signature stands only on the version that was newest when it was given, and no
    correction was asked for before it without the organization signing again."""
    agreement = fresh(agreement)
    for signature in Signature.objects.filter(agreement=agreement):
        signed = Event.objects.get(request=agreement.request, kind=Event.Kind.MOU_SIGNED)
        corrected_before = Event.objects.filter(
            request=agreement.request, kind=Event.Kind.MOU_AMENDED, pk__lt=signed.pk
        )
        assert not corrected_before.exists()
        assert signature.mou.version == 1
        assert signature.mou_sha256 == signature.mou.sha256


def test_a_correction_first_refuses_the_signature_given_on_the_version_before(journey, personas):
    agreement = issue(journey, personas)
    pages = Pages(agreement)

    winner, loser = race(pages.correct(personas), pages.sign(personas), sender=Agreement)

    assert winner.error is None
    assert isinstance(loser.error, actions.ActionRefused)
    assert Signature.objects.count() == 0
    assert fresh(agreement).status == AgreementStatus.ISSUED
    assert list(fresh(agreement).mous.values_list("version", "kind")) == [
        (1, MOUVersion.Kind.ISSUED),
        (2, MOUVersion.Kind.AMENDED),
    ]


def test_a_signature_first_refuses_the_correction_read_before_it(journey, personas):
    agreement = issue(journey, personas)
    pages = Pages(agreement)

    winner, loser = race(pages.sign(personas), pages.correct(personas), sender=Agreement)

    assert winner.error is None
    assert isinstance(loser.error, actions.Conflict)
    assert fresh(agreement).status == AgreementStatus.SIGNED
    assert Event.objects.filter(kind=Event.Kind.MOU_AMENDED).count() == 0
    assert_never_signed_over_a_superseded_text(agreement)


def test_a_correction_and_a_signature_at_once_apply_exactly_one(journey, personas):
    for _ in range(8):
        agreement = issue(journey, personas)
        pages = Pages(agreement)
        start = threading.Barrier(2)

        def at_once(action, start=start):
            def go():
                start.wait(timeout=10)
                return action()

            return go

        sides = [Actor(at_once(pages.sign(personas))), Actor(at_once(pages.correct(personas)))]
        for side in sides:
            side.start()
        for side in sides:
            side.join(timeout=20)

        signed, corrected = (side.error is None for side in sides)
        assert signed != corrected, [side.error for side in sides]
        assert Signature.objects.filter(agreement=agreement).count() == int(signed)
        assert_never_signed_over_a_superseded_text(agreement)


def test_two_staff_provisioning_the_same_person_at_once_record_it_once(
    journey, personas, django_user_model
):
    agreement = issue(journey, personas)
    workflow.sign_mou(agreement, personas.riley, "Riley Requestor", TITLE, True, IP)
    agreement = fresh(agreement)
    workflow.countersign_mou(agreement, personas.sam, "Sam Staff", "Admin", True, IP)
    agreement = fresh(agreement)
    person = agreement.request.people.get()
    workflow.record_training(agreement, personas.sam, person, timezone.localdate(), "Course")
    agree(person)
    workflow.activate_access(fresh(agreement), personas.sam)
    access = PersonAccess.objects.get()
    colleague = django_user_model.objects.create_user(
        "kim@cceh.example.org", "x", name="Kim Colleague", is_cceh_staff=True
    )

    winner, loser = race(
        lambda: workflow.provision_access(personas.sam, [access]),
        lambda: workflow.provision_access(colleague, [access]),
        pause_at=post_save,
        sender=PersonAccess,
    )

    assert winner.error is None
    assert isinstance(loser.error, actions.ActionRefused)
    assert PersonAccess.objects.get().provisioned_by == personas.sam
    provisioned = Event.objects.filter(kind=Event.Kind.ACCESS_PROVISIONED)
    assert list(provisioned.values_list("actor__name", flat=True)) == ["Sam Staff"]


# The render runs outside the agreement's row lock, which it takes only to store the version.

NO_WORKER = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}


def asked_not_rendered(journey, personas, settings):
    """An approval whose version 1 is asked for, its render queued where nothing runs it."""
    settings.TASKS = NO_WORKER
    return issue(journey, personas)


def render_then(monkeypatch, wait):
    """Each MOU render, once WeasyPrint is done, calls `wait` before it goes on to store."""
    render_pdf = mou.render_pdf

    def paused(*args, **kwargs):
        pdf = render_pdf(*args, **kwargs)
        wait()
        return pdf

    monkeypatch.setattr(mou, "render_pdf", paused)


def touch(agreement):
    """What every action on the MOU does first: lock its row (here without waiting for it) and
    raise its revision."""
    with transaction.atomic():
        actions.bump(Agreement.objects.select_for_update(nowait=True).get(pk=agreement.pk))


def test_another_transaction_updates_the_agreement_while_its_mou_renders(
    journey, personas, settings, monkeypatch
):
    agreement = asked_not_rendered(journey, personas, settings)
    rendered, release = threading.Event(), threading.Event()
    render_then(monkeypatch, lambda: (rendered.set(), release.wait(timeout=10)))
    renderer = Actor(lambda: workflow.render_mou_version(agreement.pk, 1))
    renderer.start()
    assert rendered.wait(timeout=10)

    writer = Actor(lambda: touch(agreement))
    writer.start()
    writer.join(timeout=10)
    release.set()
    renderer.join(timeout=10)

    assert (writer.is_alive(), writer.error, renderer.error) == (False, None, None)
    assert list(fresh(agreement).mous.values_list("version", flat=True)) == [1]
    assert actions.version(fresh(agreement)) != actions.version(agreement)


def test_two_renders_of_one_version_at_once_store_it_once_and_keep_one_file(
    journey, personas, settings, monkeypatch
):
    agreement = asked_not_rendered(journey, personas, settings)
    both_rendered = threading.Barrier(2)
    render_then(monkeypatch, lambda: both_rendered.wait(timeout=10))
    renders = [Actor(lambda: workflow.render_mou_version(agreement.pk, 1)) for _ in range(2)]
    for render in renders:
        render.start()
    for render in renders:
        render.join(timeout=20)

    assert [render.error for render in renders] == [None, None]
    stored = MOUVersion.objects.get(agreement=agreement)
    assert sorted(render.result is None for render in renders) == [False, True]
    folder = settings.PRIVATE_FILES_ROOT / "mou" / agreement.request.reference
    assert [f"mou/{agreement.request.reference}/{f.name}" for f in folder.iterdir()] == [
        stored.file.name
    ]
    assert Event.objects.filter(kind=Event.Kind.MOU_ISSUED).count() == 1


def test_two_staff_closing_the_same_account_at_once_record_it_once(
    journey, personas, django_user_model
):
    agreement = issue(journey, personas)
    workflow.sign_mou(agreement, personas.riley, "Riley Requestor", TITLE, True, IP)
    agreement = fresh(agreement)
    workflow.countersign_mou(agreement, personas.sam, "Sam Staff", "Admin", True, IP)
    agreement = fresh(agreement)
    person = agreement.request.people.get()
    workflow.record_training(agreement, personas.sam, person, timezone.localdate(), "Course")
    agree(person)
    workflow.activate_access(fresh(agreement), personas.sam)
    access = PersonAccess.objects.get()
    departures.report_departure(fresh(agreement), personas.riley, access, timezone.localdate())
    colleague = django_user_model.objects.create_user(
        "kim@cceh.example.org", "x", name="Kim Colleague", is_cceh_staff=True
    )

    winner, loser = race(
        lambda: deprovisioning.deprovision_access(personas.sam, [access]),
        lambda: deprovisioning.deprovision_access(colleague, [access]),
        pause_at=post_save,
        sender=PersonAccess,
    )

    assert winner.error is None
    assert isinstance(loser.error, actions.ActionRefused)
    assert PersonAccess.objects.get().deprovisioned_by == personas.sam
    closed = Event.objects.filter(kind=Event.Kind.ACCESS_DEPROVISIONED)
    assert list(closed.values_list("actor__name", flat=True)) == ["Sam Staff"]
