"""The actions' forms parse what a page posts into the rows the services take: each offers only
the people, criteria and CANs of the request (or the MOU) it belongs to, and refuses anything
else in words, never with a crash. The services are given objects, never ids."""

import datetime

import pytest
from django.utils import timezone

from requests_app import workflow
from requests_app.core.actions import ACTIONS
from requests_app.core.states import AccessLevel, Status
from requests_app.models import Criterion, Grant, Vote
from tests.support.journey import ADA, BO, COURSE

FULL, VIEW, REPORTING = AccessLevel.FULL, AccessLevel.VIEW, AccessLevel.REPORTING


def posted(name, target, user, fields):
    """Action `name`'s form as the action view builds it, bound to what a page posts: `fields`
    named as the form names them, its prefix added as the page's field names carry it."""
    blank = ACTIONS[name].form(target, user)
    return ACTIONS[name].form(target, user, {blank.add_prefix(k): v for k, v in fields.items()})


def errors(form):
    assert not form.is_valid()
    return [error for field_errors in form.errors.values() for error in field_errors]


def levels_posted(request, level=REPORTING, **more):
    return {**{f"level_{p.pk}": level for p in request.people.all()}, **more}


def someone_of_another_request(journey):
    return journey.draft().people.get()


# Approve and deny (4.3).


def test_the_approve_form_gives_the_service_each_person_from_the_ids_a_page_posts(
    journey, personas
):
    request = journey.ready_to_approve()
    person = request.people.get()

    form = posted("approve", request, personas.sam, {f"level_{person.pk}": VIEW})

    assert form.is_valid(), form.errors
    assert (form.levels(), form.waivers()) == ({person: VIEW}, {})
    workflow.approve(request, personas.sam, form.levels())
    assert list(Grant.objects.values_list("person", "level")) == [(person.pk, VIEW)]


def test_the_approve_form_gives_each_unheard_can_with_its_waiver(journey, personas):
    # Screened, and Greater Hartford has not recommended anything.
    request = journey.assess_all(journey.screening(cans=[personas.hartford]))

    form = posted(
        "approve",
        request,
        personas.sam,
        levels_posted(request, **{f"waive_{personas.hartford.pk}": "No answer in 30 days."}),
    )

    assert form.is_valid(), form.errors
    assert form.waivers() == {personas.hartford: "No answer in 30 days."}


@pytest.mark.parametrize(
    ("action", "message"),
    [
        ("approve", "Choose the people from the list."),
        ("deny", "Choose the criteria from the list."),
        ("waive", "Choose the CANs from the list."),
        ("decide", "Choose the criteria from the list."),
        ("vote", "Choose the people from the list."),
    ],
)
def test_ids_that_are_not_numbers_are_refused_in_words(journey, personas, action, message):
    # A tampered form must meet the same refusal as any other bad input, not a crash.
    if action == "deny":
        request = journey.ready_to_deny()
        fields = {"cited": ["2.1"], "reason": "One-time."}
    elif action == "decide":
        request = journey.with_quorum()
        fields = levels_posted(request, outcome=Status.DENIED, reason="One-time.", cited=["2.1"])
    elif action == "vote":
        request = journey.vetting()
        fields = levels_posted(request, choice=Vote.Choice.APPROVE, level_x=VIEW)
    else:
        request = journey.ready_to_approve()
        fields = levels_posted(request, **{"level_x" if action == "approve" else "waive_x": "No."})
    user = {"decide": personas.casey, "vote": personas.morgan}.get(action, personas.sam)

    assert errors(posted("approve" if action == "waive" else action, request, user, fields)) == [
        message
    ]


