"""The pages around the workflow: the landing page an anonymous visitor finds at the root, the
policy the site serves, help, the error pages in the site's layout (with DEBUG off, as in
production), the meta description and the admin's branding."""

import pytest
from django.test import Client, RequestFactory, override_settings
from django.urls import path
from django.views.defaults import server_error

from hmis_access.urls import urlpatterns as site_urlpatterns
from requests_app.pages.policy_text import FILE
from tests.support.pages import tree


def boom(request):
    raise RuntimeError("A fault of the site's own")


# This module is the URLconf of the 500 test: the site's addresses and one that fails.
urlpatterns = [*site_urlpatterns, path("boom/", boom)]

DEFAULT_DESCRIPTION = (
    "HMIS Access: organizations apply for access to the Connecticut HMIS under CCEH's policy "
    '"Granting CT HMIS access", and CCEH staff, a sub-committee and CAN leaders decide.'
)
# The way back every error page offers, in <main>: the start page and help.
WAY_BACK = {"Go to the start page": "/", "Help and contact": "/help/"}


def layout(response):
    """The site's layout as a person meets it: the header's main navigation, the page's one
    heading, the way back in <main>, the footer's help link."""
    page = tree(response)
    header, main, footer = page.find("header"), page.find("main"), page.find("footer")
    return {
        "navigation": header.find("nav").attrs["aria-label"],
        "heading": [h1.text for h1 in main.find_all("h1")],
        "way back": {
            a.text: a.attrs["href"] for a in main.find("ul", cls="way-back").find_all("a")
        },
        "help": footer.find("a", id="help-link").attrs["href"],
    }


def description(response):
    return tree(response).find("meta", name="description").attrs["content"]


# Each error page, with DEBUG off, for who meets it.

ERRORS = [
    # A host the site does not answer to: Django refuses it before any view (400).
    ("anonymous", "get", "/", {"HTTP_HOST": "attacker.example"}, 400, "Bad request"),
    # The views raise PermissionDenied for a page outside the person's roles.
    ("riley", "get", "/queue/", {}, 403, "This page is not open to you"),
    ("anonymous", "get", "/nothing/here", {}, 404, "Page not found"),
    ("riley", "get", "/nothing/here", {}, 404, "Page not found"),
    ("sam", "get", "/r/HMIS-2026-9999/", {}, 404, "Page not found"),
    ("riley", "get", "/boom/", {}, 500, "Something went wrong on our side"),
    # A sign-in without its CSRF token: Django's CSRF failure view draws 403_csrf.html.
    ("anonymous", "post", "/accounts/login/", {}, 403, "This form could not be sent"),
]


@pytest.mark.urls(__name__)
@pytest.mark.parametrize(
    ("persona", "method", "address", "extra", "status", "heading"),
    ERRORS,
    ids=[f"{status}-{persona}-{address}" for persona, _, address, _, status, _ in ERRORS],
)
@override_settings(DEBUG=False)
def test_each_error_page_is_in_the_sites_layout_with_a_way_back(
    personas, persona, method, address, extra, status, heading
):
    client = Client(raise_request_exception=False, enforce_csrf_checks=True)
    if persona != "anonymous":
        client.force_login(personas.by_name(persona))

    response = getattr(client, method)(address, **extra)

    assert (response.status_code, layout(response)) == (
        status,
        {"navigation": "Main", "heading": [heading], "way back": WAY_BACK, "help": "/help/"},
    )


def test_the_500_page_needs_neither_the_database_nor_the_request():
    # No database here: a query would fail the test. Django draws it with no context at all.
    response = server_error(RequestFactory().get("/"))

    page = tree(response)
    assert (response.status_code, layout(response)) == (
        500,
        {
            "navigation": "Main",
            "heading": ["Something went wrong on our side"],
            "way back": WAY_BACK,
            "help": "/help/",
        },
    )
    # A page drawn without knowing who asks offers nobody's links: only the site's name.
    assert [a.text for a in page.find("header").find_all("a")] == ["HMIS Access"]


# The landing page; where each signed-in person starts is tests/core/test_site.py's.


def test_an_anonymous_visitor_reads_what_the_service_is_and_how_to_start(client, db):
    response = client.get("/")

    main = tree(response).find("main")
    assert response.status_code == 200
    assert [h.text for h in main.find_all("h1") + main.find_all("h2")] == [
        "Apply for access to the Connecticut HMIS",
        "Who applies",
        "What happens after you apply",
    ]
    assert {a.text: a.attrs["href"] for a in main.find_all("a", cls="btn")} == {
        "Create an account": "/accounts/signup/",
        "Sign in": "/accounts/login/",
    }
    assert main.find("a", href="/policy/").text == '"Granting CT HMIS access"'
    assert len(main.find("ol").find_all("li")) == 5


# The policy, served by the site.


def clauses(response):
    main = tree(response).find("main")
    return [
        (dt.attrs["id"], dt.text, dd.text)
        for dl in main.find_all("dl", cls="policy-clauses")
        for dt, dd in zip(dl.find_all("dt"), dl.find_all("dd"), strict=True)
    ]


