import datetime
from io import StringIO

import pytest
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.core.management import CommandError, call_command
from django.utils import timezone

from requests_app import policy
from requests_app.accounts import roles
from requests_app.agreement import access, deprovisioning, due
from requests_app.agreement.amendments import pending_additions
from requests_app.core.states import Status
from requests_app.management.commands.demo import PASSWORD, PEOPLE, TOTP_KEY
from requests_app.models import (
    CAN,
    AccessRequest,
    Assessment,
    Criterion,
    Event,
    Membership,
    Organization,
    PersonAccess,
    Recertification,
    Signature,
    User,
)
from tests.support.mfa import code_for


def run_demo():
    out = StringIO()
    call_command("demo", "--allow-production", stdout=out)
    return out.getvalue()


@pytest.fixture
def demo(db):
    return run_demo()


def test_demo_loads_the_cans_the_criteria_and_one_user_per_role(demo):
    assert list(CAN.objects.values_list("name", flat=True)) == [
        "Central",
        "Eastern",
        "Fairfield County",
        "Greater Hartford",
        "Greater New Haven",
        "Middlesex/Meriden/Wallingford",
        "Northwest (Waterbury-Litchfield)",
    ]
    assert list(Criterion.objects.values_list("code", "is_disqualifier", "policy_version")) == [
        *[(f"1.{n}", False, "1.0") for n in range(1, 11)],
        ("2.1", True, "1.0"),
        ("2.2", True, "1.0"),
    ]
    assert Criterion.objects.get(code="2.2").text == (
        "Possibility for high abuse if granted access to homeless client data."
    )
    for email, _, _, role in PEOPLE:
        assert f"{email:<24} {PASSWORD}   {role}" in demo


def test_demo_has_a_request_in_every_status_made_through_the_workflow(demo):
    assert set(AccessRequest.objects.values_list("status", flat=True)) == set(Status)
    # Only a draft has no history: everything else went through the workflow's actions.
    without_events = AccessRequest.objects.exclude(events__isnull=False)
    assert list(without_events.values_list("status", flat=True)) == [Status.DRAFT]


ANSWERS = (
    "program",
    "purpose",
    "contribution",
    "existing_reporting_gap",
    "usage_frequency",
    "funding_relation",
    "homeless_relationship",
)


def test_each_demo_request_is_made_by_its_own_organization_with_its_own_answers(demo):
    requests = list(AccessRequest.objects.select_related("organization"))
    assert len(requests) == 9
    assert len({r.organization_id for r in requests}) == 9
    # Every kind of organization the application offers applies.
    assert {r.organization.kind for r in requests} == set(Organization.Kind)
    for answer in ANSWERS:
        assert len({getattr(r, answer) for r in requests}) == 9, answer
    people = [p.email for r in requests for p in r.people.all()]
    assert len(people) == len(set(people)) == 21


def test_demo_has_a_researcher_a_statewide_and_a_multi_can_request(demo):
    def named(requests):
        return sorted((r.organization.name, r.status) for r in requests)

    assert named(AccessRequest.objects.filter(is_researcher=True)) == [
        ("Nutmeg State University, Center for Housing and Health Research", Status.VETTING)
    ]
    statewide = AccessRequest.objects.filter(statewide=True)
    assert named(statewide) == [
        ("Connecticut Department of Correction, Reentry Services", Status.SCREENING)
    ]
    assert list(statewide.values_list("cans", flat=True)) == [None]
    multi_can = [r for r in AccessRequest.objects.all() if r.cans.count() > 1]
    assert named(multi_can) == [
        ("Hearth & Home Family Services", Status.APPROVED),
        ("Nutmeg State University, Center for Housing and Health Research", Status.VETTING),
    ]


