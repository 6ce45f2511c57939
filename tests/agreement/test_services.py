"""After an approval: the agreement and its MOU versions, signing, countersigning,
correcting, training, activation, provisioning, renewal, expiry and revocation, each through
workflow.py; and who may do what in each status of the agreement, as docs/design.md states it.

Agreements reach each status through the workflow itself, never by writing the status. Every
approval and action runs inside `django_capture_on_commit_callbacks(execute=True)`, so the MOU
versions rendered after commit exist as they would in production."""

import datetime
import hashlib

import pytest
from django.core.management import call_command
from django.utils import timezone

from requests_app import policy, workflow
from requests_app.core import actions
from requests_app.core.states import AccessLevel, AgreementStatus, Status
from requests_app.models import (
    AccessRequest,
    Agreement,
    Event,
    MOUVersion,
    NamedPerson,
    Notification,
    PersonAccess,
    Revocation,
    RoleProposal,
    Signature,
    Training,
)
from tests.support.factories import NamedPersonFactory
from tests.support.journey import ADA, BO, COURSE, CY, IP, RILEY_TITLE, SAM_TITLE, fresh
from tests.support.pages import day
from tests.support.pdf import stored_bytes, text_of
from tests.support.personas import PERSONA_NAMES

FULL, VIEW, REPORTING = AccessLevel.FULL, AccessLevel.VIEW, AccessLevel.REPORTING
ONLY_STAFF = "Only CCEH staff can do this."
CONFLICT_OF_INTEREST = (
    "You belong to the requesting organization, so you cannot act on its request "
    "(a conflict of interest)."
)
ONLY_MEMBERS = "Only members of the requesting organization can do this."
NO_ACCESS = "You do not have access to this request."


def refused(action, call):
    with pytest.raises(actions.ActionRefused) as caught:
        call()
    assert caught.value.action == action
    return caught.value.problems


@pytest.fixture(autouse=True)
def private_files(settings, tmp_path):
    settings.PRIVATE_FILES_ROOT = tmp_path / "private"
    return tmp_path / "private"


def notices(request, kind):
    return sorted(n.recipient.name for n in Notification.objects.filter(request=request, kind=kind))


# The approval issues the agreement and its first version.


def test_an_approval_issues_an_agreement_with_each_persons_access_and_version_1(stage, personas):
    agreement = stage.issued(people=(ADA, BO))
    request = agreement.request

    assert agreement.status == AgreementStatus.ISSUED
    assert sorted(agreement.people.values_list("person__name", "activated_at")) == [
        ("Ada Analyst", None),
        ("Bo Builder", None),
    ]
    mou = agreement.mous.get()
    assert (mou.version, mou.kind, mou.reason, mou.created_by) == (
        1,
        MOUVersion.Kind.ISSUED,
        "",
        personas.sam,
    )
    issued = request.events.get(kind=Event.Kind.MOU_ISSUED)
    assert (issued.actor, issued.data, issued.visible_to_requestor) == (
        personas.sam,
        {"version": 1, "sha256": mou.sha256},
        True,
    )
    assert notices(request, Notification.Kind.MOU_READY) == ["Riley Requestor"]


def test_the_committees_approval_issues_the_agreement_too(
    journey, personas, django_capture_on_commit_callbacks
):
    request = journey.with_quorum()
    with django_capture_on_commit_callbacks(execute=True):
        workflow.record_committee_decision(
            request, personas.casey, Status.APPROVED, "", levels=journey.levels(request)
        )

    agreement = Agreement.objects.get(request=request)
    assert agreement.status == AgreementStatus.ISSUED
    assert list(agreement.mous.values_list("version", "kind")) == [(1, MOUVersion.Kind.ISSUED)]


def test_a_denial_issues_no_agreement(journey):
    request = journey.denied()

    assert Agreement.objects.filter(request=request).exists() is False


# Versions: stored once, with their SHA-256.


@pytest.mark.pdf
def test_a_stored_version_carries_the_sha256_and_size_of_its_file(stage):
    mou = stage.issued().mous.get()
    content = stored_bytes(mou)

    assert content.startswith(b"%PDF-")
    assert (mou.sha256, mou.size) == (hashlib.sha256(content).hexdigest(), len(content))
    assert mou.file.name == f"mou/{mou.agreement.request.reference}/v1-{mou.sha256[:12]}.pdf"


def test_rendering_the_same_version_twice_stores_one_row(stage, personas):
    agreement = stage.issued()
    before = agreement.mous.get()

    again = workflow.render_mou_version(agreement.pk, 1)

    assert again is None
    assert list(agreement.mous.values_list("pk", "sha256")) == [(before.pk, before.sha256)]
    assert agreement.request.events.filter(kind=Event.Kind.MOU_ISSUED).count() == 1


