"""One function per action. Each runs in one transaction: lock the request, check who asks and
the policy's guards, run the transition, save, append the event and record who is to be told.
Views call these; nothing else changes a request's status."""

import calendar
import datetime
import hashlib

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, Subquery
from django.utils import timezone

from requests_app.application import record as application_record
from requests_app.core.states import AccessLevel, AgreementStatus, Status
from requests_app.core.visibility import active_organization_ids, requests_seen_internally_by
from requests_app.notifications import services as notifications

from . import policy
from .core.actions import (
    ACTIONS,
    ActionRefused,
    Conflict,
    bump,
    lock,
    refusals,
    refuse,
    require,
)
from .core.permissions import belongs_to_requesting_org
from .models import (
    AccessRequest,
    Agreement,
    Assessment,
    Attachment,
    CANRecommendation,
    Comment,
    Criterion,
    Decision,
    Event,
    Grant,
    Membership,
    MOUVersion,
    NamedPerson,
    Notification,
    PersonAccess,
    Revocation,
    Signature,
    Training,
    User,
    Vote,
    VotingRound,
    latest_per,
)


def _move(locked, name, *args):
    """Run action `name`'s transition and save; the status field is protected, so this is the
    only way."""
    from_status = locked.status
    getattr(locked, ACTIONS[name].transition)(*args)
    locked.status_changed_at = timezone.now()
    locked.save()
    return from_status


def _event(request, actor, kind, note="", from_status="", data=None, public=False):
    """Append an event to the request's history, and record who is to hear of it
    (notifications.AUDIENCES) in the same transaction: their e-mails go after commit, and a
    rolled-back action leaves nothing to send."""
    event = Event.objects.create(
        request=request,
        actor=actor,
        kind=kind,
        note=note,
        from_status=from_status,
        to_status=request.status if from_status else "",
        data=data or {},
        visible_to_requestor=public,
    )
    notifications.tell(event)
    return event


def _text(value):
    return (value or "").strip()


def _ids(action, values, what):
    """Ids from a form, as integers; anything else is refused in words, not with a crash."""
    try:
        return [int(value) for value in values or ()]
    except (TypeError, ValueError):
        raise ActionRefused(action, [f"Choose {what} from the list."]) from None


def _by_id(action, mapping, what):
    """{id: value} from a form's {id, or id as text: value}."""
    mapping = mapping or {}
    return dict(zip(_ids(action, mapping.keys(), what), mapping.values(), strict=True))


# The actions of DESIGN section 4.


@transaction.atomic
def submit(request, user):
    locked = lock(request, user, "submit")
    was = _move(locked, "submit")
    application_record.freeze(locked, user)
    _event(locked, user, Event.Kind.SUBMITTED, from_status=was, public=True)
    return locked


@transaction.atomic
def start_screening(request, user):
    locked = lock(request, user, "take")
    was = _move(locked, "take", user)
    _event(locked, user, Event.Kind.SCREENING_STARTED, from_status=was, public=True)
    return locked


@transaction.atomic
def return_for_information(request, user, message):
    locked = lock(request, user, "return")
    message = _text(message)
    require(
        "return",
        (not message, "Write the question or what is missing, for the requestor to answer."),
    )
    was = _move(locked, "return")
    Comment.objects.create(
        request=locked, author=user, body=message, visibility=Comment.Visibility.REQUESTOR
    )
    _event(locked, user, Event.Kind.RETURNED, note=message, from_status=was, public=True)
    return locked


@transaction.atomic
def resubmit(request, user, response):
    locked = lock(request, user, "resubmit")
    response = _text(response)
    require("resubmit", (not response, "Write a response to the question before resubmitting."))
    was = _move(locked, "resubmit")
    application_record.freeze(locked, user)
    Comment.objects.create(
        request=locked, author=user, body=response, visibility=Comment.Visibility.REQUESTOR
    )
    _event(locked, user, Event.Kind.RESUBMITTED, note=response, from_status=was, public=True)
    return locked


def _check_levels(action, request, levels, what):
    """Every named person has a valid level, never above what was asked for them (1.6)."""
    levels = _by_id(action, levels, "the people")
    problems = []
    for person in request.people.all():
        level = levels.get(person.pk)
        if level not in AccessLevel.values:
            problems.append(f"Choose {what} for {person.name}.")
        elif AccessLevel.RANK[level] > AccessLevel.RANK[person.requested_level]:
            problems.append(
                f"{person.name} asked for {person.get_requested_level_display().lower()}; "
                f"{what} cannot be higher."
            )
    unknown = set(levels) - set(request.people.values_list("pk", flat=True))
    if unknown:
        problems.append("A level was given for someone this request does not name.")
    if problems:
        raise ActionRefused(action, problems)
    return levels


def _decide(
    locked,
    user,
    outcome,
    *,
    reason,
    conditions="",
    levels=None,
    cited=(),
    by_committee=False,
    tally=None,
    departs_reason="",
):
    decision = Decision.objects.create(
        request=locked,
        outcome=outcome,
        decided_by=user,
        reason=reason,
        conditions=conditions,
        by_committee=by_committee,
        tally=tally,
        departs_from_tally_reason=departs_reason,
    )
    decision.cited_criteria.set(cited)
    people = {p.pk: p for p in locked.people.all()}
    Grant.objects.bulk_create(
        [
            Grant(decision=decision, person=people[pk], level=level)
            for pk, level in (levels or {}).items()
        ]
    )
    return decision


def _after_decision(locked, user):
    """An approval's MOU follows, after the decision in the history."""
    if locked.status == Status.APPROVED:
        _issue_agreement(locked, user)


