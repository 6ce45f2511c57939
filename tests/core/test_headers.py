"""Response headers: whatever a signed-in person is sent (a page, a redirect, an error, a
download) says Cache-Control: no-store, since it shows people's names and the access they hold;
every answer carries the Permissions-Policy; the login page and the error pages an anonymous
visitor sees keep the headers they had.

The walk takes every URL pattern from the resolver (tests/support/routes.py), this app's, the
admin's and allauth's, so a page added later is walked without being listed here, and requests
each with real values (staged requests, real primary keys) as every persona who signs in."""

import itertools

import pytest
from django.db import transaction
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.utils.cache import patch_cache_control

from hmis_access.middleware import PrivateResponseMiddleware
from requests_app.application.forms import STEPS
from requests_app.models import Membership, Notification
from tests.support.factories import MembershipFactory, attach
from tests.support.journey import staged_journey
from tests.support.personas import PERSONA_NAMES
from tests.support.routes import admin_model, admin_objects, parameters, path_of, routes

pytestmark = pytest.mark.django_db

ROUTES = routes()

PERMISSIONS_POLICY = (
    "accelerometer=(), autoplay=(), browsing-topics=(), camera=(), "
    "display-capture=(), encrypted-media=(), geolocation=(), gyroscope=(), hid=(), "
    "idle-detection=(), local-fonts=(), magnetometer=(), microphone=(), midi=(), payment=(), "
    "picture-in-picture=(), publickey-credentials-create=(self), "
    "publickey-credentials-get=(self), screen-wake-lock=(), serial=(), usb=(), "
    "xr-spatial-tracking=()"
)
# The headers every answer had before Permissions-Policy (hmis_access/settings.py).
CSP = {
    "default-src 'self'",
    "img-src 'self' data:",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
}
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "Strict-Transport-Security": "max-age=31536000; includeSubDomains; preload",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": PERMISSIONS_POLICY,
}
# Django's never_cache, which the login page and the admin's pages already send.
NEVER_CACHE = "max-age=0, no-cache, no-store, must-revalidate, private"
# Everyone who signs in; the admin's pages send all but the administrator to its sign-in page.
SIGNED_IN = [name for name in PERSONA_NAMES if name != "anonymous"]


def headers(response):
    """The security headers; the CSP as its set of directives, whose order django-csp does not
    keep from one process to the next."""
    found = {name: response.get(name) for name in [*SECURITY_HEADERS, "Cache-Control"]}
    if found["Content-Security-Policy"]:
        found["Content-Security-Policy"] = set(found["Content-Security-Policy"].split("; "))
    return found


def directives(response):
    return {part.strip() for part in response.get("Cache-Control", "").split(",")}


@pytest.fixture(scope="module")
def staged(django_db_setup, django_db_blocker):
    """A draft (editable, with a draft MOU) and an approval with an attachment and its MOU's
    first version, for the path values of every pattern; rolled back after the module."""
    with django_db_blocker.unblock(), transaction.atomic():
        journey = staged_journey()
        p = journey.p
        draft = journey.draft()
        approved = journey.approved(committed=True)
        attachment = attach(approved, p.riley)
        pending = MembershipFactory(organization=p.harbor, state=Membership.State.PENDING)
        notice = Notification.objects.order_by("pk").first()
        values = {
            "reference": [draft.reference, approved.reference],
            "step": [STEPS[0].slug],
            "number": ["1"],
            "version": ["1"],
            "pk": [str(attachment.pk), str(pending.pk), str(notice.pk)],
            "app_label": ["requests_app"],
            "key": ["MQ:1abc:xyz"],
            "uidb36": ["1"],
        }
        yield p, values, admin_objects(), {"draft": draft, "approved": approved}
        transaction.set_rollback(True)


def paths(route, values, objects):
    """The route's paths with every combination of the staged values; a parameter nobody
    staged (a pattern added later) gets "1", which at worst is not found: its answer is
    checked all the same."""
    model = admin_model(route, objects)
    real = {
        name: (objects[model] if model and name == "object_id" else values.get(name, ["1"]))
        for name in parameters(route)
    }
    for combination in itertools.product(*real.values()):
        yield path_of(route, dict(zip(real, combination, strict=True)))


def read_to_the_end(response):
    """A download read as a browser reads it: a streamed answer left unread never ends its
    request, and the tasks queued meanwhile (core/tasks_backend.py) would wait for that end."""
    if response.streaming:
        b"".join(response.streaming_content)


