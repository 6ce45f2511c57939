"""The application while its organization writes it, and again when staff return it
(requests_app/workflow.py: start_request, save_answers, attach_file, remove_attachment,
delete_draft), and what the review page tells the requestor before submitting
(policy.missing_answers, policy.points_to_raise). Refusals are checked in the exact words a
person reads, and shown to leave nothing behind."""

from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from requests_app import policy, workflow
from requests_app.application import services as application_services
from requests_app.core import actions
from requests_app.core.states import AccessLevel, Status
from requests_app.models import (
    AccessRequest,
    Attachment,
    Event,
    Membership,
    NamedPerson,
    Organization,
)
from tests.support.factories import MembershipFactory, NamedPersonFactory

FULL, VIEW, REPORTING = AccessLevel.FULL, AccessLevel.VIEW, AccessLevel.REPORTING
CONTENT = b"%PDF-1.7 IRB approval letter"

NO_ACCESS = "You do not have access to this request."
NOT_A_MEMBER = "Only members of the requesting organization can do this."
NOT_EDITABLE = "This request is not open for changes now."
NOT_A_DRAFT = "This request is not a draft now."
START_REFUSED = "Only active members of an organization start its requests."
TOO_MANY_FILES = "A request holds at most 20 files: remove one first."


# Fixtures and helpers.


@pytest.fixture
def colleague(personas):
    """Another active member of Harbor Health Partners, riley's organization."""
    return MembershipFactory(organization=personas.harbor, user__name="Rowan Colleague").user


@pytest.fixture
def private_root(settings, tmp_path):
    """Uploaded files go to a directory of this test's own."""
    settings.PRIVATE_FILES_ROOT = tmp_path / "private"
    return settings.PRIVATE_FILES_ROOT


def files_in(root):
    """The files stored under `root`, as paths relative to it."""
    root = Path(root)
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def upload(name="IRB approval.pdf", content=CONTENT):
    # The browser's claim of the type is not what is stored: the form checks the content.
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


def stored_file(request, user, name="letter.pdf"):
    """An attachment written straight to the model, for tests of removal."""
    attachment = Attachment(
        request=request,
        original_name=name,
        content_type="application/pdf",
        size=len(CONTENT),
        uploaded_by=user,
    )
    attachment.file.save(name, ContentFile(CONTENT), save=True)
    return attachment


def answers_of(request):
    """Every stored column of the request."""
    return AccessRequest.objects.values().get(pk=request.pk)


def people_of(request):
    return list(
        NamedPerson.objects.filter(request=request)
        .order_by("pk")
        .values_list("name", "title", "email", "requested_level")
    )


def snapshot():
    """Everything the application's actions write, so a refusal can be shown to write nothing."""
    return {
        "requests": list(AccessRequest.objects.order_by("pk").values()),
        "organizations": list(Organization.objects.order_by("pk").values()),
        "people": list(NamedPerson.objects.order_by("pk").values()),
        "attachments": list(Attachment.objects.order_by("pk").values()),
        "events": Event.objects.count(),
    }


def answers_changed(request):
    return list(
        Event.objects.filter(request=request, kind=Event.Kind.ANSWERS_CHANGED)
        .order_by("pk")
        .values_list("actor__name", "from_status", "to_status", "note", "data")
    )


def request_in(journey, status):
    """A request of Harbor in one of the statuses these tests need, built cheaply."""
    return {
        Status.DRAFT: journey.draft,
        Status.SUBMITTED: journey.submitted,
        Status.SCREENING: journey.screening,
        Status.RETURNED: journey.returned,
        Status.WITHDRAWN: journey.withdrawn,
    }[status]()


def pending_member(personas):
    """Someone who asked to join Harbor and was not accepted yet."""
    return MembershipFactory(
        organization=personas.harbor,
        user__name="Pat Pending",
        state=Membership.State.PENDING,
    ).user


def someone(personas, who):
    return pending_member(personas) if who == "pending" else personas.by_name(who)


# start_request