@pytest.mark.pdf
def test_a_correction_is_a_new_version_with_its_own_hash_and_the_old_one_is_kept(stage, personas):
    agreement = stage.issued()
    ada = agreement.request.people.get()
    v1 = agreement.mous.get()
    v1_bytes = stored_bytes(v1)

    with stage.capture(execute=True):
        workflow.amend_mou(
            agreement,
            personas.sam,
            "The level was mistyped.",
            names={ada: "Ada Q. Analyst"},
            levels={ada: REPORTING},
        )

    agreement = fresh(agreement)
    assert agreement.status == AgreementStatus.ISSUED
    v1_after, v2 = agreement.mous.all()
    assert (v2.version, v2.kind, v2.reason) == (
        2,
        MOUVersion.Kind.AMENDED,
        "The level was mistyped.",
    )
    assert v2.sha256 != v1.sha256
    assert v2.sha256 == hashlib.sha256(stored_bytes(v2)).hexdigest()
    assert (v1_after.sha256, stored_bytes(v1_after)) == (v1.sha256, v1_bytes)
    assert workflow.current_levels(agreement.request) == {ada.pk: REPORTING}
    assert NamedPerson.objects.get(pk=ada.pk).name == "Ada Q. Analyst"
    text, _pages = text_of(stored_bytes(v2))
    assert "Ada Q. Analyst Analyst ada@harbor.example Reporting only View only" in text
    amended = agreement.request.events.get(kind=Event.Kind.MOU_AMENDED)
    assert (amended.note, amended.data) == (
        "The level was mistyped.",
        {"changed": ["Ada Analyst is now Ada Q. Analyst", "Ada Q. Analyst: reporting only"]},
    )
    assert notices(agreement.request, Notification.Kind.MOU_READY) == ["Riley Requestor"] * 2


def test_correcting_a_signed_mou_sends_it_back_to_be_signed_again(stage, personas):
    agreement = stage.signed()
    ada = agreement.request.people.get()

    with stage.capture(execute=True):
        workflow.amend_mou(agreement, personas.sam, "Lower level.", levels={ada: REPORTING})

    agreement = fresh(agreement)
    assert agreement.status == AgreementStatus.ISSUED
    assert list(agreement.mous.values_list("version", "kind")) == [
        (1, MOUVersion.Kind.ISSUED),
        (2, MOUVersion.Kind.SIGNED),
        (3, MOUVersion.Kind.AMENDED),
    ]
    assert actions.refusals(agreement, personas.riley, "sign") == []


@pytest.mark.parametrize(
    ("reason", "levels", "problems"),
    [
        ("", None, ["Write why the MOU changes; the requestor reads it."]),
        ("No change.", "same", ["Nothing differs from the MOU as it is."]),
        (
            "Higher.",
            "higher",
            ["Ada Analyst asked for view only; the granted level cannot be higher."],
        ),
        ("Someone else.", "stranger", ["Choose people this MOU names."]),
    ],
    ids=["no-reason", "nothing-changes", "above-what-was-asked", "unknown-person"],
)
def test_a_correction_is_refused_in_words(stage, personas, reason, levels, problems):
    agreement = stage.issued()
    ada = agreement.request.people.get()
    given = {
        None: None,
        "same": {ada: VIEW},
        "higher": {ada: FULL},
        # Someone another request names.
        "stranger": {stage.journey.draft().people.get(): VIEW},
    }[levels]

    assert (
        refused("amend", lambda: workflow.amend_mou(agreement, personas.sam, reason, levels=given))
        == problems
    )
    assert (fresh(agreement).status, agreement.mous.count()) == (AgreementStatus.ISSUED, 1)


# Signing for the organization.


