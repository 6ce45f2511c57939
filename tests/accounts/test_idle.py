"""Signing out after inactivity: each role's limit by the clock (time-machine moves it, nothing
sleeps), activity pushing the limit back without writing the session on every page, no query
of its own, no "remember me" that outlives it, and a draft's step posted after the session
ended kept until the same person signs in again."""

import datetime
import re

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from requests_app.core.states import Status
from tests.support.factories import PASSWORD, MembershipFactory
from tests.support.pages import form_data, parsed

START = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)
SECOND = datetime.timedelta(seconds=1)
MINUTE = datetime.timedelta(minutes=1)

# Minutes without activity before each persona is signed out, with the default settings.
LIMITS = {"riley": 30, "sam": 15, "morgan": 15, "casey": 15, "lee": 15, "alex": 15}
PAGE = "/notices/"


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def signed_out_to(path):
    return f"/accounts/login/?next={path}"


def status_message(response):
    box = parsed(response).find("div", role="status")
    return box.text if box else None


def sign_in(client, user, to=None, **extra):
    """Through allauth's own form, as a person does (CSRF enforced or not), from the sign-in
    page that sends them on `to`; `extra` fields posted as well."""
    page = client.get(f"/accounts/login/?next={to}" if to else "/accounts/login/")
    fields = dict(
        re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', page.content.decode())
    )
    return client.post(
        "/accounts/login/", {**fields, "login": user.email, "password": PASSWORD, **extra}
    )


@pytest.mark.parametrize(("persona", "past"), [(p, past) for p in LIMITS for past in (False, True)])
def test_each_role_is_signed_out_after_its_own_limit_without_activity(
    client, personas, clock, persona, past
):
    client.force_login(personas.by_name(persona))
    limit = LIMITS[persona] * MINUTE

    clock.shift(limit + SECOND if past else limit - SECOND)
    response = client.get(PAGE)

    if not past:
        assert response.status_code == 200
        return
    assert (response.status_code, response["Location"]) == (302, signed_out_to(PAGE))
    login_page = client.get(response["Location"])
    assert status_message(login_page) == (
        f"You were signed out after {LIMITS[persona]} minutes without activity, to keep the "
        "records here safe. Sign in again to carry on."
    )
    # Signed out for real, not only sent away once.
    assert client.get(PAGE)["Location"] == signed_out_to(PAGE)


@pytest.mark.parametrize(
    ("persona", "setting", "minutes"),
    [("sam", "IDLE_LOGOUT_DECIDING_MINUTES", 5), ("riley", "IDLE_LOGOUT_REQUESTOR_MINUTES", 45)],
)
def test_the_limits_are_the_settings(client, personas, clock, settings, persona, setting, minutes):
    setattr(settings, setting, minutes)
    client.force_login(personas.by_name(persona))

    clock.shift(minutes * MINUTE - SECOND)
    assert client.get(PAGE).status_code == 200
    clock.shift(minutes * MINUTE + SECOND)
    assert client.get(PAGE)["Location"] == signed_out_to(PAGE)


def test_activity_pushes_the_limit_back(client, personas, clock):
    client.force_login(personas.sam)

    clock.shift(10 * MINUTE)
    assert client.get(PAGE).status_code == 200
    # 24 minutes after signing in, 14 after the last page.
    clock.shift(14 * MINUTE)
    assert client.get(PAGE).status_code == 200
    clock.shift(15 * MINUTE + SECOND)
    assert client.get(PAGE)["Location"] == signed_out_to(PAGE)


def session_writes(client, path):
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    return sum('UPDATE "django_session"' in q["sql"] for q in captured.captured_queries)


def test_the_activity_stamp_is_written_at_most_once_a_minute(client, personas, clock):
    client.force_login(personas.sam)  # stamped at sign-in

    writes = []
    for seconds in (30, 29, 2, 40):  # 30 s, 59 s, 61 s (stamped again) and 101 s in
        clock.shift(seconds * SECOND)
        writes.append(session_writes(client, PAGE))

    assert writes == [0, 0, 1, 0]


