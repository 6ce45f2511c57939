"""The MOU and grant journey, in Chromium: after an approval, Riley follows the
e-mail to the MOU, downloads version 1 and signs it for Harbor Health Partners, after a first
try refused for the unticked statement; Sam follows the "signed" e-mail, countersigns and
records each person's training; each person signs their own user agreement on their page; Sam
activates them, then gives them their HMIS accounts from the provisioning list and its CSV;
Riley downloads the executed version 3, which carries both signatures. Every page reached is
checked with axe-core against WCAG 2.0/2.1/2.2 A and AA, and for
Content-Security-Policy breaches."""

import csv
import datetime
import io
import re
from pathlib import Path
from urllib.parse import urlsplit

import pypdf
import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from requests_app import workflow
from requests_app.core.states import AgreementStatus
from requests_app.models import Agreement, MOUVersion, Signature
from tests.support.e2e import assert_accessible, assert_no_csp_violations, login, new_page, visit
from tests.support.journey import account_of

pytestmark = pytest.mark.journey_grant

RILEY_TITLE = "Director of Community Programs"
SAM_TITLE = "HMIS System Administrator"
COURSE = "CT HMIS new user training"
LINK = re.compile(r"https?://\S+")


# Checks


def checked(page):
    """The page as it is now passes axe and broke no Content-Security-Policy rule."""
    assert_no_csp_violations(page)
    assert_accessible(page)


def heading(page):
    return page.get_by_role("heading", level=1)


def success(page):
    return page.get_by_role("status")


def agreement_status(page):
    return page.locator("main .agreement-status")


def on_mou_page(page, reference):
    expect(page).to_have_url(re.compile(rf"/r/{reference}/mou/$"))
    expect(heading(page)).to_have_text("Memorandum of Understanding")
    expect(page.get_by_role("link", name=reference, exact=True)).to_be_visible()


def person_row(page, name):
    return page.locator("main table.mou-people tbody tr", has_text=name)


def version_link(page, number):
    return page.get_by_role("link", name=re.compile(rf"^Version {number} \(PDF, "))


def emailed_link(user, subject):
    """The link in the newest e-mail to `user` whose subject contains `subject`."""
    sent = [m for m in mail.outbox if m.to == [user.email] and subject in m.subject]
    assert sent, f"no e-mail to {user.email} about {subject!r}: " + repr(
        [(m.to, m.subject) for m in mail.outbox]
    )
    link = LINK.search(sent[-1].body)
    assert link, f"no link in:\n{sent[-1].body}"
    return link.group()


def pdf_text(data):
    """The PDF's text, every page, with line breaks and spacing folded."""
    reader = pypdf.PdfReader(io.BytesIO(data))
    text = " ".join(p.extract_text() for p in reader.pages).replace("-\n", "-")
    return " ".join(text.split())


def download(page, link):
    """Clicks `link`, waits for the download and returns its suggested name and its bytes."""
    with page.expect_download() as started:
        link.click()
    got = started.value
    assert got.failure() is None, got.failure()
    return got.suggested_filename, Path(got.path()).read_bytes()


# Set-up


@pytest.fixture
def approved(journey, personas, settings, tmp_path, django_capture_on_commit_callbacks):
    """An approved request of Harbor Health Partners naming two people, with its MOU issued
    and version 1 rendered and stored (the rendering runs after the approval commits)."""
    settings.PRIVATE_FILES_ROOT = tmp_path / "private"
    with django_capture_on_commit_callbacks(execute=True):
        request = journey.approved(people=2, program="Medical respite")
    agreement = Agreement.objects.get(request=request)
    assert agreement.status == AgreementStatus.ISSUED
    assert list(agreement.mous.values_list("version", flat=True)) == [1]
    return request


# 1. Riley signs for the organization.