def test_the_requestor_signs_the_current_version(stage, personas):
    agreement = stage.issued()

    agreement = stage.sign(agreement)

    assert agreement.status == AgreementStatus.SIGNED
    signature = agreement.signatures.get()
    assert (
        signature.party,
        signature.signer,
        signature.full_name,
        signature.title,
        signature.statement,
        signature.ip_address,
        signature.mou.version,
    ) == (
        Signature.Party.ORGANIZATION,
        personas.riley,
        "Riley Requestor",
        RILEY_TITLE,
        "I am authorized to sign this Memorandum of Understanding for Harbor Health Partners, "
        "and I agree to it on its behalf.",
        IP,
        1,
    )
    # Signing makes nobody the authorized signatory: CCEH staff confirm one (accounts/roles.py).
    assert RoleProposal.objects.count() == 0
    assert list(agreement.mous.values_list("version", "kind", "reason")) == [
        (1, MOUVersion.Kind.ISSUED, ""),
        (2, MOUVersion.Kind.SIGNED, "Riley Requestor, for the organization"),
    ]
    signed = agreement.request.events.get(kind=Event.Kind.MOU_SIGNED)
    assert (signed.actor, signed.note, signed.data) == (
        personas.riley,
        f"Riley Requestor, {RILEY_TITLE}",
        {"version": 1, "sha256": agreement.mous.get(version=1).sha256},
    )
    assert notices(agreement.request, Notification.Kind.SIGNED) == ["Sam Staff"]


@pytest.mark.parametrize(
    ("full_name", "title", "affirmed", "problems"),
    [
        ("", RILEY_TITLE, True, ["Type your full name as your signature."]),
        ("   ", RILEY_TITLE, True, ["Type your full name as your signature."]),
        ("Riley Requestor", "", True, ["Give your title."]),
        ("Riley Requestor", RILEY_TITLE, False, ["Confirm the statement above your signature."]),
        (
            "",
            "",
            False,
            [
                "Type your full name as your signature.",
                "Give your title.",
                "Confirm the statement above your signature.",
            ],
        ),
    ],
    ids=["no-name", "blank-name", "no-title", "not-affirmed", "nothing"],
)
def test_a_signature_needs_a_name_a_title_and_the_affirmation(
    stage, personas, full_name, title, affirmed, problems
):
    agreement = stage.issued()

    assert (
        refused(
            "sign",
            lambda: workflow.sign_mou(agreement, personas.riley, full_name, title, affirmed, IP),
        )
        == problems
    )
    agreement = fresh(agreement)
    assert (agreement.status, agreement.signatures.count()) == (AgreementStatus.ISSUED, 0)


def test_staff_cannot_sign_for_the_organization(stage, personas):
    agreement = stage.issued()

    assert refused(
        "sign",
        lambda: workflow.sign_mou(agreement, personas.sam, "Sam Staff", SAM_TITLE, True, IP),
    ) == [ONLY_MEMBERS]


def test_the_organization_cannot_sign_twice(stage, personas):
    agreement = stage.signed()

    # The status's label names CCEH, an acronym the sentence keeps in capitals.
    assert refused(
        "sign",
        lambda: workflow.sign_mou(agreement, personas.riley, "Riley", RILEY_TITLE, True, IP),
    ) == [
        "The MOU is signed by the organization: waiting for CCEH's countersignature, so it "
        "cannot be signed now."
    ]
    assert agreement.signatures.count() == 1


def test_a_page_read_before_someone_signed_is_told_the_mou_changed(stage, personas):
    agreement = stage.issued()
    seen = actions.version(agreement)
    stage.sign(fresh(agreement))

    with pytest.raises(actions.Conflict) as caught:
        workflow.sign_mou(agreement, personas.riley, "Riley", RILEY_TITLE, True, IP, seen=seen)

    assert caught.value.problems[0].startswith(
        "Someone else changed this MOU while you were looking at it: it is now signed"
    )
    assert caught.value.problems[0].endswith("Reload the page to see what changed.")


# Countersigning for CCEH.


@pytest.mark.pdf
def test_staff_countersign_and_the_executed_version_carries_both_signatures(stage, personas):
    agreement = stage.countersign(stage.signed())

    assert agreement.status == AgreementStatus.EXECUTED
    assert agreement.executed_at is not None
    assert [(s.party, s.full_name, s.mou.version) for s in agreement.signatures.all()] == [
        (Signature.Party.ORGANIZATION, "Riley Requestor", 1),
        (Signature.Party.CCEH, "Sam Staff", 2),
    ]
    executed = agreement.current_mou()
    assert (executed.version, executed.kind) == (3, MOUVersion.Kind.EXECUTED)
    text, _pages = text_of(stored_bytes(executed))
    assert "/s/ Riley Requestor" in text
    assert f"Riley Requestor, {RILEY_TITLE}, signed in HMIS Access on" in text
    assert "/s/ Sam Staff" in text
    assert f"Sam Staff, {SAM_TITLE}, countersigned on" in text
    assert notices(agreement.request, Notification.Kind.COUNTERSIGNED) == ["Riley Requestor"]


