"""The life of one person's access, in Chromium: Harbor Health Partners' confirmed authorized
signatory (Riley) asks on an active MOU's page to add Dee; Sam approves the addition; Riley
signs the amended MOU; Sam records Dee's training; Dee signs in with her own account and signs
her user agreement; Sam activates her and she is on the provisioning list and the register.
Then Riley reports from the organization's register that Dee left (three clicks: the link on
her row, the button, and nothing else to type), Dee is on the deprovisioning list at once, and
Sam marks her HMIS account closed. Every page reached is checked with axe-core (WCAG
2.0/2.1/2.2 A and AA) and for Content-Security-Policy breaches (tests/support/e2e.py)."""

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from requests_app.core.states import AccessEnd, AccessLevel
from requests_app.models import PersonAccess
from tests.support.e2e import assert_accessible, assert_no_csp_violations, login, new_page, visit
from tests.support.factories import confirmed_role
from tests.support.journey import COURSE, RILEY_TITLE, account_of

pytestmark = pytest.mark.journey_access_life

DEE = "Dee Data"
DEE_EMAIL = "dee@harbor.example"


def checked(page):
    """The page as it is now passes axe and broke no Content-Security-Policy rule."""
    assert_no_csp_violations(page)
    assert_accessible(page)


def success(page):
    return page.get_by_role("status")


def person_row(page, name):
    return page.locator("main table.mou-people tbody tr", has_text=name)