def riley_opens_the_mou(page, live_server, personas, request):
    login(page, live_server, personas.riley)
    # The approval e-mailed the requestors that the MOU is ready to sign; its link leads there.
    link = emailed_link(personas.riley, f"MOU for {request.reference} ready to sign")
    assert urlsplit(link).path == f"/r/{request.reference}/mou/"
    visit(page, link)
    on_mou_page(page, request.reference)
    expect(agreement_status(page)).to_have_text("Issued: waiting for the organization's signature")

    # The same page from the request's own page.
    page.get_by_role("link", name=request.reference, exact=True).click()
    expect(heading(page)).to_have_text(request.reference)
    mou = page.get_by_role("region", name="The MOU")
    expect(mou).to_contain_text("Issued: waiting for the organization's signature")
    checked(page)
    mou.get_by_role("link", name="Open the MOU and the access it grants").click()
    on_mou_page(page, request.reference)
    checked(page)


def riley_downloads_version_1(page, request):
    versions = page.locator("main table.mou-versions tbody tr")
    expect(versions).to_have_count(1)
    expect(versions).to_contain_text("Issued")
    name, data = download(page, version_link(page, 1))
    assert name == f"{request.reference}-MOU-v1.pdf"
    assert data.startswith(b"%PDF")
    assert request.reference in pdf_text(data)
    assert data == MOUVersion.objects.get(agreement__request=request, version=1).file.read()


def sign_form(page):
    return page.locator("form", has=page.get_by_role("button", name="Sign the MOU"))


def riley_signs_after_a_refusal(page, personas, request):
    form = sign_form(page)
    full_name = form.get_by_label("Your full name, typed as your signature")
    title = form.get_by_label("Your title")
    statement = form.get_by_role("checkbox", name=re.compile(r"^I am authorized to sign"))
    expect(statement).to_have_accessible_name(re.compile(r"for Harbor Health Partners, and I"))
    # The person's own name is offered.
    expect(full_name).to_have_value(personas.riley.name)

    # The 400 page: the statement left unticked.
    full_name.fill("Riley Q. Requestor")
    title.fill(RILEY_TITLE)
    expect(statement).not_to_be_checked()
    form.get_by_role("button", name="Sign the MOU").click()
    form = sign_form(page)
    expect(form.get_by_role("alert")).to_have_text("Please correct the marked fields.")
    statement = form.get_by_role("checkbox", name=re.compile(r"^I am authorized to sign"))
    expect(statement).to_have_attribute("aria-invalid", "true")
    expect(form.locator(".invalid-feedback")).to_have_text("This field is required.")
    expect(agreement_status(page)).to_have_text("Issued: waiting for the organization's signature")
    # What was typed is kept.
    full_name = form.get_by_label("Your full name, typed as your signature")
    expect(full_name).to_have_value("Riley Q. Requestor")
    expect(form.get_by_label("Your title")).to_have_value(RILEY_TITLE)
    checked(page)
    assert not Signature.objects.filter(agreement__request=request).exists()

    full_name.fill(personas.riley.name)
    statement.check()
    form.get_by_role("button", name="Sign the MOU").click()
    expect(success(page)).to_have_text("You signed the MOU. CCEH staff countersign it next.")
    on_mou_page(page, request.reference)
    expect(agreement_status(page)).to_have_text(
        "Signed by the organization: waiting for CCEH's countersignature"
    )
    expect(page.get_by_role("button", name="Sign the MOU")).to_have_count(0)
    expect(
        page.locator("main section", has=page.get_by_role("heading", name="The MOU"))
    ).to_contain_text(f"{personas.riley.name}, {RILEY_TITLE}, on")
    # The signed MOU is version 2.
    expect(page.locator("main table.mou-versions tbody tr")).to_have_count(2)
    checked(page)


# 2. Sam countersigns, records training, activates and provisions.


def sam_countersigns(page, live_server, personas, request):
    login(page, live_server, personas.sam)
    link = emailed_link(personas.sam, f"MOU for {request.reference} signed: countersign it")
    visit(page, link)
    on_mou_page(page, request.reference)
    expect(agreement_status(page)).to_have_text(
        "Signed by the organization: waiting for CCEH's countersignature"
    )
    form = page.locator("form", has=page.get_by_role("button", name="Countersign the MOU"))
    expect(form.get_by_label("Your full name, typed as your signature")).to_have_value(
        personas.sam.name
    )
    form.get_by_label("Your title").fill(SAM_TITLE)
    form.get_by_role(
        "checkbox", name="I countersign this Memorandum of Understanding for CCEH."
    ).check()
    form.get_by_role("button", name="Countersign the MOU").click()
    expect(success(page)).to_have_text(
        "You countersigned the MOU. Record each person's training to activate their access."
    )
    expect(agreement_status(page)).to_have_text("Executed: waiting for training and activation")
    expect(page.locator("main table.mou-versions tbody tr")).to_have_count(3)
    checked(page)