def test_only_staff_countersign(stage, personas):
    agreement = stage.signed()

    assert refused(
        "countersign",
        lambda: workflow.countersign_mou(agreement, personas.riley, "Riley", "Dir.", True, IP),
    ) == [ONLY_STAFF, CONFLICT_OF_INTEREST]


def test_nobody_countersigns_before_the_organization_signed(stage, personas):
    agreement = stage.issued()

    assert refused(
        "countersign",
        lambda: workflow.countersign_mou(agreement, personas.sam, "Sam Staff", SAM_TITLE, True),
    ) == [
        "The MOU is issued: waiting for the organization's signature, so it cannot be "
        "countersigned now."
    ]
    assert agreement.signatures.count() == 0


# Training (1.7).


def test_staff_record_a_persons_training(stage, personas):
    agreement = stage.executed()
    ada = agreement.request.people.get()
    on = timezone.localdate() - datetime.timedelta(days=3)

    training = workflow.record_training(agreement, personas.sam, ada, on, f"  {COURSE} ")

    assert (training.person, training.completed_on, training.course, training.recorded_by) == (
        ada,
        on,
        COURSE,
        personas.sam,
    )
    event = agreement.request.events.get(kind=Event.Kind.TRAINING_RECORDED)
    assert (event.note, event.data, event.headline()) == (
        f"{COURSE}, {day(on)}",
        {"people": ["Ada Analyst"]},
        "HMIS training recorded: Ada Analyst",
    )


def test_training_is_refused_for_a_future_date_or_a_person_of_another_request(stage, personas):
    agreement = stage.executed()
    ada = agreement.request.people.get()
    other = stage.journey.draft().people.get()
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)

    assert refused(
        "training",
        lambda: workflow.record_training(agreement, personas.sam, ada, tomorrow, COURSE),
    ) == ["The training date cannot be in the future."]
    assert refused(
        "training",
        lambda: workflow.record_training(agreement, personas.sam, other, tomorrow, ""),
    ) == [
        "Choose a person this MOU names.",
        "Name the training course.",
        "The training date cannot be in the future.",
    ]
    assert refused(
        "training",
        lambda: workflow.record_training(agreement, personas.sam, ada, None, COURSE),
    ) == ["Give the date the training was completed."]
    assert Training.objects.count() == 0


def test_the_requestor_cannot_record_training(stage, personas):
    agreement = stage.executed()
    ada = agreement.request.people.get()

    assert refused(
        "training",
        lambda: workflow.record_training(
            agreement, personas.riley, ada, timezone.localdate(), COURSE
        ),
    ) == [ONLY_STAFF, CONFLICT_OF_INTEREST]
    assert Training.objects.count() == 0


# Activation.


def test_activation_is_refused_when_nobody_is_ready(stage, personas):
    agreement = stage.executed(people=(ADA, BO))

    assert refused(
        "activate", lambda: workflow.activate_access(agreement, personas.sam, "Go.")
    ) == [
        "Nobody is ready to activate: record each person's training and have each "
        "sign the user agreement."
    ]
    assert fresh(agreement).status == AgreementStatus.EXECUTED


def test_activating_some_before_the_others_needs_a_note_naming_who_waits(stage, personas):
    agreement = stage.executed(people=(ADA, BO))
    ada, bo = agreement.request.people.all()
    agreement = stage.train(agreement, ada)

    assert refused("activate", lambda: workflow.activate_access(agreement, personas.sam)) == [
        "Not everyone is ready (Bo Builder needs current training and a signed user "
        "agreement): write a note to activate those who are."
    ]
    assert PersonAccess.objects.filter(activated_at__isnull=False).count() == 0

    activated = workflow.activate_access(agreement, personas.sam, "Bo trains next week.")

    assert [a.person.name for a in activated] == ["Ada Analyst"]
    agreement = fresh(agreement)
    assert agreement.status == AgreementStatus.ACTIVE
    assert {a.person.name: a.activated_at is not None for a in agreement.people.all()} == {
        "Ada Analyst": True,
        "Bo Builder": False,
    }
    event = agreement.request.events.get(kind=Event.Kind.ACCESS_ACTIVATED)
    assert (event.note, event.data) == ("Bo trains next week.", {"people": ["Ada Analyst"]})

    # Bo, trained later, is activated the same way; the term does not move.
    ends_on = agreement.ends_on
    agreement = stage.train(agreement, bo)
    assert [a.person.name for a in workflow.activate_access(agreement, personas.sam)] == [
        "Bo Builder"
    ]
    assert fresh(agreement).ends_on == ends_on