def test_the_escalated_request_asks_what_its_answers_leave_unclear(demo):
    escalated = AccessRequest.objects.get(status=Status.VETTING)
    # The answers: a researcher who needs identified data, and says why (1.9).
    assert escalated.is_researcher is True
    assert escalated.aggregated_data_sufficient is False
    assert "Medicaid claims" in escalated.identified_data_justification
    # Screening found 1.9 unclear, and only 1.9; the escalation asks about it.
    unclear = [
        a.criterion.code
        for a in policy.current_assessments(escalated).values()
        if a.outcome == Assessment.Outcome.UNCLEAR
    ]
    assert unclear == ["1.9"]
    note = Event.objects.get(request=escalated, kind=Event.Kind.ESCALATED).note
    assert note.startswith("A researcher asks for identified data")
    assert "(1.9)" in note
    assert escalated.voting_round.note == note


def test_demo_assessments_of_1_9_follow_whether_the_requestor_is_a_researcher(demo):
    nine = Criterion.objects.get(code="1.9")
    outcomes = {
        (a.request.is_researcher, a.outcome, a.note)
        for a in Assessment.objects.filter(criterion=nine).select_related("request")
    }
    assert outcomes == {
        (False, Assessment.Outcome.NOT_APPLICABLE, "Not a researcher."),
        (
            True,
            Assessment.Outcome.UNCLEAR,
            "A researcher asking for identified data, to link to Medicaid claims. The IRB "
            "approved it; could a match run by CCEH, returning de-identified data, serve?",
        ),
    }


def test_demo_answers_agree_with_what_became_of_each_request(demo):
    by_status = {r.status: r for r in AccessRequest.objects.all()}
    # Only the denied request asked for one-time access, and its denial cites 2.1.
    assert [r.status for r in AccessRequest.objects.filter(need_type="one_time")] == [Status.DENIED]
    denied = by_status[Status.DENIED].decision
    assert sorted(denied.cited_criteria.values_list("code", flat=True)) == ["1.1", "1.2", "2.1"]
    # The returned request asks about the vague answer it was returned for.
    returned = by_status[Status.RETURNED]
    assert returned.usage_frequency == "As needed"
    question = Event.objects.get(request=returned, kind=Event.Kind.RETURNED).note
    assert "how often each week?" in question
    # The draft is still being written: its last step, the attestations, is not given.
    draft = by_status[Status.DRAFT]
    assert (draft.attests_training, draft.attests_accuracy) == (False, False)
    assert draft.organization.name == "Harbor Health Partners"
    assert draft.created_by.email == "requestor@demo.test"
    # The withdrawn request's reason answers its own doubt about the public reports.
    withdrawn = by_status[Status.WITHDRAWN]
    assert "public reports" in withdrawn.existing_reporting_gap
    reason = Event.objects.get(request=withdrawn, kind=Event.Kind.WITHDRAWN).note
    assert reason == "We found the nightly shelter counts we need on CTCANDATA.org."


def test_each_demo_mou_is_signed_by_its_own_organizations_signatory(demo):
    signatures = Signature.objects.filter(party=Signature.Party.ORGANIZATION)
    assert list(signatures.values_list("full_name", "title")) == [
        ("Gwen Alvarez", "Executive Director")
    ]


def test_only_the_demo_logins_have_a_password(demo):
    """The applicants of the other organizations, and Hearth & Home's security officer, are
    names on paper: nobody signs in as them with the demo's published password."""
    logins = {email for email, _, _, _ in PEOPLE}
    others = User.objects.exclude(email__in=logins)
    # The eight applicants, Hearth & Home's security officer, and the six named people of the
    # active MOU (besides Gwen, its applicant) who signed their own user agreement.
    assert others.count() == 15
    assert [u.email for u in others if u.has_usable_password()] == []


def test_demo_runs_again_without_error_or_duplicates(demo):
    def counts():
        models = (
            User,
            Organization,
            AccessRequest,
            Event,
            Membership,
            CAN,
            Criterion,
            Authenticator,
        )
        return {model.__name__: model.objects.count() for model in models}

    before = counts()
    run_demo()
    assert counts() == before


def test_demo_refuses_to_load_known_passwords_when_debug_is_off(db, settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="Pass --allow-production"):
        call_command("demo")
    assert User.objects.count() == 0