@transaction.atomic
def approve(request, user, levels, conditions="", can_waivers=None):
    """CCEH decides a clear case (4.3). `levels`: {named person id: level}. `can_waivers`:
    {CAN id: reason} for named CANs whose recommendation staff waive (1.5, 4.2)."""
    locked = lock(request, user, "approve", check_conditions=False)
    levels = _check_levels("approve", locked, levels, "the granted level")
    named = {can.pk: can for can in locked.cans.all()}
    can_waivers = _by_id("approve", can_waivers, "the CANs")
    for can_id, reason in can_waivers.items():
        reason = _text(reason)
        if not reason:
            continue
        require("approve", (can_id not in named, "Only a CAN this request names can be waived."))
        recommendation = CANRecommendation.objects.create(
            request=locked,
            can=named[can_id],
            position=CANRecommendation.Position.WAIVED,
            reason=reason,
            author=user,
        )
        _event(
            locked,
            user,
            Event.Kind.CAN_RECOMMENDED,
            note=reason,
            data={"can": recommendation.can.name, "position": recommendation.position},
        )
    # The transition's guards (criteria, CANs, a one-time need); then 1.9's written condition.
    refuse(
        "approve",
        refusals(locked, user, "approve")
        or policy.researcher_conditions_missing(locked, levels, _text(conditions)),
    )
    was = _move(locked, "approve")
    _decide(locked, user, Status.APPROVED, reason="", conditions=_text(conditions), levels=levels)
    _event(
        locked,
        user,
        Event.Kind.APPROVED,
        note=_text(conditions),
        from_status=was,
        data={"levels": {str(k): v for k, v in levels.items()}},
        public=True,
    )
    _after_decision(locked, user)
    return locked


@transaction.atomic
def deny(request, user, cited, reason):
    """CCEH refuses, citing the disqualifiers or unmet criteria its screening found."""
    locked = lock(request, user, "deny")
    reason = _text(reason)
    cited = list(Criterion.objects.filter(pk__in=_ids("deny", cited, "the criteria")))
    failing = {c.pk for c in policy.failing_criteria(locked)}
    require(
        "deny",
        (not cited, "Cite at least one disqualifier (2.1, 2.2) or unmet criterion."),
        (not reason, "Write the reason the requestor will read."),
        *[
            (
                c.pk not in failing,
                f"{c.code} is not assessed as unmet or applying, so it cannot be cited.",
            )
            for c in cited
        ],
    )
    was = _move(locked, "deny")
    _decide(locked, user, Status.DENIED, reason=reason, cited=cited)
    _event(
        locked,
        user,
        Event.Kind.DENIED,
        note=reason,
        from_status=was,
        data={"cited": [c.code for c in cited]},
        public=True,
    )
    _after_decision(locked, user)
    return locked


@transaction.atomic
def escalate(request, user, note):
    """The case is not clear: the sub-committee vets it, with the named CANs (4.3)."""
    locked = lock(request, user, "escalate")
    note = _text(note)
    require("escalate", (not note, f"Write what is unclear, for the {settings.COMMITTEE_NAME}."))
    deadline = timezone.now() + datetime.timedelta(days=settings.COMMITTEE_VOTING_DAYS)
    # The transition opens the request's new voting round, with the note and the deadline.
    was = _move(locked, "escalate", deadline, note, user)
    _event(
        locked,
        user,
        Event.Kind.ESCALATED,
        note=note,
        from_status=was,
        data={"deadline": deadline.isoformat()},
    )
    return locked


@transaction.atomic
def record_committee_decision(
    request, user, outcome, reason, levels=None, conditions="", cited=(), departs_reason=""
):
    """The chair closes the vote and records the committee's decision, with the tally."""
    locked = lock(request, user, "decide")
    reason, departs_reason = _text(reason), _text(departs_reason)
    require("decide", (outcome not in Status.DECIDED, "Choose approve or deny."))
    count = policy.tally(locked)
    follows = count["majority"] == ("approve" if outcome == Status.APPROVED else "deny")
    require(
        "decide",
        (
            not follows and not departs_reason,
            "The decision differs from the tally (or the vote is tied): write why.",
        ),
    )
    cited_rows = list(Criterion.objects.filter(pk__in=_ids("decide", cited, "the criteria")))
    if outcome == Status.APPROVED:
        # The transition's guards cannot see the outcome: an approval's own guard (1.2, 2.1)
        # is applied here, as staff's approve applies it through its transition.
        refuse("decide", policy.need_is_ongoing.problems(locked))
        levels = _check_levels("decide", locked, levels, "the granted level")
        refuse(
            "decide",
            policy.researcher_conditions_missing(locked, levels, _text(conditions)),
        )
    else:
        levels = None
        require(
            "decide",
            (not reason, "Write the reason the requestor will read."),
            (not cited_rows, "Cite at least one criterion the denial rests on."),
        )
    was = _move(locked, "decide", outcome)
    _decide(
        locked,
        user,
        outcome,
        reason=reason,
        conditions=_text(conditions),
        levels=levels,
        cited=cited_rows,
        by_committee=True,
        tally=count,
        departs_reason=departs_reason,
    )
    _event(
        locked,
        user,
        Event.Kind.COMMITTEE_DECIDED,
        note=reason,
        from_status=was,
        data={"tally": count},
        public=True,
    )
    _after_decision(locked, user)
    return locked


@transaction.atomic
def withdraw(request, user, reason=""):
    locked = lock(request, user, "withdraw")
    was = _move(locked, "withdraw")
    _event(locked, user, Event.Kind.WITHDRAWN, note=_text(reason), from_status=was, public=True)
    return locked


# Actions that keep the status.