@pytest.mark.parametrize("persona", ["riley", "sam"])
def test_timing_a_page_costs_no_query(client, personas, settings, persona):
    client.force_login(personas.by_name(persona))
    client.get(PAGE)  # the session is read once, as on any later page

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(PAGE).status_code == 200
        return len(captured)

    timed = queries()
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if not m.endswith("IdleLogoutMiddleware")]
    untimed = queries()

    assert timed == untimed


def test_a_session_begun_before_the_rule_is_timed_from_its_next_page(client, personas, clock):
    client.force_login(personas.lee)
    session = client.session
    del session["idle_limit"], session["idle_last"]
    session.save()

    clock.shift(60 * MINUTE)
    assert client.get(PAGE).status_code == 200
    # A CAN leader: 15 minutes, though nothing at sign-in said so.
    clock.shift(15 * MINUTE + SECOND)
    assert client.get(PAGE)["Location"] == signed_out_to(PAGE)


def test_the_sign_in_form_offers_no_remember_me(client):
    page = client.get("/accounts/login/").content.decode()
    names = re.findall(r'<input [^>]*name="(\w+)"', page)
    assert ("password" in names, "remember" in names) == (True, False)


@pytest.mark.parametrize("persona", ["riley", "sam", "lee"])
def test_every_session_cookie_ends_with_the_browser(client, personas, persona):
    # Even if a "Remember me" box is posted by hand.
    assert sign_in(client, personas.by_name(persona), remember="on").status_code == 302
    cookie = client.cookies["sessionid"]
    assert (cookie["max-age"], cookie["expires"]) == ("", "")
    assert client.session.get_expire_at_browser_close() is True


@pytest.mark.parametrize("persona", ["sam", "lee"])
def test_a_deciding_role_signed_in_outside_allauth_gets_a_browser_session_cookie(
    client, personas, persona
):
    # The Django admin's sign-in, a test's force_login: anything that calls auth.login.
    client.force_login(personas.by_name(persona))
    assert client.session.get_expire_at_browser_close() is True


def test_a_long_lived_session_still_ends_at_the_idle_limit(client, personas, clock):
    client.force_login(personas.sam)
    session = client.session
    session.set_expiry(14 * 24 * 3600)
    session.save()

    clock.shift(15 * MINUTE + SECOND)
    assert client.get(PAGE)["Location"] == signed_out_to(PAGE)


def test_the_warnings_check_does_not_count_as_activity_and_stay_signed_in_does(
    client, personas, clock
):
    client.force_login(personas.sam)
    activity = reverse("idle_activity")

    clock.shift(10 * MINUTE)
    assert client.get(activity).json() == {"remaining": 5 * 60}
    clock.shift(4 * MINUTE)
    assert client.post(activity).json() == {"remaining": 15 * 60}
    clock.shift(14 * MINUTE)
    assert client.get(activity).json() == {"remaining": 60}
    clock.shift(MINUTE + SECOND)
    # Past the limit: the check signs the person out and says so.
    assert client.get(activity).json() == {"remaining": 0}
    assert client.get(PAGE)["Location"] == signed_out_to(PAGE)


def test_a_signed_in_page_carries_the_deadline_for_the_warning(client, personas, clock):
    client.force_login(personas.riley)
    clock.shift(2 * MINUTE)

    page = client.get(PAGE).content.decode()

    dialog = re.search(r"<dialog [^>]*>", page).group(0)
    assert re.findall(r'(data-[\w-]+|role)="([^"]*)"', dialog) == [
        ("role", "alertdialog"),
        ("data-remaining", str(30 * 60)),
        ("data-warning", "120"),
        ("data-login", "/accounts/login/"),
    ]
    assert '<script src="/static/js/idle.js"></script>' in page


def test_a_page_without_a_session_carries_no_warning(client):
    page = client.get("/accounts/login/").content.decode()
    assert ("<dialog" in page, "idle.js" in page) == (False, False)


# A step of a draft posted after the session ended.


def step_url(draft, slug):
    return reverse("application_step", args=[draft.reference, slug])


def step_page_values(client, url):
    page = client.get(url)
    html = page.content.decode()
    return {
        "csrfmiddlewaretoken": re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)[1],
        "edit_seen": re.search(r'name="edit_seen" value="([^"]*)"', html)[1],
    }


