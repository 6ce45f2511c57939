"""Who hears what, and how it reaches them. A notice is recorded in the transaction of the
action that causes it (`tell`, by AUDIENCES) and is at once visible in the person's
notices; its e-mail is sent after commit by a task (tasks.py), which runs `deliver`.

Delivery states of a notice, on Notification.delivery:

    pending --claim--> sending --sent--> sent
       ^                  |
       |  failure, tries  |  failure after the last try
       +------ left ------+-------------------------------> failed  (staff see it, may retry)
    pending --the person does not want e-mail of this kind--> skipped

A claim is a conditional UPDATE (pending and due -> sending), so of two workers given the same
notice only one sends, and a task that runs again for a notice already sent or being sent
sends nothing. A worker that dies mid-send leaves its notice in `sending`; `sweep` puts it back
to pending once NOTIFICATION_SENDING_TIMEOUT_MINUTES have passed. That is at-least-once: if
the worker died after the mail server took the message but before the notice was marked sent,
the person gets it twice, with the same Message-ID so mail programs can fold the two. We chose
that over at-most-once because a notice that never arrives leaves a request waiting forever,
while a duplicate costs a glance."""

import datetime
import logging

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from requests_app import policy
from requests_app.accounts.roles import Change
from requests_app.core.states import AgreementStatus, Status
from requests_app.core.visibility import requests_visible_to
from requests_app.models import (
    AccessRequest,
    Agreement,
    Event,
    Membership,
    Notification,
    NotificationPreference,
    User,
)

logger = logging.getLogger(__name__)

Kind = Notification.Kind
Delivery = Notification.Delivery

# What CCEH staff must act on: they cannot turn off these e-mails (docs/design.md section 4: a
# request nobody hears about waits forever).
MANDATORY_FOR_STAFF = frozenset(
    {
        Kind.SUBMITTED,
        Kind.RESUBMITTED,
        Kind.WITHDRAWN,
        Kind.WAITING_REMINDER,
        Kind.SIGNED,
        Kind.ROLE_PROPOSED,
        # An addition to decide, an amended MOU to train and activate for, an HMIS account to
        # change or close (agreement/amendments.py).
        Kind.ADDITION_ASKED,
        Kind.AMENDMENT_SIGNED,
        Kind.ACCESS_AMENDED,
    }
    # A departure: an HMIS account to close within a working day (the deprovisioning list).
    | {Kind.DEPARTED}
)


# Recording.


def record(request, kind, recipients, actor=None, event=None, reminder_day=None, role=None):
    """Record who is to hear of `event` (or be reminded of `request`, or hear of an
    organization's `role` proposal), in the caller's transaction, and send their e-mails once
    it commits: a rolled-back action sends nothing. The actor is never told of their own
    action, and the requesting organization's own people only of what its requestors hear.
    Returns the notices recorded."""
    if request is not None and kind not in Kind.FOR_REQUESTORS:
        insiders = set(_requestors(request).values_list("pk", flat=True))
        recipients = [user for user in recipients if user.pk not in insiders]
    notices = Notification.objects.bulk_create(
        [
            Notification(
                recipient=user,
                request=request,
                role=role,
                event=event,
                kind=kind,
                reminder_day=reminder_day,
            )
            for user in set(recipients)
            if user != actor and user.is_active
        ],
        # A reminder already recorded today is not recorded again.
        ignore_conflicts=reminder_day is not None,
    )
    if reminder_day is None:
        send_after_commit([notice.pk for notice in notices])
    return notices


def send_after_commit(notice_ids):
    if notice_ids:
        transaction.on_commit(lambda: [queue(pk) for pk in notice_ids])


def queue(notice_id, run_after=None):
    """Queue the task that e-mails one notice, at once or not before `run_after` (only a
    backend with a worker can wait; without one, `sweep` picks the notice up when due)."""
    from requests_app.tasks import deliver_notification

    task = deliver_notification
    if run_after is not None:
        if not task.get_backend().supports_defer:
            return
        task = task.using(run_after=run_after)
    task.enqueue(notice_id)


# Who is told of what: an event's kind, the notice it makes, and who receives it. Each
# workflow event of these kinds tells its audience in its own transaction (`tell`); reminders
# are recorded by `remind`.


def _requestors(request):
    return User.objects.members_of(request.organization)


def _leaders(request):
    return User.objects.leaders_of(request.cans.all())


def _staff(request):
    return User.objects.staff()