@pytest.mark.parametrize("term", [12, 6])
def test_activating_everyone_ready_starts_the_term(stage, personas, settings, term):
    settings.GRANT_TERM_MONTHS = term
    agreement = stage.executed(people=(ADA, BO))
    agreement = stage.train(agreement, *agreement.request.people.all())
    today = timezone.localdate()

    activated = workflow.activate_access(agreement, personas.sam)

    assert [a.person.name for a in activated] == ["Ada Analyst", "Bo Builder"]
    agreement = fresh(agreement)
    assert agreement.status == AgreementStatus.ACTIVE
    assert agreement.ends_on == workflow.add_months(today, term)
    assert notices(agreement.request, Notification.Kind.ACCESS_ACTIVE) == ["Riley Requestor"]


@pytest.mark.parametrize(
    ("start", "months", "end"),
    [
        (datetime.date(2026, 3, 15), 12, datetime.date(2027, 3, 15)),
        (datetime.date(2026, 1, 31), 1, datetime.date(2026, 2, 28)),
        (datetime.date(2027, 12, 31), 2, datetime.date(2028, 2, 29)),
        (datetime.date(2028, 2, 29), 12, datetime.date(2029, 2, 28)),
        (datetime.date(2026, 11, 30), 3, datetime.date(2027, 2, 28)),
        (datetime.date(2026, 12, 1), 24, datetime.date(2028, 12, 1)),
    ],
)
def test_months_are_added_to_the_same_day_or_the_months_last(start, months, end):
    assert workflow.add_months(start, months) == end


# Provisioning.


def test_active_people_are_listed_for_provisioning_until_marked(stage, personas):
    agreement = stage.active(people=(ADA, BO))
    ada_access, bo_access = agreement.people.all()

    assert list(workflow.provisioning_list(personas.sam)) == [ada_access, bo_access]
    assert list(workflow.provisioning_list(personas.quinn)) == []

    done = workflow.provision_access(personas.sam, [ada_access])

    assert done == [ada_access]
    assert list(workflow.provisioning_list(personas.sam)) == [bo_access]
    ada_access.refresh_from_db()
    assert (ada_access.provisioned_by, ada_access.state_label()) == (personas.sam, "Account given")
    event = agreement.request.events.get(kind=Event.Kind.ACCESS_PROVISIONED)
    assert event.data == {"people": ["Ada Analyst"]}


def test_provisioning_nobody_is_refused_in_words(stage, personas):
    # An id that is not a number is the provisioning form's to refuse (agreement/test_views.py).
    stage.active()

    problems = refused("provision", lambda: workflow.provision_access(personas.sam, []))

    assert problems == ["Choose at least one person from the list."]


# Renewal.


def test_a_renewal_cannot_start_before_the_window(stage, personas, settings):
    settings.GRANT_TERM_MONTHS, settings.GRANT_RENEWAL_WINDOW_DAYS = 12, 60
    agreement = stage.active()
    opens = agreement.ends_on - datetime.timedelta(days=60)

    assert workflow.renewal_opens_on(agreement) == opens
    assert refused("renew", lambda: workflow.start_renewal(agreement, personas.riley)) == [
        f"A renewal can be started from {day(opens)}."
    ]
    assert AccessRequest.objects.filter(renews=agreement.request).count() == 0


def test_in_the_window_a_renewal_is_a_linked_draft_prefilled_with_people_and_levels(
    stage, personas, settings
):
    settings.GRANT_TERM_MONTHS, settings.GRANT_RENEWAL_WINDOW_DAYS = 1, 60
    agreement = stage.active(
        people=(ADA, CY),
        granted={"Cy Clinician": VIEW},
        purpose="Coordinate discharge planning for respite patients.",
    )
    old = agreement.request

    renewal = workflow.start_renewal(agreement, personas.riley)

    assert (renewal.status, renewal.renews, renewal.organization, renewal.created_by) == (
        Status.DRAFT,
        old,
        personas.harbor,
        personas.riley,
    )
    assert list(renewal.people.values_list("name", "email", "requested_level")) == [
        ("Ada Analyst", "ada@harbor.example", VIEW),
        ("Cy Clinician", "cy@harbor.example", VIEW),
    ]
    assert list(renewal.cans.values_list("name", flat=True)) == ["Greater Hartford"]
    assert {name: getattr(renewal, name) for name in workflow.RENEWED_FIELDS} == {
        name: getattr(old, name) for name in workflow.RENEWED_FIELDS
    }
    assert (
        renewal.had_prior_access,
        renewal.prior_access_revoked,
        renewal.prior_access_details,
        renewal.attests_training,
        renewal.attests_accuracy,
    ) == (True, False, f"{old.reference}, active until {day(agreement.ends_on)}.", False, False)
    started = old.events.get(kind=Event.Kind.RENEWAL_STARTED)
    assert started.headline() == f"Renewal started: {renewal.reference}"

    # One renewal at a time.
    assert refused("renew", lambda: workflow.start_renewal(agreement, personas.riley)) == [
        f"A renewal is already under way: {renewal.reference}."
    ]
    assert AccessRequest.objects.filter(renews=old).count() == 1


