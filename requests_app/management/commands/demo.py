"""Load the CANs, the criteria catalogue and a demo set: one user per role and requests in
every status, made through the workflow itself, each by its own organization (demo_data.py).
Safe to run again: nothing is duplicated."""

import contextlib
import datetime
from unittest import mock

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone

from requests_app import policy, workflow
from requests_app.accounts import role_services
from requests_app.agreement import amendments, departures, deprovisioning
from requests_app.management.demo_data import APPLICATIONS, ROLES
from requests_app.models import (
    CAN,
    AccessRequest,
    Agreement,
    Assessment,
    Criterion,
    Membership,
    MOUVersion,
    Notification,
    Organization,
    User,
)

# It passes the password rules (settings.AUTH_PASSWORD_VALIDATORS), as any password must.
PASSWORD = "open-door-demo-2026"
# Every demo user whose role decides signs in with this authenticator-app key (base32): add it
# to any authenticator app once, or run `oathtool --totp -b KEY`. Known, like the password.
TOTP_KEY = "HMISDEMOHMISDEMOHMISDEMOHMISDEMO"

# (e-mail, name, role flags, what they do)
PEOPLE = [
    ("requestor@demo.test", "Riley Requestor", {}, "requestor at Harbor Health Partners"),
    ("staff@demo.test", "Sam Staff", {"is_cceh_staff": True}, "CCEH staff"),
    ("member@demo.test", "Morgan Member", {"is_committee_member": True}, "sub-committee member"),
    ("member2@demo.test", "Mel Member", {"is_committee_member": True}, "sub-committee member"),
    ("chair@demo.test", "Casey Chair", {"is_committee_chair": True}, "sub-committee chair"),
    ("canleader@demo.test", "Lee Leader", {}, "CAN leader, Greater Hartford"),
    ("admin@demo.test", "Alex Admin", {"is_staff": True, "is_superuser": True}, "administrator"),
]


# The one line that stands for the e-mails the demo's steps queued.
EMAILS_QUEUED = (
    "The demo queued {} e-mails (not shown here; each recipient finds them under Notices)."
)


def loaded():
    """Whether the demo has run on this database: its requestor's requests exist."""
    return AccessRequest.objects.filter(created_by__email=PEOPLE[0][0]).exists()


def write_logins(out):
    for email, _, _, role in PEOPLE:
        out.write(f"  {email:<24} {PASSWORD}   {role}")
    out.write(
        f"All but the requestor then give the code of the authenticator-app key {TOTP_KEY} "
        f"(add it to an app, or: oathtool --totp -b {TOTP_KEY})."
    )


