"""The requestor journey, in Chromium: Robin signs up, verifies the e-mail address from the link
in the mail, sets up the organization and applies over two sittings on two devices, attaching
an IRB approval, then submits; Riley answers CCEH's question on a returned request and
resubmits it, and withdraws another request after confirming. The form pages are worked with
the keyboard alone. Every page reached is checked with axe-core against WCAG 2.0/2.1/2.2 A and AA,
and for Content-Security-Policy breaches."""

import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from requests_app import workflow
from requests_app.core.states import AccessLevel, Status
from requests_app.models import AccessRequest, Membership, Organization, User
from tests.support.e2e import (
    assert_accessible,
    assert_no_csp_violations,
    login,
    new_page,
    press_tab_until_focused,
    visit,
)
from tests.support.factories import PASSWORD, MembershipFactory

pytestmark = pytest.mark.journey_requestor

# A small PDF that the upload check takes for what it is: a one-page document a reader opens,
# with its cross-reference table (the objects' byte offsets) and startxref.
IRB_APPROVAL = (
    b"%PDF-1.4\n"
    b"1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
    b"2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n"
    b"3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>\nendobj\n"
    b"xref\n0 4\n"
    b"0000000000 65535 f \n"
    b"0000000009 00000 n \n"
    b"0000000058 00000 n \n"
    b"0000000115 00000 n \n"
    b"trailer\n<< /Root 1 0 R /Size 4 >>\n"
    b"startxref\n186\n"
    b"%%EOF\n"
)
VERIFY_LINK = re.compile(r"https?://\S+/accounts/confirm-email/[^\s/]+/")

ORGANIZATION = "Riverside Community Clinic"
NEWCOMER = {"email": "robin.requestor@riverside.example.org", "name": "Robin Requestor"}
PROGRAM = "Medical respite program"
PEOPLE = [
    ("Dana Nurse", "Respite nurse manager", "dana@riverside.example.org", "View only"),
    ("Eli Analyst", "Data analyst", "eli@riverside.example.org", "Reporting only"),
]
PURPOSE = "Coordinate discharge of patients experiencing homelessness into respite beds."
JUSTIFICATION = "We match HMIS records to hospital admissions to study readmissions."
QUESTION = "Which hospital units will use HMIS?"


# Checks


def checked(page):
    """The page as it is now passes axe and broke no Content-Security-Policy rule."""
    assert_no_csp_violations(page)
    assert_accessible(page)


def status(page):
    return page.locator("main .request-status")


def success(page):
    return page.get_by_role("status")


def heading(page):
    return page.get_by_role("heading", level=1)


def sign_in(page, live_server, user):
    """The sign-in page, checked like every other page, then conftest's own sign-in; the
    person lands on My requests."""
    visit(page, "/accounts/login/")
    expect(heading(page)).to_have_text("Sign In")
    login(page, live_server, user)
    expect(heading(page)).to_have_text("My requests")
    checked(page)


def row_of(page, reference):
    return page.locator(
        "main table tbody tr", has=page.get_by_role("link", name=reference, exact=True)
    )


# The keyboard alone


def is_focused(locator):
    return locator.evaluate("element => element === document.activeElement")


def tab_to(page, locator, limit=80):
    """Presses Tab, and only Tab, until the one element `locator` finds has the focus."""
    expect(locator).to_have_count(1)
    return press_tab_until_focused(page, locator, limit)


def type_in(page, field, text, replace=False):
    """Tabs to a text field and types into it; `replace` first selects what is there."""
    tab_to(page, field)
    if replace:
        page.keyboard.press("Control+A")
    page.keyboard.type(text)
    expect(field).to_have_value(text if replace else re.compile(re.escape(text) + "$"))


def choose_radio(page, group, label):
    """Tabs into a radio group with no choice yet (Tab lands on its first radio), then moves
    down it with the arrow keys, which choose as they go."""
    radios = group.get_by_role("radio")
    target = group.get_by_role("radio", name=label, exact=True)
    tab_to(page, radios.first)
    page.keyboard.press("Space")
    for _ in range(radios.count()):
        if is_focused(target):
            break
        page.keyboard.press("ArrowDown")
    expect(target).to_be_focused()
    expect(target).to_be_checked()