def test_a_renewal_leaves_out_people_whose_access_was_revoked(stage, personas, settings):
    settings.GRANT_TERM_MONTHS = 1
    agreement = stage.active(people=(ADA, BO))
    bo = agreement.request.people.get(name="Bo Builder")
    workflow.revoke_access(agreement, personas.sam, "Left the organization.", bo)

    renewal = workflow.start_renewal(fresh(agreement), personas.riley)

    assert list(renewal.people.values_list("name", flat=True)) == ["Ada Analyst"]


# Expiry.


def test_access_expires_the_day_after_its_last_day_once(stage, personas):
    agreement = stage.active()
    ends_on = agreement.ends_on

    assert workflow.expire_agreements(today=ends_on) == []
    assert fresh(agreement).status == AgreementStatus.ACTIVE

    expired = workflow.expire_agreements(today=ends_on + datetime.timedelta(days=1))

    assert [a.pk for a in expired] == [agreement.pk]
    agreement = fresh(agreement)
    assert agreement.status == AgreementStatus.EXPIRED
    assert agreement.ended_at is not None
    event = agreement.request.events.get(kind=Event.Kind.ACCESS_EXPIRED)
    assert (event.actor, event.note, event.data, event.visible_to_requestor) == (
        None,
        "",
        {"ended_on": ends_on.isoformat()},
        True,
    )
    assert notices(agreement.request, Notification.Kind.EXPIRED) == ["Riley Requestor"]

    assert workflow.expire_agreements(today=ends_on + datetime.timedelta(days=1)) == []
    assert agreement.request.events.filter(kind=Event.Kind.ACCESS_EXPIRED).count() == 1
    assert notices(agreement.request, Notification.Kind.EXPIRED) == ["Riley Requestor"]


def test_the_daily_command_expires_nothing_still_in_its_term(stage, capsys):
    agreement = stage.active()

    call_command("expire_agreements")

    assert capsys.readouterr().out == "0 expired.\n0 suspended, 0 resumed.\n"
    assert fresh(agreement).status == AgreementStatus.ACTIVE


def test_the_daily_command_expires_a_term_that_ended(stage, settings, capsys):
    # A term of minus one month ended last month: the command runs on today's date.
    settings.GRANT_TERM_MONTHS = -1
    agreement = stage.active()

    call_command("expire_agreements")
    call_command("expire_agreements")

    assert capsys.readouterr().out == (
        f"Expired {agreement.request.reference} (ended {agreement.ends_on}).\n1 expired.\n"
        "0 suspended, 0 resumed.\n0 expired.\n0 suspended, 0 resumed.\n"
    )
    assert fresh(agreement).status == AgreementStatus.EXPIRED


# Revocation and the good standing it affects later (1.10).


def test_revoking_the_whole_organization(stage, personas):
    agreement = stage.active(people=(ADA, BO))

    revoked = workflow.revoke_access(agreement, personas.sam, "  Shared a login. ")

    assert [a.person.name for a in revoked] == ["Ada Analyst", "Bo Builder"]
    agreement = fresh(agreement)
    assert agreement.status == AgreementStatus.REVOKED
    assert agreement.ended_at is not None
    assert [a.state_label() for a in agreement.people.all()] == ["Revoked", "Revoked"]
    assert list(
        Revocation.objects.values_list("organization", "person_email", "request", "reason")
    ) == [(personas.harbor.pk, "", agreement.request.pk, "Shared a login.")]
    event = agreement.request.events.get(kind=Event.Kind.ACCESS_REVOKED)
    assert (event.note, event.data) == (
        "Shared a login.",
        {"people": ["Ada Analyst", "Bo Builder"], "whole": True},
    )
    assert notices(agreement.request, Notification.Kind.REVOKED) == ["Riley Requestor"]