def test_a_member_starts_a_draft_of_the_organization_with_themselves_as_contact(personas):
    riley = personas.riley

    request = workflow.start_request(personas.harbor, riley)

    stored = AccessRequest.objects.get(pk=request.pk)
    assert (
        stored.organization,
        stored.status,
        stored.created_by,
        stored.contact_name,
        stored.contact_email,
        stored.last_step,
        stored.last_edited_by,
        stored.reference,
    ) == (
        personas.harbor,
        Status.DRAFT,
        riley,
        "Riley Requestor",
        riley.email,
        "organization",
        riley,
        f"HMIS-{stored.created_at:%Y}-{stored.pk:04d}",
    )
    # A draft is the organization's alone: nothing is recorded for anyone else to see.
    assert Event.objects.filter(request=stored).count() == 0


@pytest.mark.parametrize("who", ["pending", "quinn"])
def test_only_an_active_member_starts_a_request_of_the_organization(personas, who):
    # A member waiting for approval; a requestor of another organization.
    user = someone(personas, who)
    before = snapshot()

    with pytest.raises(actions.ActionRefused) as refused:
        workflow.start_request(personas.harbor, user)

    assert (type(refused.value), refused.value.action, refused.value.problems) == (
        actions.ActionRefused,
        "start_request",
        [START_REFUSED],
    )
    assert snapshot() == before


# save_answers: what is saved


def test_a_save_changes_only_the_answers_given(journey, personas):
    request = journey.draft()
    before = answers_of(request)

    workflow.save_answers(request, personas.riley, "scope", {"purpose": "Plan discharges."})

    after = answers_of(request)
    assert after["purpose"] == "Plan discharges."
    untouched = set(before) - {
        "purpose",
        "last_step",
        "last_edited_by_id",
        "saved_by",
        "updated_at",
        "revision",
    }
    assert {k: after[k] for k in untouched} == {k: before[k] for k in untouched}


def test_a_save_records_the_step_and_who_saved(journey, personas, colleague):
    request = journey.draft()

    workflow.save_answers(request, colleague, "eligibility", {"usage_frequency": "Weekly"})

    stored = AccessRequest.objects.get(pk=request.pk)
    assert (stored.last_step, stored.last_edited_by, stored.usage_frequency) == (
        "eligibility",
        colleague,
        "Weekly",
    )


def test_the_organizations_details_are_saved_on_the_organization(journey, personas):
    request = journey.draft()
    details = {
        "kind": Organization.Kind.HEALTH_CARE,
        "address": "2 Elm Street, New London, CT 06320",
        "website": "https://harbor.example.org",
        "funded_for_homeless_services": True,
    }

    workflow.save_answers(request, personas.riley, "organization", organization=details)

    harbor = Organization.objects.get(pk=personas.harbor.pk)
    assert {name: getattr(harbor, name) for name in details} == details
    assert harbor.name == "Harbor Health Partners"


def test_people_are_added_changed_and_removed_in_one_save(journey, personas):
    request = journey.draft(people=0)
    kept = NamedPersonFactory(request=request, name="Kim Kept", email="kim@example.org")
    edited = NamedPersonFactory(request=request, name="Eli Edited", email="eli@example.org")
    removed = NamedPersonFactory(request=request, name="Rae Removed", email="rae@example.org")
    row = {"title": "Analyst", "requested_level": FULL}

    workflow.save_answers(
        request,
        personas.riley,
        "people",
        people=[
            {"id": kept.pk, "name": "Kim Kept", "email": "kim@example.org", **row},
            {
                "id": edited.pk,
                "name": "Eli Edited",
                "title": "Data manager",
                "email": "eli@example.org",
                "requested_level": VIEW,
            },
            {
                "id": removed.pk,
                "name": "Rae Removed",
                "email": "rae@example.org",
                **row,
                "delete": True,
            },
            {
                "name": "Ana Added",
                "email": "Ana@Example.ORG",
                "title": "",
                "requested_level": REPORTING,
            },
            # A row added on the page and deleted before saving adds nobody.
            {"name": "Never Named", "email": "never@example.org", **row, "delete": True},
        ],
    )

    assert people_of(request) == [
        ("Kim Kept", "Analyst", "kim@example.org", FULL),
        ("Eli Edited", "Data manager", "eli@example.org", VIEW),
        ("Ana Added", "", "ana@example.org", REPORTING),
    ]
    assert list(request.people.values_list("pk", flat=True))[:2] == [kept.pk, edited.pk]


