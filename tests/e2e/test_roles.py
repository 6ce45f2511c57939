"""An organization's roles in the browser: a member proposes its security officer from the
organization page, by keyboard; CCEH staff confirm it from their list; each page is checked
with axe-core and the WCAG 2.2 checks axe cannot make (tests/support/wcag22.py), and fits a
phone 390 px wide."""

from playwright.sync_api import expect

from requests_app.accounts import roles
from tests.support.e2e import login, new_page, press_tab_until_focused, visit
from tests.support.factories import MembershipFactory
from tests.support.wcag22 import assert_wcag22

PHONE = {"width": 390, "height": 844}


def fits_a_phone(page):
    page.set_viewport_size(PHONE)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} is {width} px wide at {PHONE['width']} px"


def test_a_member_proposes_and_staff_confirm_the_security_officer(
    page, browser, live_server, personas
):
    MembershipFactory(
        organization=personas.harbor, user__name="Sol Officer", user__email="sol@harbor.test"
    )
    riley = page
    login(riley, live_server, personas.riley)
    visit(riley, "/organization/")
    assert_wcag22(riley)
    fits_a_phone(riley)
    signatory = riley.get_by_role("radio", name="Authorized signatory")
    press_tab_until_focused(riley, signatory, limit=60)
    riley.keyboard.press("ArrowDown")
    expect(riley.get_by_role("radio", name="Security officer")).to_be_checked()
    riley.get_by_label("Their e-mail address").fill("sol@harbor.test")
    riley.get_by_label("Their title").fill("IT Manager")
    riley.get_by_label("Their title").press("Enter")
    expect(riley.get_by_role("status")).to_contain_text("You proposed Sol Officer")
    expect(riley.locator("ul.roles-waiting")).to_contain_text(
        "Sol Officer (IT Manager) is proposed as security officer"
    )
    visit(riley, riley.url)

    with new_page(browser, live_server) as sam:
        login(sam, live_server, personas.sam)
        visit(sam, "/organization/roles/")
        assert_wcag22(sam)
        fits_a_phone(sam)
        sam.get_by_role("button", name="Confirm Sol Officer").click()
        expect(sam.get_by_role("status")).to_have_text(
            "Sol Officer is now the security officer of Harbor Health Partners. Its members are "
            "told."
        )
        expect(sam.get_by_text("No proposal is waiting.")).to_be_visible()
        visit(sam, sam.url)

    assert roles.security_officer(personas.harbor).name == "Sol Officer"
    visit(riley, "/organization/")
    expect(riley.locator("dd.security-officer")).to_contain_text("Sol Officer, IT Manager")


def test_the_organization_page_fits_a_phone_whatever_the_length_of_its_addresses(
    page, live_server, personas
):
    # Addresses as long as a parallel run's factories give them: one word each, which broke
    # only where it must once the page let it.
    for number in range(3):
        MembershipFactory(
            organization=personas.harbor,
            user__email=f"person{123456 + number}@example.org",
            user__name=f"Someone Withalongname{number}",
        )
    login(page, live_server, personas.riley)
    visit(page, "/organization/")

    fits_a_phone(page)