def _committee(request):
    return User.objects.committee()


def _chairs(request):
    return User.objects.chairs()


def _assignee_or_staff(request):
    return [request.assignee] if request.assignee else list(User.objects.staff())


def _voters(request):
    return [vote.voter for vote in policy.current_votes(request)]


def _role_members(proposal):
    """The active members of the organization a role proposal is of."""
    return User.objects.members_of(proposal.organization)


def _named(event):
    """The people an event of an MOU is about (its data's "people"), by the accounts whose
    verified e-mail the request names them by: a suspended person hears of it themself."""
    from requests_app.agreement.due import users_by_email

    emails = event.request.people.filter(name__in=event.data.get("people", [])).values_list(
        "email", flat=True
    )
    return list(users_by_email(set(emails)).values())


# Told of the event itself, not of its request (tell).
_named.of_event = True


_DECIDED = (Kind.DECIDED, (_requestors, _leaders, _voters))
AUDIENCES = {
    Event.Kind.SUBMITTED: (Kind.SUBMITTED, (_staff, _leaders)),
    Event.Kind.RETURNED: (Kind.RETURNED, (_requestors,)),
    Event.Kind.RESUBMITTED: (Kind.RESUBMITTED, (_assignee_or_staff,)),
    Event.Kind.APPROVED: _DECIDED,
    Event.Kind.DENIED: _DECIDED,
    Event.Kind.COMMITTEE_DECIDED: _DECIDED,
    Event.Kind.ESCALATED: (Kind.ESCALATED, (_committee, _leaders)),
    Event.Kind.WITHDRAWN: (Kind.WITHDRAWN, (_assignee_or_staff,)),
    Event.Kind.VOTED: (Kind.VOTE_CAST, (_chairs,)),
    Event.Kind.MOU_ISSUED: (Kind.MOU_READY, (_requestors,)),
    Event.Kind.MOU_AMENDED: (Kind.MOU_READY, (_requestors,)),
    Event.Kind.MOU_SIGNED: (Kind.SIGNED, (_staff,)),
    Event.Kind.MOU_COUNTERSIGNED: (Kind.COUNTERSIGNED, (_requestors,)),
    Event.Kind.ACCESS_ACTIVATED: (Kind.ACCESS_ACTIVE, (_requestors,)),
    Event.Kind.ACCESS_REVOKED: (Kind.REVOKED, (_requestors,)),
    Event.Kind.ACCESS_EXPIRED: (Kind.EXPIRED, (_requestors,)),
    Event.Kind.PERSON_DEPARTED: (Kind.DEPARTED, (_staff, _requestors)),
    # An organization's roles (accounts/role_services.py): of a proposal, not of a request.
    Change.PROPOSED: (Kind.ROLE_PROPOSED, (_role_members, _staff)),
    Change.CONFIRMED: (Kind.ROLE_CONFIRMED, (_role_members,)),
    Change.DECLINED: (Kind.ROLE_DECLINED, (_role_members,)),
    # Amendments and the yearly review (agreement/amendments.py): staff decide additions and
    # keep the provisioning and deprovisioning lists; the organization hears each change.
    Event.Kind.AMENDMENT_REQUESTED: (Kind.ADDITION_ASKED, (_staff,)),
    Event.Kind.PERSON_ADDED: (Kind.ADDITION_DECIDED, (_requestors,)),
    Event.Kind.ADDITION_DECLINED: (Kind.ADDITION_DECIDED, (_requestors,)),
    Event.Kind.AMENDMENT_SIGNED: (Kind.AMENDMENT_SIGNED, (_staff,)),
    Event.Kind.ACCESS_LOWERED: (Kind.ACCESS_AMENDED, (_requestors, _staff)),
    Event.Kind.ACCESS_REMOVED: (Kind.ACCESS_AMENDED, (_requestors, _staff)),
    Event.Kind.RECERTIFIED: (Kind.RECERTIFIED, (_staff,)),
    Event.Kind.USER_AGREEMENT_SIGNED: (Kind.USER_AGREEMENT_SIGNED, (_requestors, _staff)),
    Event.Kind.ACCESS_SUSPENDED: (Kind.SUSPENDED, (_requestors, _staff, _named)),
    Event.Kind.ACCESS_RESUMED: (Kind.RESUMED, (_requestors, _staff, _named)),
}


