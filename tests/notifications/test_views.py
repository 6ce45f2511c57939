"""The notices pages: the count in the header, the list, opening a notice, marking
all read, e-mail preferences, and the failed e-mails staff see."""

import datetime
import re

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import dateformat, timezone

from requests_app import workflow
from requests_app.models import Notification, NotificationPreference
from requests_app.notifications import services as notifications
from requests_app.notifications import views as notifications_views
from tests.support.mfa import enrol_totp
from tests.support.pages import header_count, pages_of, parsed

Kind = Notification.Kind
Delivery = Notification.Delivery


def rows(response):
    return [
        [cell.text for cell in row.find_all("td")]
        for row in parsed(response).find("tbody").find_all("tr")
    ]


@pytest.fixture
def three_notices(journey, personas):
    """Sam hears of three submissions, oldest first."""
    return [journey.submitted(cans=[], program=f"Program {n}") for n in range(3)]


def test_the_header_counts_unread_notices_and_opening_one_reads_it(client, personas, three_notices):
    client.force_login(personas.sam)
    assert header_count(client.get(reverse("queue"))) == "Notices 3 unread"

    notice = Notification.objects.filter(recipient=personas.sam).order_by("pk").first()
    response = client.get(reverse("notice_open", args=[notice.pk]))

    assert response.status_code == 302
    assert response["Location"] == three_notices[0].get_absolute_url()
    notice.refresh_from_db()
    assert notice.read_at is not None
    assert header_count(client.get(reverse("queue"))) == "Notices 2 unread"


def test_with_nothing_unread_the_header_shows_no_count(client, personas):
    client.force_login(personas.riley)

    assert header_count(client.get(reverse("my_requests"))) == "Notices"


def test_the_notices_page_lists_ones_own_notices_newest_first(client, personas, three_notices):
    client.force_login(personas.sam)
    newest = Notification.objects.filter(recipient=personas.sam).order_by("-pk")

    response = client.get(reverse("notices"))

    assert rows(response) == [
        [
            f"{r.reference} submitted by Harbor Health Partners, by Riley Requestor",
            r.reference,
            _when(n),
            "New",
        ]
        for n, r in zip(newest, reversed(three_notices), strict=True)
    ]
    links = [a.attrs["href"] for a in parsed(response).find("tbody").find_all("a")]
    assert links == [reverse("notice_open", args=[n.pk]) for n in newest]


def _when(notice):
    """As every page writes a moment (see test_notices_are_dated_as_every_other_page_dates)."""
    return dateformat.format(timezone.localtime(notice.created_at), "M j, Y, g:i a")


def test_notices_are_dated_as_every_other_page_dates(client, personas, three_notices):
    """Month, day, year and the time in Connecticut (TIME_ZONE), as the request's history and
    messages write it; the machine-readable moment beside it."""
    Notification.objects.filter(recipient=personas.sam).update(
        created_at=datetime.datetime(2026, 11, 29, 6, 57, tzinfo=datetime.UTC)
    )
    client.force_login(personas.sam)

    when = parsed(client.get(reverse("notices"))).find("tbody").find("time")

    assert (when.text, when.attrs["datetime"]) == (
        "Nov 29, 2026, 1:57 a.m.",
        "2026-11-29T01:57:00-05:00",
    )


def test_nobody_opens_another_persons_notice(client, personas, three_notices):
    notice = Notification.objects.filter(recipient=personas.sam).first()
    client.force_login(personas.riley)

    assert client.get(reverse("notice_open", args=[notice.pk])).status_code == 404
    assert Notification.objects.get(pk=notice.pk).read_at is None


def test_mark_all_read_is_a_post_and_reads_only_ones_own(client, personas, three_notices):
    client.force_login(personas.sam)
    assert client.get(reverse("notices_mark_all_read")).status_code == 405

    response = client.post(reverse("notices_mark_all_read"))

    assert response.status_code == 302
    assert Notification.objects.filter(recipient=personas.sam, read_at__isnull=True).count() == 0
    assert header_count(client.get(reverse("notices"))) == "Notices"


def test_anonymous_visitors_are_sent_to_sign_in(client, db):
    for name in ("notices", "notification_preferences", "failed_emails"):
        response = client.get(reverse(name))
        assert (response.status_code, response["Location"].split("?")[0]) == (
            302,
            reverse("account_login"),
        )


