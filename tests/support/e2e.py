"""What browser tests do with a page: open one in a fresh context, visit an address and check
it with axe-core against WCAG 2.0, 2.1 and 2.2, levels A and AA, and axe's best practices, and
sign a person in."""

import re
from contextlib import contextmanager

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from .factories import PASSWORD
from .mfa import current_code, has_totp

# WCAG 2.2 AA, the current W3C recommendation: axe tags each rule with the version and level
# that brought it in, so 2.2 is the 2.0 and 2.1 rules plus wcag22aa (target-size, 2.5.8). And
# axe's best practices (one main landmark, headings in order, ...), which every page meets.
WCAG_A_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
# Long enough for a slow CI machine, short enough that a broken journey fails fast.
TIMEOUT_MS = 10_000

_axe = Axe()


def _collect_policy_messages(page, text):
    if "Content Security Policy" in text:
        page.csp_violations.append(text)
    if "Permissions-Policy" in text:
        page.policy_errors.append(text)


@contextmanager
def new_page(browser, live_server):
    """A page in a fresh browser context, so no cookie or session leaks between people or
    tests. Relative URLs resolve against the live server."""
    context = browser.new_context(base_url=live_server.url)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    # The Content-Security-Policy forbids inline script and style, and Chromium reports a
    # breach only on the console; likewise a Permissions-Policy it cannot read, such as a
    # feature it does not know. Both are collected for `visit` to fail on.
    page.csp_violations, page.policy_errors = [], []
    page.on("console", lambda message: _collect_policy_messages(page, message.text))
    try:
        yield page
    finally:
        context.close()


def _describe(violation):
    nodes = "\n".join(
        f"      {', '.join(map(str, node['target']))}: {' '.join(node['failureSummary'].split())}"
        for node in violation["nodes"]
    )
    return f"  {violation['id']} ({violation['impact']}): {violation['help']}\n{nodes}"


def assert_accessible(page):
    """Fails with every WCAG 2.0/2.1/2.2 A and AA violation, and every breach of axe's best
    practices, axe-core finds on the page as it is."""
    results = _axe.run(
        page,
        options={
            "runOnly": {"type": "tag", "values": WCAG_A_AA},
            "resultTypes": ["violations"],
        },
    )
    violations = results.response["violations"]
    assert violations == [], f"axe found violations on {page.url}:\n" + "\n".join(
        _describe(violation) for violation in violations
    )


def assert_no_csp_violations(page):
    assert page.csp_violations == [], f"CSP violations on {page.url}: {page.csp_violations}"


def assert_no_policy_errors(page):
    assert page.policy_errors == [], (
        f"Permissions-Policy errors on {page.url}: {page.policy_errors}"
    )


def visit(page, url):
    """Opens `url` (relative to the live server, or absolute) and checks it with axe."""
    response = page.goto(url)
    assert response.ok, f"{url} answered {response.status}"
    assert_no_csp_violations(page)
    assert_no_policy_errors(page)
    assert_accessible(page)
    return response


def press_tab_until_focused(page, target, limit=15):
    """Moves the focus with Tab alone, as a keyboard user does, until `target` has it: proof
    it is in the tab order and reachable without a mouse."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if target.evaluate("element => element === document.activeElement"):
            return target
    pytest.fail(f"{limit} presses of Tab never reached {target}")


def press_link(page, name, limit=200):
    """Tabs to the link called `name`, as a keyboard user does, and follows it."""
    press_tab_until_focused(page, page.get_by_role("link", name=name, exact=True), limit)
    page.keyboard.press("Enter")


def login(page, live_server, user):
    """Signs `user` in through the real allauth forms, as a person would: the password, then,
    for a person with an authenticator app, the code it shows now."""
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    # A refused sign-in renders the form again at the same address.
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))
    if has_totp(user):
        enter_code(page, current_code(user, reusable=True))
        expect(page).not_to_have_url(re.compile(r"/accounts/2fa/authenticate/"))


def enter_code(page, code):
    """Answers the second step of signing in with an authenticator or recovery code."""
    expect(page).to_have_url(re.compile(r"/accounts/2fa/authenticate/"))
    page.get_by_label("Authenticator or recovery code").fill(code)
    page.get_by_role("button", name="Sign in").click()