# Who is reminded of what (`reminders_due`, recorded by `remind`); of a vote, only the members
# who have not voted yet.
REMINDED = {
    Kind.VOTE_REMINDER: (_committee,),
    Kind.WAITING_REMINDER: (_assignee_or_staff,),
    Kind.RETURN_REMINDER: (_requestors,),
    Kind.RENEWAL_DUE: (_requestors,),
    # Recorded by agreement/due.py access_reminders, which finds the person by e-mail.
    Kind.TRAINING_DUE: (_requestors, _named),
    Kind.USER_AGREEMENT_DUE: (_requestors, _named),
    Kind.REVIEW_DUE: (_requestors,),
}


def reminded(kind, request):
    return [person for audience in REMINDED[kind] for person in audience(request)]


def _holds(user):
    """{audience: whether `user` is of it by their roles}: whether some request could tell
    them. Two queries: their memberships and the CANs they lead."""
    staff, member = user.is_cceh_staff, user.is_committee_member
    in_an_organization = user.memberships.filter(state=Membership.State.ACTIVE).exists()
    return {
        _requestors: in_an_organization,
        _role_members: in_an_organization,
        _leaders: user.led_cans.exists(),
        _staff: staff,
        _assignee_or_staff: staff,
        _committee: member,
        _voters: member,
        _chairs: user.is_committee_chair,
        _named: _is_named(user),
    }


def _is_named(user):
    from requests_app.agreement.due import my_accesses

    return my_accesses(user).exists()


def kinds_for(user):
    """The kinds of notice `user` can receive in their roles (AUDIENCES and REMINDED), in the
    order of Kind: what their preferences offer. Several roles, the union of theirs."""
    if not user.is_active:
        return []
    holds = _holds(user)
    heard = {
        kind
        for kind, audiences in [*AUDIENCES.values(), *REMINDED.items()]
        if any(holds[audience] for audience in audiences)
    }
    return [kind for kind in Kind if kind in heard]


def tell(event):
    """Record who is to hear of `event`, by AUDIENCES, in the event's transaction."""
    if event.kind not in AUDIENCES:
        return []
    kind, audiences = AUDIENCES[event.kind]
    request = event.request
    told = [
        person
        for audience in audiences
        for person in (
            audience(event) if getattr(audience, "of_event", False) else audience(request)
        )
    ]
    return record(request, kind, told, event.actor, event=event)


def tell_role(proposal, change, actor):
    """Record who is to hear of a change of an organization's role (accounts/roles.py Change),
    by AUDIENCES, in the change's transaction."""
    kind, audiences = AUDIENCES[change]
    told = [person for audience in audiences for person in audience(proposal)]
    return record(None, kind, told, actor, role=proposal)


# Preferences.


def mandatory(user, kind):
    return user.is_cceh_staff and kind in MANDATORY_FOR_STAFF


def wants_email(user, kind):
    if mandatory(user, kind):
        return True
    chosen = NotificationPreference.objects.filter(user=user, kind=kind).first()
    return chosen.email if chosen else True


# The e-mail.


# Of an organization's role, not of a request (accounts/roles.py): they name the proposal.
ROLE_KINDS = frozenset({Kind.ROLE_PROPOSED, Kind.ROLE_CONFIRMED, Kind.ROLE_DECLINED})

# After an approval, people act on the MOU's own page: sign, countersign, renew.
AGREEMENT_KINDS = frozenset(
    {
        Kind.MOU_READY,
        Kind.SIGNED,
        Kind.COUNTERSIGNED,
        Kind.ACCESS_ACTIVE,
        Kind.RENEWAL_DUE,
        Kind.EXPIRED,
        Kind.REVOKED,
        Kind.ADDITION_ASKED,
        Kind.ADDITION_DECIDED,
        Kind.AMENDMENT_SIGNED,
        Kind.ACCESS_AMENDED,
        Kind.RECERTIFIED,
        Kind.USER_AGREEMENT_SIGNED,
        Kind.SUSPENDED,
        Kind.RESUMED,
        Kind.TRAINING_DUE,
        Kind.USER_AGREEMENT_DUE,
        Kind.REVIEW_DUE,
    }
)

# What a named person hears of their own access: who cannot see the MOU's page acts on their
# own page instead (a person who may not see a thing is never sent to it).
PERSONAL_KINDS = frozenset(
    {Kind.SUSPENDED, Kind.RESUMED, Kind.TRAINING_DUE, Kind.USER_AGREEMENT_DUE}
)