def test_revoking_one_person(stage, personas):
    agreement = stage.active(people=(ADA, BO))
    bo = agreement.request.people.get(name="Bo Builder")

    revoked = workflow.revoke_access(agreement, personas.sam, "Left the organization.", bo)

    assert [a.person for a in revoked] == [bo]
    agreement = fresh(agreement)
    assert agreement.status == AgreementStatus.ACTIVE
    assert {a.person.name: a.state_label() for a in agreement.people.all()} == {
        "Ada Analyst": "Active: waiting for an HMIS account",
        "Bo Builder": "Revoked",
    }
    assert list(
        Revocation.objects.values_list("organization", "person_email", "request", "reason")
    ) == [(None, "bo@harbor.example", agreement.request.pk, "Left the organization.")]
    assert refused(
        "revoke",
        lambda: workflow.revoke_access(agreement, personas.sam, "Again.", bo),
    ) == ["That person has no access to revoke."]


def test_revoking_the_last_person_with_access_revokes_the_agreement(stage, personas):
    agreement = stage.active()
    ada = agreement.request.people.get()

    workflow.revoke_access(agreement, personas.sam, "Left the organization.", ada)

    assert fresh(agreement).status == AgreementStatus.REVOKED


@pytest.mark.parametrize("reason", ["", "   "], ids=["empty", "blank"])
def test_a_revocation_needs_a_reason(stage, personas, reason):
    agreement = stage.active()

    assert refused("revoke", lambda: workflow.revoke_access(agreement, personas.sam, reason)) == [
        "Write the reason; the organization reads it."
    ]
    assert (fresh(agreement).status, Revocation.objects.count()) == (AgreementStatus.ACTIVE, 0)


def test_a_later_request_of_the_organization_is_flagged_under_1_10(stage, personas, journey):
    agreement = stage.active()
    workflow.revoke_access(agreement, personas.sam, "Shared a login.")
    revoked_on = policy._day(Revocation.objects.get().revoked_at)

    later = journey.submitted()

    concern = (
        f"HMIS access of Harbor Health Partners was revoked on {revoked_on}. "
        "Reason: \u201cShared a login.\u201d"
    )
    # The later request answers that there was no earlier access: the revoked MOU says otherwise.
    undeclared = (
        f"{agreement.request.reference} gave this organization HMIS access (revoked on "
        f"{revoked_on}), yet the answers say there was no earlier access."
    )
    assert policy.standing_concerns(later) == [concern, undeclared]
    assert [(s.code, s.message) for s in policy.suggestions(later) if s.code == "1.10"] == [
        ("1.10", concern),
        ("1.10", undeclared),
    ]
    assert AccessRequest.objects.filter(policy.flagged_condition(), pk=later.pk).exists()


def test_a_later_request_naming_a_revoked_person_is_flagged_under_1_10(stage, personas):
    agreement = stage.active(people=(ADA, BO))
    bo = agreement.request.people.get(name="Bo Builder")
    workflow.revoke_access(agreement, personas.sam, "Shared a login.", bo)
    revoked_on = policy._day(Revocation.objects.get().revoked_at)
    # Another organization names Bo, his e-mail in other capitals.
    elsewhere = stage.journey.draft(people=0)
    AccessRequest.objects.filter(pk=elsewhere.pk).update(organization=personas.elsewhere)
    NamedPersonFactory(request=elsewhere, name="Bo Builder", email="Bo@Harbor.Example")
    unrelated = stage.journey.draft()
    AccessRequest.objects.filter(pk=unrelated.pk).update(organization=personas.elsewhere)
    elsewhere.refresh_from_db()
    unrelated.refresh_from_db()

    concern = (
        f"HMIS access of bo@harbor.example was revoked on {revoked_on}. "
        "Reason: \u201cShared a login.\u201d"
    )
    # Its answers say there was no earlier access, yet Bo was named on Harbor's MOU.
    undeclared = (
        f"{agreement.request.reference} gave bo@harbor.example HMIS access (active until "
        f"{day(agreement.ends_on)}), yet the answers say there was no earlier access."
    )
    assert policy.standing_concerns(elsewhere) == [concern, undeclared]
    assert [(s.code, s.message) for s in policy.suggestions(elsewhere) if s.code == "1.10"] == [
        ("1.10", concern),
        ("1.10", undeclared),
    ]
    assert policy.standing_concerns(unrelated) == []


# Who may do what, in each status of the agreement (docs/design.md section 4, after approval).


def _executed_and_trained(stage, settings):
    """Executed, with Ada's training recorded: someone is ready to activate."""
    agreement = stage.executed()
    return stage.train(agreement, *agreement.request.people.all())


def _active_with_one_waiting(stage, settings, term=12):
    """Active for Ada; Bo, trained since, is ready and waits for his activation."""
    settings.GRANT_TERM_MONTHS, settings.GRANT_RENEWAL_WINDOW_DAYS = term, 60
    agreement = stage.executed(people=(ADA, BO))
    ada, bo = agreement.request.people.all()
    agreement = stage.activate(stage.train(agreement, ada), note="Bo trains next week.")
    return stage.train(agreement, bo)