@transaction.atomic
def cast_vote(request, user, choice, reason="", levels=None, replaces=None):
    """One vote per member, changeable until the vote closes. `replaces` is the id of the vote
    the member saw as theirs (None for a first vote): if it changed meanwhile, say so."""
    locked = lock(request, user, "vote")
    reason = _text(reason)
    current = policy.current_votes(locked).filter(voter=user).first()
    if (current.pk if current else None) != replaces:
        raise Conflict(
            "vote",
            [
                "Your vote on this request changed in another window while you were looking at it. "
                "Reload the page to see it before voting again."
            ],
        )
    require(
        "vote",
        (choice not in Vote.Choice.values, "Choose approve, deny, abstain or recuse."),
        (
            choice != Vote.Choice.RECUSE and belongs_to_requesting_org.test(user, locked),
            "You belong to the requesting organization, so you cannot vote on its request; "
            "record a recusal instead.",
        ),
        (
            choice in (Vote.Choice.DENY, Vote.Choice.RECUSE) and not reason,
            "Write the reason for this choice.",
        ),
    )
    levels = (
        _check_levels("vote", locked, levels, "a recommended level")
        if choice == Vote.Choice.APPROVE
        else {}
    )
    had_quorum = policy.tally(locked)["quorum"]
    vote = Vote.objects.create(
        request=locked,
        round_id=locked.voting_round_id,
        voter=user,
        choice=choice,
        reason=reason,
        recommended_levels={str(k): v for k, v in levels.items()},
    )
    event = _event(
        locked,
        user,
        Event.Kind.VOTED,
        note=reason,
        data={"vote": vote.pk, "choice": choice, "changed": current is not None},
    )
    if not had_quorum and policy.tally(locked)["quorum"] and _first_quorum_of_round(locked):
        notifications.record(
            locked, Notification.Kind.QUORUM_REACHED, User.objects.chairs(), None, event=event
        )
    return vote


def _first_quorum_of_round(request):
    """Quorum is news once per voting round: a changed vote can lose it and win it back. True
    the first time, when the round records the announcement, in the notice's transaction."""
    return VotingRound.announce_quorum(request.voting_round_id)


@transaction.atomic
def assess_criterion(request, user, criterion, outcome, note=""):
    """Record staff's judgement of one criterion; a change is a new row (history kept)."""
    locked = lock(request, user, "assess")
    require(
        "assess",
        (
            outcome not in Assessment.Outcome.values,
            "Choose met, not met, not applicable or unclear.",
        ),
        (
            criterion.policy_version != policy.POLICY_VERSION,
            "That criterion is not part of the policy in force.",
        ),
    )
    assessment = Assessment.objects.create(
        request=locked, criterion=criterion, outcome=outcome, note=_text(note), assessed_by=user
    )
    _event(
        locked,
        user,
        Event.Kind.ASSESSED,
        note=assessment.note,
        # Which words the history uses for the outcome depends on the kind of criterion.
        data={
            "criterion": criterion.code,
            "outcome": outcome,
            "disqualifier": criterion.is_disqualifier,
        },
    )
    return assessment


@transaction.atomic
def recommend_for_can(request, user, can, position, reason):
    """A CAN's leadership records its recommendation (1.5, 4.2); changeable until a decision."""
    locked = lock(request, user, "recommend")
    reason = _text(reason)
    require(
        "recommend",
        (
            position not in CANRecommendation.Position.values
            or position == CANRecommendation.Position.WAIVED,
            "Choose support, do not support, or no position.",
        ),
        (not reason, "Write the reason for the CAN's recommendation."),
        (
            not locked.cans.filter(pk=can.pk, leaders=user).exists(),
            f"You do not lead {can.name}, or this request does not name it.",
        ),
    )
    recommendation = CANRecommendation.objects.create(
        request=locked, can=can, position=position, reason=reason, author=user
    )
    _event(
        locked,
        user,
        Event.Kind.CAN_RECOMMENDED,
        note=reason,
        data={"can": can.name, "position": position},
    )
    return recommendation


@transaction.atomic
def add_comment(request, user, body, visibility=Comment.Visibility.INTERNAL):
    action = "comment" if visibility == Comment.Visibility.INTERNAL else "message"
    locked = lock(request, user, action)
    body = _text(body)
    require(action, (not body, "Write something before posting."))
    return Comment.objects.create(request=locked, author=user, body=body, visibility=visibility)


# The application, while its organization writes it, and again when staff return it.

ATTACHMENTS_PER_REQUEST = 20
ORGANIZATION_LABELS = {
    "kind": "Organization's type",
    "address": "Organization's address",
    "website": "Organization's website",
    "funded_for_homeless_services": "Whether the organization is funded for homeless services",
}
ORGANIZATION_FIELDS = tuple(ORGANIZATION_LABELS)
PERSON_FIELDS = ("name", "title", "email", "requested_level")


@transaction.atomic
def start_request(organization, user):
    """A new draft for `organization`, begun by one of its active members."""
    if not active_organization_ids(user).filter(organization_id=organization.pk).exists():
        raise ActionRefused(
            "start_request", ["Only active members of an organization start its requests."]
        )
    # The person starting it is the likeliest contact; they can change it.
    return AccessRequest.objects.create(
        organization=organization,
        created_by=user,
        contact_name=user.name,
        contact_email=user.email,
        last_step=policy.SECTIONS[0],
        last_edited_by=user,
    )


def edit_version(request):
    """What an application page records of the answers it showed: any save changes it."""
    return request.updated_at.isoformat()


def _check_no_colleague_saved_since(locked, user, seen):
    read_at = _aware(seen)
    # A page cannot have been read after now: a time in the future is as unreadable as none.
    if read_at is None or read_at > timezone.now():
        raise ActionRefused(
            "edit",
            ["This page is out of date or incomplete. Reload it, then save again."],
        )
    later = sorted(
        (at, int(pk))
        for pk, saved in locked.saved_by.items()
        if int(pk) != user.pk and (at := _aware(saved)) is not None and at > read_at
    )
    if later:
        at, pk = later[-1]
        who = User.objects.filter(pk=pk).values_list("name", flat=True).first() or "Someone"
        raise Conflict(
            "edit",
            [
                f"{who} saved changes to this application at "
                f"{timezone.localtime(at):%-I:%M %p} while you had this page open. What you "
                "typed is below and is not saved yet: check it against their changes on the "
                "review page, then save again."
            ],
        )