class Command(BaseCommand):
    help = "Load the demo data and print the demo logins."

    def add_arguments(self, parser):
        parser.add_argument(
            "--allow-production",
            action="store_true",
            help="Run even with DEBUG off. The demo users have known passwords.",
        )

    def handle(self, *args, allow_production=False, **options):
        if not settings.DEBUG and not allow_production:
            raise CommandError(
                "DEBUG is off: this looks like production, and the demo users "
                "have known passwords. Pass --allow-production to load them anyway."
            )
        call_command("loaddata", "cans", "criteria", verbosity=0)
        # The workflow's steps e-mail everyone they concern. On the console backend, the
        # default in development, that is some 1,600 lines, so there they are kept in memory;
        # to a file or a mail catcher (EMAIL_URL) they go as usual. One line counts them: one
        # e-mail is queued for each notice recorded.
        quiet = settings.EMAIL_BACKEND == "django.core.mail.backends.console.EmailBackend"
        memory = override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend")
        before = Notification.objects.count()
        with memory if quiet else contextlib.nullcontext(), transaction.atomic():
            users = {email: self._user(email, name, flags) for email, name, flags, _ in PEOPLE}
            users["canleader@demo.test"].led_cans.add(CAN.objects.get(slug="greater-hartford"))
            for email, _, _, role in PEOPLE:
                if "requestor" not in role:
                    self._second_factor(users[email])
            self._applications(users)
            self._roles(users)
        queued = Notification.objects.count() - before
        self.stdout.write(self.style.SUCCESS("Demo data loaded. Sign in with any of these:"))
        write_logins(self.stdout)
        self.stdout.write(EMAILS_QUEUED.format(queued))

    def _user(self, email, name, flags):
        user, _ = User.objects.update_or_create(email=email, defaults={"name": name, **flags})
        if not user.check_password(PASSWORD):
            user.set_password(PASSWORD)
            user.save(update_fields=["password"])
        EmailAddress.objects.update_or_create(
            user=user, email=email, defaults={"verified": True, "primary": True}
        )
        return user

    def _second_factor(self, user):
        """An authenticator app, as enrolling on the site makes one: their roles require it."""
        if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
            TOTP.activate(user, TOTP_KEY)

    def _applications(self, users):
        """Each organization's request, unless it already made one (the demo ran before)."""
        self.staff, self.leader = users["staff@demo.test"], users["canleader@demo.test"]
        for application in APPLICATIONS:
            organization, applicant = self._organization(application, users)
            if organization.requests.exists():
                continue
            # A story that began in the past runs on a clock set back (`days_ago`).
            with days_ago(application.get("active_days_ago", 0)):
                request = self._written(organization, applicant, application)
                getattr(self, f"_{application['story']}")(request, application, applicant)
            if "life" in application:
                self._keep_current(request, application, applicant)

    def _organization(self, application, users):
        """The organization and the person who applies for it: an active member (its confirmed
        authorized signatory where demo_data.py's ROLES say so). Only the demo's requestor
        signs in; the others are names on paper, with no password."""
        organization, _ = Organization.objects.get_or_create(
            name=application["organization"]["name"], defaults=application["organization"]
        )
        email, name, _title = application["applicant"]
        applicant = users.get(email)
        if applicant is None:
            applicant, created = User.objects.get_or_create(email=email, defaults={"name": name})
            if created:
                applicant.set_unusable_password()
                applicant.save(update_fields=["password"])
        Membership.objects.update_or_create(
            user=applicant,
            organization=organization,
            defaults={"state": Membership.State.ACTIVE},
        )
        return organization, applicant

    def _roles(self, users):
        """Each organization's signatory and security officer of ROLES: proposed by its
        applicant, confirmed by staff or left for staff to confirm. Once only."""
        applicants = {a["organization"]["name"]: a["applicant"][0] for a in APPLICATIONS}
        for name, role, (email, person_name, title), confirmed in ROLES:
            organization = Organization.objects.get(name=name)
            if organization.role_proposals.filter(role=role).exists():
                continue
            person, created = User.objects.get_or_create(
                email=email, defaults={"name": person_name}
            )
            if created:
                person.set_unusable_password()
                person.save(update_fields=["password"])
            Membership.objects.get_or_create(
                user=person,
                organization=organization,
                defaults={"state": Membership.State.ACTIVE},
            )
            proposer = User.objects.get(email=applicants[name])
            proposal = role_services.propose_role(organization, proposer, role, person, title)
            if confirmed:
                role_services.confirm_role(proposal, self.staff)

    def _written(self, organization, applicant, application):
        """A draft written as the application's pages write one: a step at a time."""
        request = workflow.start_request(organization, applicant)
        cans = list(CAN.objects.filter(slug__in=application.get("cans", [])))

        def answers(*names):
            return {name: application[name] for name in names}

        steps = {
            "people": answers("program", "contact_phone"),
            "scope": {
                "statewide": application.get("statewide", False),
                "cans": cans,
                **answers("purpose", "contribution", "existing_reporting_gap"),
            },
            "eligibility": answers(
                "need_type",
                "usage_frequency",
                "funding_relation",
                "homeless_relationship",
                "had_prior_access",
                "prior_access_details",
                "prior_access_revoked",
            ),
            "research": answers(
                "is_researcher", "aggregated_data_sufficient", "identified_data_justification"
            ),
            "attestations": {
                "attests_training": application["attests"],
                "attests_accuracy": application["attests"],
            },
        }
        people = [
            dict(zip(workflow.PERSON_FIELDS, person, strict=True))
            for person in application["people"]
        ]
        request = workflow.save_answers(
            request, applicant, "people", steps["people"], people=people
        )
        for step in ("scope", "eligibility", "research", "attestations"):
            request = workflow.save_answers(request, applicant, step, steps[step])
        return request

    # The stories: what the workflow does with each request once it is written, by the people
    # whose role does it. Each ends in the status its name says.

    def _draft(self, request, application, applicant):
        return request

    def _submitted(self, request, application, applicant):
        return workflow.submit(request, applicant)

    def _screening(self, request, application, applicant):
        request = self._submitted(request, application, applicant)
        request = workflow.start_screening(request, self.staff)
        # Staff save the whole checklist at once, as the request's page does.
        workflow.save_checklist(
            request,
            self.staff,
            [
                (criterion, *assessment(application, criterion))
                for criterion in Criterion.objects.filter(policy_version=policy.POLICY_VERSION)
            ],
        )
        return request

    def _returned(self, request, application, applicant):
        request = self._screening(request, application, applicant)
        return workflow.return_for_information(request, self.staff, application["returned_with"])

    def _vetting(self, request, application, applicant):
        request = self._screening(request, application, applicant)
        return workflow.escalate(request, self.staff, application["escalated_with"])

    def _approved(self, request, application, applicant):
        request = self._screening(request, application, applicant)
        # The demo's CAN leader leads Greater Hartford, which each approved request names; any
        # other CAN's recommendation is waived by staff, with the reason.
        workflow.recommend_for_can(
            request,
            self.leader,
            CAN.objects.get(slug="greater-hartford"),
            "support",
            application["recommendation"],
        )
        waivers = {
            CAN.objects.get(slug=slug): reason
            for slug, reason in application.get("waived", {}).items()
        }
        # Each person is granted what was asked for them.
        levels = {person: person.requested_level for person in request.people.all()}
        workflow.approve(request, self.staff, levels, can_waivers=waivers)
        return request

    def _active(self, request, application, applicant):
        """An approval carried through its MOU's whole life to active access: signed,
        countersigned, training recorded, activated. Each version is rendered at once, as the
        task after each step's commit would (the demo runs in one transaction)."""
        request = self._approved(request, application, applicant)

        def agreement(kind):
            current = Agreement.objects.get(request=request)
            assert current.mou_kind == kind
            workflow.render_mou_version(current.pk, current.mou_version)
            return Agreement.objects.get(pk=current.pk)

        _email, name, title = application["applicant"]
        workflow.sign_mou(agreement(MOUVersion.Kind.ISSUED), applicant, name, title, affirmed=True)
        workflow.countersign_mou(
            agreement(MOUVersion.Kind.SIGNED),
            self.staff,
            self.staff.name,
            "HMIS Administrator",
            True,
        )
        executed = agreement(MOUVersion.Kind.EXECUTED)
        before = application.get("trained_days_before", {})
        for person in request.people.all():
            completed = timezone.localdate() - datetime.timedelta(days=before.get(person.email, 0))
            workflow.record_training(
                executed, self.staff, person, completed, "CT HMIS new user training"
            )
        self._user_agreements(request)
        workflow.activate_access(agreement(MOUVersion.Kind.EXECUTED), self.staff)
        if "life" in application:
            # Everyone was given their HMIS account the day access began.
            workflow.provision_access(
                self.staff, Agreement.objects.get(request=request).people.all()
            )
        return request

    def _keep_current(self, request, application, applicant):
        """Today, the life of the active MOU's access (docs/design.md, "Keeping access
        current"), through the same services as the pages: the daily settle suspends whoever
        is past due beyond ACCESS_GRACE_DAYS; the organization's yearly review keeps everyone
        else; one person's level is lowered (back on the provisioning list); two people left
        (both on the deprovisioning list, one's account already closed); and an addition
        waits for CCEH's decision."""
        life = application["life"]
        workflow.settle_access(timezone.localdate())

        def mou():
            current = Agreement.objects.get(request=request)
            workflow.render_mou_version(current.pk, current.mou_version)
            return Agreement.objects.get(pk=current.pk)

        def person(email):
            return request.people.get(email=email)

        kept = {access.person: ("keep", None, "") for access in amendments.holders(mou())}
        workflow.review_access(mou(), applicant, kept)
        email, level, reason = life["lowered"]
        workflow.lower_access(mou(), applicant, person(email), level, reason)
        today = timezone.localdate()
        for email in (life["departed"], life["closed"]):
            access = mou().people.get(person__email=email)
            departures.report_departure(mou(), applicant, access, today)
        deprovisioning.deprovision_access(
            self.staff, mou().people.filter(person__email=life["closed"])
        )
        name, title, email, level, reason = life["addition"]
        workflow.request_addition(mou(), applicant, name, title, email, level, reason)

    def _user_agreements(self, request):
        """Each named person signs their own user agreement before access (agreement/due.py),
        from an account of their own: names on paper like the other applicants, with a
        verified address and no password."""
        shown = workflow.user_agreement_text()
        for person in request.people.all():
            user, created = User.objects.get_or_create(
                email=person.email, defaults={"name": person.name}
            )
            if created:
                user.set_unusable_password()
                user.save(update_fields=["password"])
            EmailAddress.objects.update_or_create(
                user=user, email=person.email, defaults={"verified": True, "primary": True}
            )
            workflow.sign_user_agreement(user, person, person.name, True, shown.sha256)

    def _denied(self, request, application, applicant):
        request = self._screening(request, application, applicant)
        cited = Criterion.objects.filter(
            policy_version=policy.POLICY_VERSION, code__in=application["denied_for"]
        )
        return workflow.deny(request, self.staff, list(cited), application["denied_with"])

    def _withdrawn(self, request, application, applicant):
        request = self._submitted(request, application, applicant)
        return workflow.withdraw(request, applicant, application["withdrawn_with"])


