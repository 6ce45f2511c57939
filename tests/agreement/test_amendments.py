"""Amendments of an executed or active MOU without a new application, and the yearly review,
through workflow.py (agreement/amendments.py): an addition asked, decided, signed, trained and
activated; a removal and a lowering in effect at once; each with its MOU version of kind
"amendment", its events, its notices and its place on the provisioning or deprovisioning list;
the level rules refused in words; the review's keep, lower and remove in one submission; and
who may take each new action."""

import pytest
from django.utils import timezone

from requests_app import workflow
from requests_app.agreement import amendments
from requests_app.core import actions
from requests_app.core.states import AccessEnd, AccessLevel, AgreementStatus
from requests_app.models import (
    Amendment,
    AmendmentDecision,
    Event,
    Grant,
    MOUVersion,
    NamedPerson,
    Notification,
    PersonAccess,
    Recertification,
)
from tests.support.factories import MembershipFactory
from tests.support.journey import ADA, BO, COURSE, CY, IP, RILEY_TITLE, agree, fresh
from tests.support.pdf import stored_bytes, text_of
from tests.support.personas import PERSONA_NAMES

FULL, VIEW, REPORTING = AccessLevel.FULL, AccessLevel.VIEW, AccessLevel.REPORTING
DEE = ("Dee Data", "Data lead", "dee@harbor.example")


@pytest.fixture(autouse=True)
def private_files(settings, tmp_path):
    settings.PRIVATE_FILES_ROOT = tmp_path / "private"


def refused(action, call):
    with pytest.raises(actions.ActionRefused) as caught:
        call()
    assert caught.value.action == action
    return caught.value.problems


def committed(stage, call):
    """Run `call` and what it leaves for after its commit (the MOU's render, the e-mails)."""
    with stage.capture(execute=True):
        return call()


def kinds(request, since=0):
    return list(request.events.filter(pk__gt=since).values_list("kind", flat=True))


def newest_event(request):
    return request.events.order_by("-pk").values_list("pk", flat=True).first()


def newest_mou(agreement):
    return fresh(agreement).mous.order_by("-version").values_list("version", "kind").first()


def notices(request, kind):
    return sorted(n.recipient.name for n in Notification.objects.filter(request=request, kind=kind))


def to_deprovision():
    """The deprovisioning list's query (docs/design.md): ended, activated, account not closed."""
    return PersonAccess.objects.filter(
        ended_on__isnull=False, activated_at__isnull=False, deprovisioned_at__isnull=True
    )


def ask(stage, agreement, level=VIEW, user=None, email=DEE[2]):
    return committed(
        stage,
        lambda: workflow.request_addition(
            agreement, user or stage.p.riley, DEE[0], DEE[1], email, level, "Runs our reports."
        ),
    )


def decide(stage, agreement, amendment, approve=True, level=None, reason=""):
    return committed(
        stage,
        lambda: workflow.decide_addition(
            agreement, stage.p.sam, amendment, approve, level or amendment.level, reason
        ),
    )


def sign(stage, agreement):
    current = fresh(agreement).current_mou()
    return committed(
        stage,
        lambda: workflow.sign_amendment(
            agreement,
            stage.p.riley,
            "Riley Requestor",
            RILEY_TITLE,
            True,
            IP,
            given=current.identity(),
        ),
    )


# Adding a person.