@pytest.mark.parametrize("action", ["approve", "decide", "vote"])
def test_a_level_for_someone_of_another_request_is_refused_by_the_form(journey, personas, action):
    request = journey.ready_to_approve() if action == "approve" else journey.with_quorum()
    stranger = someone_of_another_request(journey)
    fields = levels_posted(request, **{f"level_{stranger.pk}": REPORTING})
    fields.update(
        {"decide": {"outcome": Status.APPROVED}, "vote": {"choice": "approve"}}.get(action, {})
    )
    user = {"decide": personas.casey, "vote": personas.morgan}.get(action, personas.sam)

    assert errors(posted(action, request, user, fields)) == [
        "A level was given for someone this request does not name."
    ]


def test_a_waiver_for_a_can_the_request_does_not_name_is_refused_by_the_form(journey, personas):
    request = journey.ready_to_approve()

    form = posted(
        "approve",
        request,
        personas.sam,
        levels_posted(request, **{f"waive_{personas.eastern.pk}": "Not theirs to say."}),
    )

    assert errors(form) == ["Only a CAN this request names can be waived."]


def test_the_deny_and_decide_forms_give_the_criteria_themselves(journey, personas):
    two_one = Criterion.objects.get(code="2.1")
    denying = journey.ready_to_deny()
    deciding = journey.with_quorum()

    deny = posted("deny", denying, personas.sam, {"cited": [two_one.pk], "reason": "One-time."})
    decide = posted(
        "decide",
        deciding,
        personas.casey,
        levels_posted(deciding, outcome=Status.DENIED, reason="One-time.", cited=[str(two_one.pk)]),
    )

    assert deny.is_valid() and decide.is_valid(), (deny.errors, decide.errors)
    assert list(deny.cleaned_data["cited"]) == list(decide.cleaned_data["cited"]) == [two_one]


# The MOU: a correction, training and revocation.


def amend_fields(agreement, **more):
    people = agreement.request.people.all()
    return {
        "reason": "A correction.",
        **{f"name_{p.pk}": p.name for p in people},
        **{f"level_{p.pk}": REPORTING for p in people},
        **more,
    }


def test_the_amend_form_gives_each_person_with_their_name_and_level(stage, personas):
    agreement = stage.issued()
    ada = agreement.request.people.get()

    form = posted(
        "amend", agreement, personas.sam, amend_fields(agreement, **{f"name_{ada.pk}": "Ada Q."})
    )

    assert form.is_valid(), form.errors
    assert (form.names(), form.levels()) == ({ada: "Ada Q."}, {ada: REPORTING})


@pytest.mark.parametrize(
    ("field", "message"),
    [
        ("name_x", "Choose the people from the list."),
        ("level_x", "Choose the people from the list."),
        ("stranger", "Choose people this MOU names."),
    ],
)
def test_the_amend_form_takes_only_the_people_the_mou_names(
    stage, personas, journey, field, message
):
    agreement = stage.issued()
    if field == "stranger":
        field = f"level_{someone_of_another_request(journey).pk}"

    form = posted("amend", agreement, personas.sam, amend_fields(agreement, **{field: REPORTING}))

    assert errors(form) == [message]


def test_the_training_form_gives_the_person_chosen(stage, personas):
    agreement = stage.executed()
    ada = agreement.request.people.get()
    on = timezone.localdate() - datetime.timedelta(days=1)

    form = posted(
        "training",
        agreement,
        personas.sam,
        {"person": ada.pk, "completed_on": on.isoformat(), "course": COURSE},
    )

    assert form.is_valid(), form.errors
    assert form.cleaned_data["person"] == ada


def test_the_revoke_form_gives_one_person_or_everyone(stage, personas):
    agreement = stage.active(people=(ADA, BO))
    bo = agreement.request.people.get(name="Bo Builder")

    one = posted("revoke", agreement, personas.sam, {"whom": bo.pk, "reason": "Left."})
    everyone = posted("revoke", agreement, personas.sam, {"whom": "all", "reason": "Left."})

    assert one.is_valid() and everyone.is_valid(), (one.errors, everyone.errors)
    assert (one.person(), everyone.person()) == (bo, None)
