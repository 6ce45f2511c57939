"""Load the CANs, the criteria catalogue and a demo set: one user per role and requests in
every status, made through the workflow itself. Safe to run again: nothing is duplicated."""

import contextlib

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone

from requests_app import workflow
from requests_app.core.states import AccessLevel
from requests_app.models import (
    CAN,
    AccessRequest,
    Agreement,
    Assessment,
    Criterion,
    Membership,
    MOUVersion,
    NamedPerson,
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
            organization = self._organization(users["requestor@demo.test"])
            if not organization.requests.exists():
                self._requests(organization, users)
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

    def _organization(self, requestor):
        organization, _ = Organization.objects.get_or_create(
            name="Harbor Health Partners",
            defaults={
                "kind": Organization.Kind.HEALTH_CARE,
                "address": "100 Harbor Street, Hartford, CT 06103",
                "website": "https://harbor-health.example.org",
            },
        )
        Membership.objects.update_or_create(
            user=requestor,
            organization=organization,
            defaults={"state": Membership.State.ACTIVE, "is_authorized_signatory": True},
        )
        return organization

    def _draft(self, organization, requestor, program, need=AccessRequest.NeedType.ONGOING):
        request = AccessRequest.objects.create(
            organization=organization,
            created_by=requestor,
            program=program,
            contact_name=requestor.name,
            contact_email=requestor.email,
            purpose="Coordinate discharge planning for patients experiencing homelessness.",
            contribution="Fewer discharges to the street; faster housing referrals.",
            existing_reporting_gap="CTCANDATA.org reports are aggregate and monthly; discharge "
            "planners need to see enrollment status the same day.",
            need_type=need,
            usage_frequency="Daily",
            funding_relation="Required by our state-funded medical respite contract.",
            homeless_relationship="Our respite program serves 300 people a year.",
            is_researcher=False,
            had_prior_access=False,
            attests_training=True,
            attests_accuracy=True,
        )
        request.cans.add(CAN.objects.get(slug="greater-hartford"))
        NamedPerson.objects.create(
            request=request,
            name="Jordan Planner",
            title="Discharge planner",
            email=f"jordan.{request.pk}@harbor-health.example.org",
            requested_level=AccessLevel.VIEW,
        )
        return request

    def _active_access(self, request, requestor, staff, leader):
        """An approval carried through its MOU's whole life to active access: signed,
        countersigned, training recorded, activated. Each version is rendered at once, as the
        task after each step's commit would (the demo runs in one transaction)."""
        workflow.recommend_for_can(
            request, leader, request.cans.get(), "support", "Diverts people from our shelters."
        )
        person = request.people.get()
        workflow.approve(request, staff, {person: AccessLevel.REPORTING})

        def agreement(kind):
            current = Agreement.objects.get(request=request)
            assert current.mou_kind == kind
            workflow.render_mou_version(current.pk, current.mou_version)
            return Agreement.objects.get(pk=current.pk)

        signed = workflow.sign_mou(
            agreement(MOUVersion.Kind.ISSUED),
            requestor,
            requestor.name,
            "Director of Care Coordination",
            affirmed=True,
        )
        workflow.countersign_mou(
            agreement(MOUVersion.Kind.SIGNED), staff, staff.name, "HMIS Administrator", True
        )
        executed = agreement(MOUVersion.Kind.EXECUTED)
        workflow.record_training(
            executed, staff, person, timezone.localdate(), "CT HMIS new user training"
        )
        workflow.activate_access(executed, staff)
        return signed

    def _requests(self, organization, users):
        requestor, staff = users["requestor@demo.test"], users["staff@demo.test"]
        leader = users["canleader@demo.test"]
        self._draft(organization, requestor, "Care coordination (draft)")

        def screened(program, need=AccessRequest.NeedType.ONGOING, outcome_for=None):
            request = workflow.submit(
                self._draft(organization, requestor, program, need), requestor
            )
            request = workflow.start_screening(request, staff)
            for criterion in Criterion.objects.all():
                outcome = (outcome_for or {}).get(criterion.code) or (
                    Assessment.Outcome.NOT_MET
                    if criterion.is_disqualifier
                    else Assessment.Outcome.MET
                )
                workflow.assess_criterion(request, staff, criterion, outcome, "Demo assessment.")
            return request

        workflow.submit(self._draft(organization, requestor, "Street outreach"), requestor)
        screened("Medical respite")
        returned = screened("Behavioral health")
        workflow.return_for_information(
            returned, staff, "Which staff will use the data, and how often each week?"
        )
        vetting = screened("Housing research unit", outcome_for={"1.9": Assessment.Outcome.UNCLEAR})
        workflow.escalate(
            vetting, staff, "Identified data for matching; is aggregated data enough?"
        )
        approved = screened("Emergency department")
        workflow.recommend_for_can(
            approved, leader, approved.cans.get(), "support", "Known partner of our CAN."
        )
        person = approved.people.get()
        workflow.approve(approved, staff, {person: AccessLevel.VIEW})
        self._active_access(screened("Shelter diversion"), requestor, staff, leader)
        denied = screened(
            "Billing audit",
            need=AccessRequest.NeedType.ONE_TIME,
            outcome_for={"1.2": Assessment.Outcome.NOT_MET, "2.1": Assessment.Outcome.MET},
        )
        two_one = Criterion.objects.get(code="2.1")
        workflow.deny(denied, staff, [two_one], "The policy does not allow one-time access (2.1).")
        withdrawn = workflow.submit(
            self._draft(organization, requestor, "Volunteer program"), requestor
        )
        workflow.withdraw(withdrawn, requestor, "We found the reports on CTCANDATA.org enough.")