def test_an_addition_is_asked_approved_lower_signed_trained_then_activated(stage, personas):
    agreement = stage.active(people=(CY, ADA))
    versions = fresh(agreement).mous.count()
    start = newest_event(agreement.request)

    amendment = ask(stage, agreement, level=VIEW)

    assert (amendment.kind, amendment.level, amendment.email) == (Amendment.Kind.ADD, VIEW, DEE[2])
    assert kinds(agreement.request, start) == [Event.Kind.AMENDMENT_REQUESTED]
    assert notices(agreement.request, Notification.Kind.ADDITION_ASKED) == ["Sam Staff"]
    assert fresh(agreement).mous.count() == versions  # asking changes nothing yet

    decision = decide(stage, agreement, amendment, level=REPORTING, reason="Reports suffice.")

    agreement = fresh(agreement)
    dee = NamedPerson.objects.get(request=agreement.request, email=DEE[2])
    assert (decision.approved, decision.level, decision.person) == (True, REPORTING, dee)
    assert (dee.name, dee.title, dee.requested_level) == (DEE[0], DEE[1], VIEW)
    assert list(Grant.objects.filter(person=dee).values_list("level", flat=True)) == [REPORTING]
    assert workflow.current_levels(agreement.request)[dee.pk] == REPORTING
    assert agreement.status == AgreementStatus.ACTIVE  # everyone else keeps their access
    assert newest_mou(agreement) == (versions + 1, MOUVersion.Kind.AMENDMENT)
    assert decision.mou_version == versions + 1
    assert dee.access.activated_at is None
    assert notices(agreement.request, Notification.Kind.ADDITION_DECIDED) == ["Riley Requestor"]

    # Trained, but the amended MOU is not signed yet: not ready.
    agreement = stage.train(agreement, dee)
    assert dict((a.person_id, ready) for a, ready in workflow.readiness(agreement))[dee.pk] is False
    assert actions.refusals(agreement, personas.sam, "activate") == [
        "Nobody is ready to activate: record each person's training and have each sign the "
        "user agreement."
    ]

    sign(stage, agreement)

    agreement = fresh(agreement)
    assert newest_mou(agreement) == (versions + 2, MOUVersion.Kind.SIGNED)
    assert notices(agreement.request, Notification.Kind.AMENDMENT_SIGNED) == ["Sam Staff"]
    assert actions.refusals(agreement, personas.riley, "sign_amendment") == [
        "No amendment is waiting for the organization's signature."
    ]
    stage.activate(agreement)

    listed = workflow.provisioning_list(personas.sam).get(person=dee)
    assert (listed.level, listed.mou_version) == (REPORTING, versions + 2)
    assert kinds(agreement.request, start) == [
        Event.Kind.AMENDMENT_REQUESTED,
        Event.Kind.PERSON_ADDED,
        Event.Kind.TRAINING_RECORDED,
        Event.Kind.USER_AGREEMENT_SIGNED,
        Event.Kind.AMENDMENT_SIGNED,
        Event.Kind.ACCESS_ACTIVATED,
    ]


@pytest.mark.pdf
def test_the_amendment_version_names_the_added_person_and_says_it_is_amended(stage, personas):
    agreement = stage.active(people=(CY,))
    decide(stage, agreement, ask(stage, agreement, level=VIEW))

    text, _pages = text_of(stored_bytes(fresh(agreement).current_mou()))

    assert "AMENDED: this MOU was amended after it was executed" in text
    assert "Dee Data" in text
    assert "Dee Data (dee@harbor.example) added at view only" in text


def test_a_declined_addition_needs_a_reason_and_names_nobody(stage, personas):
    agreement = stage.active(people=(CY,))
    amendment = ask(stage, agreement)
    versions = fresh(agreement).mous.count()

    assert refused(
        "decide_addition",
        lambda: workflow.decide_addition(agreement, personas.sam, amendment, False, "", " "),
    ) == ["Write why the addition is declined; the organization reads it."]

    decision = decide(stage, agreement, amendment, approve=False, reason="Use a custom report.")

    assert (decision.approved, decision.person, decision.reason) == (
        False,
        None,
        "Use a custom report.",
    )
    assert not NamedPerson.objects.filter(email=DEE[2]).exists()
    assert fresh(agreement).mous.count() == versions
    event = agreement.request.events.get(kind=Event.Kind.ADDITION_DECLINED)
    assert (event.note, event.data["people"]) == ("Use a custom report.", ["Dee Data"])
    assert notices(agreement.request, Notification.Kind.ADDITION_DECIDED) == ["Riley Requestor"]
    assert actions.refusals(fresh(agreement), personas.sam, "decide_addition") == [
        "No addition is waiting for a decision."
    ]


@pytest.mark.parametrize(
    ("people", "level", "problems"),
    [
        (
            (ADA,),
            FULL,
            [
                "The purpose this MOU was decided for supports at most view only; full access "
                "needs a new request (1.6)."
            ],
        ),
        (
            (BO,),
            VIEW,
            [
                "The purpose this MOU was decided for supports at most reporting only; view "
                "only needs a new request (1.6)."
            ],
        ),
    ],
    ids=["full-on-a-view-mou", "view-on-a-reporting-mou"],
)
def test_an_addition_above_what_the_purpose_supports_is_refused(stage, people, level, problems):
    agreement = stage.active(people=people)

    assert refused("add", lambda: ask(stage, agreement, level=level)) == problems
    assert Amendment.objects.count() == 0


def test_an_addition_is_refused_for_someone_named_or_already_asked(stage, personas):
    agreement = stage.active(people=(CY, ADA))
    ask(stage, agreement)

    assert refused("add", lambda: ask(stage, agreement)) == [
        "The addition of dee@harbor.example is already waiting for CCEH's decision."
    ]
    assert refused("add", lambda: ask(stage, agreement, email="ADA@harbor.example")) == [
        "ada@harbor.example is already named on this MOU. A person removed or departed comes "
        "back through a new request."
    ]