def test_the_notices_page_runs_as_many_queries_for_many_notices_as_for_one(
    client, journey, personas, django_assert_num_queries
):
    journey.submitted(cans=[])
    client.force_login(personas.sam)
    with django_assert_num_queries(NOTICES_QUERIES):
        client.get(reverse("notices"))
    for _ in range(10):
        journey.submitted(cans=[personas.hartford])
    with django_assert_num_queries(NOTICES_QUERIES):
        assert len(rows(client.get(reverse("notices")))) == 11


# Session, user, the page's notices and their count (up to 10,001: requests_app/core/paging.py),
# the header's unread count, and the nav's role checks.
NOTICES_QUERIES = 6


# Pages of notices and of failed e-mails: 50 at a time, the newest first.


def notices_for(recipient, request, count, failed=False):
    """`count` reminders to `recipient`, a minute apart, written directly (only their number
    and order matter here): their ids, the newest first."""
    start = timezone.now() - datetime.timedelta(days=1)
    made = Notification.objects.bulk_create(
        Notification(
            recipient=recipient,
            request=request,
            kind=Kind.WAITING_REMINDER,
            created_at=start + datetime.timedelta(minutes=n),
            delivery=Delivery.FAILED if failed else Delivery.SKIPPED,
            attempts=3 if failed else 0,
            last_error="Connection refused" if failed else "",
        )
        for n in range(count)
    )
    return [notice.pk for notice in reversed(made)]


def listed_notices(response):
    """The notices a page lists, by id: a row links to its notice, or posts to send it again."""
    ids = []
    for row in parsed(response).find("tbody").find_all("tr"):
        form = row.find("form")
        address = form.attrs["action"] if form else row.find("a").attrs["href"]
        ids.append(int(re.search(r"/(\d+)/", address).group(1)))
    return ids


def walked(client, first, *links):
    """The page at `first` and those reached from it by following `links` in turn:
    ([(the notices listed, where it is in words, its links' texts)], [the queries each ran])."""
    pages, costs, response = [], [], None
    for link in (None, *links):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(first if link is None else pages_of(response)[1][link])
        position, offered = pages_of(response) or ("", {})
        pages.append((listed_notices(response), position, list(offered)))
        costs.append(len(queries))
    return pages, costs


@pytest.mark.parametrize("page", ["notices", "failed_emails"])
def test_notices_and_failed_emails_page_120_rows_50_at_a_time_the_newest_first(
    client, journey, personas, page
):
    request = journey.submitted(cans=[])
    Notification.objects.all().delete()
    client.force_login(personas.sam)
    few = notices_for(personas.sam, request, 3, failed=page == "failed_emails")
    with CaptureQueriesContext(connection) as queries:
        assert listed_notices(client.get(reverse(page))) == few
    few_queries = len(queries)
    Notification.objects.all().delete()
    newest = notices_for(personas.sam, request, 120, failed=page == "failed_emails")
    what = {"notices": "Notices", "failed_emails": "Failed e-mails"}[page]

    pages, costs = walked(client, reverse(page), "Older", "Older", "Newer", "First")

    assert pages == [
        (newest[:50], f"{what} 1 to 50 of 120", ["Older"]),
        (newest[50:100], f"{what} 51 to 100 of 120", ["First", "Newer", "Older"]),
        (newest[100:], f"{what} 101 to 120 of 120", ["First", "Newer"]),
        (newest[50:100], f"{what} 51 to 100 of 120", ["First", "Newer", "Older"]),
        (newest[:50], f"{what} 1 to 50 of 120", ["Older"]),
    ]
    # Three notices or 120, the newest page or the oldest: the same queries.
    assert costs == [few_queries] * 5
    assert few_queries == {"notices": NOTICES_QUERIES, "failed_emails": FAILED_EMAILS_QUERIES}[page]


# As the notices page's.
FAILED_EMAILS_QUERIES = 6


@pytest.mark.parametrize("page", ["notices", "failed_emails"])
def test_a_malformed_cursor_gives_the_newest_notices(client, journey, personas, monkeypatch, page):
    monkeypatch.setattr(notifications_views, "NOTICES_PAGE_SIZE", 2)
    request = journey.submitted(cans=[])
    Notification.objects.all().delete()
    newest = notices_for(personas.sam, request, 3, failed=page == "failed_emails")
    client.force_login(personas.sam)

    response = client.get(reverse(page), {"after": "not-a-cursor", "before": "nor-this"})

    assert listed_notices(response) == newest[:2]
    assert list(pages_of(response)[1]) == ["Older"]