def sam_records_training(page, people):
    completed = timezone.localdate() - datetime.timedelta(days=3)
    for person in people:
        expect(person_row(page, person.name).locator("td").nth(2)).to_have_text("Not recorded yet")
        form = page.locator("form", has=page.get_by_role("button", name="Record the training"))
        form.get_by_role("combobox", name=re.compile(r"^Person\b")).select_option(label=person.name)
        form.get_by_label("Completed on").fill(completed.isoformat())
        course = form.get_by_label("Course")
        expect(course).to_have_value(COURSE)
        course.fill(COURSE)
        form.get_by_role("button", name="Record the training").click()
        expect(success(page)).to_have_text("The training is recorded.")
        row = person_row(page, person.name)
        until = workflow.add_months(completed, 12)
        expect(row.locator("td").nth(2)).to_have_text(
            f"{COURSE}, {completed:%b} {completed.day}, {completed:%Y} "
            f"Current until {until:%b} {until.day}, {until:%Y}"
        )
        # Training before access: the person's own user agreement is still to come.
        expect(row.locator("td.agreement-state")).to_have_text("Not signed yet")
        expect(row.locator("td.access-state")).to_have_text("Not active yet")
        checked(page)


def person_signs_the_user_agreement(page, live_server, person):
    """The named person signs in with the address the MOU names them by and signs their own
    user agreement on their page, reached from the navigation."""
    login(page, live_server, account_of(person))
    page.get_by_role("link", name="My user agreement").click()
    expect(heading(page)).to_have_text("Your HMIS user agreement")
    checked(page)
    form = page.locator("form", has=page.get_by_role("button", name="Sign the user agreement"))
    expect(form.get_by_label("Your full name, typed as your signature")).to_have_value(person.name)
    form.get_by_role(
        "checkbox", name="I have read the HMIS user agreement above and will keep it."
    ).check()
    form.get_by_role("button", name="Sign the user agreement").click()
    expect(success(page)).to_have_text(
        f"You signed the HMIS user agreement for {person.request.organization.name}."
    )
    today = timezone.localdate()
    expect(page.locator("main td.agreement-state")).to_contain_text(
        f"Signed {today:%b} {today.day}, {today:%Y}"
    )
    checked(page)


def sam_sees_everyone_ready(page, live_server, personas, request, people):
    login(page, live_server, personas.sam)
    visit(page, f"/r/{request.reference}/mou/")
    for person in people:
        expect(person_row(page, person.name).locator("td.access-state")).to_have_text(
            "Not active yet (ready)"
        )


def sam_activates(page, people):
    page.get_by_role("button", name="Activate those who are ready").click()
    expect(success(page)).to_have_text(
        "Access is active for everyone ready. They appear on the provisioning list."
    )
    expect(agreement_status(page)).to_have_text("Active")
    for person in people:
        expect(person_row(page, person.name).locator("td.access-state")).to_have_text(
            "Active: waiting for an HMIS account"
        )
    expect(page.get_by_text("Access runs until")).to_be_visible()
    checked(page)