@contextlib.contextmanager
def days_ago(days):
    """The clock set `days` back, so a story can begin in the past: an MOU active for a
    while, a training that fell due since. For the demo alone: what the services ask
    (django.utils.timezone.now) and the fields whose default is that clock (an event's time,
    a signature's), so the request's history reads in order."""
    if not days:
        yield
        return
    real, shift = timezone.now, datetime.timedelta(days=days)

    def earlier():
        return real() - shift

    with contextlib.ExitStack() as stack:
        stack.enter_context(mock.patch("django.utils.timezone.now", earlier))
        for model in apps.get_models():
            for field in model._meta.concrete_fields:
                if field.default is real:
                    # Field.get_default reads the default through this cached callable.
                    stack.enter_context(mock.patch.object(field, "_get_default", earlier))
        yield


def assessment(application, criterion):
    """Staff's (outcome, note) on one criterion: what the application's `screening` says, or
    else what its answers make plain."""
    if criterion.code in application.get("screening", {}):
        return application["screening"][criterion.code]
    if criterion.is_disqualifier:
        return Assessment.Outcome.NOT_MET, {
            "2.1": "The need is ongoing, not one-time.",
            "2.2": "Nothing suggests a risk of abuse; access is for the people named only.",
        }[criterion.code]
    not_applicable = {
        "1.5": application.get("statewide") and "Statewide: no single CAN to involve.",
        "1.9": not application["is_researcher"] and "Not a researcher.",
    }
    if not_applicable.get(criterion.code):
        return Assessment.Outcome.NOT_APPLICABLE, not_applicable[criterion.code]
    return Assessment.Outcome.MET, {
        "1.1": "Needs one person's current status, which no aggregate report gives.",
        "1.2": f"Ongoing: {application['usage_frequency'].lower()}.",
        "1.3": "Tied to a funding requirement: " + application["funding_relation"],
        "1.4": "Works directly with people experiencing homelessness.",
        "1.5": "The named CANs' leaders were told at submission.",
        "1.6": "A level is asked for each person named.",
        "1.7": "Training attested for every person named.",
        "1.8": "States how access helps end homelessness.",
        "1.9": "Aggregated, de-identified data would serve.",
        "1.10": "No earlier HMIS access.",
    }[criterion.code]