# Preferences.


# Which kinds each persona can receive in their roles (notifications.AUDIENCES and REMINDED),
# and so is offered a choice of, in the page's order: the requesting organization hears of its
# request's course, staff of what they act on, the committee of the vote and the decision, the
# chair of each vote too, a CAN's leader of its requests; an organization's members and staff
# of its roles (staff must confirm them); an administrator alone, of nothing.
REQUESTOR = [
    Kind.RETURNED,
    Kind.DECIDED,
    Kind.MOU_READY,
    Kind.COUNTERSIGNED,
    Kind.ACCESS_ACTIVE,
    Kind.RENEWAL_DUE,
    Kind.EXPIRED,
    Kind.REVOKED,
    Kind.DEPARTED,
    Kind.ROLE_PROPOSED,
    Kind.ROLE_CONFIRMED,
    Kind.ROLE_DECLINED,
    Kind.ADDITION_DECIDED,
    Kind.ACCESS_AMENDED,
    # Keeping access current: the organization hears of and is reminded of each due date.
    Kind.USER_AGREEMENT_SIGNED,
    Kind.SUSPENDED,
    Kind.RESUMED,
    Kind.TRAINING_DUE,
    Kind.USER_AGREEMENT_DUE,
    Kind.REVIEW_DUE,
    Kind.RETURN_REMINDER,
]
LEADER = [Kind.SUBMITTED, Kind.ESCALATED, Kind.DECIDED]
RECEIVES = {
    "riley": REQUESTOR,
    "quinn": REQUESTOR,
    "sam": [
        Kind.SUBMITTED,
        Kind.RESUBMITTED,
        Kind.WITHDRAWN,
        Kind.SIGNED,
        Kind.DEPARTED,
        Kind.ROLE_PROPOSED,
        Kind.ADDITION_ASKED,
        Kind.AMENDMENT_SIGNED,
        Kind.ACCESS_AMENDED,
        Kind.RECERTIFIED,
        Kind.USER_AGREEMENT_SIGNED,
        Kind.SUSPENDED,
        Kind.RESUMED,
        Kind.WAITING_REMINDER,
    ],
    "morgan": [Kind.ESCALATED, Kind.DECIDED, Kind.VOTE_REMINDER],
    "casey": [Kind.ESCALATED, Kind.VOTE_CAST, Kind.DECIDED, Kind.VOTE_REMINDER],
    "lee": LEADER,
    "pat": LEADER,
    "alex": [],
}


@pytest.mark.parametrize(("persona", "kinds"), RECEIVES.items())
def test_preferences_offer_only_the_kinds_a_person_receives_in_their_roles(
    client, personas, persona, kinds
):
    client.force_login(personas.by_name(persona))

    response = client.get(reverse("notification_preferences"))

    assert list(checkboxes(response)) == kinds
    none = parsed(response).find("p", cls="no-kinds")
    assert (none is not None, parsed(response).find("form") is None) == (not kinds, not kinds)


def test_a_person_of_several_roles_is_offered_the_kinds_of_each(client, personas):
    personas.riley.led_cans.add(personas.hartford)
    enrol_totp(personas.riley)  # a CAN leader signs in with a second factor
    client.force_login(personas.riley)

    boxes = checkboxes(client.get(reverse("notification_preferences")))

    assert list(boxes) == [kind for kind in Kind.values if kind in REQUESTOR + LEADER]


def checkboxes(response):
    return {
        box.attrs["name"]: ("checked" in box.attrs, "disabled" in box.attrs)
        for box in parsed(response).find_all("input", type="checkbox")
    }


def test_preferences_show_one_checkbox_per_kind_received_all_on_by_default(client, personas):
    client.force_login(personas.riley)

    boxes = checkboxes(client.get(reverse("notification_preferences")))

    assert boxes == {kind: (True, False) for kind in RECEIVES["riley"]}


def test_a_person_turns_an_email_off_and_on(client, personas):
    client.force_login(personas.riley)
    chosen = {kind: "on" for kind in Kind.values if kind != Kind.RETURNED}

    response = client.post(reverse("notification_preferences"), chosen)

    assert response.status_code == 302
    assert notifications.email_choices(personas.riley)[Kind.RETURNED] is False
    assert checkboxes(client.get(reverse("notification_preferences")))[Kind.RETURNED] == (
        False,
        False,
    )
    client.post(reverse("notification_preferences"), {kind: "on" for kind in Kind.values})
    assert notifications.wants_email(personas.riley, Kind.RETURNED) is True