def _aware(value):
    """A time from a page or the record, with its time zone, or None when it has none."""
    try:
        moment = datetime.datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return None
    return moment if timezone.is_aware(moment) else None


def _touch(locked, user):
    """Record who saved the application and when, then save it."""
    locked.last_edited_by = user
    locked.saved_by = {**locked.saved_by, str(user.pk): timezone.now().isoformat()}
    locked.save()


def _label(model, name):
    return str(model._meta.get_field(name).verbose_name).capitalize()


def _shown(value):
    return list(value) if isinstance(value, (set, frozenset, list, tuple)) else value


@transaction.atomic
def save_answers(request, user, step, answers=None, *, organization=None, people=None, seen=None):
    """Save one step of the application. `answers` are the request's own fields (with "cans"
    as CAN objects), `organization` the organization's details, `people` the named people as
    dicts (an "id" for someone already named, "delete" to remove them). `seen` is the
    edit_version the page showed: a colleague's save since then is not overwritten unseen."""
    locked = lock(request, user, "edit")
    if seen is not None:
        _check_no_colleague_saved_since(locked, user, seen)
    changed = []
    answers = dict(answers or {})
    cans = answers.pop("cans", None)
    for name, value in answers.items():
        if getattr(locked, name) != value:
            setattr(locked, name, value)
            changed.append(_label(AccessRequest, name))
    if cans is not None and {c.pk for c in cans} != set(locked.cans.values_list("pk", flat=True)):
        locked.cans.set(cans)
        changed.append("CANs")
    if organization:
        org = locked.organization
        edits = {k: v for k, v in organization.items() if k in ORGANIZATION_FIELDS}
        differ = [k for k, v in edits.items() if getattr(org, k) != v]
        if differ:
            for name in differ:
                setattr(org, name, edits[name])
            org.save(update_fields=differ)
            changed += [ORGANIZATION_LABELS[name] for name in differ]
    if people is not None:
        changed += _save_people(locked, people)
    locked.last_step = step
    _touch(locked, user)
    if changed and locked.status != Status.DRAFT:
        # Staff read what changed since they returned it.
        _event(locked, user, Event.Kind.ANSWERS_CHANGED, data={"changed": changed}, public=True)
    return locked


def _save_people(locked, people):
    """Apply the named people from a form; what changed, in words. A row is matched to a saved
    person by its id, or else by e-mail, so the same form saved twice (a double click, or back
    and save again) names nobody twice; a row whose id is no longer on the request (a colleague
    removed the person) names them again."""
    changed = []
    named = {p.pk: p for p in locked.people.all()}
    # Removals first, so a person removed and named again in one save is not a duplicate.
    for row in people:
        person = named.get(row.get("id"))
        if person is not None and row.get("delete"):
            del named[person.pk]
            person.delete()
            changed.append(f"Removed {person.name}")
    by_email = {p.email: p for p in named.values()}
    kept = [row for row in people if not row.get("delete")]
    for row in kept:
        values = {k: row.get(k, "") for k in PERSON_FIELDS}
        values["email"] = values["email"].lower()
        person = named.get(row.get("id")) or by_email.get(values["email"])
        other = by_email.get(values["email"])
        require(
            "edit",
            (
                other is not None and person is not None and other.pk != person.pk,
                f"{other.name if other else ''} is already named with {values['email']}. "
                "Name each person once.",
            ),
        )
        if person is None:
            person = NamedPerson.objects.create(request=locked, **values)
            named[person.pk] = by_email[person.email] = person
            changed.append(f"Added {values['name']}")
        elif any(getattr(person, k) != v for k, v in values.items()):
            by_email.pop(person.email, None)
            for k, v in values.items():
                setattr(person, k, v)
            person.save()
            by_email[person.email] = person
            changed.append(f"Changed {person.name}")
    return changed


@transaction.atomic
def attach_file(request, user, upload, content_type, description=""):
    """Store a file that forms.AttachmentForm has checked by its content."""
    locked = lock(request, user, "edit")
    require(
        "edit",
        (
            locked.attachments.count() >= ATTACHMENTS_PER_REQUEST,
            f"A request holds at most {ATTACHMENTS_PER_REQUEST} files: remove one first.",
        ),
    )
    attached = Attachment(
        request=locked,
        original_name=upload.name,
        content_type=content_type,
        size=upload.size,
        description=_text(description),
        uploaded_by=user,
    )
    attached.file.save(upload.name, upload, save=False)
    try:
        attached.save()
        _touch(locked, user)
        if locked.status != Status.DRAFT:
            _event(
                locked,
                user,
                Event.Kind.ANSWERS_CHANGED,
                data={"changed": [f"Attached the file {attached.original_name}"]},
                public=True,
            )
    except BaseException:
        # Django has no on-rollback hook: a file whose row was never written goes at once.
        attached.file.storage.delete(attached.file.name)
        raise
    return attached


@transaction.atomic
def remove_attachment(request, user, attachment_id):
    locked = lock(request, user, "edit")
    attached = locked.attachments.filter(pk=attachment_id).first()
    require("edit", (attached is None, "That file is not attached to this request."))
    storage, name = attached.file.storage, attached.file.name
    attached.delete()
    # Removed from disk only once the row is gone for good.
    transaction.on_commit(lambda: storage.delete(name))
    _touch(locked, user)
    if locked.status != Status.DRAFT:
        _event(
            locked,
            user,
            Event.Kind.ANSWERS_CHANGED,
            data={"changed": [f"Removed the file {attached.original_name}"]},
            public=True,
        )


