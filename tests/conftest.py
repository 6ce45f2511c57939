"""Named personas shared by every test, and helpers that bring a request to any status
through the workflow itself (never by writing the status)."""

from dataclasses import dataclass

import pytest
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.core.management import call_command
from django.test import override_settings

from requests_app import workflow
from requests_app.choices import AccessLevel, Status
from requests_app.models import CAN, Assessment, Criterion, Vote

from .factories import AccessRequestFactory, MembershipFactory, OrganizationFactory, UserFactory

pytest_plugins = ["tests.ci_plugin"]


@pytest.fixture(scope="session", autouse=True)
def _served_over_plain_http():
    """Tests reach the site over plain http (the test client, the live server), so production's
    HTTPS redirect and secure-only cookies are off; `check --deploy` tests production's values.
    Session-wide, because the live server builds its middleware once. The manifest storage
    needs collectstatic, so tests serve static files straight from the apps."""
    with override_settings(
        # Hashing with the production hasher costs a second per test user; MD5 is for tests only.
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        SECURE_SSL_REDIRECT=False,
        SESSION_COOKIE_SECURE=False,
        CSRF_COOKIE_SECURE=False,
        STORAGES={
            **settings.STORAGES,
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        },
    ):
        yield


@pytest.fixture(autouse=True)
def _fresh_cache():
    """allauth counts sign-ups, confirmation mails and failed logins in the cache: one test's
    attempts must not rate-limit the next test."""
    cache.clear()


@pytest.fixture
def catalogue(db):
    """The CANs and the criteria of policy v1.0, from the project's fixtures."""
    call_command("loaddata", "cans", "criteria", verbosity=0)


@dataclass
class Personas:
    """Everyone who may come near a request. `harbor` is the requesting organization;
    `lee` leads Greater Hartford, the CAN that `named_can` requests name."""

    anonymous: AnonymousUser
    riley: object  # requestor of the requesting organization
    quinn: object  # requestor of another organization
    sam: object  # CCEH staff
    morgan: object  # sub-committee member
    casey: object  # sub-committee chair
    lee: object  # leader of the named CAN
    pat: object  # leader of another CAN
    alex: object  # administrator
    harbor: object
    elsewhere: object
    hartford: CAN
    eastern: CAN

    def by_name(self, name):
        return getattr(self, name)


PERSONA_NAMES = ["anonymous", "riley", "quinn", "sam", "morgan", "casey", "lee", "pat", "alex"]


def make_personas():
    """The personas, for the `personas` fixture and for modules that stage them once."""
    harbor = OrganizationFactory(name="Harbor Health Partners")
    elsewhere = OrganizationFactory(name="Elsewhere Services")
    riley = MembershipFactory(organization=harbor, user__name="Riley Requestor").user
    quinn = MembershipFactory(organization=elsewhere, user__name="Quinn Other").user
    hartford = CAN.objects.get(slug="greater-hartford")
    eastern = CAN.objects.get(slug="eastern")
    lee = UserFactory(name="Lee Leader")
    lee.led_cans.add(hartford)
    pat = UserFactory(name="Pat Leader")
    pat.led_cans.add(eastern)
    return Personas(
        anonymous=AnonymousUser(),
        riley=riley,
        quinn=quinn,
        sam=UserFactory(name="Sam Staff", is_cceh_staff=True),
        morgan=UserFactory(name="Morgan Member", is_committee_member=True),
        casey=UserFactory(name="Casey Chair", is_committee_chair=True),
        lee=lee,
        pat=pat,
        alex=UserFactory(name="Alex Admin", is_staff=True, is_superuser=True),
        harbor=harbor,
        elsewhere=elsewhere,
        hartford=hartford,
        eastern=eastern,
    )


@pytest.fixture
def personas(catalogue):
    return make_personas()


class Journey:
    """Moves requests of the personas' organization through the workflow."""

    def __init__(self, p):
        self.p = p

    def draft(self, **answers):
        answers.setdefault("cans", [self.p.hartford])
        return AccessRequestFactory(organization=self.p.harbor, created_by=self.p.riley, **answers)

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
        request = self.assess_all(self.screening(**answers))
        for can in request.cans.all():
            workflow.recommend_for_can(request, self.p.lee, can, "support", "A known partner.")
        return request

    def ready_to_deny(self, **answers):
        return self.assess_all(self.screening(**answers), failing=("2.1",))

    def returned(self, **answers):
        return workflow.return_for_information(self.screening(**answers), self.p.sam, "Who else?")

    def vetting(self, **answers):
        return workflow.escalate(self.screening(**answers), self.p.sam, "Is 1.9 met?")

    def with_quorum(self, **answers):
        """In vetting with every current member voting to approve: quorum and a clear tally."""
        request = self.vetting(**answers)
        for member in (self.p.morgan, self.p.casey):
            workflow.cast_vote(request, member, Vote.Choice.APPROVE, levels=self.levels(request))
        return request

    def approved(self, **answers):
        request = self.ready_to_approve(**answers)
        return workflow.approve(request, self.p.sam, self.levels(request))

    def denied(self, **answers):
        request = self.ready_to_deny(**answers)
        two_one = Criterion.objects.get(code="2.1")
        return workflow.deny(request, self.p.sam, [two_one.pk], "One-time access (2.1).")

    def withdrawn(self, **answers):
        return workflow.withdraw(self.submitted(**answers), self.p.riley)

    def levels(self, request, level=AccessLevel.REPORTING):
        return {person.pk: level for person in request.people.all()}

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
    call_command("loaddata", "cans", "criteria", verbosity=0)
    return Journey(make_personas())


@pytest.fixture
def journey(personas):
    return Journey(personas)
