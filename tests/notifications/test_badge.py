"""The unread count in the header: exact up to 99, then "99+", counted no further."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from requests_app.models import Notification
from tests.support.pages import header_count


def unread(person, request, count):
    Notification.objects.bulk_create(
        Notification(recipient=person, request=request, kind=Notification.Kind.SUBMITTED)
        for _ in range(count)
    )


@pytest.mark.parametrize(
    ("count", "shown"),
    [(1, "Notices 1 unread"), (99, "Notices 99 unread"), (100, "Notices 99+ unread")],
)
def test_the_header_says_99_plus_past_99_unread_notices(client, personas, journey, count, shown):
    unread(personas.riley, journey.submitted(cans=[]), count)
    client.force_login(personas.riley)

    assert header_count(client.get(reverse("my_requests"))) == shown


def test_the_count_reads_at_most_100_notices_whatever_their_number(client, personas, journey):
    request = journey.submitted(cans=[])
    client.force_login(personas.riley)
    counted = []
    for more in (3, 300):
        unread(personas.riley, request, more)
        with CaptureQueriesContext(connection) as captured:
            client.get(reverse("my_requests"))
        counted += [
            q["sql"] for q in captured if "COUNT(*)" in q["sql"] and "notification" in q["sql"]
        ]

    assert len(counted) == 2
    assert counted[0] == counted[1]
    assert "LIMIT 100" in counted[0]