@pytest.mark.parametrize("persona", SIGNED_IN)
def test_every_answer_to_a_signed_in_person_is_not_stored_and_carries_the_policy(staged, persona):
    p, values, objects, _ = staged
    client = Client()
    client.force_login(p.by_name(persona))
    wrong = []
    for route in ROUTES:
        for path in paths(route, values, objects):
            response = client.get(path, secure=True)
            read_to_the_end(response)
            if "no-store" not in directives(response) or (
                response.get("Permissions-Policy") != PERMISSIONS_POLICY
            ):
                wrong.append(f"{path} ({response.status_code}): {headers(response)}")
    assert wrong == []


# What the downloads (files, MOUs, versions, CSVs) and some errors send a signed-in person.


@pytest.mark.parametrize(
    ("persona", "address", "status", "cache_control"),
    [
        ("riley", "/r/{approved}/files/{attachment}", 200, "no-store, private"),
        ("sam", "/r/{approved}/files/{attachment}", 200, "no-store, private"),
        ("riley", "/r/{draft}/draft-mou.pdf", 200, "no-store, private"),
        ("riley", "/r/{approved}/mou/v1.pdf", 200, "no-store, private"),
        ("sam", "/r/{approved}/mou/v1.pdf", 200, "no-store, private"),
        ("sam", "/r/{approved}/application/v1.json", 200, "no-store, private"),
        ("sam", "/queue/export.csv", 200, "no-store, private"),
        ("sam", "/provisioning/export.csv", 200, "no-store, private"),
        ("riley", "/", 302, "no-store, private"),
        ("riley", "/queue/", 403, "no-store, private"),
        ("quinn", "/r/{draft}/", 404, "no-store, private"),
        ("riley", "/nothing/here", 404, "no-store, private"),
        ("riley", "/accounts/login/", 302, NEVER_CACHE),
        ("alex", "/admin/", 200, NEVER_CACHE),
    ],
)
def test_downloads_and_errors_for_a_signed_in_person_are_not_stored(
    staged, persona, address, status, cache_control
):
    p, _, _, requests = staged
    attachment = requests["approved"].attachments.get()
    client = Client()
    client.force_login(p.by_name(persona))
    url = address.format(
        draft=requests["draft"].reference,
        approved=requests["approved"].reference,
        attachment=attachment.pk,
    )

    response = client.get(url, secure=True)
    read_to_the_end(response)

    assert (response.status_code, headers(response)) == (
        status,
        {**SECURITY_HEADERS, "Cache-Control": cache_control},
    )


# What an anonymous visitor is sent: as before, with the Permissions-Policy added.


@pytest.mark.parametrize(
    ("address", "status", "cache_control"),
    [
        ("/accounts/login/", 200, NEVER_CACHE),
        ("/accounts/signup/", 200, NEVER_CACHE),
        ("/nothing/here", 404, None),
        ("/r/HMIS-2026-0001/", 302, None),
        ("/healthz", 200, NEVER_CACHE),
        # The pages anyone may read: the landing page, help and the policy.
        ("/", 200, None),
        ("/help/", 200, None),
        ("/policy/", 200, None),
    ],
)
def test_an_anonymous_visitor_gets_the_headers_as_before(db, address, status, cache_control):
    response = Client().get(address, secure=True)

    assert (response.status_code, headers(response)) == (
        status,
        {**SECURITY_HEADERS, "Cache-Control": cache_control},
    )


def test_a_sign_in_refused_for_its_csrf_token_keeps_its_headers(db):
    client = Client(enforce_csrf_checks=True)

    response = client.post("/accounts/login/", {"login": "a@b.example"}, secure=True)

    assert (response.status_code, headers(response)) == (
        403,
        {**SECURITY_HEADERS, "Cache-Control": None},
    )


# A view that says its answer may be cached by anyone still does not have it cached when the
# answer goes to a signed-in person; to an anonymous visitor it goes as the view said.


@pytest.mark.parametrize(
    ("persona", "cache_control"),
    [
        ("riley", "max-age=600, no-store, private"),
        ("anonymous", "public, max-age=600"),
    ],
)
def test_a_public_answer_to_a_signed_in_person_becomes_private(staged, persona, cache_control):
    def cacheable(request):
        response = HttpResponse("Harbor Health Partners")
        patch_cache_control(response, public=True, max_age=600)
        return response

    request = RequestFactory().get("/")
    request.user = staged[0].by_name(persona)

    response = PrivateResponseMiddleware(cacheable)(request)

    assert response["Cache-Control"] == cache_control
