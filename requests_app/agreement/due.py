"""Keeping access true once it is active (docs/design.md, "Keeping access current"): each
person's HMIS training expires TRAINING_VALID_MONTHS after it was completed, their own user
agreement USER_AGREEMENT_VALID_MONTHS after they signed it, and the MOU's yearly review
RECERTIFICATION_PERIOD_MONTHS after the latest (or after activation). Here are those due dates,
in one place; the person's own signature of the user agreement; and the daily settling
(`manage.py expire_agreements`): a person past a due date by more than ACCESS_GRACE_DAYS is
suspended, and a suspended person who is current again is resumed. Whatever brings a person
current (training recorded, the agreement signed, the review done) resumes them at once through
`bring_current`."""

import datetime
import functools
import hashlib
from dataclasses import dataclass
from pathlib import Path

from allauth.account.models import EmailAddress
from django.conf import settings
from django.db import transaction
from django.db.models import OuterRef, Q, Subquery
from django.db.models.functions import Lower
from django.utils import timezone

from requests_app.accounts.roles import authorized_signatory
from requests_app.agreement.access import add_months, end_access, resume_access
from requests_app.core.actions import bump, require
from requests_app.core.dates import long_date
from requests_app.core.events import record_event
from requests_app.core.inputs import text
from requests_app.core.permissions import signs_as
from requests_app.core.states import AccessEnd, AgreementStatus
from requests_app.models import (
    Agreement,
    Event,
    PersonAccess,
    Recertification,
    Training,
    User,
    UserAgreement,
)

# The user agreement's text, kept in the repository beside this module: each version a file of
# its own (v<version>.txt), never edited once people signed it; a new text is a new file and
# a new version here. What a person signs is the SHA-256 of the file's exact bytes.
USER_AGREEMENT_VERSION = "1"
USER_AGREEMENT_DIR = Path(__file__).resolve().parent / "user_agreement"

# The most of a person's own agreements their page lists (one a request that names them).
MY_AGREEMENTS_SHOWN = 50


@dataclass(frozen=True)
class UserAgreementText:
    version: str
    text: str
    sha256: str


@functools.cache
def user_agreement_text(version=USER_AGREEMENT_VERSION):
    data = (USER_AGREEMENT_DIR / f"v{version}.txt").read_bytes()
    return UserAgreementText(version, data.decode("utf-8"), hashlib.sha256(data).hexdigest())


# The due dates.


@dataclass(frozen=True)
class Dues:
    """The days one person's training, user agreement and the MOU's review fall due: each is
    current before its day, and due on it. None where nothing is due yet (before activation).
    `agreed_on`: when the person last signed the user agreement (None: never)."""

    training: datetime.date | None
    agreement: datetime.date | None
    review: datetime.date | None
    agreed_on: datetime.date | None = None

    def all(self):
        return [
            (what, day)
            for what, day in (
                ("training", self.training),
                ("user agreement", self.agreement),
                ("review", self.review),
            )
            if day is not None
        ]

    @property
    def earliest(self):
        days = [day for _, day in self.all()]
        return min(days) if days else None

    def current(self, today):
        """Every due date in the future: the person may hold access."""
        return (
            self.training is not None
            and self.agreement is not None
            and all(day > today for _, day in self.all())
        )

    def overdue(self, today):
        """What is past its due date by more than ACCESS_GRACE_DAYS: grounds to suspend."""
        grace = datetime.timedelta(days=settings.ACCESS_GRACE_DAYS)
        return [what for what, day in self.all() if day + grace < today]


def with_dues(accesses):
    """PersonAccess rows annotated with what their due dates rest on, in the same query: the
    latest training, the latest user agreement and the MOU's latest review."""
    return accesses.annotate(
        trained_on=Subquery(
            Training.objects.filter(person=OuterRef("person"))
            .order_by("-completed_on")
            .values("completed_on")[:1]
        ),
        agreed_at=Subquery(
            UserAgreement.objects.filter(person=OuterRef("person"))
            .order_by("-signed_at")
            .values("signed_at")[:1]
        ),
        reviewed_at=Subquery(
            Recertification.objects.filter(agreement=OuterRef("agreement"))
            .order_by("-reviewed_at")
            .values("reviewed_at")[:1]
        ),
    )


def training_until(trained_on):
    """The last day a training completed on `trained_on` counts (TRAINING_VALID_MONTHS)."""
    return add_months(trained_on, settings.TRAINING_VALID_MONTHS) if trained_on else None


def agreement_until(agreed_on):
    """When a user agreement signed on `agreed_on` is due again (USER_AGREEMENT_VALID_MONTHS)."""
    return add_months(agreed_on, settings.USER_AGREEMENT_VALID_MONTHS) if agreed_on else None


