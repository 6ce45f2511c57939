"""WCAG 2.2 AA's consistent help (3.2.6), which axe cannot check: the help link is on every
page, for every person, in the same place: in the page's footer, after <main>, first among the
footer's links, with the same words and address."""

import pytest

from tests.support.e2e import login

pytestmark = pytest.mark.wcag22

# Pages of each kind a person meets: the public ones, the sign-in pages (allauth's templates),
# each role's own pages, and the error pages.
PAGES = {
    "anonymous": [
        "/",
        "/policy/",
        "/help/",
        "/accounts/login/",
        "/accounts/signup/",
        "/accounts/password/reset/",
        "/nothing/here",
    ],
    "riley": [
        "/requests/",
        "/requests/new",
        "/organization/",
        "/notices/",
        "/profile/notifications",
        "/help/",
        "/queue/",
    ],
    "sam": [
        "/queue/",
        "/provisioning/",
        "/failed-emails/",
        "/audit/",
        "/notices/",
        "/accounts/2fa/",
        "/help/",
    ],
}

# Where the help link is on a page, read in the browser: how many there are, the landmark that
# holds it and whether that follows <main> at the body's top level, its place among that
# landmark's links, and what those links say.
WHERE = """() => {
  const links = document.querySelectorAll("#help-link");
  const link = links[0];
  const landmark = link.closest("header, nav, main, aside, footer");
  const main = document.querySelector("main");
  const around = [...landmark.querySelectorAll("a")];
  return {
    count: links.length,
    landmark: landmark.tagName.toLowerCase(),
    topLevel: landmark.parentElement === document.body,
    afterMain: Boolean(main.compareDocumentPosition(landmark) & Node.DOCUMENT_POSITION_FOLLOWING),
    place: around.indexOf(link),
    links: around.map((a) => [a.textContent.trim(), a.getAttribute("href")]),
  };
}"""

EXPECTED = {
    "count": 1,
    "landmark": "footer",
    "topLevel": True,
    "afterMain": True,
    "place": 0,
    "links": [
        ["Help and contact", "/help/"],
        ['"Granting CT HMIS access", v1.0', "/policy/"],
    ],
}


@pytest.mark.parametrize("name", PAGES)
def test_help_is_in_the_same_place_on_every_page(page, live_server, personas, name):
    if name != "anonymous":
        login(page, live_server, personas.by_name(name))
    found = {}
    for address in PAGES[name]:
        page.goto(address)
        found[address] = page.evaluate(WHERE)

    assert found == dict.fromkeys(PAGES[name], EXPECTED)