@pytest.mark.parametrize(
    ("email", "home"),
    [
        ("requestor@demo.test", "/requests/"),
        ("staff@demo.test", "/queue/"),
        ("member@demo.test", "/docket/"),
        ("chair@demo.test", "/docket/"),
        ("canleader@demo.test", "/can/"),
        ("admin@demo.test", "/admin/"),
    ],
)
def test_each_demo_user_signs_in_and_lands_on_their_home_page(client, demo, email, home):
    response = client.post("/accounts/login/", {"login": email, "password": PASSWORD}, follow=True)
    if email != "requestor@demo.test":
        # Every role but the requestor's signs in with the demo's authenticator-app key.
        assert response.redirect_chain == [("/accounts/2fa/authenticate/", 302)]
        code = code_for(TOTP_KEY)
        response = client.post("/accounts/2fa/authenticate/", {"code": code}, follow=True)
    assert response.redirect_chain[-1] == (home, 302)
    assert response.status_code == 200


def test_the_demo_shows_confirmed_roles_and_one_waiting_for_staff(demo):
    hearth = Organization.objects.get(name="Hearth & Home Family Services")
    harbor = Organization.objects.get(name="Harbor Health Partners")

    assert (roles.authorized_signatory(hearth).name, roles.security_officer(hearth).name) == (
        "Gwen Alvarez",
        "Omar Haddad",
    )
    assert roles.authorized_signatory(harbor) is None
    assert list(roles.pending().values_list("organization__name", "role", "person__name")) == [
        ("Harbor Health Partners", "signatory", "Riley Requestor")
    ]


def test_the_demo_shows_the_active_mou_in_each_state_of_its_access(demo):
    """Hearth & Home's MOU, active for forty days: docs/design.md's "Keeping access current"
    in one organization, each state made by the services the pages use."""
    staff = User.objects.get(email="staff@demo.test")
    agreement = AccessRequest.objects.get(
        organization__name="Hearth & Home Family Services"
    ).agreement
    # A departed person waiting for their account's closing, and the one suspended by the
    # daily settle (training past due beyond ACCESS_GRACE_DAYS).
    assert sorted(
        deprovisioning.deprovisioning_list(staff).values_list("person__name", "end_reason")
    ) == [("Tara Quinn", "departed"), ("Victor Hale", "suspended")]
    # The other departed person's account is closed already.
    closed = PersonAccess.objects.filter(deprovisioned_at__isnull=False)
    assert list(closed.values_list("person__name", "end_reason", "deprovisioned_by")) == [
        ("Ben Ortiz", "departed", staff.pk)
    ]
    # The lowered person is back on the provisioning list, at the new level.
    assert list(access.provisioning_list(staff).values_list("person__name", flat=True)) == [
        "Luis Moreno"
    ]
    assert list(pending_additions(agreement).values_list("name", "level")) == [
        ("Amara Osei", "view")
    ]
    assert list(Recertification.objects.values_list("agreement", "note")) == [
        (agreement.pk, "6 kept.")
    ]
    # Rosa's training falls due within the reminder window; everyone else holding access is
    # current for months.
    today = timezone.localdate()
    soon = datetime.timedelta(days=settings.ACCESS_REMINDER_DAYS_BEFORE)
    holding = due.with_dues(agreement.people.filter(ended_on__isnull=True))
    assert sorted(
        (a.person.name, due.dues_of(a, agreement).earliest <= today + soon) for a in holding
    ) == [
        ("Gwen Alvarez", False),
        ("Luis Moreno", False),
        ("Nina Patel", False),
        ("Rosa Lind", True),
    ]
    # So the daily reminders tell her, and the organization's members, of that one due date.
    reminders = [
        (request.organization.name, kind, sorted(u.name for u in told), day)
        for request, kind, told, day in due.access_reminders(today)
    ]
    rosa = agreement.people.get(person__name="Rosa Lind")
    assert reminders == [
        (
            "Hearth & Home Family Services",
            "training_due",
            ["Gwen Alvarez", "Omar Haddad", "Rosa Lind"],
            due.dues_of(due.with_dues(agreement.people).get(pk=rosa.pk), agreement).training,
        )
    ]