def tick(page, checkbox):
    tab_to(page, checkbox)
    page.keyboard.press("Space")
    expect(checkbox).to_be_checked()


def choose_option(page, select, label):
    """Tabs to a closed <select> and moves through its options with the arrow keys."""
    tab_to(page, select)
    page.keyboard.press("Home")
    options = select.locator("option").count()
    for _ in range(options):
        if select.evaluate("s => s.options[s.selectedIndex].text") == label:
            break
        page.keyboard.press("ArrowDown")
    expect(select.locator("option:checked")).to_have_text(label)


def press_button(page, name):
    button = page.get_by_role("button", name=name, exact=True)
    tab_to(page, button)
    page.keyboard.press("Enter")


# The steps


def step_is(page, title, number):
    expect(heading(page)).to_have_text(title)
    expect(page.get_by_text(f"Step {number} of 7", exact=True)).to_be_visible()
    expect(page.get_by_role("navigation", name="Application steps")).to_be_visible()


def person(page, number):
    return page.get_by_role("group", name=re.compile(rf"^Person {number}\b"))


def fill_person_by_keyboard(page, number, name, title, email, level):
    who = person(page, number)
    type_in(page, who.get_by_label("Full name"), name)
    type_in(page, who.get_by_label("Job title"), title)
    type_in(page, who.get_by_label("E-mail address"), email)
    choose_radio(
        page,
        who.get_by_role("group", name=re.compile(r"^Access level asked for")),
        re.compile(rf"^{re.escape(level)}:"),
    )


def group(page, legend):
    return page.get_by_role("group", name=re.compile(rf"^{re.escape(legend)}"))


# 1. A newcomer: sign-up, the e-mail address verified, the organization, two sittings.


def sign_up_and_verify(page, mailoutbox):
    visit(page, "/accounts/signup/")
    expect(heading(page)).to_have_text("Sign Up")
    page.get_by_label("Email").fill(NEWCOMER["email"])
    page.get_by_label("Full name").fill(NEWCOMER["name"])
    # Required fields' labels end with an asterisk.
    page.get_by_label("Password*", exact=True).fill(PASSWORD)
    page.get_by_label("Password (again)*", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign Up").click()
    expect(heading(page)).to_have_text("Verify Your Email Address")
    checked(page)

    # The live server runs in this process: its mail lands in Django's test outbox.
    (sent,) = [m for m in mailoutbox if NEWCOMER["email"] in m.to]
    link = VERIFY_LINK.search(sent.body)
    assert link, f"no verification link in:\n{sent.body}"
    visit(page, urlsplit(link.group()).path)
    expect(heading(page)).to_have_text("Confirm Email Address")
    page.get_by_role("button", name="Confirm").click()
    # Confirming in the browser that signed up signs the person in; not a member of any
    # organization yet, they are sent to set one up.
    expect(page).to_have_url(re.compile(r"/organization/$"))
    checked(page)


def set_up_organization(page):
    expect(heading(page)).to_have_text("Your organization")
    create = page.locator(
        "section", has=page.get_by_role("heading", name="Set up a new organization")
    )
    create.get_by_label("Legal name").fill(ORGANIZATION)
    create.get_by_label("Type").select_option(label="Nonprofit")
    create.get_by_label("Address").fill("12 River Road, Hartford, CT 06106")
    create.get_by_role("button", name="Set up organization").click()
    expect(success(page)).to_contain_text(f"{ORGANIZATION} is set up.")
    expect(heading(page)).to_have_text("My requests")
    expect(page.locator("main .empty-state")).to_contain_text(
        "Your organization has no requests yet."
    )
    checked(page)


def start_application(page):
    page.get_by_role("link", name="Start a new request").click()
    expect(heading(page)).to_have_text("Apply for HMIS access")
    expect(page.get_by_text(f"For {ORGANIZATION}.")).to_be_visible()
    checked(page)
    page.get_by_role("button", name="Start the application").click()
    expect(success(page)).to_contain_text("is started")
    step_is(page, "Your organization", 1)
    checked(page)
    return AccessRequest.objects.get(organization__name=ORGANIZATION)


def organization_step_by_keyboard(page):
    expect(page.get_by_text(f"Legal name: {ORGANIZATION}")).to_be_visible()
    choose_option(page, page.get_by_label("Type of organization"), "Health care")
    type_in(
        page,
        page.get_by_label("Address"),
        "12 River Road\nHartford, CT 06106",
        replace=True,
    )
    type_in(page, page.get_by_label("Website"), "www.riverside.example.org")
    funded = page.get_by_label("Funded to provide homeless services")
    tab_to(page, funded)
    # Space ticks and unticks: this organization is not funded for homeless services.
    page.keyboard.press("Space")
    expect(funded).to_be_checked()
    page.keyboard.press("Space")
    expect(funded).not_to_be_checked()
    press_button(page, "Save and continue")
    step_is(page, "Program and people", 2)
    checked(page)


def error_summary_moves_focus_to_its_field(page, field):
    """The 400 page: the error summary at the top links to the field at fault, and following
    the link with the keyboard brings the field into view and the focus to it."""
    expect(page).to_have_title(re.compile(r"^Error: Program and people"))
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("There is a problem")
    expect(summary).to_contain_text("everything you typed is still below")
    link = summary.get_by_role("link", name=re.compile(r"^Contact e-mail address: "))
    expect(link).to_contain_text("Enter a valid email address.")
    expect(field).to_have_attribute("aria-invalid", "true")
    checked(page)

    tab_to(page, link)
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"#id_contact_email$"))
    expect(field).to_be_in_viewport()
    expect(field).to_be_focused()


