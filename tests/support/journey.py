"""The one way a test brings a request, and an approval's agreement, to any status: through the
workflow itself, never by writing the status.

`Journey` moves the personas' organization's requests from draft to a decision; `Stage` takes an
approval's agreement on from there (signed, executed, trained, active, expired, revoked). A test
that needs a state asks one of them for it, with the answers and people it is about."""

import contextlib
import datetime

from django.test import TestCase
from django.utils import timezone

from requests_app import workflow
from requests_app.core.states import AccessLevel, Status
from requests_app.models import Agreement, Assessment, Criterion, User, Vote

from .factories import AccessRequestFactory, NamedPersonFactory, UserFactory
from .personas import load_catalogue, make_personas

FULL, VIEW, REPORTING = AccessLevel.FULL, AccessLevel.VIEW, AccessLevel.REPORTING

# People an agreement names: (name, e-mail, requested level).
ADA = ("Ada Analyst", "ada@harbor.example", VIEW)
BO = ("Bo Builder", "bo@harbor.example", REPORTING)
CY = ("Cy Clinician", "cy@harbor.example", FULL)
RILEY_TITLE = "Director of Community Programs"
SAM_TITLE = "HMIS System Administrator"
COURSE = "CT HMIS new user training"
IP = "203.0.113.7"


def committing(committed=True):
    """Runs the on-commit callbacks queued inside the block as if its transaction had
    committed (the MOU render, the e-mails), as `django_capture_on_commit_callbacks` does."""
    if committed:
        return TestCase.captureOnCommitCallbacks(execute=True)
    return contextlib.nullcontext()


def account_of(person):
    """The named person's own account (its verified e-mail the one the request names them by),
    made the first time it is asked for."""
    user = User.objects.filter(email=person.email).first()
    return user or UserFactory(email=person.email, name=person.name)


def agree(*people):
    """Each named person signs their own user agreement, as they do on their page, so training
    and the agreement both stand before access (agreement/due.py)."""
    shown = workflow.user_agreement_text()
    for person in people:
        workflow.sign_user_agreement(account_of(person), person, person.name, True, shown.sha256)


def fresh(agreement):
    """The agreement as the database has it now (its status field is protected)."""
    return Agreement.objects.select_related("request").get(pk=agreement.pk)


class Journey:
    """Moves requests of the personas' organization through the workflow.

    Every request state takes the request's answers as keywords, and `named`: the people the
    request names, as (name, requested level) or (name, e-mail, requested level), in place of
    the one person the factory names."""

    def __init__(self, p):
        self.p = p

    def draft(self, named=None, **answers):
        answers.setdefault("cans", [self.p.hartford])
        if named is not None:
            answers["people"] = 0
        request = AccessRequestFactory(
            organization=self.p.harbor, created_by=self.p.riley, **answers
        )
        for *name_and_email, level in named or ():
            person = dict(zip(("name", "email"), name_and_email, strict=False))
            NamedPersonFactory(request=request, requested_level=level, **person)
        return request

    def submitted(self, **answers):
        return workflow.submit(self.draft(**answers), self.p.riley)

    def screening(self, **answers):
        return workflow.start_screening(self.submitted(**answers), self.p.sam)

    def assess_all(self, request, failing=()):
        """Assess every criterion as passing, except the codes in `failing`."""
        for criterion in Criterion.objects.all():
            passing = (
                Assessment.Outcome.NOT_MET if criterion.is_disqualifier else Assessment.Outcome.MET
            )
            failed = (
                Assessment.Outcome.MET if criterion.is_disqualifier else Assessment.Outcome.NOT_MET
            )
            outcome = failed if criterion.code in failing else passing
            workflow.assess_criterion(request, self.p.sam, criterion, outcome, "Checked.")
        return request

    def ready_to_approve(self, **answers):
        """Screened: in screening, every criterion met and each named CAN supporting it."""
        request = self.assess_all(self.screening(**answers))
        for can in request.cans.all():
            workflow.recommend_for_can(request, self.p.lee, can, "support", "A known partner.")
        return request

    def ready_to_deny(self, **answers):
        return self.assess_all(self.screening(**answers), failing=("2.1",))

    def returned(self, **answers):
        return workflow.return_for_information(self.screening(**answers), self.p.sam, "Who else?")

    def vetting(self, note="Is 1.9 met?", **answers):
        return workflow.escalate(self.screening(**answers), self.p.sam, note)

    def with_quorum(self, **answers):
        """In vetting with every current member voting to approve: quorum and a clear tally."""
        request = self.vetting(**answers)
        for member in (self.p.morgan, self.p.casey):
            workflow.cast_vote(request, member, Vote.Choice.APPROVE, levels=self.levels(request))
        return request

    def approved(self, granted=REPORTING, conditions="", committed=False, **answers):
        """Approved by staff, granting `granted` (see `levels`) on `conditions`. `committed`
        runs what the approval leaves for after its commit: the render of the MOU's first
        version, the e-mails."""
        request = self.ready_to_approve(**answers)
        with committing(committed):
            return workflow.approve(
                request, self.p.sam, self.levels(request, granted), conditions=conditions
            )

    def denied(self, **answers):
        request = self.ready_to_deny(**answers)
        two_one = Criterion.objects.get(code="2.1")
        return workflow.deny(request, self.p.sam, [two_one], "One-time access (2.1).")

    def withdrawn(self, **answers):
        return workflow.withdraw(self.submitted(**answers), self.p.riley)

    def levels(self, request, level=REPORTING):
        """{named person: level}: everyone at `level`; or, given {name: level}, each person so
        named at that level and everyone else at the level they asked for."""
        people = request.people.all()
        if isinstance(level, dict):
            return {person: level.get(person.name, person.requested_level) for person in people}
        return {person: level for person in people}

    def at(self, status, **answers):
        """A request in `status`, ready for every action that status allows."""
        return {
            Status.DRAFT: self.draft,
            Status.SUBMITTED: self.submitted,
            Status.SCREENING: self.ready_to_approve,
            Status.RETURNED: self.returned,
            Status.VETTING: self.with_quorum,
            Status.APPROVED: self.approved,
            Status.DENIED: self.denied,
            Status.WITHDRAWN: self.withdrawn,
        }[status](**answers)