def test_a_person_removed_and_named_again_with_the_same_address_in_one_save(journey, personas):
    request = journey.draft(people=0)
    old = NamedPersonFactory(request=request, name="Old Entry", email="sam.same@example.org")

    workflow.save_answers(
        request,
        personas.riley,
        "people",
        people=[
            {
                "id": old.pk,
                "name": "Old Entry",
                "email": "sam.same@example.org",
                "delete": True,
                "title": "Analyst",
                "requested_level": FULL,
            },
            {
                "name": "New Entry",
                "title": "Manager",
                "email": "SAM.same@example.org",
                "requested_level": VIEW,
            },
        ],
    )

    assert people_of(request) == [("New Entry", "Manager", "sam.same@example.org", VIEW)]
    assert not NamedPerson.objects.filter(pk=old.pk).exists()


@pytest.mark.parametrize("people", [None, []])
def test_a_save_without_people_leaves_them_as_they_are(journey, personas, people):
    request = journey.draft(people=2)
    before = people_of(request)

    workflow.save_answers(request, personas.riley, "people", {"program": "Outreach"}, people=people)

    assert people_of(request) == before


@pytest.mark.parametrize(("cans", "expected"), [(["eastern"], ["eastern"]), ([], [])])
def test_the_named_cans_are_set(journey, personas, cans, expected):
    request = journey.draft()  # names Greater Hartford

    workflow.save_answers(
        request, personas.riley, "scope", {"cans": [personas.by_name(c) for c in cans]}
    )

    assert list(request.cans.all()) == [personas.by_name(c) for c in expected]


# save_answers: what is recorded. Staff read what changed since they returned a request; a
# draft nobody outside the organization has seen records nothing.


def _person_row(person, **changes):
    row = {k: getattr(person, k) for k in ("name", "title", "email", "requested_level")}
    return {"id": person.pk, **row, **changes}


# (what the save gives, the labels of what changed). Each builds its arguments from the request.
CHANGES = [
    pytest.param(lambda r, p: {"answers": {"purpose": "New."}}, ["Purpose"], id="purpose"),
    pytest.param(
        lambda r, p: {"answers": {"need_type": "one_time", "usage_frequency": "Once"}},
        ["Ongoing or one-time need", "How often the data will be used"],
        id="two-answers",
    ),
    pytest.param(
        lambda r, p: {"answers": {"purpose": r.purpose, "program": "Outreach"}},
        ["Program or department"],
        id="one-of-two-differs",
    ),
    pytest.param(lambda r, p: {"answers": {"cans": [p.hartford, p.eastern]}}, ["CANs"], id="cans"),
    pytest.param(
        lambda r, p: {
            "organization": {
                "address": "2 Elm Street",
                "kind": r.organization.kind,
                "funded_for_homeless_services": True,
            }
        },
        ["Organization's address", "Whether the organization is funded for homeless services"],
        id="organization",
    ),
    pytest.param(
        lambda r, p: {
            "people": [
                _person_row(r.people.get(), title="Director"),
                {
                    "name": "Ana Added",
                    "title": "",
                    "email": "ana@example.org",
                    "requested_level": VIEW,
                },
            ]
        },
        [lambda r: f"Changed {r.person_name}", "Added Ana Added"],
        id="people",
    ),
    pytest.param(
        lambda r, p: {"people": [_person_row(r.people.get(), delete=True)]},
        [lambda r: f"Removed {r.person_name}"],
        id="person-removed",
    ),
    pytest.param(
        lambda r, p: {
            "answers": {"purpose": "New.", "cans": [p.eastern]},
            "organization": {"website": "https://harbor.example.org"},
            "people": [_person_row(r.people.get(), requested_level=REPORTING)],
        },
        ["Purpose", "CANs", "Organization's website", lambda r: f"Changed {r.person_name}"],
        id="every-kind-in-order",
    ),
]


def _save(request, personas, build):
    """Run the save `build` describes; return the labels it should list, once known."""
    person = request.people.first()
    request.person_name = person.name if person else None
    kwargs = build(request, personas)
    workflow.save_answers(
        request,
        personas.riley,
        "scope",
        kwargs.get("answers"),
        organization=kwargs.get("organization"),
        people=kwargs.get("people"),
    )


def _labels(request, expected):
    return [label(request) if callable(label) else label for label in expected]