@transaction.atomic
def delete_draft(request, user):
    """A draft nobody outside the organization has seen is deleted, files and all."""
    locked = lock(request, user, "delete")
    files = [(a.file.storage, a.file.name) for a in locked.attachments.all()]
    locked.attachments.all().delete()
    locked.people.all().delete()
    locked.cans.clear()
    reference = locked.reference
    locked.delete()
    for storage, name in files:
        transaction.on_commit(lambda storage=storage, name=name: storage.delete(name))
    return reference


# After an approval: the MOU and the access it grants (policy 1.6, 1.7, 1.10, 4.1).

SIGNING_STATEMENT = (
    "I am authorized to sign this Memorandum of Understanding for {organization}, and I "
    "agree to it on its behalf."
)
COUNTERSIGNING_STATEMENT = "I countersign this Memorandum of Understanding for CCEH."


def version_problems(agreement):
    """Actions that read the MOU as it now stands, or make its next version: none may run while
    a version an earlier action asked for is not stored yet."""
    pending = agreement.pending_version()
    if pending is None:
        return []
    if agreement.mou_failed_at:
        return [
            f"Version {pending} of the MOU could not be prepared. CCEH staff can see why on "
            "this page and prepare it again."
        ]
    return [f"Version {pending} of the MOU is still being prepared: reload in a minute."]


def nothing_to_prepare(agreement):
    if agreement.mou_failed_at:
        return []
    return ["Every version of the MOU asked for is stored or being prepared."]


def nobody_to_activate(agreement):
    if any(ready and not a.activated_at for a, ready in readiness(agreement)):
        return []
    return ["Nobody is ready to activate: record each person's training first."]


def renewal_opens_on(agreement):
    if agreement.ends_on is None:
        return None
    return agreement.ends_on - datetime.timedelta(days=settings.GRANT_RENEWAL_WINDOW_DAYS)


def renewal_problems(agreement):
    opens = renewal_opens_on(agreement)
    if opens and timezone.localdate() < opens:
        return [f"A renewal can be started from {policy.long_date(opens)}."]
    under_way = agreement.request.renewals.exclude(status__in=Status.CLOSED).first()
    if under_way is not None:
        return [f"A renewal is already under way: {under_way.reference}."]
    return []


def _move_agreement(locked, transition, *args):
    getattr(locked, transition)(*args)
    locked.save()


def add_months(day, months):
    """The same day `months` later, or the month's last day when it has no such day."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    last = calendar.monthrange(year, month)[1]
    return day.replace(year=year, month=month, day=min(day.day, last))


def decided_levels(request, grants=None):
    """{named person id: the level the decision granted}: the decision's first grant of each
    person. A correction adds later grants and may lower a level, never raise it above this.
    `grants`: the decision's grants oldest first, when the caller has them already."""
    if grants is None:
        grants = Grant.objects.filter(decision__request=request).order_by("pk")
    decided = {}
    for grant in grants:
        decided.setdefault(grant.person_id, grant.level)
    return decided


def above_decided_grant(name, decided_level):
    """The refusal of a correction raising a person's level above the decision's (1.6: the MOU
    states the access decided)."""
    return (
        f"{name} was granted {AccessLevel(decided_level).label.lower()} by the decision; a "
        "correction can lower that level but never raise it above the decided grant."
    )


def current_levels(request):
    """{named person id: the level granted now}: the decision's grants, or a correction's."""
    grants = latest_per(Grant.objects.filter(decision__request=request), "person")
    return {g.person_id: g.level for g in grants}


def _issue_agreement(locked, user):
    """An approval's MOU: the agreement, each named person's access, and its first version,
    rendered once the decision has committed."""
    agreement = Agreement.objects.create(request=locked)
    PersonAccess.objects.bulk_create(
        [PersonAccess(agreement=agreement, person=p) for p in locked.people.all()]
    )
    _render_after_commit(agreement, MOUVersion.Kind.ISSUED, "", user)
    return agreement


def _render_after_commit(agreement, kind, reason, user):
    """Ask for the next version: recorded on the agreement in the action's transaction (so a
    render lost with its process is found by `sweep_renders`), rendered by a task once the
    action commits, off the request path (by a worker, or at once without one)."""
    # Every stored version was asked for here first, so the next is one past the last asked.
    agreement.mou_version += 1
    agreement.mou_kind, agreement.mou_reason, agreement.mou_requested_by = kind, reason, user
    agreement.mou_queued_at = timezone.now()
    agreement.mou_failed_at, agreement.mou_error = None, ""
    agreement.save(
        update_fields=[
            "mou_version",
            "mou_kind",
            "mou_reason",
            "mou_requested_by",
            "mou_queued_at",
            "mou_failed_at",
            "mou_error",
        ]
    )
    _queue_render(agreement)


def _queue_render(agreement):
    from .tasks import render_mou

    args = (agreement.pk, agreement.mou_version)
    # Robust: a queue that cannot be reached must not undo an action that has committed; the
    # sweep queues the render again.
    transaction.on_commit(lambda: render_mou.enqueue(*args), robust=True)