def test_staff_cannot_grant_an_addition_more_than_was_asked(stage, personas):
    agreement = stage.active(people=(CY,))
    amendment = ask(stage, agreement, level=VIEW)

    assert refused(
        "decide_addition",
        lambda: workflow.decide_addition(agreement, personas.sam, amendment, True, FULL, ""),
    ) == ["Dee Data was asked for at view only; the level granted cannot be higher (1.6)."]
    assert AmendmentDecision.objects.count() == 0


# Lowering and removing: in effect at once.


def test_lowering_is_a_new_grant_and_a_new_version_and_back_on_the_provisioning_list(
    stage, personas
):
    agreement = stage.active(people=(ADA, BO))
    ada_access = agreement.people.get(person__name="Ada Analyst")
    workflow.provision_access(personas.sam, [ada_access])
    versions = fresh(agreement).mous.count()
    start = newest_event(agreement.request)

    committed(
        stage,
        lambda: workflow.lower_access(
            agreement, personas.riley, ada_access.person, REPORTING, "Reports only now."
        ),
    )

    ada_access.refresh_from_db()
    assert (ada_access.provisioned_at, ada_access.provisioned_by) == (None, None)
    assert list(Grant.objects.filter(person=ada_access.person).values_list("level", flat=True)) == [
        VIEW,
        REPORTING,
    ]
    listed = workflow.provisioning_list(personas.sam).get(pk=ada_access.pk)
    assert (listed.level, listed.mou_version) == (REPORTING, versions + 1)
    assert newest_mou(agreement) == (versions + 1, MOUVersion.Kind.AMENDMENT)
    assert kinds(agreement.request, start) == [Event.Kind.ACCESS_LOWERED]
    event = agreement.request.events.get(kind=Event.Kind.ACCESS_LOWERED)
    assert (event.note, event.data) == (
        "Reports only now.",
        {"people": ["Ada Analyst"], "levels": {"Ada Analyst": REPORTING}},
    )
    assert notices(agreement.request, Notification.Kind.ACCESS_AMENDED) == ["Sam Staff"]
    amendment = Amendment.objects.get()
    assert (amendment.kind, amendment.person, amendment.level) == (
        Amendment.Kind.LOWER,
        ada_access.person,
        REPORTING,
    )


@pytest.mark.parametrize(
    ("person", "level", "reason", "problems"),
    [
        (
            "Ada Analyst",
            VIEW,
            "Why not.",
            ["Ada Analyst holds view only; the new level must be lower than view only."],
        ),
        (
            "Ada Analyst",
            FULL,
            "Why not.",
            ["Ada Analyst holds view only; the new level must be lower than view only."],
        ),
        (
            "Bo Builder",
            REPORTING,
            "Why not.",
            ["Bo Builder holds reporting only; there is no lower level: remove them instead."],
        ),
        ("Ada Analyst", REPORTING, "  ", ["Write why Ada Analyst's level is lowered."]),
    ],
    ids=["same", "higher", "lowest", "no-reason"],
)
def test_a_lowering_that_is_not_lower_or_has_no_reason_is_refused(
    stage, personas, person, level, reason, problems
):
    agreement = stage.active(people=(ADA, BO))
    named = agreement.request.people.get(name=person)

    assert (
        refused(
            "lower",
            lambda: workflow.lower_access(agreement, personas.riley, named, level, reason),
        )
        == problems
    )
    assert Amendment.objects.count() == 0


def test_removing_ends_access_today_and_lists_the_person_for_deprovisioning(stage, personas):
    agreement = stage.active(people=(ADA, BO))
    bo = agreement.request.people.get(name="Bo Builder")
    versions = fresh(agreement).mous.count()

    committed(
        stage,
        lambda: workflow.remove_access(agreement, personas.riley, bo, "Moved to another team."),
    )

    bo_access = PersonAccess.objects.get(person=bo)
    assert (bo_access.ended_on, bo_access.end_reason) == (
        timezone.localdate(),
        AccessEnd.REMOVED,
    )
    assert list(to_deprovision()) == [bo_access]
    assert [a.person for a in workflow.provisioning_list(personas.sam)] == [
        agreement.request.people.get(name="Ada Analyst")
    ]
    assert newest_mou(agreement) == (versions + 1, MOUVersion.Kind.AMENDMENT)
    event = agreement.request.events.get(kind=Event.Kind.ACCESS_REMOVED)
    assert (event.note, event.data) == ("Moved to another team.", {"people": ["Bo Builder"]})
    assert notices(agreement.request, Notification.Kind.ACCESS_AMENDED) == ["Sam Staff"]
    assert refused(
        "remove",
        lambda: workflow.remove_access(agreement, personas.riley, bo, "Again."),
    ) == ["Choose a person who holds access under this MOU."]