@pytest.mark.parametrize(("build", "expected"), CHANGES)
def test_a_save_of_a_returned_request_records_what_changed_for_staff(
    journey, personas, build, expected
):
    request = journey.returned()
    events = Event.objects.count()

    _save(request, personas, build)

    labels = _labels(request, expected)
    assert answers_changed(request) == [("Riley Requestor", "", "", "", {"changed": labels})]
    event = Event.objects.get(request=request, kind=Event.Kind.ANSWERS_CHANGED)
    # The requestor sees it in the history too: it is their own change.
    assert event.visible_to_requestor is True
    assert event.headline() == f"Answers changed: {'; '.join(labels)}"
    assert Event.objects.count() == events + 1


@pytest.mark.parametrize(("build", "expected"), CHANGES)
def test_a_save_of_a_draft_records_nothing(journey, personas, build, expected):
    request = journey.draft()

    _save(request, personas, build)

    assert Event.objects.filter(request=request).count() == 0


def test_a_save_of_a_returned_request_that_changes_nothing_records_nothing(journey, personas):
    request = journey.returned()
    person = request.people.get()
    events = Event.objects.count()

    workflow.save_answers(
        request,
        personas.riley,
        "scope",
        {"purpose": request.purpose, "cans": list(request.cans.all())},
        organization={"address": request.organization.address},
        people=[_person_row(person, email=person.email.upper())],
    )

    assert Event.objects.count() == events
    assert AccessRequest.objects.get(pk=request.pk).last_step == "scope"


# save_answers: two people editing one application


def _conflict_sentence(who, request):
    at = f"{timezone.localtime(AccessRequest.objects.get(pk=request.pk).updated_at):%-I:%M %p}"
    return (
        f"{who} saved changes to this application at {at} while you had this page open. "
        "What you typed is below and is not saved yet: check it against their changes on the "
        "review page, then save again."
    )


@pytest.mark.parametrize("status", [Status.DRAFT, Status.RETURNED])
def test_a_colleagues_save_since_the_page_was_read_is_not_overwritten_unseen(
    journey, personas, colleague, status
):
    request = request_in(journey, status)
    seen = workflow.edit_version(request)
    workflow.save_answers(request, colleague, "scope", {"purpose": "Rowan's purpose."})
    before = snapshot()

    with pytest.raises(actions.Conflict) as conflict:
        workflow.save_answers(
            request, personas.riley, "scope", {"purpose": "Riley's purpose."}, seen=seen
        )

    assert conflict.value.problems == [_conflict_sentence("Rowan Colleague", request)]
    assert snapshot() == before
    stored = AccessRequest.objects.get(pk=request.pk)
    assert (stored.purpose, stored.last_edited_by) == ("Rowan's purpose.", colleague)


def test_a_colleagues_attached_file_is_a_change_too(journey, personas, colleague, private_root):
    request = journey.draft()
    seen = workflow.edit_version(request)
    workflow.attach_file(request, colleague, upload(), "application/pdf")

    with pytest.raises(actions.Conflict) as conflict:
        workflow.save_answers(request, personas.riley, "scope", {"purpose": "Mine."}, seen=seen)

    assert conflict.value.problems == [_conflict_sentence("Rowan Colleague", request)]


def test_ones_own_earlier_save_is_no_conflict(journey, personas):
    # The same person saving twice from a page read before the first save (a second tab, the
    # back button) overwrites only their own work.
    request = journey.draft()
    seen = workflow.edit_version(request)
    workflow.save_answers(request, personas.riley, "scope", {"purpose": "First."})

    workflow.save_answers(request, personas.riley, "scope", {"purpose": "Second."}, seen=seen)

    assert AccessRequest.objects.get(pk=request.pk).purpose == "Second."