def people_step_by_keyboard(page):
    """Two people, an e-mail address mistyped first: the 400 page, then put right."""
    type_in(page, page.get_by_label("Program or department that will use HMIS"), PROGRAM)
    type_in(page, page.get_by_label("Contact person for this request"), NEWCOMER["name"])
    contact_email = page.get_by_label("Contact e-mail address")
    type_in(page, contact_email, "robin.riverside.example.org")
    type_in(page, page.get_by_label("Contact phone (optional)"), "860-555-0142")
    fill_person_by_keyboard(page, 1, *PEOPLE[0])
    press_button(page, "Save and add another person")

    error_summary_moves_focus_to_its_field(page, contact_email)
    # Nothing typed was lost.
    expect(page.get_by_label("Program or department that will use HMIS")).to_have_value(PROGRAM)
    expect(person(page, 1).get_by_label("Full name")).to_have_value(PEOPLE[0][0])
    page.keyboard.press("Control+A")
    page.keyboard.type(NEWCOMER["email"])
    expect(contact_email).to_have_value(NEWCOMER["email"])
    press_button(page, "Save and add another person")

    # Back on the same step with a second, empty row to fill.
    expect(page).to_have_url(re.compile(r"/apply/people\?add=1#people-heading$"))
    expect(person(page, 1)).to_have_accessible_name(f"Person 1: {PEOPLE[0][0]}")
    expect(person(page, 2).get_by_label("Full name")).to_have_value("")
    checked(page)
    fill_person_by_keyboard(page, 2, *PEOPLE[1])
    # Enter in a text field continues, as "Save and continue" does: it is the form's first
    # submit button, ahead of "Save and add another person". Back from the access level to
    # the e-mail address typed last, and Enter.
    page.keyboard.press("Shift+Tab")
    expect(person(page, 2).get_by_label("E-mail address")).to_be_focused()
    page.keyboard.press("Enter")
    step_is(page, "Scope and purpose", 3)
    checked(page)


def scope_step_by_keyboard(page):
    choose_radio(
        page,
        group(page, "Where will you use HMIS data?"),
        "In one or more Coordinated Access Networks (CANs)",
    )
    tick(page, group(page, "The CANs").get_by_role("checkbox", name="Greater Hartford"))
    type_in(page, page.get_by_label("What is the purpose of the request?"), PURPOSE)
    type_in(
        page,
        page.get_by_label("How will access help end homelessness?"),
        "Patients leave the hospital to a bed and a housing referral, not to the street.",
    )
    type_in(
        page,
        page.get_by_label("Why do the existing reports not meet your need?"),
        "CTCANDATA.org publishes monthly totals; we need to know who is waiting for housing.",
    )
    press_button(page, "Save and finish later")