def render_mou_version(agreement_id, version):
    """Render and store MOU version `version` once: it is never overwritten, and a second
    call for the same version, or for one no longer asked for, does nothing."""
    from requests_app.agreement import mou

    with transaction.atomic():
        agreement = Agreement.objects.select_for_update().get(pk=agreement_id)
        if version != agreement.mou_version or agreement.mous.filter(version=version).exists():
            return None
        kind, reason = agreement.mou_kind, agreement.mou_reason
        user = agreement.mou_requested_by
        pdf = mou.render_pdf(agreement.request, draft=False, version=version)
        digest = hashlib.sha256(pdf).hexdigest()
        row = MOUVersion(
            agreement=agreement,
            version=version,
            kind=kind,
            reason=reason,
            sha256=digest,
            size=len(pdf),
            created_by=user,
        )
        row.file.save(f"v{version}.pdf", ContentFile(pdf), save=False)
        try:
            row.save()
            agreement.mou_failed_at, agreement.mou_error = None, ""
            agreement.save(update_fields=["mou_failed_at", "mou_error"])
            bump(agreement)
            if kind == MOUVersion.Kind.ISSUED:
                # Told only now, so the link in the notice never opens an MOU still being
                # prepared; the version is stored once, so they are told once.
                request = agreement.request
                _event(request, user, Event.Kind.MOU_ISSUED, data={"version": version}, public=True)
        except BaseException:
            row.file.storage.delete(row.file.name)
            raise
        return row


def record_render_failure(agreement_id, version, error):
    """A render that raised: kept on the agreement for staff to see and retry, in a
    transaction of its own (the render's own rolled back)."""
    with transaction.atomic():
        Agreement.objects.filter(pk=agreement_id, mou_version=version).update(
            mou_failed_at=timezone.now(), mou_error=error[:4000]
        )


def renders_missing(older_than=None):
    """Agreements whose asked-for version is not stored and whose render was queued before
    `older_than` (default: MOU_RENDER_TIMEOUT_MINUTES ago) or failed."""
    older_than = older_than or timezone.now() - datetime.timedelta(
        minutes=settings.MOU_RENDER_TIMEOUT_MINUTES
    )
    stored = MOUVersion.objects.filter(agreement=OuterRef("pk"), version=OuterRef("mou_version"))
    return (
        Agreement.objects.filter(mou_version__gt=0)
        .exclude(Exists(stored))
        .filter(
            Q(mou_queued_at__isnull=True)
            | Q(mou_queued_at__lt=older_than)
            | Q(mou_failed_at__isnull=False)
        )
    )


def sweep_renders(older_than=None):
    """Queue again every MOU version an action asked for that is still not stored long after
    its render was queued (its process died, or its task never ran) or whose render failed.
    Run daily by send_reminders, at every worker start, and by `manage.py render_mous`.
    Rendering is idempotent by (agreement, version), so a sweep run twice renders once."""
    queued = 0
    for pk in renders_missing(older_than).values_list("pk", flat=True):
        with transaction.atomic():
            agreement = (
                renders_missing(older_than)
                .select_for_update(skip_locked=True)
                .filter(pk=pk)
                .first()
            )
            if agreement is None:
                continue
            agreement.mou_queued_at = timezone.now()
            agreement.save(update_fields=["mou_queued_at"])
            _queue_render(agreement)
            queued += 1
    return queued


@transaction.atomic
def prepare_mou(agreement, user, seen=None):
    """Staff ask again for a version whose render failed."""
    locked = lock(agreement, user, "prepare", seen)
    locked.mou_queued_at, locked.mou_failed_at = timezone.now(), None
    locked.save(update_fields=["mou_queued_at", "mou_failed_at"])
    _queue_render(locked)
    return locked


@transaction.atomic
def sign_mou(agreement, user, full_name, title, affirmed, ip_address=None, seen=None, given=None):
    """The organization's authorized signatory signs the current version. `given` is the
    (version, SHA-256) the signer's page showed: a signature on any other is refused."""
    locked = lock(agreement, user, "sign", seen)
    party = Signature.Party.ORGANIZATION
    return _sign(locked, user, full_name, title, affirmed, ip_address, party, given)


@transaction.atomic
def countersign_mou(
    agreement, user, full_name, title, affirmed, ip_address=None, seen=None, given=None
):
    """CCEH countersigns; the executed MOU is a new version carrying both signatures."""
    locked = lock(agreement, user, "countersign", seen)
    party = Signature.Party.CCEH
    return _sign(locked, user, full_name, title, affirmed, ip_address, party, given)


def _sign(locked, user, full_name, title, affirmed, ip_address, party, given):
    action = "sign" if party == Signature.Party.ORGANIZATION else "countersign"
    full_name, title = _text(full_name), _text(title)
    # Under the agreement's lock, and no new version is pending (version_problems): the
    # newest stored version is the MOU as it stands.
    current = locked.current_mou()
    require(
        action,
        (current is None, "The MOU is still being prepared. Try again in a minute."),
        (
            current is not None and given is not None and tuple(given) != current.identity(),
            f"The MOU changed while you were reading it: version "
            f"{current.version if current else ''} is now the one to sign. Read it, then sign "
            "again.",
        ),
        (not full_name, "Type your full name as your signature."),
        (not title, "Give your title."),
        (not affirmed, "Confirm the statement above your signature."),
    )
    if party == Signature.Party.ORGANIZATION:
        statement = SIGNING_STATEMENT.format(organization=locked.request.organization.name)
        _move_agreement(locked, "sign")
        Membership.objects.filter(user=user, organization=locked.request.organization).update(
            is_authorized_signatory=True
        )
        kind, event_kind = MOUVersion.Kind.SIGNED, Event.Kind.MOU_SIGNED
    else:
        statement = COUNTERSIGNING_STATEMENT
        _move_agreement(locked, "countersign")
        kind, event_kind = MOUVersion.Kind.EXECUTED, Event.Kind.MOU_COUNTERSIGNED
    signature = Signature.objects.create(
        agreement=locked,
        mou=current,
        mou_sha256=current.sha256,
        party=party,
        signer=user,
        full_name=full_name,
        title=title,
        statement=statement,
        ip_address=ip_address,
    )
    _event(
        locked.request,
        user,
        event_kind,
        note=f"{full_name}, {title}",
        data={"version": current.version},
        public=True,
    )
    _render_after_commit(locked, kind, f"{signature}", user)
    return signature