def test_ones_own_save_in_between_does_not_hide_a_colleagues_save(journey, personas, colleague):
    # Riley opens the scope step (page A). Rowan then changes the purpose; Riley, in another
    # tab opened after Rowan's save, saves the eligibility step. Page A never showed Rowan's
    # purpose, so saving it must not overwrite that purpose unseen, though Riley saved last.
    request = journey.draft()
    seen_on_page_a = workflow.edit_version(request)
    workflow.save_answers(request, colleague, "scope", {"purpose": "Rowan's purpose."})
    rowans_save = _conflict_sentence("Rowan Colleague", request)
    fresh = workflow.edit_version(AccessRequest.objects.get(pk=request.pk))
    workflow.save_answers(
        request, personas.riley, "eligibility", {"usage_frequency": "Weekly"}, seen=fresh
    )

    with pytest.raises(actions.Conflict) as conflict:
        workflow.save_answers(
            request, personas.riley, "scope", {"purpose": "Riley's."}, seen=seen_on_page_a
        )

    assert conflict.value.problems == [rowans_save]
    assert AccessRequest.objects.get(pk=request.pk).purpose == "Rowan's purpose."


def test_a_page_read_after_the_colleagues_save_saves(journey, personas, colleague):
    request = journey.draft()
    workflow.save_answers(request, colleague, "scope", {"purpose": "Rowan's."})
    seen = workflow.edit_version(AccessRequest.objects.get(pk=request.pk))

    workflow.save_answers(request, personas.riley, "scope", {"purpose": "Riley's."}, seen=seen)

    stored = AccessRequest.objects.get(pk=request.pk)
    assert (stored.purpose, stored.last_edited_by) == ("Riley's.", personas.riley)


# Who may change the answers and files, and when: the same refusals for every such action.

EDIT_REFUSALS = [
    pytest.param("sam", Status.DRAFT, NO_ACCESS, id="staff-draft"),
    pytest.param("sam", Status.RETURNED, NOT_A_MEMBER, id="staff-returned"),
    pytest.param("quinn", Status.DRAFT, NO_ACCESS, id="other-org-draft"),
    pytest.param("quinn", Status.RETURNED, NO_ACCESS, id="other-org-returned"),
    pytest.param("pending", Status.DRAFT, NO_ACCESS, id="pending-member-draft"),
    pytest.param("riley", Status.SUBMITTED, NOT_EDITABLE, id="submitted"),
    pytest.param("riley", Status.SCREENING, NOT_EDITABLE, id="screening"),
    pytest.param("riley", Status.WITHDRAWN, NOT_EDITABLE, id="withdrawn"),
]


def _edit(action, request, user):
    if action == "save_answers":
        return workflow.save_answers(
            request,
            user,
            "scope",
            {"purpose": "Changed."},
            organization={"address": "9 Other Road"},
            people=[{"name": "Ana Added", "email": "ana@example.org", "requested_level": VIEW}],
        )
    if action == "attach_file":
        return workflow.attach_file(request, user, upload(), "application/pdf")
    return workflow.remove_attachment(request, user, request.attachments.get())


@pytest.mark.parametrize("action", ["save_answers", "attach_file", "remove_attachment"])
@pytest.mark.parametrize(("who", "status", "sentence"), EDIT_REFUSALS)
def test_only_the_organization_changes_its_answers_and_files_while_editable(
    journey, personas, private_root, action, who, status, sentence
):
    request = request_in(journey, status)
    stored_file(request, personas.riley)
    user = someone(personas, who)
    before, on_disk = snapshot(), files_in(private_root)

    with pytest.raises(actions.ActionRefused) as refused:
        _edit(action, request, user)

    assert type(refused.value) is actions.ActionRefused
    assert refused.value.problems == [sentence]
    assert actions.refusals(request, user, "edit") == [sentence]
    assert (snapshot(), files_in(private_root)) == (before, on_disk)


@pytest.mark.parametrize("status", [Status.DRAFT, Status.RETURNED])
@pytest.mark.parametrize("who", ["riley", "colleague"])
def test_any_active_member_changes_the_answers_while_editable(
    journey, personas, colleague, status, who
):
    request = request_in(journey, status)
    user = colleague if who == "colleague" else personas.riley
    assert actions.refusals(request, user, "edit") == []

    workflow.save_answers(request, user, "scope", {"purpose": "Changed."})

    assert AccessRequest.objects.get(pk=request.pk).purpose == "Changed."


# attach_file and remove_attachment