def purpose_shown(response):
    return parsed(response).find("textarea", id="id_purpose").children[0].removeprefix("\n")


TYPED = "Connect patients who are homeless to housing, typed before lunch."


@pytest.fixture
def csrf_client():
    return Client(enforce_csrf_checks=True)


def test_a_step_posted_after_the_limit_is_kept_and_shown_again_after_signing_in(
    csrf_client, personas, journey, clock
):
    draft = journey.draft(purpose="Saved purpose.")
    url = step_url(draft, "scope")
    sign_in(csrf_client, personas.riley)
    values = step_page_values(csrf_client, url)

    clock.shift(30 * MINUTE + SECOND)
    response = csrf_client.post(
        url, {**values, "scope": "statewide", "purpose": TYPED, "go": "next"}
    )

    assert (response.status_code, response["Location"]) == (302, signed_out_to(url))
    draft.refresh_from_db()
    assert draft.purpose == "Saved purpose."
    login_page = csrf_client.get(response["Location"])
    assert status_message(login_page) == (
        "You were signed out after 30 minutes without activity, to keep the records here safe. "
        "Sign in again to carry on. What you typed on this step is kept. Once you sign in, it "
        "is shown again for you to check and save."
    )

    signed_in = sign_in(csrf_client, personas.riley, to=url)
    assert signed_in["Location"] == url
    page = csrf_client.get(url)
    assert (page.status_code, purpose_shown(page), status_message(page)) == (
        200,
        TYPED,
        "Successfully signed in as Riley Requestor. These are the answers you typed before you "
        "were signed out. They are not saved yet: check them and save.",
    )
    draft.refresh_from_db()
    assert draft.purpose == "Saved purpose."
    # Shown once: the next visit shows the saved answers.
    assert purpose_shown(csrf_client.get(url)) == "Saved purpose."


def test_the_kept_answers_are_saved_by_the_next_save(csrf_client, personas, journey, clock):
    draft = journey.draft(purpose="Saved purpose.")
    url = step_url(draft, "scope")
    sign_in(csrf_client, personas.riley)
    values = step_page_values(csrf_client, url)
    clock.shift(31 * MINUTE)
    csrf_client.post(url, {**values, "scope": "statewide", "purpose": TYPED, "go": "stay"})
    sign_in(csrf_client, personas.riley, to=url)
    draft.refresh_from_db()
    assert draft.purpose == "Saved purpose."

    shown = step_page_values(csrf_client, url)
    response = csrf_client.post(url, {**shown, "scope": "statewide", "purpose": TYPED})

    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.purpose == TYPED


def test_a_forged_post_after_the_limit_is_not_kept(csrf_client, personas, journey, clock):
    draft = journey.draft(purpose="Saved purpose.")
    url = step_url(draft, "scope")
    sign_in(csrf_client, personas.riley)
    values = step_page_values(csrf_client, url)

    clock.shift(31 * MINUTE)
    # Another site's form: the person's CSRF cookie goes along, but not the page's token.
    forged = {**values, "csrfmiddlewaretoken": "x" * 64, "purpose": "Planted by another site."}
    response = csrf_client.post(url, forged)
    assert response["Location"] == "/accounts/login/"
    sign_in(csrf_client, personas.riley, to=url)

    page = csrf_client.get(url)
    assert (purpose_shown(page), status_message(page)) == (
        "Saved purpose.",
        "Successfully signed in as Riley Requestor.",
    )


def test_kept_answers_are_shown_to_nobody_else(csrf_client, personas, journey, clock):
    colleague = MembershipFactory(organization=personas.harbor).user
    draft = journey.draft(purpose="Saved purpose.")
    url = step_url(draft, "scope")
    sign_in(csrf_client, personas.riley)
    values = step_page_values(csrf_client, url)
    clock.shift(31 * MINUTE)
    csrf_client.post(url, {**values, "purpose": TYPED})

    sign_in(csrf_client, colleague, to=url)

    assert "idle_kept" not in csrf_client.session
    assert purpose_shown(csrf_client.get(url)) == "Saved purpose."


