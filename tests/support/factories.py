"""Factories for test data. A request from `AccessRequestFactory` has every answer given, so
it can be submitted as it is; tests change only what they are about."""

import datetime

import factory
from allauth.account.models import EmailAddress
from django.core.files.base import ContentFile
from django.utils import timezone

from requests_app.core.states import AccessLevel
from requests_app.models import (
    AccessRequest,
    Attachment,
    Membership,
    NamedPerson,
    Organization,
    Revocation,
    RoleDecision,
    RoleProposal,
    User,
    VotingRound,
)

from .mfa import enrol_totp

PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.org")
    name = factory.Faker("name")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def verified(self, create, extracted, **kwargs):
        """A verified primary e-mail address, as allauth requires to sign in."""
        if create:
            self.save()
            EmailAddress.objects.create(user=self, email=self.email, verified=True, primary=True)

    @factory.post_generation
    def led_cans(self, create, extracted, **kwargs):
        """led_cans=[...]: the CANs this person leads, set before their second factor is."""
        self.leads_on_creation = bool(create and extracted)
        if self.leads_on_creation:
            self.led_cans.set(extracted)

    @factory.post_generation
    def second_factor(self, create, extracted, **kwargs):
        """A person whose role decides signs in with an authenticator app (requests_app/
        accounts/mfa.py), so they come with one; second_factor=False leaves it out, True adds
        one to anybody."""
        if not create:
            return
        decides = (
            self.is_cceh_staff
            or self.is_committee_member
            or self.is_committee_chair
            or self.is_staff
            or self.is_superuser
            or self.leads_on_creation
        )
        if extracted if extracted is not None else decides:
            enrol_totp(self)


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"Organization {n}")
    kind = Organization.Kind.NONPROFIT
    address = "1 Main Street, Hartford, CT 06103"


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organization = factory.SubFactory(OrganizationFactory)
    state = Membership.State.ACTIVE


class AccessRequestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AccessRequest
        skip_postgeneration_save = True

    organization = factory.SubFactory(OrganizationFactory)
    created_by = factory.SubFactory(UserFactory)
    program = "Medical respite"
    contact_name = "Jamie Contact"
    contact_email = "jamie@example.org"
    statewide = True
    purpose = "Coordinate discharge planning."
    contribution = "Fewer discharges to the street."
    existing_reporting_gap = "Published reports are aggregate and monthly."
    need_type = AccessRequest.NeedType.ONGOING
    usage_frequency = "Daily"
    funding_relation = "State-funded respite contract."
    homeless_relationship = "We serve 300 people a year."
    is_researcher = False
    had_prior_access = False
    attests_training = True
    attests_accuracy = True

    @factory.post_generation
    def cans(self, create, extracted, **kwargs):
        """cans=[...] names CANs, and makes the request CAN-specific rather than statewide."""
        if create and extracted:
            self.cans.set(extracted)
            AccessRequest.objects.filter(pk=self.pk).update(statewide=False)
            self.statewide = False

    @factory.post_generation
    def people(self, create, extracted, **kwargs):
        """people=N names N people (default one); people=0 names nobody."""
        if not create:
            return
        for _ in range(1 if extracted is None else extracted):
            NamedPersonFactory(request=self)


class VotingRoundFactory(factory.django.DjangoModelFactory):
    """A voting round, made its request's current one as escalating makes it. The status is
    left as it is: only the workflow changes it."""

    class Meta:
        model = VotingRound
        skip_postgeneration_save = True

    request = factory.SubFactory(AccessRequestFactory)
    deadline = factory.LazyFunction(lambda: timezone.now() + datetime.timedelta(days=14))
    note = "Is 1.9 met?"

    @factory.post_generation
    def current(self, create, extracted, **kwargs):
        """current=False leaves the request's current round as it was."""
        if create and extracted is not False:
            AccessRequest.objects.filter(pk=self.request_id).update(voting_round=self)
            self.request.voting_round = self


class NamedPersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = NamedPerson

    request = factory.SubFactory(AccessRequestFactory)
    name = factory.Faker("name")
    title = "Analyst"
    email = factory.Sequence(lambda n: f"named{n}@example.org")
    requested_level = AccessLevel.FULL


class RevocationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Revocation

    reason = "Shared a login."
    recorded_by = factory.SubFactory(UserFactory)


def attach(request, uploader, content=b"%PDF-1.7", **fields):
    """An IRB approval uploaded to `request`, its bytes `content` stored privately."""
    attachment = Attachment(
        request=request,
        original_name="IRB approval.pdf",
        content_type="application/pdf",
        size=len(content),
        uploaded_by=uploader,
        **fields,
    )
    attachment.file.save("irb.pdf", ContentFile(content), save=True)
    return attachment


def confirmed_role(organization, person, role=RoleProposal.Role.SIGNATORY, title="Director"):
    """`person`, a member, confirmed in `role` of `organization` as its rows alone (no notices,
    no sessions ended): the state a test starts from (accounts/role_services.py does it live)."""
    staff = UserFactory(is_cceh_staff=True)
    proposal = RoleProposal.objects.create(
        organization=organization, role=role, person=person, title=title, proposed_by=person
    )
    RoleDecision.objects.create(
        proposal=proposal, outcome=RoleDecision.Outcome.CONFIRMED, decided_by=staff
    )
    return proposal