def test_a_person_is_added_trained_activated_then_departs_and_is_deprovisioned(
    browser, live_server, personas, stage, settings, tmp_path
):
    settings.PRIVATE_FILES_ROOT = tmp_path / "private"
    agreement = stage.active()
    organization = agreement.request.organization
    confirmed_role(organization, personas.riley, title=RILEY_TITLE)
    reference = agreement.request.reference
    mou = f"/r/{reference}/mou/"

    # 1. The signatory asks to add a person.
    with new_page(browser, live_server) as page:
        login(page, live_server, personas.riley)
        visit(page, mou)
        page.locator("summary", has_text="Add a person").click()
        page.get_by_label("Full name").fill(DEE)
        page.get_by_label("E-mail").fill(DEE_EMAIL)
        page.get_by_label("Access level asked for").select_option(AccessLevel.REPORTING)
        page.get_by_label("Why they need HMIS access").fill("Runs our monthly reports.")
        checked(page)
        with stage.capture(execute=True):
            page.get_by_role("button", name="Ask to add them").click()
            expect(success(page)).to_contain_text("The addition is asked for.")
        checked(page)

    # 2. Staff approve it.
    with new_page(browser, live_server) as page:
        login(page, live_server, personas.sam)
        visit(page, mou)
        expect(page.locator("main .pending-additions")).to_contain_text(DEE)
        page.get_by_label("Approve").check()
        with stage.capture(execute=True):
            page.get_by_role("button", name="Record the decision").click()
            expect(success(page)).to_contain_text("The addition is decided")
        expect(person_row(page, DEE)).to_be_visible()
        checked(page)

    # 3. The signatory signs the amended MOU.
    with new_page(browser, live_server) as page:
        login(page, live_server, personas.riley)
        visit(page, mou)
        page.get_by_label("Your full name, typed as your signature").fill(personas.riley.name)
        page.get_by_label("Your title").fill(RILEY_TITLE)
        page.get_by_label(re.compile("^I am authorized to sign")).check()
        with stage.capture(execute=True):
            page.get_by_role("button", name="Sign the amended MOU").click()
            expect(success(page)).to_contain_text("You signed the amended MOU.")
        checked(page)

    # 4. Staff record the person's training.
    with new_page(browser, live_server) as page:
        login(page, live_server, personas.sam)
        visit(page, mou)
        completed = timezone.localdate() - datetime.timedelta(days=2)
        form = page.locator("form", has=page.get_by_role("button", name="Record the training"))
        form.get_by_role("combobox", name=re.compile(r"^Person\b")).select_option(label=DEE)
        form.get_by_label("Completed on").fill(completed.isoformat())
        form.get_by_label("Course").fill(COURSE)
        form.get_by_role("button", name="Record the training").click()
        expect(success(page)).to_have_text("The training is recorded.")
        expect(person_row(page, DEE).locator("td.agreement-state")).to_have_text("Not signed yet")
        expect(person_row(page, DEE).locator("td.access-state")).to_have_text("Not active yet")
        checked(page)

    # 5. The person signs their own user agreement with their own account.
    dee = PersonAccess.objects.get(person__email=DEE_EMAIL).person
    with new_page(browser, live_server) as page:
        login(page, live_server, account_of(dee))
        visit(page, "/my/agreement/")
        expect(page.get_by_role("heading", level=1)).to_have_text("Your HMIS user agreement")
        form = page.locator("form", has=page.get_by_role("button", name="Sign the user agreement"))
        expect(form.get_by_label("Your full name, typed as your signature")).to_have_value(DEE)
        form.get_by_role(
            "checkbox", name="I have read the HMIS user agreement above and will keep it."
        ).check()
        form.get_by_role("button", name="Sign the user agreement").click()
        expect(success(page)).to_have_text(
            f"You signed the HMIS user agreement for {organization.name}."
        )
        checked(page)

    # 6. Staff activate; the person is on the provisioning list and the register.
    with new_page(browser, live_server) as page:
        login(page, live_server, personas.sam)
        visit(page, mou)
        expect(person_row(page, DEE).locator("td.access-state")).to_have_text(
            "Not active yet (ready)"
        )
        page.get_by_role("button", name="Activate those who are ready").click()
        expect(success(page)).to_contain_text("Access is active for everyone ready.")
        expect(person_row(page, DEE).locator("td.access-state")).to_have_text(
            "Active: waiting for an HMIS account"
        )
        checked(page)

        visit(page, "/provisioning/")
        rows = page.locator("main table.provisioning tbody tr")
        expect(rows.filter(has_text=DEE)).to_contain_text(DEE_EMAIL)
        expect(rows.filter(has_text=DEE)).to_contain_text("Reporting only")
        checked(page)

        visit(page, "/register/")
        register = page.locator("main table.register tbody tr")
        expect(register.filter(has_text=DEE)).to_contain_text(organization.name)
        expect(register.filter(has_text=DEE)).to_contain_text("Reporting only")
        checked(page)

    # 7. The signatory reports the departure from the organization's register: the link on
    # the person's row opens the MOU page at its form with the person and today chosen, and
    # one button records it.
    with new_page(browser, live_server) as page:
        login(page, live_server, personas.riley)
        visit(page, "/organization/register/")
        expect(page.locator("main .report-within")).to_contain_text("one business day")
        page.get_by_role("link", name=f"Report a departure of {DEE}").click()
        expect(page.get_by_role("heading", name="Report a departure")).to_be_visible()
        expect(
            page.get_by_role("combobox", name="Person who left").locator("option:checked")
        ).to_have_text(DEE)
        checked(page)
        page.get_by_role("button", name="Record the departure").click()
        expect(success(page)).to_contain_text("The departure is recorded")
        checked(page)
        visit(page, "/organization/register/")
        expect(page.locator("main table.register")).not_to_contain_text(DEE)

    departed = PersonAccess.objects.get(person__email=DEE_EMAIL)
    assert (departed.end_reason, departed.ended_on) == (AccessEnd.DEPARTED, timezone.localdate())

    # 8. Staff close the account from the deprovisioning list, which then no longer shows her.
    with new_page(browser, live_server) as page:
        login(page, live_server, personas.sam)
        visit(page, "/deprovisioning/")
        row = page.locator("main table.deprovisioning tbody tr", has_text=DEE)
        expect(row).to_contain_text("Left the organization")
        page.get_by_role("checkbox", name=f"Mark {DEE}'s account as closed").check()
        page.get_by_role("button", name="Mark the ticked accounts closed").click()
        expect(success(page)).to_have_text("Marked 1 person's HMIS account as closed.")
        expect(page.get_by_text("No HMIS account waits to be closed.")).to_be_visible()
        checked(page)

    departed.refresh_from_db()
    assert departed.deprovisioned_by == personas.sam