def end_first_sitting(page, reference):
    expect(heading(page)).to_have_text("My requests")
    expect(success(page)).to_contain_text(f"{reference} is saved.")
    row = row_of(page, reference)
    expect(row.locator("td.status")).to_have_text("Draft")
    expect(row.get_by_role("link", name=f"Continue {reference}")).to_be_visible()
    checked(page)


def eligibility_step(page):
    step_is(page, "Eligibility", 4)
    checked(page)
    group(page, "Is your need ongoing, or one time only?").get_by_label("Ongoing").check()
    page.get_by_label("How often will you use the data?").fill("Daily, on every discharge")
    page.get_by_label("Which funding requirement").fill(
        "The state respite contract, which requires HMIS reporting."
    )
    page.get_by_label("How does your organization work").fill(
        "Our street medicine team sees 400 people experiencing homelessness a year."
    )
    group(page, "Has your organization had HMIS access before?").get_by_label(
        "No", exact=True
    ).check()
    page.get_by_role("button", name="Save and continue").click()


def research_step_with_attachment(page):
    step_is(page, "Research and documents", 5)
    expect(page.get_by_text("No document is attached yet.")).to_be_visible()
    checked(page)
    group(page, "Are you asking as a researcher?").get_by_label("Yes", exact=True).check()
    group(page, "If yes: would aggregated").get_by_label("No", exact=True).check()
    page.get_by_label("If not: why do you need identified data?").fill(JUSTIFICATION)
    page.get_by_label("Add a supporting document (optional)").set_input_files(
        {"name": "irb-approval.pdf", "mimeType": "application/pdf", "buffer": IRB_APPROVAL}
    )
    page.get_by_label("What the document is (optional)").fill("IRB approval, 2026")
    page.get_by_role("button", name="Save and continue").click()
    step_is(page, "Attestations", 6)
    checked(page)


def attestations_step(page):
    page.get_by_label("Every person named on this request will complete HMIS training").check()
    page.get_by_label("The answers in this application are accurate").check()
    page.get_by_role("button", name="Save and continue").click()


def review_shows_every_answer(page):
    step_is(page, "Review and submit", 7)
    expect(page.get_by_role("heading", name="Still to answer before you can submit")).to_have_count(
        0
    )
    answers = page.locator("main dl.answers")
    for text in [
        ORGANIZATION,
        "Health care",
        "www.riverside.example.org",
        PROGRAM,
        NEWCOMER["email"],
        "860-555-0142",
        f"{PEOPLE[0][0]}, {PEOPLE[0][1]} ({PEOPLE[0][2]}): View only",
        f"{PEOPLE[1][0]}, {PEOPLE[1][1]} ({PEOPLE[1][2]}): Reporting only",
        "Greater Hartford",
        PURPOSE,
        "Ongoing; Daily, on every discharge",
        f"Asks for identified data: {JUSTIFICATION}",
        "Every named person will complete HMIS training.",
        "The answers are accurate.",
    ]:
        expect(answers).to_contain_text(text)
    attachments = page.get_by_role("region", name="Attachments", exact=True)
    expect(attachments.get_by_role("link", name="irb-approval.pdf")).to_be_visible()
    expect(attachments).to_contain_text(f"IRB approval, 2026; added by {NEWCOMER['name']}")
    # Identified data for research is noted under 1.9, and does not stop the submission.
    points = page.get_by_role("region", name="Before you submit, please note")
    expect(points).to_contain_text("You asked for identified data for research.")
    expect(points).to_contain_text("(1.9)")
    expect(page.get_by_role("button", name="Submit the application")).to_be_enabled()
    checked(page)