def action_path(notice):
    """The page where the recipient acts on the notice: the request's own page, where each
    role finds its forms (the vote, the checklist, the answer to a question), or the MOU's; of
    an organization's role, the organization page, or for staff asked to confirm it, their
    list of proposals."""
    if notice.role_id is not None:
        if notice.kind == Kind.ROLE_PROPOSED and notice.recipient.is_cceh_staff:
            return reverse("organization_roles")
        return reverse("organization")
    if notice.kind in AGREEMENT_KINDS:
        if notice.kind in PERSONAL_KINDS and not (
            requests_visible_to(notice.recipient).filter(pk=notice.request_id).exists()
        ):
            return reverse("my_agreement")
        return reverse("agreement", args=[notice.request.reference])
    return notice.request.get_absolute_url()


def absolute(path):
    return settings.SITE_URL.rstrip("/") + path


def message_id(notice):
    """The same for every try of one notice: a duplicate after a worker's death is
    recognisable as one."""
    domain = settings.SITE_URL.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0]
    return f"<notice-{notice.pk}@{domain or 'localhost'}>"


# The bases a kind's template `emails/<kind>.txt` is rendered against: it defines the blocks
# `subject`, `what` and `act`, and extends the base named by the context variable `base`.
# The subject's base outputs the subject block alone, with autoescaping off; the text body's
# turns autoescaping off (the e-mail is plain text), the HTML body's leaves it on.
EMAIL_BASES = {
    "subject": "emails/base_subject.txt",
    "text": "emails/base_body.txt",
    "html": "emails/base_body.html",
}


def _about(notice):
    """What a notice's words read: its request, its event and the committee's name."""
    return {
        "notice": notice,
        "access_request": notice.request,
        "event": notice.event,
        "role": notice.role,
        "committee_name": settings.COMMITTEE_NAME,
    }


def _render(notice, part, context):
    return render_to_string(f"emails/{notice.kind}.txt", {**context, "base": EMAIL_BASES[part]})


def title(notice):
    """What happened, with the request's reference ("HMIS-2026-0004 approved"): the notice's
    title on the Notices page and its e-mail's subject, one text from the kind's template. It
    reads the notice's request (its reference, its organization's name) and event (its
    outcome): a list of notices reads them with the notices."""
    return " ".join(_render(notice, "subject", _about(notice)).split())


def email_for(notice):
    context = {
        **_about(notice),
        "title": title(notice),
        "recipient": notice.recipient,
        "url": absolute(action_path(notice)),
        "preferences_url": absolute(reverse("notification_preferences")),
    }
    message = EmailMultiAlternatives(
        subject=f"{settings.ACCOUNT_EMAIL_SUBJECT_PREFIX}{context['title']}",
        body=_render(notice, "text", context),
        to=[notice.recipient.email],
        headers={"Message-ID": message_id(notice)},
    )
    message.attach_alternative(_render(notice, "html", context), "text/html")
    return message


# Delivery.


def backoff(attempts):
    """The wait after the `attempts`-th failed try: RETRY_SECONDS, doubled after each."""
    return datetime.timedelta(seconds=settings.NOTIFICATION_RETRY_SECONDS * 2 ** (attempts - 1))


def deliver(notice_id):
    """Send one notice's e-mail, unless it is not due, is another worker's, or is done.
    Returns the notice's delivery state afterwards (None if it no longer exists)."""
    notice = (
        Notification.objects.select_related(
            "recipient", "request", "event", "role__person", "role__organization"
        )
        .filter(pk=notice_id)
        .first()
    )
    if notice is None:
        return None
    if notice.delivery == Delivery.PENDING and not (
        notice.recipient.is_active and wants_email(notice.recipient, notice.kind)
    ):
        Notification.objects.filter(pk=notice.pk, delivery=Delivery.PENDING).update(
            delivery=Delivery.SKIPPED
        )
        return _state(notice)
    now = timezone.now()
    claimed = Notification.objects.filter(
        pk=notice.pk, delivery=Delivery.PENDING, next_try_at__lte=now
    ).update(delivery=Delivery.SENDING, claimed_at=now, attempts=F("attempts") + 1)
    if not claimed:
        return _state(notice)
    notice.refresh_from_db(fields=["attempts", "claimed_at"])
    try:
        email_for(notice).send()
    except Exception as error:
        _failed(notice, error)
    else:
        Notification.objects.filter(pk=notice.pk, delivery=Delivery.SENDING).update(
            delivery=Delivery.SENT, sent_at=timezone.now(), last_error=""
        )
    return _state(notice)