def test_the_policy_page_shows_every_clause_with_its_number(client, db):
    response = client.get("/policy/")

    shown = clauses(response)
    assert response.status_code == 200
    assert [number for _, number, _ in shown] == [
        *(f"1.{n}" for n in range(1, 11)),
        "2.1",
        "2.2",
        "3.1",
        "3.2",
        "3.3",
        *(f"4.{n}" for n in range(1, 5)),
    ]
    by_number = {number: (anchor, text) for anchor, number, text in shown}
    # A clause wrapped onto two lines reads as one, a word split at its hyphen as one word.
    assert by_number["1.9"] == (
        "clause-1-9",
        "If the requestor is a researcher, the request should be limited to aggregated and "
        "de-identified data whenever possible. Note: This may not be possible due to research "
        "need to match data to other sources.",
    )
    assert by_number["4.3"] == (
        "clause-4-3",
        "If application meets core criteria, CCEH will work directly with requestor to grant "
        "access. If application does not clearly meet core criteria, CCEH will engage the HMIS "
        "Steering Committee sub-committee and CAN (if applicable) to vet application.",
    )
    assert [h.text for h in tree(response).find("main").find_all("h2")] == [
        "1.0 Core Criteria",
        "2.0 Criteria That Would Prevent Granting of HMIS Access",
        "3.0 Data Requested from Requestors",
        "4.0 Process for Granting HMIS Access",
    ]


def test_the_policy_text_downloads_as_published(client, db):
    response = client.get("/policy/granting-hmis-access-policy-v1.0.txt")

    assert (response.status_code, response["Content-Type"]) == (200, "text/plain; charset=utf-8")
    assert response.content == FILE.read_bytes()
    assert response.content.startswith(b"CT HMIS POLICY AND PROCEDURE\n")


# Help.


@override_settings(HELP_EMAIL="hmis-help@cceh.example")
def test_help_gives_the_contact_the_decisions_and_what_is_recorded(client, db):
    response = client.get("/help/")

    main = tree(response).find("main")
    assert response.status_code == 200
    assert [h.text for h in main.find_all("h2")] == [
        "Contact",
        "How decisions are made",
        "Data protection: what is recorded",
    ]
    assert main.find("a", href="mailto:hmis-help@cceh.example").text == "hmis-help@cceh.example"
    assert "Connecticut Coalition to End Homelessness (CCEH)" in main.text
    assert "kept 2557 days (about 7 years)" in main.text


def test_every_clause_help_cites_is_on_the_policy_page(client, db):
    cited = [
        a.attrs["href"].split("#", 1)[1]
        for a in tree(client.get("/help/")).find("main").find_all("a")
        if a.attrs["href"].startswith("/policy/#")
    ]
    anchors = {anchor for anchor, _, _ in clauses(client.get("/policy/"))}

    assert cited == [
        "clause-1-1",
        "clause-1-10",
        "clause-2-1",
        "clause-2-2",
        "clause-4-3",
        "clause-1-5",
        "clause-4-2",
        "clause-1-9",
        "clause-1-6",
        "clause-4-1",
        "clause-1-7",
    ]
    assert set(cited) - anchors == set()


# Every page describes itself; the pages that stand alone say what they are.


@pytest.mark.parametrize(
    ("persona", "address", "expected"),
    [
        (
            "anonymous",
            "/",
            "Organizations not funded to provide homeless services apply here for ongoing access "
            'to the Connecticut HMIS, under CCEH\'s policy "Granting CT HMIS access".',
        ),
        (
            "anonymous",
            "/help/",
            "Help with HMIS Access: whom to contact at CCEH, how applications for Connecticut "
            "HMIS access are decided, and what the site records about you.",
        ),
        (
            "anonymous",
            "/policy/",
            'CT HMIS policy "Granting CT HMIS access", v1.0: the criteria and the procedure '
            "under which CCEH grants HMIS access to organizations.",
        ),
        ("anonymous", "/accounts/login/", DEFAULT_DESCRIPTION),
        ("anonymous", "/accounts/signup/", DEFAULT_DESCRIPTION),
        ("riley", "/requests/", DEFAULT_DESCRIPTION),
        ("riley", "/nothing/here", "There is no page of HMIS Access at this address."),
        (
            "alex",
            "/admin/",
            "The administration of HMIS Access: people, roles, CANs, the committee and "
            "organizations.",
        ),
    ],
)
def test_each_page_has_a_meta_description(client, personas, persona, address, expected):
    if persona != "anonymous":
        client.force_login(personas.by_name(persona))

    assert description(client.get(address)) == expected


# The admin, branded, with a "View site" that leads out of it.


def test_the_admin_is_branded_and_view_site_leads_to_the_site(client, personas):
    client.force_login(personas.alex)

    page = tree(client.get("/admin/"))
    view_site = next(a for a in page.find_all("a") if a.text == "View site")
    followed = client.get(view_site.attrs["href"])

    assert (
        page.find("title").text,
        page.find("div", id="site-name").text,
        page.find("h1").text,
        view_site.attrs["href"],
    ) == (
        "People, CANs and settings | HMIS Access",
        "HMIS Access administration",
        "People, CANs and settings",
        "/help/",
    )
    # Not back into the admin, as the root would send an administrator.
    assert (followed.status_code, tree(followed).find("h1").text) == (200, "Help and contact")
