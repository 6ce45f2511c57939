"""People by role (accounts/models.py): each deciding role's list is its active people by name,
read by an index of its own rather than a scan of every account (docs/performance.md)."""

import pytest
from django.db import connection

from requests_app.models import User
from tests.support.factories import UserFactory
from tests.support.plans import plan


@pytest.mark.django_db
def test_each_deciding_role_lists_its_active_people_by_name():
    UserFactory(name="Bea Staff", is_cceh_staff=True)
    UserFactory(name="Al Staff", is_cceh_staff=True)
    UserFactory(name="Gone Staff", is_cceh_staff=True, is_active=False)
    UserFactory(name="Di Chair", is_committee_chair=True)
    UserFactory(name="Cy Member", is_committee_member=True)
    UserFactory(name="Gone Member", is_committee_member=True, is_active=False)
    UserFactory(name="Ed Applicant")

    assert (
        [u.name for u in User.objects.staff()],
        [u.name for u in User.objects.committee()],
    ) == (["Al Staff", "Bea Staff"], ["Cy Member", "Di Chair"])


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's plans")
@pytest.mark.parametrize(
    ("role", "index"), [("staff", "staff_by_name"), ("committee", "committee_by_name")]
)
@pytest.mark.django_db
def test_each_deciding_roles_list_reads_its_own_index(role, index):
    planned = plan(getattr(User.objects, role)())

    assert f" using {index} on " in planned.lower(), planned