def _state(notice):
    return Notification.objects.filter(pk=notice.pk).values_list("delivery", flat=True).first()


def _failed(notice, error):
    """A try failed: try again later with a longer wait, or give up after the last try."""
    reason = f"{type(error).__name__}: {error}"[:2000]
    logger.warning("E-mail of notice %s, try %s, failed: %s", notice.pk, notice.attempts, reason)
    mine = Notification.objects.filter(pk=notice.pk, delivery=Delivery.SENDING)
    if notice.attempts >= settings.NOTIFICATION_MAX_ATTEMPTS:
        mine.update(delivery=Delivery.FAILED, last_error=reason)
        return
    next_try = timezone.now() + backoff(notice.attempts)
    if mine.update(delivery=Delivery.PENDING, next_try_at=next_try, last_error=reason):
        queue(notice.pk, run_after=next_try)


def sweep():
    """What no task is sure to do: send notices whose retry is due (a backend without a worker
    cannot wait for it; a queued task can be lost with its process), and take back sends whose
    worker died. Safe to run at any time and from several places: the claim decides who sends.
    Returns (notices queued, sends taken back)."""
    now = timezone.now()
    timeout = datetime.timedelta(minutes=settings.NOTIFICATION_SENDING_TIMEOUT_MINUTES)
    recovered = 0
    stuck = Notification.objects.filter(delivery=Delivery.SENDING, claimed_at__lt=now - timeout)
    for notice in stuck:
        mine = Notification.objects.filter(
            pk=notice.pk, delivery=Delivery.SENDING, claimed_at=notice.claimed_at
        )
        if notice.attempts >= settings.NOTIFICATION_MAX_ATTEMPTS:
            recovered += mine.update(
                delivery=Delivery.FAILED,
                last_error="The worker stopped while sending; the e-mail may not have gone out.",
            )
        else:
            recovered += mine.update(
                delivery=Delivery.PENDING,
                next_try_at=now,
                last_error="The worker stopped while sending; sending again.",
            )
    due = list(
        Notification.objects.filter(delivery=Delivery.PENDING, next_try_at__lte=now).values_list(
            "pk", flat=True
        )
    )
    for pk in due:
        queue(pk)
    return len(due), recovered


@transaction.atomic
def retry(notice):
    """Staff send a failed e-mail again, with a fresh set of tries."""
    again = Notification.objects.filter(pk=notice.pk, delivery=Delivery.FAILED).update(
        delivery=Delivery.PENDING, attempts=0, next_try_at=timezone.now()
    )
    if again:
        send_after_commit([notice.pk])
    return bool(again)


def failed_deliveries():
    return Notification.objects.filter(delivery=Delivery.FAILED).select_related(
        "recipient", "request", "role__organization"
    )


# Reminders.

WAITING_FOR_STAFF = (Status.SUBMITTED, Status.SCREENING)
# Reminders whose day is the due date they remind of, not the day they were recorded.
DUE_DATE_KINDS = (Kind.TRAINING_DUE, Kind.USER_AGREEMENT_DUE, Kind.REVIEW_DUE)


def _near_target(request, today):
    """Within DECISION_REMINDER_DAYS_BEFORE_TARGET days of its decision target, or past it
    (policy.deadline: working days for CCEH's target, calendar days for the committee's)."""
    clock = policy.deadline(request, today)
    return clock is not None and clock.left <= settings.DECISION_REMINDER_DAYS_BEFORE_TARGET


