"""The application as a record: everything the organization stated, frozen at each submission
as canonical JSON with its SHA-256 (models.ApplicationVersion). After submission every page,
the decision and the MOU read the newest frozen version, never the live draft or the
organization's current row; a resubmission is shown to staff field by field against the
version before it."""

import hashlib
import json

from requests_app.core.states import AccessLevel
from requests_app.models import (
    CAN,
    AccessRequest,
    ApplicationVersion,
    NamedPerson,
    Organization,
    stored_sha256,
)

ORGANIZATION = ("name", "kind", "address", "website", "funded_for_homeless_services")
# The request's own answers, in the order the application asks them.
ANSWERS = (
    "program",
    "contact_name",
    "contact_email",
    "contact_phone",
    "statewide",
    "purpose",
    "contribution",
    "existing_reporting_gap",
    "need_type",
    "usage_frequency",
    "funding_relation",
    "homeless_relationship",
    "is_researcher",
    "aggregated_data_sufficient",
    "identified_data_justification",
    "had_prior_access",
    "prior_access_details",
    "prior_access_revoked",
    "attests_training",
    "attests_accuracy",
)
PERSON = ("name", "title", "email", "requested_level")


def statement(request, with_file_hashes=True):
    """Everything `request`'s organization states in it now, as plain data."""
    org = request.organization
    return {
        "reference": request.reference,
        "organization": {name: getattr(org, name) for name in ORGANIZATION},
        "answers": {name: getattr(request, name) for name in ANSWERS},
        "cans": sorted(can.name for can in request.cans.all()),
        "people": [
            {"id": p.pk, **{name: getattr(p, name) for name in PERSON}}
            for p in request.people.order_by("pk")
        ],
        "attachments": [
            {
                "name": a.original_name,
                "content_type": a.content_type,
                "size": a.size,
                "description": a.description,
                **({"sha256": stored_sha256(a.file)} if with_file_hashes else {}),
            }
            for a in request.attachments.order_by("pk")
        ],
    }


def canonical(content):
    """The one byte form of a statement: what is hashed, stored and downloaded."""
    return json.dumps(content, sort_keys=True, ensure_ascii=False, indent=1).encode()


def freeze(request, user):
    """Record the next version of `request` as it is now. Call in the submit's transaction,
    under the request's lock."""
    text = canonical(statement(request))
    number = request.versions.count() + 1
    return ApplicationVersion.objects.create(
        request=request,
        number=number,
        content=text.decode(),
        sha256=hashlib.sha256(text).hexdigest(),
        submitted_by=user,
    )


class Application:
    """An application read as the pages and the MOU read a request: `request` (its answers,
    with their labels), `organization`, `people`, `cans` and `attachments`, from a frozen
    version, or from the draft as it stands when there is none yet."""

    def __init__(self, content, live, version=None):
        self.version = version
        answers = content["answers"]
        self.organization = Organization(**content["organization"])
        # Unsaved copies: the models' own display methods, nothing written.
        self.request = AccessRequest(
            pk=live.pk,
            reference=live.reference,
            status=live.status,
            organization=self.organization,
            **answers,
        )
        self.people = [
            NamedPerson(pk=p["id"], **{k: p[k] for k in PERSON}) for p in content["people"]
        ]
        self.cans = [CAN(name=name) for name in content["cans"]]
        self.attachments = content["attachments"]


def as_it_stands(request):
    """The application as its organization is writing it (the draft, or a returned request
    being answered)."""
    return Application(statement(request, with_file_hashes=False), request)


def application_of(request, versions=None):
    """What the request's organization stated: its newest submitted version, or, before the
    first submission, the draft as it stands. `versions`, oldest first, when the caller has
    them already."""
    latest = versions[-1] if versions else request.versions.order_by("-number").first()
    if latest is None:
        return as_it_stands(request)
    return Application(json.loads(latest.content), request, latest)


ORGANIZATION_LABELS = {
    "name": "Organization's name",
    "kind": "Organization's type",
    "address": "Organization's address",
    "website": "Organization's website",
    "funded_for_homeless_services": "Whether the organization is funded for homeless services",
}


def _label(name):
    return str(AccessRequest._meta.get_field(name).verbose_name).capitalize()


def _words(name, value, model=AccessRequest):
    """An answer as the pages write it."""
    if value is None or value == "":
        return "Not given"
    if value is True or value is False:
        return "Yes" if value else "No"
    choices = dict(model._meta.get_field(name).choices or ())
    return str(choices.get(value, value))


STATEWIDE = "Statewide"


def scope_words(statewide, can_names):
    """A request's scope as its lists and exports say it: statewide (1.5), or the CANs it
    named, their names as given."""
    return STATEWIDE if statewide else can_names


def answer(application, name):
    """(label, words) of one answer of `application`, for the screening checklist
    (policy.ANSWERS_FOR): a field of the request, or "scope" or "people"."""
    r = application.request
    if name == "scope":
        cans = ", ".join(can.name for can in application.cans) or "Not chosen"
        return "Scope", scope_words(r.statewide, cans)
    if name == "people":
        people = "; ".join(
            f"{p.name}: {p.get_requested_level_display()}" for p in application.people
        )
        return "People and the level each asks for", people or "Nobody named"
    label = str(AccessRequest._meta.get_field(name).verbose_name)
    return label[0].upper() + label[1:], _words(name, getattr(r, name))


def _person(p):
    title = f", {p['title']}" if p["title"] else ""
    return f"{p['name']}{title} ({p['email']}): {AccessLevel(p['requested_level']).label}"


def changes(before, after):
    """What differs between two frozen versions, field by field: (what, before, after)."""
    found = []
    for name in ORGANIZATION:
        if before["organization"][name] != after["organization"][name]:
            found.append(
                (
                    ORGANIZATION_LABELS[name],
                    _words(name, before["organization"][name], Organization),
                    _words(name, after["organization"][name], Organization),
                )
            )
    for name in ANSWERS:
        was, now = before["answers"][name], after["answers"][name]
        if was != now:
            found.append((_label(name), _words(name, was), _words(name, now)))
    if before["cans"] != after["cans"]:
        found.append(("CANs", ", ".join(before["cans"]), ", ".join(after["cans"])))
    people_before = {p["id"]: p for p in before["people"]}
    people_after = {p["id"]: p for p in after["people"]}
    for pk in sorted(people_before.keys() | people_after.keys()):
        was, now = people_before.get(pk), people_after.get(pk)
        if was != now:
            found.append(
                ("A named person", _person(was) if was else "", _person(now) if now else "")
            )
    files = ("name", "sha256")
    files_before = [tuple(a.get(k) for k in files) for a in before["attachments"]]
    files_after = [tuple(a.get(k) for k in files) for a in after["attachments"]]
    if files_before != files_after:
        found.append(
            (
                "Attached files",
                ", ".join(name for name, _ in files_before),
                ", ".join(name for name, _ in files_after),
            )
        )
    return found


def changes_in(versions):
    """What the newest of `versions` (oldest first) changed from the one before it; empty
    before a resubmission."""
    if len(versions) < 2:
        return []
    return changes(json.loads(versions[-2].content), json.loads(versions[-1].content))