@pytest.mark.parametrize("status", [Status.DRAFT, Status.RETURNED])
def test_a_file_is_stored_with_what_the_form_found_and_who_uploaded_it(
    journey, personas, colleague, private_root, status
):
    request = request_in(journey, status)

    attached = workflow.attach_file(
        request, colleague, upload(), "application/pdf", "  From Yale's IRB  "
    )

    stored = Attachment.objects.get(pk=attached.pk)
    assert (
        stored.request,
        stored.original_name,
        stored.content_type,
        stored.size,
        stored.description,
        stored.uploaded_by,
    ) == (
        request,
        "IRB approval.pdf",
        "application/pdf",
        len(CONTENT),
        "From Yale's IRB",
        colleague,
    )
    assert Path(stored.file.path).read_bytes() == CONTENT
    assert Path(stored.file.path).is_relative_to(private_root)
    assert files_in(private_root) == [stored.file.name]
    assert AccessRequest.objects.get(pk=request.pk).last_edited_by == colleague
    expected = (
        [("Rowan Colleague", "", "", "", {"changed": ["Attached the file IRB approval.pdf"]})]
        if status == Status.RETURNED
        else []
    )
    assert answers_changed(request) == expected


def test_a_request_holds_at_most_twenty_files(journey, personas, private_root):
    assert workflow.ATTACHMENTS_PER_REQUEST == 20
    request = journey.draft()
    for n in range(20):
        workflow.attach_file(request, personas.riley, upload(f"file {n}.pdf"), "application/pdf")
    before, on_disk = snapshot(), files_in(private_root)

    with pytest.raises(actions.ActionRefused) as refused:
        workflow.attach_file(request, personas.riley, upload("one more.pdf"), "application/pdf")

    assert refused.value.problems == [TOO_MANY_FILES]
    assert (snapshot(), len(on_disk), files_in(private_root)) == (before, 20, on_disk)


def test_a_file_whose_row_fails_is_not_left_on_disk(journey, personas, private_root, monkeypatch):
    # The row is written, then the event of a returned request fails: the transaction rolls
    # back, and the file it stored must go with it.
    request = journey.returned()
    before = snapshot()

    def fail(*args, **kwargs):
        raise RuntimeError("The event could not be written.")

    monkeypatch.setattr(application_services, "record_event", fail)
    with pytest.raises(RuntimeError):
        workflow.attach_file(request, personas.riley, upload(), "application/pdf")

    assert (snapshot(), files_in(private_root)) == (before, [])


@pytest.mark.parametrize("status", [Status.DRAFT, Status.RETURNED])
def test_a_removed_file_leaves_the_disk_once_the_removal_is_committed(
    journey, personas, colleague, private_root, django_capture_on_commit_callbacks, status
):
    request = request_in(journey, status)
    kept = stored_file(request, personas.riley, "kept.pdf")
    gone = stored_file(request, personas.riley, "gone.pdf")

    with django_capture_on_commit_callbacks() as callbacks:
        workflow.remove_attachment(request, colleague, gone)
        # Until the removal commits, the row may yet come back: the file stays.
        assert files_in(private_root) == sorted([kept.file.name, gone.file.name])

    assert list(request.attachments.all()) == [kept]
    assert AccessRequest.objects.get(pk=request.pk).last_edited_by == colleague
    for callback in callbacks:
        callback()
    assert files_in(private_root) == [kept.file.name]
    expected = (
        [("Rowan Colleague", "", "", "", {"changed": ["Removed the file gone.pdf"]})]
        if status == Status.RETURNED
        else []
    )
    assert answers_changed(request) == expected


def test_a_removal_runs_its_deletion_on_commit(
    journey, personas, private_root, django_capture_on_commit_callbacks
):
    request = journey.draft()
    gone = stored_file(request, personas.riley)

    with django_capture_on_commit_callbacks(execute=True):
        workflow.remove_attachment(request, personas.riley, gone)

    assert (Attachment.objects.count(), files_in(private_root)) == (0, [])


def test_only_a_file_of_this_request_is_removed(journey, personas, private_root):
    request = journey.draft()
    other = stored_file(journey.draft(), personas.riley)
    before, on_disk = snapshot(), files_in(private_root)

    with pytest.raises(actions.ActionRefused) as refused:
        workflow.remove_attachment(request, personas.riley, other)

    assert refused.value.problems == ["That file is not attached to this request."]
    assert (snapshot(), files_in(private_root)) == (before, on_disk)


# delete_draft