def test_removing_the_last_person_leaves_the_mou_active_with_nobody(stage, personas):
    agreement = stage.active(people=(ADA,))
    ada = agreement.request.people.get()

    committed(stage, lambda: workflow.remove_access(agreement, personas.riley, ada, "Left."))

    agreement = fresh(agreement)
    assert agreement.status == AgreementStatus.ACTIVE
    assert actions.refusals(agreement, personas.riley, "remove") == [
        "Nobody holds access under this MOU now."
    ]
    assert actions.refusals(agreement, personas.riley, "add") == []


def test_a_person_never_activated_is_removed_without_a_deprovisioning_entry(stage, personas):
    agreement = stage.executed(people=(ADA,))
    ada = agreement.request.people.get()

    committed(stage, lambda: workflow.remove_access(agreement, personas.riley, ada, "Left."))

    assert PersonAccess.objects.get(person=ada).end_reason == AccessEnd.REMOVED
    assert list(to_deprovision()) == []


# The yearly review.


def _review(stage, agreement, user, choices, note=""):
    people = {p.name: p for p in agreement.request.people.all()}
    return committed(
        stage,
        lambda: workflow.review_access(
            agreement, user, {people[name]: c for name, c in choices.items()}, note
        ),
    )


def test_the_review_keeps_lowers_and_removes_in_one_submission(stage, personas):
    agreement = stage.active(people=(CY, ADA, BO))
    for access in agreement.people.all():
        workflow.provision_access(personas.sam, [access])
    versions = fresh(agreement).mous.count()
    start = newest_event(agreement.request)

    recertification = _review(
        stage,
        agreement,
        personas.riley,
        {
            "Cy Clinician": ("keep", "", ""),
            "Ada Analyst": ("lower", REPORTING, "Reports suffice."),
            "Bo Builder": ("remove", "", "Left the team."),
        },
    )

    summary = "1 kept; lowered: Ada Analyst to reporting only; removed: Bo Builder."
    assert (recertification.reviewed_by, recertification.note) == (personas.riley, summary)
    assert list(Recertification.objects.all()) == [recertification]
    assert sorted(
        Amendment.objects.filter(recertification=recertification).values_list(
            "kind", "person__name"
        )
    ) == [("lower", "Ada Analyst"), ("remove", "Bo Builder")]
    assert kinds(agreement.request, start) == [
        Event.Kind.ACCESS_LOWERED,
        Event.Kind.ACCESS_REMOVED,
        Event.Kind.RECERTIFIED,
    ]
    event = agreement.request.events.get(kind=Event.Kind.RECERTIFIED)
    assert (event.note, event.data) == (
        summary,
        {
            "recertification": recertification.pk,
            "kept": ["Cy Clinician"],
            "lowered": ["Ada Analyst"],
            "removed": ["Bo Builder"],
        },
    )
    assert newest_mou(agreement) == (versions + 1, MOUVersion.Kind.AMENDMENT)
    assert [(a.person.name, a.level) for a in workflow.provisioning_list(personas.sam)] == [
        ("Ada Analyst", REPORTING)
    ]
    assert [a.person.name for a in to_deprovision()] == ["Bo Builder"]
    assert notices(agreement.request, Notification.Kind.RECERTIFIED) == ["Sam Staff"]


def test_a_review_keeping_everyone_makes_no_new_version(stage, personas):
    agreement = stage.active(people=(ADA, BO))
    versions = fresh(agreement).mous.count()

    _review(
        stage,
        agreement,
        personas.riley,
        {"Ada Analyst": ("keep", "", ""), "Bo Builder": ("keep", "", "")},
        note="All still needed.",
    )

    assert fresh(agreement).mous.count() == versions
    assert Recertification.objects.get().note == "All still needed."
    assert agreement.request.events.get(kind=Event.Kind.RECERTIFIED).note == "2 kept."


def test_the_review_is_refused_whole_with_every_problem(stage, personas):
    agreement = stage.active(people=(CY, ADA, BO))

    problems = refused(
        "review",
        lambda: _review(
            stage,
            agreement,
            personas.riley,
            {
                "Cy Clinician": ("lower", FULL, "Hm."),
                "Ada Analyst": ("remove", "", ""),
            },
        ),
    )

    assert problems == [
        "Cy Clinician holds full access; the new level must be lower than full access.",
        "Write why Ada Analyst is removed.",
        "Choose keep, lower or remove for Bo Builder.",
    ]
    assert (Recertification.objects.count(), Amendment.objects.count()) == (0, 0)