@transaction.atomic
def amend_mou(agreement, user, reason, names=None, levels=None, seen=None):
    """CCEH corrects the MOU before it is countersigned: a name, or a granted level, lowered
    only (never above what was asked, nor above what the decision granted). A new version
    follows; a signed MOU is signed again."""
    locked = lock(agreement, user, "amend", seen)
    request = locked.request
    reason = _text(reason)
    require("amend", (not reason, "Write why the MOU changes; the requestor reads it."))
    people = {p.pk: p for p in request.people.all()}
    names = {k: _text(v) for k, v in _by_id("amend", names, "the people").items()}
    levels = _by_id("amend", levels, "the people")
    require(
        "amend",
        (set(names) - set(people) or set(levels) - set(people), "Choose people this MOU names."),
        *[(not name, "A person's name cannot be empty.") for name in names.values()],
    )
    granted = current_levels(request)
    changed = []
    for pk, name in names.items():
        if people[pk].name != name:
            changed.append(f"{people[pk].name} is now {name}")
            people[pk].name = name
            people[pk].save(update_fields=["name"])
    new_levels = {pk: lv for pk, lv in levels.items() if lv and granted.get(pk) != lv}
    if new_levels:
        checked = _check_levels("amend", request, {**granted, **new_levels}, "the granted level")
        decided = decided_levels(request)
        require(
            "amend",
            *[
                (
                    AccessLevel.RANK[level] > AccessLevel.RANK[decided[pk]],
                    above_decided_grant(people[pk].name, decided[pk]),
                )
                for pk, level in new_levels.items()
            ],
        )
        decision = request.decision
        for pk, level in new_levels.items():
            Grant.objects.create(decision=decision, person=people[pk], level=checked[pk])
            changed.append(f"{people[pk].name}: {AccessLevel(level).label.lower()}")
    require("amend", (not changed, "Nothing differs from the MOU as it is."))
    _move_agreement(locked, "amend")
    _event(
        request,
        user,
        Event.Kind.MOU_AMENDED,
        note=reason,
        data={"changed": changed},
        public=True,
    )
    _render_after_commit(locked, MOUVersion.Kind.AMENDED, reason, user)
    return locked


@transaction.atomic
def record_training(agreement, user, person_id, completed_on, course):
    locked = lock(agreement, user, "training")
    course = _text(course)
    person = locked.request.people.filter(pk=person_id).first()
    require(
        "training",
        (person is None, "Choose a person this MOU names."),
        (not course, "Name the training course."),
        (completed_on is None, "Give the date the training was completed."),
        (
            completed_on is not None and completed_on > timezone.localdate(),
            "The training date cannot be in the future.",
        ),
    )
    training = Training.objects.create(
        person=person, completed_on=completed_on, course=course, recorded_by=user
    )
    _event(
        locked.request,
        user,
        Event.Kind.TRAINING_RECORDED,
        note=f"{course}, {policy.long_date(completed_on)}",
        data={"people": [person.name]},
        public=True,
    )
    return training


def readiness(agreement):
    """Each named person's access, and whether they are ready for it: the MOU executed and
    their training recorded (1.7)."""
    executed = agreement.status in AgreementStatus.EXECUTED_OR_ACTIVE
    trained = set(
        Training.objects.filter(person__request=agreement.request_id).values_list(
            "person_id", flat=True
        )
    )
    return [
        (access, executed and access.person_id in trained and not access.revoked_at)
        for access in agreement.people.select_related("person")
    ]


@transaction.atomic
def activate_access(agreement, user, note=""):
    """Access starts for everyone ready. When some are not ready yet, a note says why the
    others start without them; they are activated later the same way."""
    locked = lock(agreement, user, "activate")
    note = _text(note)
    states = readiness(locked)
    ready = [a for a, is_ready in states if is_ready and not a.activated_at]
    waiting = [a.person.name for a, is_ready in states if not is_ready and not a.revoked_at]
    require(
        "activate",
        (
            bool(waiting) and not note,
            f"Not everyone is ready ({', '.join(waiting)} has no training recorded): write a "
            "note to activate those who are.",
        ),
    )
    now = timezone.now()
    for access in ready:
        access.activated_at = now
        access.save(update_fields=["activated_at"])
    if locked.status == AgreementStatus.EXECUTED:
        ends_on = add_months(timezone.localdate(), settings.GRANT_TERM_MONTHS)
        _move_agreement(locked, "activate", ends_on)
    _event(
        locked.request,
        user,
        Event.Kind.ACCESS_ACTIVATED,
        note=note,
        data={"people": [a.person.name for a in ready]},
        public=True,
    )
    return ready


def provisioning_list(user):
    """People whose access is active and who have no HMIS account yet, across every request
    `user` sees as staff (never their own organization's): what staff export to create the
    accounts."""
    return (
        PersonAccess.objects.filter(
            agreement__request__in=requests_seen_internally_by(user),
            agreement__status=AgreementStatus.ACTIVE,
            activated_at__isnull=False,
            provisioned_at__isnull=True,
            revoked_at__isnull=True,
        )
        .select_related("person", "agreement__request__organization")
        .prefetch_related("agreement__request__cans")
        # The level granted now (a correction adds a newer grant) and the MOU's newest
        # version, in the one query rather than two more per person.
        .annotate(
            level=Subquery(
                Grant.objects.filter(person=OuterRef("person")).order_by("-pk").values("level")[:1]
            ),
            mou_version=Subquery(
                MOUVersion.objects.filter(agreement=OuterRef("agreement"))
                .order_by("-version")
                .values("version")[:1]
            ),
        )
        .order_by("activated_at", "pk")
    )