@pytest.mark.parametrize("who", ["riley", "colleague"])
def test_a_draft_is_deleted_with_its_people_and_files(
    journey, personas, colleague, private_root, django_capture_on_commit_callbacks, who
):
    request = journey.draft(people=2)
    for name in ("a.pdf", "b.pdf"):
        workflow.attach_file(request, personas.riley, upload(name), "application/pdf")
    other = journey.draft()
    other_file = stored_file(other, personas.riley)
    user = colleague if who == "colleague" else personas.riley
    reference = request.reference

    with django_capture_on_commit_callbacks() as callbacks:
        gone = workflow.delete_draft(request, user)
        assert len(files_in(private_root)) == 3

    assert gone == reference
    assert not AccessRequest.objects.filter(pk=request.pk).exists()
    assert NamedPerson.objects.filter(request_id=request.pk).count() == 0
    assert list(Attachment.objects.all()) == [other_file]
    assert list(AccessRequest.objects.all()) == [other]
    for callback in callbacks:
        callback()
    assert files_in(private_root) == [other_file.file.name]


@pytest.mark.parametrize(
    ("who", "status", "sentence"),
    [
        pytest.param("riley", Status.SUBMITTED, NOT_A_DRAFT, id="submitted"),
        pytest.param("riley", Status.RETURNED, NOT_A_DRAFT, id="returned"),
        pytest.param("riley", Status.WITHDRAWN, NOT_A_DRAFT, id="withdrawn"),
        pytest.param("sam", Status.DRAFT, NO_ACCESS, id="staff"),
        pytest.param("quinn", Status.DRAFT, NO_ACCESS, id="other-org"),
        pytest.param("pending", Status.DRAFT, NO_ACCESS, id="pending-member"),
    ],
)
def test_only_the_organization_deletes_only_its_drafts(
    journey, personas, private_root, who, status, sentence
):
    request = request_in(journey, status)
    stored_file(request, personas.riley)
    user = someone(personas, who)
    before, on_disk = snapshot(), files_in(private_root)

    with pytest.raises(actions.ActionRefused) as refused:
        workflow.delete_draft(request, user)

    assert refused.value.problems == [sentence]
    assert actions.refusals(request, user, "delete") == [sentence]
    assert (snapshot(), files_in(private_root)) == (before, on_disk)


# policy.missing_answers: what the review page sends the requestor back for.


def test_the_journeys_draft_is_complete(journey):
    assert policy.missing_answers(journey.draft()) == []


MISSING = [
    ({}, {"name": ""}, ("organization", "the organization's legal name")),
    ({}, {"kind": ""}, ("organization", "the organization's type")),
    ({}, {"address": ""}, ("organization", "the organization's address")),
    ({"program": ""}, {}, ("people", "the program or department (3.3)")),
    ({"contact_name": ""}, {}, ("people", "a contact name (3.3)")),
    ({"contact_email": ""}, {}, ("people", "a contact e-mail address (3.3)")),
    ({"people": 0}, {}, ("people", "at least one named person who will use HMIS (3.3)")),
    ({"purpose": ""}, {}, ("scope", "the purpose of the request (3.1)")),
    (
        {"contribution": ""},
        {},
        ("scope", "how access contributes to ending homelessness (3.2, 1.8)"),
    ),
    (
        {"existing_reporting_gap": ""},
        {},
        ("scope", "why existing reporting does not meet the need (1.1)"),
    ),
    (
        {"cans": [], "statewide": False},
        {},
        ("scope", "the scope: statewide, or at least one CAN (1.5)"),
    ),
    ({"need_type": ""}, {}, ("eligibility", "whether the need is ongoing or one-time (1.2)")),
    ({"usage_frequency": ""}, {}, ("eligibility", "how often the data will be used (1.2)")),
    (
        {"funding_relation": ""},
        {},
        ("eligibility", "the funding requirement or provider it relates to (1.3)"),
    ),
    (
        {"homeless_relationship": ""},
        {},
        ("eligibility", "the working relationship with people experiencing homelessness (1.4)"),
    ),
    (
        {"had_prior_access": None},
        {},
        ("eligibility", "whether the organization had HMIS access before (1.10)"),
    ),
    (
        {"had_prior_access": True, "prior_access_revoked": None},
        {},
        ("eligibility", "whether that earlier access was ever revoked (1.10)"),
    ),
    ({"is_researcher": None}, {}, ("research", "whether the requestor is a researcher (1.9)")),
    (
        {"is_researcher": True, "aggregated_data_sufficient": None},
        {},
        ("research", "whether aggregated, de-identified data would serve (1.9)"),
    ),
    (
        {"is_researcher": True, "aggregated_data_sufficient": False},
        {},
        ("research", "why identified data is needed (1.9)"),
    ),
    (
        {"attests_training": False},
        {},
        (
            "attestations",
            "the attestation that every named person will complete HMIS training (1.7)",
        ),
    ),
    (
        {"attests_accuracy": False},
        {},
        ("attestations", "the attestation that the answers are accurate"),
    ),
]