def dues_of(access, agreement):
    """The due dates of one access annotated by `with_dues`. Before activation only training
    and the user agreement have a date (what readiness asks for). After it, a missing training
    is due on the day access started; so is a missing user agreement of someone activated
    before the agreement existed, who then signs within USER_AGREEMENT_VALID_MONTHS."""
    activated = timezone.localdate(access.activated_at) if access.activated_at else None
    agreed = timezone.localdate(access.agreed_at) if access.agreed_at else None
    training = training_until(access.trained_on) or activated
    if agreed:
        signed = agreement_until(agreed)
    elif activated:
        signed = add_months(activated, settings.USER_AGREEMENT_VALID_MONTHS)
    else:
        signed = None
    review = None
    reviewed = access.reviewed_at or agreement.activated_at
    if activated and reviewed:
        review = add_months(timezone.localdate(reviewed), settings.RECERTIFICATION_PERIOD_MONTHS)
    return Dues(training, signed, review, agreed)


def ready_for_access(access, agreement, today):
    """Training before access: a current training and the person's own current user
    agreement (a signed one, not a date inferred for someone activated earlier)."""
    dues = dues_of(access, agreement)
    return (
        access.trained_on is not None
        and dues.training > today
        and access.agreed_at is not None
        and dues.agreement > today
    )


# The person's own user agreement.


def verified_emails(user):
    return EmailAddress.objects.filter(user=user, verified=True).values(lower=Lower("email"))


def my_accesses(user):
    """The access of each person the MOUs name by one of `user`'s verified e-mail addresses,
    under a live MOU and not ended for good (a suspended person signs to come back)."""
    if not (user.is_authenticated and user.is_active):
        return PersonAccess.objects.none()
    return (
        with_dues(
            PersonAccess.objects.filter(
                person__email__in=verified_emails(user),
                agreement__status__in=AgreementStatus.LIVE,
            )
        )
        .filter(Q(ended_on__isnull=True) | Q(end_reason=AccessEnd.SUSPENDED))
        .select_related("person", "agreement__request__organization")
        .order_by("pk")
    )


def may_sign_from(dues):
    """The first day a signature is taken again: ACCESS_REMINDER_DAYS_BEFORE before the
    agreement falls due, or at once for someone who never signed."""
    if dues.agreed_on is None:
        return None
    return dues.agreement - datetime.timedelta(days=settings.ACCESS_REMINDER_DAYS_BEFORE)


def signable(access, today):
    opens = may_sign_from(dues_of(access, access.agreement))
    return opens is None or opens <= today


@transaction.atomic
def sign_user_agreement(user, person, full_name, affirmed, shown_sha256):
    """`user` signs the user agreement as `person` (a NamedPerson their verified e-mail names):
    one new row with the text's version and SHA-256, and an event. The SHA-256 the page showed
    must be the text's now, so a person signs only what they read. A suspended person who is
    then current returns to active at once (`bring_current`)."""
    action = "acknowledge"
    require(
        action,
        (
            not signs_as(user, person),
            f"Only {person.name} can sign their own user agreement, signed in with the e-mail "
            "address the MOU names.",
        ),
    )
    access = PersonAccess.objects.get(person=person)
    agreement = (
        Agreement.objects.select_for_update(of=("self",))
        .select_related("request__organization")
        .get(pk=access.agreement_id)
    )
    access = with_dues(PersonAccess.objects.filter(pk=access.pk)).get()
    today = timezone.localdate()
    shown = user_agreement_text()
    full_name = text(full_name)
    opens = may_sign_from(dues_of(access, agreement))
    require(
        action,
        (
            agreement.status not in AgreementStatus.LIVE,
            f"The MOU of {agreement.request.reference} has ended: there is nothing to sign.",
        ),
        (
            bool(access.ended_on) and access.end_reason != AccessEnd.SUSPENDED,
            "Your access under this MOU has ended: there is nothing to sign.",
        ),
        (
            opens is not None and today < opens,
            f"Your user agreement is current; sign it again from {long_date(opens)}."
            if opens
            else "",
        ),
        (not full_name, "Type your full name to sign."),
        (not affirmed, "Confirm that you have read the agreement and will keep it."),
        (
            shown_sha256 != shown.sha256,
            "The user agreement changed while you were reading it: read it again and sign.",
        ),
    )
    signed = UserAgreement.objects.create(
        person=person,
        signed_by=user,
        full_name=full_name,
        text_version=shown.version,
        text_sha256=shown.sha256,
    )
    bump(agreement)
    record_event(
        agreement.request,
        user,
        Event.Kind.USER_AGREEMENT_SIGNED,
        note=f"{full_name}, version {shown.version}",
        data={"people": [person.name], "version": shown.version, "sha256": shown.sha256},
        public=True,
    )
    bring_current(agreement, user)
    return signed


# Suspension and return.