def test_staff_see_what_they_must_act_on_locked_on_and_cannot_post_it_off(client, personas):
    # Staff who also lead a CAN: a leader's notices they may turn off.
    personas.sam.led_cans.add(personas.eastern)
    client.force_login(personas.sam)

    boxes = checkboxes(client.get(reverse("notification_preferences")))
    assert boxes == {
        Kind.SUBMITTED: (True, True),
        Kind.RESUBMITTED: (True, True),
        Kind.ESCALATED: (True, False),
        Kind.DECIDED: (True, False),
        Kind.WITHDRAWN: (True, True),
        Kind.SIGNED: (True, True),
        Kind.DEPARTED: (True, True),
        Kind.ROLE_PROPOSED: (True, True),
        Kind.ADDITION_ASKED: (True, True),
        Kind.AMENDMENT_SIGNED: (True, True),
        Kind.ACCESS_AMENDED: (True, True),
        Kind.RECERTIFIED: (True, False),
        Kind.USER_AGREEMENT_SIGNED: (True, False),
        Kind.SUSPENDED: (True, False),
        Kind.RESUMED: (True, False),
        Kind.WAITING_REMINDER: (True, True),
    }
    assert {k for k, (_, disabled) in boxes.items() if disabled} == set(
        notifications.MANDATORY_FOR_STAFF
    )

    client.post(reverse("notification_preferences"), {})  # every box unticked

    assert notifications.email_choices(personas.sam) == {
        kind: kind
        not in (
            Kind.ESCALATED,
            Kind.DECIDED,
            Kind.RECERTIFIED,
            Kind.USER_AGREEMENT_SIGNED,
            Kind.SUSPENDED,
            Kind.RESUMED,
        )
        for kind in Kind.values
    }
    assert not NotificationPreference.objects.filter(
        user=personas.sam, kind__in=notifications.MANDATORY_FOR_STAFF
    ).exists()


# Failed e-mails.


@pytest.fixture
def failed(journey, personas, settings, django_capture_on_commit_callbacks):
    settings.NOTIFICATION_MAX_ATTEMPTS = 1
    settings.EMAIL_BACKEND = "tests.support.mail_backends.SMTPDown"
    with django_capture_on_commit_callbacks(execute=True):
        request = workflow.submit(journey.draft(cans=[]), personas.riley)
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    return Notification.objects.get(request=request)


def test_staff_see_failed_emails_with_recipient_kind_request_and_error(client, personas, failed):
    client.force_login(personas.sam)

    response = client.get(reverse("failed_emails"))

    assert rows(response) == [
        [
            f"Sam Staff ({personas.sam.email})",
            f"{failed.request.reference} submitted by Harbor Health Partners",
            failed.request.reference,
            "1",
            "SMTPException: Connection refused by the test's mail server",
            f"Send again to Sam Staff about {failed.request.reference}",
        ]
    ]


def test_staff_send_a_failed_email_again(
    client, personas, failed, django_capture_on_commit_callbacks
):
    client.force_login(personas.sam)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("failed_email_retry", args=[failed.pk]))

    assert response.status_code == 302
    failed.refresh_from_db()
    assert (failed.delivery, failed.attempts) == (Delivery.SENT, 1)
    assert [m.to for m in mail.outbox] == [[personas.sam.email]]
    assert "No e-mail has failed." in parsed(client.get(reverse("failed_emails"))).text


@pytest.mark.parametrize("persona", ["riley", "morgan", "casey", "lee", "alex"])
def test_failed_emails_are_for_staff_only(client, personas, failed, persona):
    client.force_login(personas.by_name(persona))

    assert client.get(reverse("failed_emails")).status_code == 403
    assert client.post(reverse("failed_email_retry", args=[failed.pk])).status_code == 403
    assert Notification.objects.get(pk=failed.pk).delivery == Delivery.FAILED


def test_only_a_failed_email_can_be_sent_again(client, personas, journey):
    request = journey.submitted(cans=[])
    pending = Notification.objects.get(request=request)
    client.force_login(personas.sam)

    assert client.post(reverse("failed_email_retry", args=[pending.pk])).status_code == 404