def sam_provisions(page, request, people):
    visit(page, "/provisioning/")
    expect(heading(page)).to_have_text("Provisioning")
    rows = page.locator("main table.provisioning tbody tr")
    expect(rows).to_have_count(len(people))
    for person in people:
        row = rows.filter(has_text=person.name)
        expect(row).to_contain_text(person.email)
        expect(row).to_contain_text("Harbor Health Partners")
        expect(row).to_contain_text("Reporting only")
        expect(row.get_by_role("link", name=f"{request.reference} v3")).to_be_visible()

    name, data = download(page, page.get_by_role("link", name="Download as CSV"))
    assert name == f"hmis-provisioning-{timezone.localdate():%Y-%m-%d}.csv"
    table = list(csv.DictReader(io.StringIO(data.decode("utf-8"))))
    assert sorted((r["Name"], r["E-mail"], r["MOU"]) for r in table) == sorted(
        (p.name, p.email, f"{request.reference} v3") for p in people
    )
    assert {r["Organization"] for r in table} == {"Harbor Health Partners"}

    for person in people:
        page.get_by_role("checkbox", name=f"Mark {person.name} as given an account").check()
    page.get_by_role("button", name="Mark the ticked people as given an account").click()
    expect(success(page)).to_have_text(f"Marked {len(people)} people as given an HMIS account.")
    expect(page.locator("main table.provisioning")).to_have_count(0)
    expect(page.get_by_text("Nobody is waiting for an HMIS account.")).to_be_visible()
    expect(page.get_by_role("link", name="Download as CSV")).to_have_count(0)
    checked(page)

    visit(page, f"/r/{request.reference}/mou/")
    for person in people:
        expect(person_row(page, person.name).locator("td.access-state")).to_have_text(
            "Account given"
        )


# 3. Riley downloads the executed MOU.


def riley_downloads_the_executed_mou(page, live_server, personas, request):
    login(page, live_server, personas.riley)
    # Riley heard of the countersignature and of the activation, each e-mail linking to the
    # MOU; the newest leads there.
    countersigned = emailed_link(personas.riley, f"MOU for {request.reference} countersigned")
    active = emailed_link(personas.riley, f"Access under {request.reference} active")
    assert countersigned == active
    assert urlsplit(active).path == f"/r/{request.reference}/mou/"
    visit(page, active)
    on_mou_page(page, request.reference)
    expect(agreement_status(page)).to_have_text("Active")
    executed = page.locator("main table.mou-versions tbody tr").nth(2)
    expect(executed).to_contain_text("Executed")
    name, data = download(page, version_link(page, 3))
    assert name == f"{request.reference}-MOU-v3.pdf"
    assert data.startswith(b"%PDF")
    text = pdf_text(data)
    assert request.reference in text
    assert personas.riley.name in text
    assert personas.sam.name in text
    assert RILEY_TITLE in text
    assert SAM_TITLE in text


@pytest.mark.pdf
def test_the_mou_is_signed_countersigned_and_the_access_activated_and_provisioned(
    browser, live_server, personas, approved, mailoutbox
):
    request = approved
    people = list(request.people.order_by("pk"))
    assert len(people) == 2

    with new_page(browser, live_server) as page:
        riley_opens_the_mou(page, live_server, personas, request)
        riley_downloads_version_1(page, request)
        riley_signs_after_a_refusal(page, personas, request)

    agreement = Agreement.objects.get(request=request)
    assert agreement.status == AgreementStatus.SIGNED
    assert list(agreement.mous.values_list("version", flat=True)) == [1, 2]

    with new_page(browser, live_server) as page:
        sam_countersigns(page, live_server, personas, request)
        sam_records_training(page, people)

    for person in people:
        with new_page(browser, live_server) as page:
            person_signs_the_user_agreement(page, live_server, person)

    with new_page(browser, live_server) as page:
        sam_sees_everyone_ready(page, live_server, personas, request, people)
        sam_activates(page, people)
        sam_provisions(page, request, people)

    agreement.refresh_from_db()
    assert agreement.status == AgreementStatus.ACTIVE
    assert list(agreement.mous.values_list("version", flat=True)) == [1, 2, 3]
    assert all(a.provisioned_by == personas.sam for a in agreement.people.all())

    with new_page(browser, live_server) as page:
        riley_downloads_the_executed_mou(page, live_server, personas, request)


def test_a_refused_signature_says_so_in_the_page_title(browser, live_server, personas, approved):
    """Like the application's steps, a page sent back with errors starts its title with
    "Error:", the first thing a screen reader announces after the form is sent."""
    with new_page(browser, live_server) as page:
        login(page, live_server, personas.riley)
        visit(page, f"/r/{approved.reference}/mou/")
        form = sign_form(page)
        form.get_by_label("Your title").fill(RILEY_TITLE)
        form.get_by_role("button", name="Sign the MOU").click()
        form = sign_form(page)
        expect(form.get_by_role("alert")).to_have_text("Please correct the marked fields.")
        checked(page)
        expect(page).to_have_title(re.compile(r"^Error: MOU of "))