def _settle(locked, actor, today, suspend):
    """Suspend (when `suspend`) each active person of `locked` (an agreement whose row lock
    the caller holds) past a due date by more than the grace, and resume each suspended one
    who is current again; an event for each. Returns (suspended, resumed)."""
    if locked.status != AgreementStatus.ACTIVE:
        return [], []
    rows = list(
        with_dues(
            locked.people.filter(activated_at__isnull=False).filter(
                Q(ended_on__isnull=True) | Q(end_reason=AccessEnd.SUSPENDED)
            )
        ).select_related("person")
    )
    overdue, current = {}, []
    for access in rows:
        dues = dues_of(access, locked)
        if access.ended_on:
            if dues.current(today):
                current.append(access)
        elif suspend and (late := dues.overdue(today)):
            overdue[access] = late
    suspended = end_access(list(overdue), AccessEnd.SUSPENDED, today) if overdue else []
    if suspended:
        bump(locked)
        record_event(
            locked.request,
            actor,
            Event.Kind.ACCESS_SUSPENDED,
            note="; ".join(f"{a.person.name}: {', '.join(overdue[a])} overdue" for a in suspended),
            data={
                "people": [a.person.name for a in suspended],
                "overdue": {a.person.name: overdue[a] for a in suspended},
                "on": today.isoformat(),
            },
            public=True,
        )
    for access in current:
        resume_access(access)
    if current:
        if not suspended:
            bump(locked)
        record_event(
            locked.request,
            actor,
            Event.Kind.ACCESS_RESUMED,
            data={"people": [a.person.name for a in current]},
            public=True,
        )
    return suspended, current


def bring_current(locked, actor, today=None):
    """Resume at once each suspended person of `locked` (its row lock held by the caller)
    whom what was just recorded made current. Called by recording training, signing the user
    agreement and the yearly review. Returns those resumed."""
    return _settle(locked, actor, today or timezone.localdate(), suspend=False)[1]


def settle_access(today=None):
    """The daily job (`manage.py expire_agreements`): for every active MOU, suspend whoever is
    past a due date by more than ACCESS_GRACE_DAYS and resume whoever is current again. Safe to
    run again: a suspended person is not suspended twice, a resumed one not resumed twice.
    Returns (suspended, resumed) PersonAccess rows."""
    today = today or timezone.localdate()
    candidates = with_dues(
        PersonAccess.objects.filter(
            agreement__status=AgreementStatus.ACTIVE, activated_at__isnull=False
        ).filter(Q(ended_on__isnull=True) | Q(end_reason=AccessEnd.SUSPENDED))
    ).select_related("agreement")
    due = sorted(
        {
            access.agreement_id
            for access in candidates
            if (
                dues_of(access, access.agreement).current(today)
                if access.ended_on
                else dues_of(access, access.agreement).overdue(today)
            )
        }
    )
    suspended, resumed = [], []
    for pk in due:
        with transaction.atomic():
            locked = (
                Agreement.objects.select_for_update(of=("self",), skip_locked=True)
                .select_related("request__organization")
                .filter(pk=pk)
                .first()
            )
            if locked is None:
                continue
            now_suspended, now_resumed = _settle(locked, None, today, suspend=True)
        suspended += now_suspended
        resumed += now_resumed
    return suspended, resumed


# Reminders (notifications.services.reminders_due): once per due date, in the window of
# ACCESS_REMINDER_DAYS_BEFORE before it until the person is suspended.


def access_reminders(today):
    """(request, kind, recipients, due date) for each due date in its reminder window: the
    person (training, user agreement) and the organization's members (all three). The kinds
    are notifications' Kind values; the caller records them with the due date as the
    reminder's day, so each due date is told once whatever the runs."""
    from requests_app.notifications.models import Notification

    kinds = {
        "training": Notification.Kind.TRAINING_DUE,
        "user agreement": Notification.Kind.USER_AGREEMENT_DUE,
        "review": Notification.Kind.REVIEW_DUE,
    }
    before = datetime.timedelta(days=settings.ACCESS_REMINDER_DAYS_BEFORE)
    grace = datetime.timedelta(days=settings.ACCESS_GRACE_DAYS)
    accesses = list(
        with_dues(
            PersonAccess.objects.filter(
                agreement__status=AgreementStatus.ACTIVE,
                activated_at__isnull=False,
                ended_on__isnull=True,
            )
        ).select_related("person", "agreement__request__organization")
    )
    users = users_by_email({a.person.email for a in accesses})
    members = {}
    reviews = set()
    for access in accesses:
        agreement = access.agreement
        request = agreement.request
        for what, day in dues_of(access, agreement).all():
            if not (day - before <= today <= day + grace):
                continue
            if agreement.ends_on and day > agreement.ends_on:
                continue  # the MOU ends first: its renewal is the reminder
            if request.pk not in members:
                members[request.pk] = list(User.objects.members_of(request.organization))
            told = list(members[request.pk])
            if what == "review":
                if (request.pk, day) in reviews:
                    continue
                reviews.add((request.pk, day))
                # The review is the authorized signatory's, once one is confirmed (as signing).
                signatory = authorized_signatory(request.organization)
                if signatory is not None:
                    told = [signatory]
            elif access.person.email in users:
                told.append(users[access.person.email])
            yield request, kinds[what], told, day


def users_by_email(emails):
    """{e-mail: the active User whose verified address it is}, in one query."""
    rows = (
        EmailAddress.objects.annotate(lower=Lower("email"))
        .filter(lower__in=list(emails), verified=True, user__is_active=True)
        .select_related("user")
    )
    return {row.lower: row.user for row in rows}