def test_a_new_requestor_applies_over_two_sittings(
    browser, live_server, catalogue, mailoutbox, settings, tmp_path
):
    settings.PRIVATE_FILES_ROOT = tmp_path / "private"

    # First sitting: sign-up to step 3, with the keyboard alone on the form pages.
    with new_page(browser, live_server) as page:
        sign_up_and_verify(page, mailoutbox)
        set_up_organization(page)
        draft = start_application(page)
        organization_step_by_keyboard(page)
        people_step_by_keyboard(page)
        scope_step_by_keyboard(page)
        end_first_sitting(page, draft.reference)

    draft.refresh_from_db()
    assert draft.status == Status.DRAFT
    assert draft.last_step == "scope"
    assert list(draft.people.order_by("pk").values_list("name", "requested_level")) == [
        (PEOPLE[0][0], AccessLevel.VIEW),
        (PEOPLE[1][0], AccessLevel.REPORTING),
    ]
    assert Organization.objects.get(name=ORGANIZATION).kind == Organization.Kind.HEALTH_CARE

    # Second sitting, on another device: a fresh browser context, signed in again.
    robin = User.objects.get(email=NEWCOMER["email"])
    with new_page(browser, live_server) as page:
        sign_in(page, live_server, robin)
        row_of(page, draft.reference).get_by_role(
            "link", name=f"Continue {draft.reference}"
        ).click()
        # Picked up where the first sitting stopped, with its answers.
        expect(page).to_have_url(re.compile(rf"/r/{draft.reference}/apply/scope$"))
        step_is(page, "Scope and purpose", 3)
        expect(page.get_by_label("What is the purpose of the request?")).to_have_value(PURPOSE)
        expect(page.get_by_role("checkbox", name="Greater Hartford")).to_be_checked()
        checked(page)
        page.get_by_role("button", name="Save and continue").click()

        eligibility_step(page)
        research_step_with_attachment(page)
        attestations_step(page)
        review_shows_every_answer(page)

        press_button(page, "Submit the application")
        expect(success(page)).to_contain_text(f"{draft.reference} is submitted.")
        expect(heading(page)).to_have_text(draft.reference)
        expect(status(page)).to_have_text("Submitted")
        checked(page)

        visit(page, "/requests/")
        expect(row_of(page, draft.reference).locator("td.status")).to_have_text("Submitted")

    draft.refresh_from_db()
    assert draft.status == Status.SUBMITTED
    (attachment,) = draft.attachments.all()
    assert attachment.original_name == "irb-approval.pdf"
    assert attachment.content_type == "application/pdf"
    assert attachment.file.read() == IRB_APPROVAL


# 2. A request returned with a question: answered, changed and resubmitted.


def test_a_returned_request_is_answered_and_resubmitted(page, live_server, personas, journey):
    returned = workflow.return_for_information(
        workflow.start_screening(journey.submitted(program="Behavioral health"), personas.sam),
        personas.sam,
        QUESTION,
    )
    reference = returned.reference
    sign_in(page, live_server, personas.riley)
    row = row_of(page, reference)
    expect(row.locator("td.status")).to_have_text("Returned for information")

    row.get_by_role("link", name=reference, exact=True).click()
    expect(heading(page)).to_have_text(reference)
    expect(status(page)).to_have_text("Returned for information")
    asked = page.get_by_role("region", name="CCEH staff asked you a question")
    expect(asked).to_contain_text(QUESTION)
    expect(asked).to_contain_text("Asked by Sam Staff")
    checked(page)

    # Change an answer on a step: the question stays in view there.
    page.get_by_role("link", name="Change your answers").click()
    step_is(page, "Your organization", 1)
    checked(page)
    page.get_by_role("navigation", name="Application steps").get_by_role(
        "link", name="Scope and purpose"
    ).click()
    step_is(page, "Scope and purpose", 3)
    expect(page.get_by_role("region", name="CCEH staff asked you a question")).to_contain_text(
        QUESTION
    )
    checked(page)
    purpose = page.get_by_label("What is the purpose of the request?")
    changed = "Coordinate discharge planning from the cardiac and the emergency units."
    type_in(page, purpose, changed, replace=True)
    press_button(page, "Save and continue")
    step_is(page, "Eligibility", 4)
    checked(page)

    page.get_by_role("region", name="CCEH staff asked you a question").get_by_role(
        "link", name="review page"
    ).click()
    step_is(page, "Review and submit", 7)
    expect(page.locator("main dl.answers")).to_contain_text(changed)
    expect(page.get_by_role("region", name="CCEH staff asked you a question")).to_contain_text(
        QUESTION
    )
    expect(page.get_by_role("heading", name="Answer and resubmit")).to_be_visible()
    checked(page)

    answer = "The cardiac unit and the emergency department; the purpose now says so."
    type_in(page, page.get_by_label("Your answer to CCEH's question"), answer)
    press_button(page, "Resubmit with my answer")
    expect(success(page)).to_have_text(f"{reference} is back with CCEH staff, with your answer.")
    expect(status(page)).to_have_text("Submitted")
    # The requestor's own page names the other side: CCEH.
    messages = page.get_by_role("region", name="Messages with CCEH")
    expect(messages.get_by_label("Message to CCEH staff")).to_be_visible()
    expect(messages).to_contain_text(answer)
    expect(messages).to_contain_text(personas.riley.name)
    expect(page.get_by_role("region", name="CCEH staff asked you a question")).to_have_count(0)
    checked(page)

    returned.refresh_from_db()
    assert returned.status == Status.SUBMITTED
    assert returned.purpose == changed