STAGED = {
    "issued": (lambda stage, settings: stage.issued(), AgreementStatus.ISSUED),
    "signed": (lambda stage, settings: stage.signed(), AgreementStatus.SIGNED),
    "executed": (_executed_and_trained, AgreementStatus.EXECUTED),
    "active-before-renewal-window": (_active_with_one_waiting, AgreementStatus.ACTIVE),
    "active-in-renewal-window": (
        lambda stage, settings: _active_with_one_waiting(stage, settings, term=1),
        AgreementStatus.ACTIVE,
    ),
    "expired": (lambda stage, settings: stage.expired(), AgreementStatus.EXPIRED),
    "revoked": (lambda stage, settings: stage.revoked(), AgreementStatus.REVOKED),
}
STAFF_WHILE_ACTIVE = {"training", "activate", "provision", "revoke", "depart", "deprovision"}
# docs/design.md section 4: sign, the requestor while issued; countersign, staff while signed;
# amend, staff while issued or signed; record_training, staff until it ends; activate, staff
# while executed or active; provision, staff while active; revoke, staff until it ends;
# start_renewal, the requestor while active and in the renewal window; depart, the
# organization or staff while executed or active; deprovision, staff while active or once
# ended. Nobody else, ever.
# Amendments (agreement/amendments.py): add, remove and lower, the organization while executed
# or active; review, the organization while active; decide_addition and sign_amendment only
# with an addition waiting (tests/agreement/test_amendments.py).
AMENDING = {"add", "remove", "lower"}
PERMITTED = {
    "issued": {"riley": {"sign"}, "sam": {"amend", "training", "revoke"}},
    "signed": {"sam": {"countersign", "amend", "training", "revoke"}},
    "executed": {
        "riley": AMENDING | {"depart"},
        "sam": {"training", "activate", "revoke", "depart"},
    },
    "active-before-renewal-window": {
        "riley": AMENDING | {"review", "depart"},
        "sam": STAFF_WHILE_ACTIVE,
    },
    "active-in-renewal-window": {
        "riley": AMENDING | {"review", "renew", "depart"},
        "sam": STAFF_WHILE_ACTIVE,
    },
    "expired": {"sam": {"deprovision"}},
    "revoked": {"sam": {"deprovision"}},
}


@pytest.mark.parametrize("staged", list(STAGED))
def test_who_may_do_what_in_each_status_of_the_agreement(stage, personas, settings, staged):
    make, status = STAGED[staged]
    agreement = make(stage, settings)
    assert agreement.status == status

    table = {
        name: {
            action
            for action in actions.names(actions.AGREEMENT)
            if actions.refusals(agreement, personas.by_name(name), action) == []
        }
        for name in PERSONA_NAMES
    }
    expected = {name: set(PERMITTED[staged].get(name, set())) for name in PERSONA_NAMES}

    assert table == expected
    for name in PERSONA_NAMES:
        assert set(actions.available(agreement, personas.by_name(name))) == expected[name]


def test_activation_is_not_offered_while_nobody_is_ready_to_activate(stage, personas):
    executed = stage.executed()
    active = stage.active()

    for agreement in (executed, active):
        assert actions.refusals(agreement, personas.sam, "activate") == [
            "Nobody is ready to activate: record each person's training and have each "
            "sign the user agreement."
        ]


def test_the_actions_of_the_table_are_every_agreement_action():
    assert set(actions.names(actions.AGREEMENT)) == {
        "sign",
        "countersign",
        "amend",
        "training",
        "activate",
        "provision",
        "revoke",
        "renew",
        "prepare",
        "depart",
        "deprovision",
        "add",
        "decide_addition",
        "sign_amendment",
        "remove",
        "lower",
        "review",
    }


@pytest.mark.parametrize(
    ("persona", "problems"),
    [
        ("quinn", [NO_ACCESS]),
        ("pat", [NO_ACCESS]),
        ("morgan", [NO_ACCESS]),
        ("anonymous", [NO_ACCESS]),
        ("lee", [ONLY_MEMBERS]),
        ("sam", [ONLY_MEMBERS]),
        ("alex", [ONLY_MEMBERS]),
    ],
)
def test_a_refused_signature_says_why(stage, personas, persona, problems):
    agreement = stage.issued()

    assert actions.refusals(agreement, personas.by_name(persona), "sign") == problems