@pytest.mark.parametrize("in_session", [False, True], ids=["csrf-cookie", "csrf-in-session"])
def test_a_step_posted_after_the_warnings_check_signed_the_person_out_is_kept(
    csrf_client, personas, journey, clock, settings, in_session
):
    # The browser's path: the check at the deadline signs out, then the page posts the step.
    settings.CSRF_USE_SESSIONS = in_session
    draft = journey.draft(purpose="Saved purpose.")
    url = step_url(draft, "scope")
    sign_in(csrf_client, personas.riley)
    values = step_page_values(csrf_client, url)
    clock.shift(30 * MINUTE + SECOND)
    assert csrf_client.get(reverse("idle_activity")).json() == {"remaining": 0}

    response = csrf_client.post(url, {**values, "purpose": TYPED, "go": "stay"})

    assert response["Location"] == signed_out_to(url)
    sign_in(csrf_client, personas.riley, to=url)
    assert purpose_shown(csrf_client.get(url)) == TYPED


def test_a_deciding_action_posted_after_the_limit_is_neither_done_nor_kept(
    client, personas, journey, clock
):
    request = journey.screening()
    client.force_login(personas.sam)
    seen = parsed(client.get(request.get_absolute_url())).find("input", name="seen")
    clock.shift(15 * MINUTE + SECOND)

    response = client.post(
        reverse("escalate", args=[request.reference]),
        {**form_data("escalate", {"note": "Is 1.9 met?"}), "seen": seen.attrs["value"]},
    )

    assert (response.status_code, response["Location"]) == (302, "/accounts/login/")
    request.refresh_from_db()
    assert request.status == Status.SCREENING
    assert "idle_kept" not in client.session


def test_a_file_posted_after_the_limit_is_not_kept_and_the_person_is_told(
    csrf_client, personas, journey, clock
):
    draft = journey.draft()
    url = step_url(draft, "research")
    sign_in(csrf_client, personas.riley)
    values = step_page_values(csrf_client, url)
    clock.shift(31 * MINUTE)

    upload = SimpleUploadedFile("irb.pdf", b"%PDF-1.4\n%%EOF\n", content_type="application/pdf")
    csrf_client.post(url, {**values, "description": "IRB approval", "file": upload})
    sign_in(csrf_client, personas.riley, to=url)
    page = csrf_client.get(url)

    assert (status_message(page), draft.attachments.count()) == (
        "Successfully signed in as Riley Requestor. These are the answers you typed before you "
        "were signed out. They are not saved yet: check them and save. Choose the file again: "
        "files are not kept.",
        0,
    )
    assert parsed(page).find("input", id="id_description").attrs["value"] == "IRB approval"


def test_the_admin_pages_carry_the_warning_too(client, personas):
    client.force_login(personas.alex)

    page = client.get("/admin/").content.decode()

    assert (page.count('<dialog id="idle-warning"'), page.count("/static/js/idle.js")) == (1, 1)


def test_kept_answers_never_overwrite_a_colleagues_save_unseen(
    csrf_client, personas, journey, clock
):
    dana = MembershipFactory(organization=personas.harbor, user__name="Dana Colleague").user
    draft = journey.draft(purpose="Saved purpose.")
    url = step_url(draft, "scope")
    sign_in(csrf_client, personas.riley)
    values = step_page_values(csrf_client, url)
    clock.shift(31 * MINUTE)
    csrf_client.post(url, {**values, "scope": "statewide", "purpose": TYPED})
    # Meanwhile Dana saves the same step.
    colleague = Client()
    colleague.force_login(dana)
    dana_values = step_page_values(colleague, url)
    clock.shift(MINUTE)
    colleague.post(url, {**dana_values, "scope": "statewide", "purpose": "Dana's purpose."})
    sign_in(csrf_client, personas.riley, to=url)

    shown = step_page_values(csrf_client, url)
    clock.shift(MINUTE)
    response = csrf_client.post(url, {**shown, "scope": "statewide", "purpose": TYPED})

    draft.refresh_from_db()
    assert (response.status_code, draft.purpose) == (400, "Dana's purpose.")
    problems = [
        li.text
        for alert in parsed(response).find_all("div", cls="alert-danger")
        if not alert.has_class("error-summary")
        for li in alert.find_all("li")
    ]
    assert [p.split(" at ")[0] for p in problems] == [
        "Dana Colleague saved changes to this application"
    ]