# 3. A request withdrawn, after the confirmation page.


def test_a_request_is_withdrawn_after_confirming(page, live_server, personas, journey):
    chosen = journey.submitted(program="Billing audit")
    sign_in(page, live_server, personas.riley)
    visit(page, chosen.get_absolute_url())
    expect(heading(page)).to_have_text(chosen.reference)
    expect(status(page)).to_have_text("Submitted")

    page.get_by_role("link", name="Withdraw the request").click()
    expect(heading(page)).to_have_text(f"Withdraw {chosen.reference}?")
    expect(page.get_by_text("it cannot be reopened")).to_be_visible()
    checked(page)

    type_in(
        page,
        page.get_by_label("Why are you withdrawing it? (optional)"),
        "The audit is covered by a custom report.",
    )
    press_button(page, "Yes, withdraw it")
    expect(success(page)).to_have_text(f"{chosen.reference} is withdrawn.")
    expect(heading(page)).to_have_text(chosen.reference)
    expect(status(page)).to_have_text("Withdrawn")
    expect(page.get_by_role("link", name="Withdraw the request")).to_have_count(0)
    checked(page)

    visit(page, "/requests/")
    expect(row_of(page, chosen.reference).locator("td.status")).to_have_text("Withdrawn")
    chosen.refresh_from_db()
    assert chosen.status == Status.WITHDRAWN


# 4. A member's organization page: who is in it, who asks to join, the other forms folded.


def test_a_member_sees_the_organization_and_accepts_a_colleague(page, live_server, personas):
    hopeful = MembershipFactory(
        organization=personas.harbor,
        state=Membership.State.PENDING,
        user__name="Jo Newcomer",
        user__email="jo@harbor.example.org",
    )
    sign_in(page, live_server, personas.riley)
    visit(page, "/organization/")
    expect(heading(page)).to_have_text("Your organization")
    expect(page.get_by_role("heading", level=2, name="Harbor Health Partners")).to_be_visible()
    members = page.get_by_role("table", name="1 member")
    expect(members.locator("tbody tr")).to_have_text(
        [f"Riley Requestor (you) {personas.riley.email} Member"]
    )
    # The forms to set up or join another organization are folded until asked for.
    expect(page.get_by_role("heading", name="Set up a new organization")).to_be_hidden()

    press_button(page, "Accept Jo Newcomer")
    expect(success(page)).to_have_text("Jo Newcomer is now a member of Harbor Health Partners.")
    expect(page.get_by_role("table", name="2 members").locator("tbody tr")).to_have_count(2)
    expect(page.get_by_text("Nobody is asking to join.")).to_be_visible()
    checked(page)

    summary = page.get_by_text("Set up or join another organization")
    tab_to(page, summary)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Set up a new organization")).to_be_visible()
    checked(page)
    hopeful.refresh_from_db()
    assert (hopeful.state, hopeful.accepted_by) == (Membership.State.ACTIVE, personas.riley)
