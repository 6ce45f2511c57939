"""The requesting organization's actions: start a request, write and change its answers and files,
submit, resubmit, withdraw, delete a draft. Each runs in one transaction (core/actions.py)."""

import datetime

from django.db import transaction
from django.utils import timezone

from requests_app import policy
from requests_app.application import record as application_record
from requests_app.core.actions import ACTIONS, ActionRefused, Conflict, lock, require
from requests_app.core.dates import time_of_day
from requests_app.core.events import record_event
from requests_app.core.inputs import text
from requests_app.core.states import Status
from requests_app.core.visibility import active_organization_ids
from requests_app.models import (
    AccessRequest,
    Attachment,
    Comment,
    Event,
    NamedPerson,
    User,
)


def move(locked, name, *args):
    """Run action `name`'s transition and save; the status field is protected, so this is the
    only way."""
    from_status = locked.status
    getattr(locked, ACTIONS[name].transition)(*args)
    locked.status_changed_at = timezone.now()
    locked.save()
    return from_status


@transaction.atomic
def submit(request, user):
    locked = lock(request, user, "submit")
    was = move(locked, "submit")
    version = application_record.freeze(locked, user)
    record_event(
        locked, user, Event.Kind.SUBMITTED, from_status=was, data=version.named(), public=True
    )
    return locked


@transaction.atomic
def resubmit(request, user, response):
    locked = lock(request, user, "resubmit")
    response = text(response)
    require("resubmit", (not response, "Write a response to the question before resubmitting."))
    was = move(locked, "resubmit")
    version = application_record.freeze(locked, user)
    Comment.objects.create(
        request=locked, author=user, body=response, visibility=Comment.Visibility.REQUESTOR
    )
    record_event(
        locked,
        user,
        Event.Kind.RESUBMITTED,
        note=response,
        from_status=was,
        data=version.named(),
        public=True,
    )
    return locked


@transaction.atomic
def withdraw(request, user, reason=""):
    locked = lock(request, user, "withdraw")
    was = move(locked, "withdraw")
    record_event(
        locked, user, Event.Kind.WITHDRAWN, note=text(reason), from_status=was, public=True
    )
    return locked


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
                f"{time_of_day(at)} while you had this page open. What you "
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
        record_event(
            locked, user, Event.Kind.ANSWERS_CHANGED, data={"changed": changed}, public=True
        )
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
        description=text(description),
        uploaded_by=user,
    )
    attached.file.save(upload.name, upload, save=False)
    try:
        attached.save()
        _files_changed(locked, user, f"Attached the file {attached.original_name}")
    except BaseException:
        # Django has no on-rollback hook: a file whose row was never written goes at once.
        attached.file.storage.delete(attached.file.name)
        raise
    return attached


@transaction.atomic
def remove_attachment(request, user, attachment):
    """Remove `attachment`, an Attachment of this request, file and all."""
    locked = lock(request, user, "edit")
    # Read again under the lock: a colleague may have removed it meanwhile.
    attached = locked.attachments.filter(pk=attachment.pk).first()
    require("edit", (attached is None, "That file is not attached to this request."))
    storage, name = attached.file.storage, attached.file.name
    attached.delete()
    # Removed from disk only once the row is gone for good.
    transaction.on_commit(lambda: storage.delete(name))
    _files_changed(locked, user, f"Removed the file {attached.original_name}")


def _files_changed(locked, user, change):
    """Record who changed the files; after submission, the history says what changed."""
    _touch(locked, user)
    if locked.status != Status.DRAFT:
        record_event(
            locked, user, Event.Kind.ANSWERS_CHANGED, data={"changed": [change]}, public=True
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