@pytest.mark.parametrize(
    ("answers", "organization", "expected"),
    [pytest.param(a, o, e, id=e[1][:40]) for a, o, e in MISSING],
)
def test_a_missing_answer_is_named_with_the_step_that_asks_it(
    journey, personas, answers, organization, expected
):
    Organization.objects.filter(pk=personas.harbor.pk).update(**organization)
    request = journey.draft(**answers)

    assert policy.missing_answers(AccessRequest.objects.get(pk=request.pk)) == [expected]
    assert expected[0] in policy.SECTIONS


@pytest.mark.parametrize(
    "answers",
    [
        pytest.param({"cans": [], "statewide": True}, id="statewide-without-cans"),
        pytest.param({"had_prior_access": True, "prior_access_revoked": False}, id="prior"),
        pytest.param({"had_prior_access": False, "prior_access_revoked": None}, id="no-prior"),
        pytest.param({"is_researcher": True, "aggregated_data_sufficient": True}, id="aggregated"),
        pytest.param(
            {
                "is_researcher": True,
                "aggregated_data_sufficient": False,
                "identified_data_justification": "Linking to hospital records needs names.",
            },
            id="identified-with-reason",
        ),
    ],
)
def test_complete_answers_of_every_shape_miss_nothing(journey, answers):
    request = journey.draft(**answers)

    assert policy.missing_answers(AccessRequest.objects.get(pk=request.pk)) == []


# policy.points_to_raise: what the requestor should know before submitting.

ONE_TIME_POINT = (
    "eligibility",
    "You said the need is one-time only. The policy grants HMIS access for ongoing needs; a "
    "one-time need is a reason to deny access (2.1). A custom data pull or report from CCEH "
    "may serve you better.",
)
RESEARCH_POINT = (
    "research",
    "You asked for identified data for research. The policy expects researchers to use "
    "aggregated, de-identified data unless identified data is truly needed (1.9): your reason "
    "and any IRB approval will be read closely.",
)
REVOKED_POINT = (
    "eligibility",
    "You said earlier HMIS access was revoked. Staff weigh this under good standing (1.10); "
    "say what has changed since, in the details.",
)


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        pytest.param({}, [], id="none"),
        pytest.param({"need_type": AccessRequest.NeedType.ONE_TIME}, [ONE_TIME_POINT], id="once"),
        pytest.param(
            {"is_researcher": True, "aggregated_data_sufficient": False},
            [RESEARCH_POINT],
            id="identified-research",
        ),
        pytest.param(
            {"is_researcher": True, "aggregated_data_sufficient": True}, [], id="aggregated"
        ),
        pytest.param(
            {"is_researcher": True, "aggregated_data_sufficient": None}, [], id="not-answered"
        ),
        pytest.param({"is_researcher": False, "aggregated_data_sufficient": False}, [], id="no-r"),
        pytest.param(
            {"had_prior_access": True, "prior_access_revoked": True}, [REVOKED_POINT], id="revoked"
        ),
        pytest.param(
            {"had_prior_access": True, "prior_access_revoked": False}, [], id="not-revoked"
        ),
        pytest.param(
            {
                "need_type": AccessRequest.NeedType.ONE_TIME,
                "is_researcher": True,
                "aggregated_data_sufficient": False,
                "had_prior_access": True,
                "prior_access_revoked": True,
            },
            [ONE_TIME_POINT, RESEARCH_POINT, REVOKED_POINT],
            id="all-three",
        ),
    ],
)
def test_points_to_raise_before_submitting(journey, answers, expected):
    request = journey.draft(**answers)

    assert policy.points_to_raise(request) == expected