def test_a_review_from_a_page_read_before_a_change_is_refused(stage, personas):
    agreement = stage.active(people=(ADA,))
    seen = actions.version(agreement)
    ada = agreement.request.people.get()
    workflow.provision_access(personas.sam, [agreement.people.get()])

    with pytest.raises(actions.Conflict):
        workflow.review_access(agreement, personas.riley, {ada: ("keep", "", "")}, seen=seen)


# Who may take each new action (docs/design.md section 4): the organization asks (its
# authorized signatory once organization roles exist; any member until then), staff decide.

NEW_ACTIONS = ["add", "decide_addition", "sign_amendment", "remove", "lower", "review"]


@pytest.fixture
def amending(stage, personas):
    """Active, with one addition waiting for staff and one approved and unsigned."""
    agreement = stage.active(people=(CY, ADA))
    decide(stage, agreement, ask(stage, agreement, email="eve@harbor.example"))
    ask(stage, agreement)
    return fresh(agreement)


def _may(agreement, personas, name, other_member):
    user = other_member if name == "other_member" else personas.by_name(name)
    return {a for a in NEW_ACTIONS if actions.refusals(agreement, user, a) == []}


ORGANIZATION = {"add", "sign_amendment", "remove", "lower", "review"}


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("riley", ORGANIZATION),
        # Until the signatory rule replaces ORG_MEMBER, any member of the organization may.
        ("other_member", ORGANIZATION),
        ("sam", {"decide_addition"}),
        *[(name, set()) for name in PERSONA_NAMES if name not in ("riley", "sam")],
    ],
)
def test_who_may_amend_an_active_mou(amending, personas, persona, expected):
    other = MembershipFactory(organization=amending.request.organization).user

    assert _may(amending, personas, persona, other) == expected


@pytest.mark.parametrize("status", ["issued", "signed", "expired", "revoked"])
def test_nobody_amends_an_mou_before_it_is_executed_or_after_it_ended(stage, personas, status):
    agreement = getattr(stage, status)()

    for name in PERSONA_NAMES:
        assert _may(agreement, personas, name, None) == set()


def test_the_review_runs_only_while_active_and_the_amendments_from_execution(stage, personas):
    agreement = stage.executed(people=(ADA,))

    assert _may(agreement, personas, "riley", None) == {"add", "remove", "lower"}
    assert actions.refusals(agreement, personas.riley, "review") == [
        "The MOU is executed: waiting for training and activation, so it cannot be reviewed now."
    ]


def test_a_staff_member_of_the_organization_cannot_decide_its_addition(amending, personas, stage):
    MembershipFactory(organization=amending.request.organization, user=personas.sam)

    assert actions.refusals(amending, personas.sam, "decide_addition") == [
        "You belong to the requesting organization, so you cannot act on its request "
        "(a conflict of interest)."
    ]


def test_training_of_an_added_person_counts_only_after_the_signature(stage, personas):
    agreement = stage.active(people=(CY,))
    decide(stage, agreement, ask(stage, agreement))
    dee = NamedPerson.objects.get(email=DEE[2])
    workflow.record_training(agreement, personas.sam, dee, timezone.localdate(), COURSE)
    agree(dee)

    assert workflow.readiness(fresh(agreement))[-1][1] is False
    sign(stage, agreement)
    assert workflow.readiness(fresh(agreement))[-1][1] is True


def test_additions_waiting_at_once_are_bounded(stage, personas, monkeypatch):
    monkeypatch.setattr(amendments, "MAX_PENDING_ADDITIONS", 1)
    agreement = stage.active(people=(CY,))
    ask(stage, agreement)

    assert refused("add", lambda: ask(stage, agreement, email="eve@harbor.example")) == [
        "1 additions are already waiting for CCEH's decision: ask again once they are decided."
    ]


def test_a_renewal_names_again_neither_a_removed_person_nor_one_never_added(
    stage, personas, settings
):
    settings.GRANT_TERM_MONTHS = 1  # in the renewal window
    agreement = stage.active(people=(CY, ADA))
    ada = agreement.request.people.get(name="Ada Analyst")
    committed(stage, lambda: workflow.remove_access(agreement, personas.riley, ada, "Left."))
    decide(stage, agreement, ask(stage, agreement), approve=False, reason="No.")

    renewal = workflow.start_renewal(fresh(agreement), personas.riley)

    assert list(renewal.people.values_list("name", flat=True)) == ["Cy Clinician"]