def reminders_due(today, now):
    """(request, kind, recipients) for each reminder due on `today`. Members who have not
    voted are reminded from VOTE_REMINDER_DAYS_BEFORE_DEADLINE days before the round's deadline,
    and, while the request is still with the committee, from the committee's decision target
    on (policy.deadline); staff from CCEH's decision target on; each once a day."""
    window = now + datetime.timedelta(days=settings.VOTE_REMINDER_DAYS_BEFORE_DEADLINE)
    # Escalated long enough ago that the committee's target is near (a day early, in UTC; the
    # clock's own dates decide).
    target_near = now - datetime.timedelta(
        days=settings.COMMITTEE_DECISION_TARGET_DAYS
        - settings.DECISION_REMINDER_DAYS_BEFORE_TARGET
        - 1
    )
    voting = AccessRequest.objects.filter(
        Q(voting_round__deadline__gt=now, voting_round__deadline__lte=window)
        | Q(voting_round__opened_at__lte=target_near),
        status=Status.VETTING,
    ).select_related("voting_round")
    # REMINDED's committee, read once for every request in vetting.
    (committee,) = REMINDED[Kind.VOTE_REMINDER]
    members = list(committee(None))
    for request in voting:
        closes_soon = now < request.voting_round.deadline <= window
        if not (closes_soon or _near_target(request, today)):
            continue
        voted = set(policy.current_votes(request).values_list("voter_id", flat=True))
        yield request, Kind.VOTE_REMINDER, [m for m in members if m.pk not in voted]
    # CCEH's target, in working days, is never sooner in calendar days.
    submitted_before = now - datetime.timedelta(
        days=max(
            settings.CCEH_DECISION_TARGET_WORKING_DAYS
            - settings.DECISION_REMINDER_DAYS_BEFORE_TARGET
            - 1,
            0,
        )
    )
    waiting = AccessRequest.objects.filter(
        status__in=WAITING_FOR_STAFF, submitted_at__lte=submitted_before
    ).select_related("assignee")
    for request in waiting:
        if _near_target(request, today):
            yield request, Kind.WAITING_REMINDER, reminded(Kind.WAITING_REMINDER, request)
    unanswered_since = now - datetime.timedelta(days=settings.RETURN_REMINDER_DAYS)
    returned = AccessRequest.objects.filter(
        status=Status.RETURNED, status_changed_at__lte=unanswered_since
    ).select_related("organization")
    for request in returned:
        yield request, Kind.RETURN_REMINDER, reminded(Kind.RETURN_REMINDER, request)
    yield from _renewals_due(today)
    # Training, user agreements and reviews falling due: their reminder's day is the due date,
    # so each due date is told once (`remind`).
    from requests_app.agreement.due import access_reminders

    yield from access_reminders(today)


def _renewals_due(today):
    """Active access within GRANT_RENEWAL_WINDOW_DAYS of its end, with no renewal under way:
    the organization is reminded once a week until it starts one or the access ends."""
    opens_by = today + datetime.timedelta(days=settings.GRANT_RENEWAL_WINDOW_DAYS)
    due = Agreement.objects.filter(
        status=AgreementStatus.ACTIVE, ends_on__lte=opens_by, ends_on__gte=today
    ).select_related("request__organization")
    week_ago = today - datetime.timedelta(days=6)
    for agreement in due:
        request = agreement.request
        if request.renewals.exclude(status__in=Status.CLOSED).exists():
            continue
        told = Notification.objects.filter(
            request=request, kind=Kind.RENEWAL_DUE, reminder_day__gte=week_ago
        ).exclude(reminder_day=today)
        if not told.exists():
            yield request, Kind.RENEWAL_DUE, reminded(Kind.RENEWAL_DUE, request)


def remind(now=None):
    """Record the reminders due today and send them. A second run on the same day records and
    sends nothing new: one reminder of a kind per person, request and day (a unique
    constraint), and only notices still pending are sent. Returns how many were recorded."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    before = Notification.objects.filter(reminder_day=today).count()
    started = timezone.now()
    with transaction.atomic():
        for request, kind, recipients, *day in reminders_due(today, now):
            # A reminder of a due date (agreement/due.py) is for that day: told once.
            record(request, kind, recipients, reminder_day=day[0] if day else today)
    todays = Notification.objects.filter(reminder_day=today)
    dated = Notification.objects.filter(
        kind__in=DUE_DATE_KINDS, reminder_day__isnull=False, created_at__gte=started
    ).exclude(reminder_day=today)
    for pk in (todays | dated).filter(delivery=Delivery.PENDING).values_list("pk", flat=True):
        queue(pk)
    return todays.count() - before + dated.count()


# Preferences.


def email_choices(user):
    """{kind: whether `user` gets its e-mail}, for every kind."""
    chosen = dict(NotificationPreference.objects.filter(user=user).values_list("kind", "email"))
    return {kind: mandatory(user, kind) or chosen.get(kind, True) for kind in Kind.values}


@transaction.atomic
def set_email_choices(user, choices):
    """Save `user`'s {kind: e-mail or not}. What staff must act on stays on, whatever asks."""
    for kind, email in choices.items():
        if kind not in Kind.values or mandatory(user, kind):
            continue
        NotificationPreference.objects.update_or_create(
            user=user, kind=kind, defaults={"email": bool(email)}
        )