def staged_journey():
    """For modules that stage their requests once: the catalogue, the personas, a Journey."""
    load_catalogue()
    return Journey(make_personas())


class Stage:
    """Brings an approval's agreement to each of its statuses through the workflow, from the
    journey's approval. `people` are (name, e-mail, requested level); `granted` the level each
    is given by name (default: as asked). Every step runs its after-commit work, so the MOU
    versions exist as they would in production."""

    people = (ADA,)

    def __init__(self, journey, capture):
        self.journey, self.p, self.capture = journey, journey.p, capture

    def issued(self, people=None, granted=None, conditions="", **answers):
        request = self.journey.approved(
            named=self.people if people is None else people,
            granted=granted or {},
            conditions=conditions,
            committed=True,
            **answers,
        )
        return Agreement.objects.select_related("request").get(request=request)

    def sign(self, agreement, user=None, full_name="Riley Requestor", title=RILEY_TITLE):
        with self.capture(execute=True):
            workflow.sign_mou(agreement, user or self.p.riley, full_name, title, True, IP)
        return fresh(agreement)

    def countersign(self, agreement):
        with self.capture(execute=True):
            workflow.countersign_mou(agreement, self.p.sam, "Sam Staff", SAM_TITLE, True, IP)
        return fresh(agreement)

    def signed(self, **kwargs):
        return self.sign(self.issued(**kwargs))

    def executed(self, **kwargs):
        return self.countersign(self.signed(**kwargs))

    def train(self, agreement, *people, on=None, sign=True):
        """Each person's training recorded and, unless `sign` is False, their own user
        agreement signed: what readiness asks for before access."""
        for person in people:
            workflow.record_training(
                agreement, self.p.sam, person, on or timezone.localdate(), COURSE
            )
        if sign:
            agree(*people)
        return fresh(agreement)

    def trained(self, **kwargs):
        agreement = self.executed(**kwargs)
        return self.train(agreement, *agreement.request.people.all())

    def activate(self, agreement, note=""):
        with self.capture(execute=True):
            workflow.activate_access(agreement, self.p.sam, note)
        return fresh(agreement)

    def active(self, **kwargs):
        return self.activate(self.trained(**kwargs))

    def expired(self, **kwargs):
        agreement = self.active(**kwargs)
        workflow.expire_agreements(today=agreement.ends_on + datetime.timedelta(days=1))
        return fresh(agreement)

    def revoked(self, **kwargs):
        agreement = self.active(**kwargs)
        workflow.revoke_access(agreement, self.p.sam, "Shared a login.")
        return fresh(agreement)