@transaction.atomic
def provision_access(user, access_ids):
    """Mark people as given their HMIS accounts. Each agreement's rows are read again under its
    lock, so people a colleague marked meanwhile (or this person, in another tab) are marked
    once, by whoever was first."""
    ids = _ids("provision", access_ids, "people")
    rows = list(provisioning_list(user).filter(pk__in=ids))
    if not rows:
        raise ActionRefused("provision", [_none_left_to_provision(user, ids)])
    done = []
    for agreement_id in sorted({r.agreement_id for r in rows}):
        agreement = Agreement.objects.get(pk=agreement_id)
        locked = lock(agreement, user, "provision")
        mine = list(
            locked.people.select_for_update()
            .filter(pk__in=ids, provisioned_at__isnull=True, revoked_at__isnull=True)
            .select_related("person")
        )
        if not mine:
            continue
        now = timezone.now()
        for access in mine:
            access.provisioned_at, access.provisioned_by = now, user
            access.save(update_fields=["provisioned_at", "provisioned_by"])
        _event(
            locked.request,
            user,
            Event.Kind.ACCESS_PROVISIONED,
            data={"people": [a.person.name for a in mine]},
            public=True,
        )
        done += mine
    if not done:
        raise ActionRefused("provision", [_none_left_to_provision(user, ids)])
    return done


def _none_left_to_provision(user, ids):
    given = PersonAccess.objects.filter(
        pk__in=ids,
        provisioned_at__isnull=False,
        agreement__request__in=requests_seen_internally_by(user),
    )
    first = given.select_related("provisioned_by").order_by("provisioned_at").first()
    if first is None:
        return "Choose at least one person from the list."
    return (
        f"Already marked as given an HMIS account by {first.provisioned_by.name} at "
        f"{timezone.localtime(first.provisioned_at):%-I:%M %p}: nothing was marked twice."
    )


@transaction.atomic
def revoke_access(agreement, user, reason, person_id=None):
    """Take access away from one person or from the whole organization. It counts against
    their good standing in any later request (1.10)."""
    action = "revoke"
    locked = lock(agreement, user, action)
    request = locked.request
    reason = _text(reason)
    require(action, (not reason, "Write the reason; the organization reads it."))
    now = timezone.now()
    if person_id is None:
        revoked = list(locked.people.filter(revoked_at__isnull=True).select_related("person"))
        Revocation.objects.create(
            organization=request.organization, request=request, reason=reason, recorded_by=user
        )
    else:
        access = locked.people.filter(person_id=person_id, revoked_at__isnull=True).first()
        require(action, (access is None, "That person has no access to revoke."))
        revoked = [access]
        Revocation.objects.create(
            person_email=access.person.email, request=request, reason=reason, recorded_by=user
        )
    for access in revoked:
        access.revoked_at = now
        access.save(update_fields=["revoked_at"])
    if not locked.people.filter(revoked_at__isnull=True).exists():
        _move_agreement(locked, "revoke")
    _event(
        request,
        user,
        Event.Kind.ACCESS_REVOKED,
        note=reason,
        data={"people": [a.person.name for a in revoked], "whole": person_id is None},
        public=True,
    )
    return revoked


def expire_agreements(today=None):
    """End every active agreement whose term is over. Safe to run again: an expired agreement
    is no longer active, so a second run the same day finds nothing."""
    today = today or timezone.localdate()
    expired = []
    due = Agreement.objects.filter(status=AgreementStatus.ACTIVE, ends_on__lt=today)
    for pk in due.values_list("pk", flat=True):
        with transaction.atomic():
            locked = (
                Agreement.objects.select_for_update(skip_locked=True)
                .filter(pk=pk, status=AgreementStatus.ACTIVE, ends_on__lt=today)
                .select_related("request")
                .first()
            )
            if locked is None:
                continue
            _move_agreement(locked, "expire")
            renewal = locked.request.renewals.filter(status=Status.APPROVED).first()
            _event(
                locked.request,
                None,
                Event.Kind.ACCESS_EXPIRED,
                note=f"Renewed by {renewal.reference}." if renewal else "",
                data={"ended_on": locked.ends_on.isoformat()},
                public=True,
            )
            expired.append(locked)
    return expired


# A renewal carries the answers over; earlier access and the attestations are given again.
RENEWED_FIELDS = tuple(
    name
    for name in application_record.ANSWERS
    if name not in ("had_prior_access", "prior_access_details", "prior_access_revoked")
    and not name.startswith("attests_")
)


@transaction.atomic
def start_renewal(agreement, user):
    """A new request prefilled from the one it renews and linked to it; it goes through the same
    workflow. The attestations are given again, and the earlier access is now prior access."""
    locked = lock(agreement, user, "renew")
    old = locked.request
    renewal = AccessRequest.objects.create(
        organization=old.organization,
        created_by=user,
        renews=old,
        had_prior_access=True,
        prior_access_details=f"{old.reference}, active until {locked.ends_on:%B} "
        f"{locked.ends_on.day}, {locked.ends_on:%Y}.",
        prior_access_revoked=False,
        last_step=policy.SECTIONS[0],
        last_edited_by=user,
        **{name: getattr(old, name) for name in RENEWED_FIELDS},
    )
    renewal.cans.set(old.cans.all())
    granted = current_levels(old)
    NamedPerson.objects.bulk_create(
        [
            NamedPerson(
                request=renewal,
                name=p.name,
                title=p.title,
                email=p.email,
                requested_level=granted.get(p.pk, p.requested_level),
            )
            for p in old.people.filter(access__revoked_at__isnull=True)
        ]
    )
    _event(old, user, Event.Kind.RENEWAL_STARTED, data={"renewal": renewal.reference}, public=True)
    return renewal
