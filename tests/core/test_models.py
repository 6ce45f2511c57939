import re

import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from requests_app import workflow
from requests_app.core.states import Status
from requests_app.models import (
    Agreement,
    ApplicationVersion,
    Assessment,
    CANRecommendation,
    Decision,
    Event,
    Grant,
    MOUVersion,
    Recertification,
    Revocation,
    Signature,
    Training,
    UserAgreement,
    Vote,
)
from tests.support.journey import agree

# Every record a decision rests on, with a field to try to change.
APPEND_ONLY = [
    (Event, "note"),
    (Assessment, "note"),
    (Vote, "reason"),
    (CANRecommendation, "reason"),
    (Decision, "reason"),
    (Grant, "level"),
    (MOUVersion, "reason"),
    (Signature, "full_name"),
    (Training, "course"),
    # A yearly review of who keeps access: the next one's due date rests on it.
    (Recertification, "note"),
    # A person's own signed user agreement: their access rests on it.
    (UserAgreement, "full_name"),
    # It drives the good standing of every later request (1.10).
    (Revocation, "reason"),
    # What the organization submitted, which everything after submission reads.
    (ApplicationVersion, "content"),
]


@pytest.fixture
def history(journey, settings, tmp_path, django_capture_on_commit_callbacks):
    """One row of each append-only kind: an approval by staff leaves events, assessments, a
    CAN recommendation, a decision, grants and its MOU's first version; signing it leaves a
    signature, and recording a person's training a training; a request with quorum leaves
    votes; and a revocation recorded from before the system."""
    settings.PRIVATE_FILES_ROOT = tmp_path / "private"
    with django_capture_on_commit_callbacks(execute=True):
        request = journey.approved()
    p = journey.p
    agreement = Agreement.objects.get(request=request)
    workflow.sign_mou(agreement, p.riley, "Riley Requestor", "Director", True)
    agreement = Agreement.objects.get(pk=agreement.pk)
    person = request.people.get()
    workflow.record_training(agreement, p.sam, person, timezone.localdate(), "CT HMIS")
    agree(person)
    Recertification.objects.create(agreement=agreement, reviewed_by=p.riley, note="All kept.")
    journey.with_quorum()
    Revocation.objects.create(organization=p.elsewhere, reason="Shared a login.", recorded_by=p.sam)


@pytest.mark.parametrize(("model", "field"), APPEND_ONLY, ids=lambda v: getattr(v, "__name__", v))
def test_a_saved_row_cannot_be_changed_or_deleted(history, model, field):
    row = model.objects.first()
    before = getattr(row, field)
    setattr(row, field, "full" if field == "level" else "rewritten")
    with pytest.raises(TypeError, match="append-only"):
        row.save()
    with pytest.raises(TypeError, match="append-only"):
        row.delete()
    with pytest.raises(TypeError, match="append-only"):
        model.objects.filter(pk=row.pk).update(**{field: "rewritten"})
    with pytest.raises(TypeError, match="append-only"):
        model.objects.filter(pk=row.pk).delete()
    assert getattr(model.objects.get(pk=row.pk), field) == before


@pytest.mark.skipif(connection.vendor != "postgresql", reason="The triggers are PostgreSQL's.")
@pytest.mark.parametrize(("model", "field"), APPEND_ONLY, ids=lambda v: getattr(v, "__name__", v))
def test_the_database_refuses_raw_updates_and_deletes(history, model, field):
    row = model.objects.first()
    table = model._meta.db_table
    for sql in (
        f"UPDATE {table} SET {field} = 'x' WHERE id = %s",  # noqa: S608 - names are ours
        f"DELETE FROM {table} WHERE id = %s",  # noqa: S608
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, [row.pk])
    assert model.objects.filter(pk=row.pk).count() == 1


def test_a_request_gets_a_human_reference_from_its_year_and_number(journey):
    request = journey.draft()
    assert re.fullmatch(r"HMIS-\d{4}-\d{4,}", request.reference)
    assert request.reference == f"HMIS-{request.created_at:%Y}-{request.pk:04d}"


def test_the_status_cannot_be_set_directly(journey):
    request = journey.draft()
    with pytest.raises(AttributeError, match="Direct status modification is not allowed"):
        request.status = Status.APPROVED


def test_a_chair_is_always_also_a_member(django_user_model):
    chair = django_user_model.objects.create_user(
        "c@example.org", "x", name="C", is_committee_chair=True
    )
    assert chair.is_committee_member is True


def test_a_named_persons_email_is_kept_in_lower_case(journey):
    request = journey.draft(people=0)
    person = request.people.create(
        name="Ana", email="Ana.Lopez@Example.ORG", requested_level="view"
    )
    assert person.email == "ana.lopez@example.org"


def test_an_event_headline_names_what_was_assessed_recommended_or_cited(journey):
    request = journey.denied()
    headlines = [e.headline() for e in request.events.order_by("pk")]
    assert headlines[0] == "Submitted"
    assert "Criterion 2.1 assessed: applies (prevents access)" in headlines
    assert "Criterion 1.1 assessed: met" in headlines
    assert headlines[-1] == "Denied, citing 2.1"
    approved = journey.approved()
    assert "Greater Hartford: support" in [e.headline() for e in approved.events.all()]
