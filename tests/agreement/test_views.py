"""The MOU page and its forms, read as a person reads them: downloads of each stored
version to exactly those who see the request; each form's refusals with what was typed kept; a
page read before someone else changed the MOU; the forms each persona is offered in each
status; staff's provisioning list and its CSV; and the page's query count, which does not grow
with the number of people."""

import csv
import datetime
import hashlib
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from requests_app import workflow
from requests_app.agreement import views as agreement_views
from requests_app.core import actions
from requests_app.core.states import AccessLevel, AgreementStatus
from requests_app.models import PersonAccess, Signature, Training
from tests.support.factories import MembershipFactory
from tests.support.journey import ADA, BO, COURSE, CY, IP, RILEY_TITLE, SAM_TITLE, fresh
from tests.support.pages import pages_of, parsed
from tests.support.pdf import stored_bytes, text_of

FULL, VIEW, REPORTING = AccessLevel.FULL, AccessLevel.VIEW, AccessLevel.REPORTING
# The one stale-page message of every page: what the MOU is now, in the status's words.
STALE = (
    "Someone else changed this MOU while you were looking at it: it is now {status}. Reload the "
    "page to see what changed."
)
REQUIRED = "This field is required."


@pytest.fixture(autouse=True)
def private_files(settings, tmp_path):
    settings.PRIVATE_FILES_ROOT = tmp_path / "private"


def page_url(agreement):
    return reverse("agreement", args=[agreement.request.reference])


def post(client, agreement, name, data, seen=True):
    """Post a form of the MOU page with its prefix, and the page's `seen` unless told not to."""
    prefix = name.split("/")[-1]
    if name in ("sign", "countersign") and (current := fresh(agreement).current_mou()):
        # The page gives the signer the version they read and its hash, in hidden fields.
        data = {"mou_version": current.version, "mou_sha256": current.sha256, **data}
    fields = {f"{prefix}-{k}": v for k, v in data.items()}
    if seen is True:
        fields["seen"] = actions.version(fresh(agreement))
    elif seen:
        fields["seen"] = seen
    return client.post(reverse(name, args=[agreement.request.reference]), fields)


def offered(response, agreement):
    """The forms on the MOU page, by what they post to: "sign", "training", "renew" ..."""
    prefix = f"/r/{agreement.request.reference}/mou/"
    return sorted(
        form.attrs["action"].removeprefix(prefix)
        for form in parsed(response).find_all("form")
        if form.attrs.get("action", "").startswith(prefix)
    )


def form_posting_to(response, agreement, action):
    forms = [
        form
        for form in parsed(response).find_all("form")
        if form.attrs.get("action") == f"/r/{agreement.request.reference}/mou/{action}"
    ]
    assert len(forms) == 1, f"{len(forms)} forms post to {action}"
    return forms[0]


def refusals_in(form):
    """The sentences of the form's red box, one per refusal."""
    alert = form.find(cls="alert-danger")
    return [li.text for li in alert.find_all("li")] if alert else []


def field_errors(form):
    return sorted(
        (p.attrs["id"], p.text)
        for p in form.find_all("p")
        if p.attrs.get("id", "").startswith("error_")
    )


def value_of(form, name):
    element = form.find("input", name=name)
    if element is not None:
        return element.attrs.get("value", "")
    element = form.find("textarea", name=name)
    if element is not None:
        return element.text
    select = form.find("select", name=name)
    return next(o.attrs["value"] for o in select.find_all("option") if "selected" in o.attrs)


# Downloads of each stored version.


@pytest.mark.parametrize(
    ("persona", "status_code"),
    [("riley", 200), ("sam", 200), ("lee", 200), ("quinn", 404), ("pat", 404)],
)
def test_a_version_downloads_to_those_who_see_the_request_only(
    client, stage, personas, persona, status_code
):
    agreement = stage.issued()
    mou = agreement.mous.get()
    client.force_login(personas.by_name(persona))

    response = client.get(reverse("mou_download", args=[agreement.request.reference, 1]))

    assert response.status_code == status_code
    if status_code == 200:
        content = b"".join(response.streaming_content)
        assert (response["Content-Type"], response["Content-Disposition"]) == (
            "application/pdf",
            f'attachment; filename="{agreement.request.reference}-MOU-v1.pdf"',
        )
        assert hashlib.sha256(content).hexdigest() == mou.sha256


def test_an_anonymous_visitor_is_sent_to_sign_in(client, stage):
    agreement = stage.issued()

    response = client.get(reverse("mou_download", args=[agreement.request.reference, 1]))

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


def test_an_old_version_still_downloads_unchanged_after_a_correction(client, stage, personas):
    agreement = stage.issued()
    ada = agreement.request.people.get()
    v1 = stored_bytes(agreement.mous.get())
    with stage.capture(execute=True):
        workflow.amend_mou(agreement, personas.sam, "Lower level.", levels={ada: REPORTING})
    client.force_login(personas.riley)

    old = client.get(reverse("mou_download", args=[agreement.request.reference, 1]))
    new = client.get(reverse("mou_download", args=[agreement.request.reference, 2]))
    missing = client.get(reverse("mou_download", args=[agreement.request.reference, 3]))

    assert (old.status_code, new.status_code, missing.status_code) == (200, 200, 404)
    old_content, new_content = b"".join(old.streaming_content), b"".join(new.streaming_content)
    assert old_content == v1
    assert hashlib.sha256(new_content).hexdigest() == agreement.mous.get(version=2).sha256
    assert old_content != new_content


def test_a_request_without_an_mou_has_no_mou_page(client, journey, personas):
    request = journey.submitted()
    client.force_login(personas.sam)

    assert client.get(reverse("agreement", args=[request.reference])).status_code == 404


@pytest.mark.parametrize("persona", ["quinn", "pat", "morgan"])
def test_the_mou_page_is_not_found_for_those_who_do_not_see_the_request(
    client, stage, personas, persona
):
    agreement = stage.issued()
    client.force_login(personas.by_name(persona))

    assert client.get(page_url(agreement)).status_code == 404


# Signing and countersigning through the page.


def test_the_requestor_signs_through_the_page_and_the_address_is_recorded(
    client, stage, personas, django_capture_on_commit_callbacks
):
    agreement = stage.issued()
    client.force_login(personas.riley)

    with django_capture_on_commit_callbacks(execute=True):
        response = post(
            client,
            agreement,
            "sign",
            {"full_name": "Riley Requestor", "title": RILEY_TITLE, "affirmed": "on"},
        )

    assert (response.status_code, response["Location"]) == (302, page_url(agreement))
    signature = Signature.objects.get()
    assert (signature.full_name, signature.title, signature.ip_address, signature.signer) == (
        "Riley Requestor",
        RILEY_TITLE,
        "127.0.0.1",
        personas.riley,
    )
    assert fresh(agreement).status == AgreementStatus.SIGNED
    page = client.get(page_url(agreement))
    assert parsed(page).find("div", role="status").text == (
        "You signed the MOU. CCEH staff countersign it next."
    )


def test_the_address_recorded_is_the_one_the_request_came_from(client, stage, personas):
    agreement = stage.issued()
    client.force_login(personas.riley)

    client.post(
        reverse("sign", args=[agreement.request.reference]),
        {
            "seen": actions.version(agreement),
            "sign-mou_version": agreement.current_mou().version,
            "sign-mou_sha256": agreement.current_mou().sha256,
            "sign-full_name": "Riley Requestor",
            "sign-title": RILEY_TITLE,
            "sign-affirmed": "on",
        },
        REMOTE_ADDR=IP,
    )

    assert Signature.objects.get().ip_address == IP


@pytest.mark.pdf
def test_staff_countersign_through_the_page(
    client, stage, personas, django_capture_on_commit_callbacks
):
    agreement = stage.signed()
    client.force_login(personas.sam)

    with django_capture_on_commit_callbacks(execute=True):
        response = post(
            client,
            agreement,
            "countersign",
            {"full_name": "Sam Staff", "title": SAM_TITLE, "affirmed": "on"},
        )

    assert response.status_code == 302
    agreement = fresh(agreement)
    assert agreement.status == AgreementStatus.EXECUTED
    text, _pages = text_of(stored_bytes(agreement.current_mou()))
    assert ("/s/ Riley Requestor" in text, "/s/ Sam Staff" in text) == (True, True)


# Each form's bad input: 400, the error shown, what was typed kept.


def test_a_signature_without_the_affirmation_is_refused_with_the_typed_values_kept(
    client, stage, personas
):
    agreement = stage.issued()
    client.force_login(personas.riley)

    response = post(client, agreement, "sign", {"full_name": "Riley Q. Requestor", "title": ""})

    assert response.status_code == 400
    form = form_posting_to(response, agreement, "sign")
    assert field_errors(form) == [
        ("error_1_id_sign-affirmed", REQUIRED),
        ("error_1_id_sign-title", REQUIRED),
    ]
    assert value_of(form, "sign-full_name") == "Riley Q. Requestor"
    assert (fresh(agreement).status, Signature.objects.count()) == (AgreementStatus.ISSUED, 0)


def test_a_countersignature_without_a_title_is_refused_with_the_typed_values_kept(
    client, stage, personas
):
    agreement = stage.signed()
    client.force_login(personas.sam)

    response = post(
        client, agreement, "countersign", {"full_name": "Sam Q. Staff", "affirmed": "on"}
    )

    assert response.status_code == 400
    form = form_posting_to(response, agreement, "countersign")
    assert field_errors(form) == [("error_1_id_countersign-title", REQUIRED)]
    assert value_of(form, "countersign-full_name") == "Sam Q. Staff"
    assert fresh(agreement).status == AgreementStatus.SIGNED


def test_a_correction_without_a_reason_is_refused_with_the_typed_values_kept(
    client, stage, personas
):
    agreement = stage.issued()
    ada = agreement.request.people.get()
    client.force_login(personas.sam)

    response = post(
        client,
        agreement,
        "amend",
        {f"name_{ada.pk}": "Ada Q. Analyst", f"level_{ada.pk}": REPORTING, "reason": ""},
    )

    assert response.status_code == 400
    form = form_posting_to(response, agreement, "amend")
    assert field_errors(form) == [("error_1_id_amend-reason", REQUIRED)]
    assert (value_of(form, f"amend-name_{ada.pk}"), value_of(form, f"amend-level_{ada.pk}")) == (
        "Ada Q. Analyst",
        REPORTING,
    )
    assert agreement.mous.count() == 1


def test_a_correction_that_changes_nothing_is_refused_in_words(client, stage, personas):
    agreement = stage.issued()
    ada = agreement.request.people.get()
    client.force_login(personas.sam)

    response = post(
        client,
        agreement,
        "amend",
        {f"name_{ada.pk}": "Ada Analyst", f"level_{ada.pk}": VIEW, "reason": "Checking."},
    )

    assert response.status_code == 400
    form = form_posting_to(response, agreement, "amend")
    assert refusals_in(form) == ["Nothing differs from the MOU as it is."]
    assert value_of(form, "amend-reason") == "Checking."


def test_a_training_dated_in_the_future_is_refused_with_the_typed_values_kept(
    client, stage, personas
):
    agreement = stage.executed()
    ada = agreement.request.people.get()
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    client.force_login(personas.sam)

    response = post(
        client,
        agreement,
        "training",
        {"person": ada.pk, "completed_on": tomorrow.isoformat(), "course": "Advanced reports"},
    )

    assert response.status_code == 400
    form = form_posting_to(response, agreement, "training")
    assert refusals_in(form) == ["The training date cannot be in the future."]
    assert (
        value_of(form, "training-course"),
        value_of(form, "training-completed_on"),
        value_of(form, "training-person"),
    ) == ("Advanced reports", tomorrow.isoformat(), str(ada.pk))
    assert Training.objects.count() == 0
    # The page's own summary says the same.
    summary = parsed(response).find("div", id="error-summary")
    assert [li.text for li in summary.find_all("li")] == [
        "The training date cannot be in the future."
    ]


def test_a_training_of_a_person_the_mou_does_not_name_is_refused(client, stage, personas):
    agreement = stage.executed()
    other = stage.journey.draft().people.get()
    client.force_login(personas.sam)

    response = post(
        client,
        agreement,
        "training",
        {"person": other.pk, "completed_on": timezone.localdate().isoformat(), "course": COURSE},
    )

    assert response.status_code == 400
    form = form_posting_to(response, agreement, "training")
    assert field_errors(form) == [
        (
            "error_1_id_training-person",
            f"Select a valid choice. {other.pk} is not one of the available choices.",
        )
    ]
    assert Training.objects.count() == 0


def test_activating_some_without_a_note_is_refused_naming_who_waits(client, stage, personas):
    agreement = stage.executed(people=(ADA, BO))
    agreement = stage.train(agreement, agreement.request.people.get(name="Ada Analyst"))
    client.force_login(personas.sam)

    response = post(client, agreement, "activate", {"note": "  "})

    assert response.status_code == 400
    form = form_posting_to(response, agreement, "activate")
    assert refusals_in(form) == [
        "Not everyone is ready (Bo Builder needs current training and a signed user agreement): "
        "write a note to activate those who are."
    ]
    assert PersonAccess.objects.filter(activated_at__isnull=False).count() == 0


def test_a_revocation_without_a_reason_is_refused_with_the_choice_kept(client, stage, personas):
    agreement = stage.active(people=(ADA, BO))
    bo = agreement.request.people.get(name="Bo Builder")
    client.force_login(personas.sam)

    response = post(client, agreement, "revoke", {"whom": str(bo.pk), "reason": ""})

    assert response.status_code == 400
    form = form_posting_to(response, agreement, "revoke")
    assert field_errors(form) == [("error_1_id_revoke-reason", REQUIRED)]
    checked = [
        i.attrs["value"] for i in form.find_all("input", name="revoke-whom") if "checked" in i.attrs
    ]
    assert checked == [str(bo.pk)]
    assert fresh(agreement).status == AgreementStatus.ACTIVE


def test_revoking_one_person_through_the_page(client, stage, personas):
    agreement = stage.active(people=(ADA, BO))
    bo = agreement.request.people.get(name="Bo Builder")
    client.force_login(personas.sam)

    response = post(client, agreement, "revoke", {"whom": str(bo.pk), "reason": "Left."})

    assert response.status_code == 302
    assert {a.person.name: a.state_label() for a in fresh(agreement).people.all()} == {
        "Ada Analyst": "Active: waiting for an HMIS account",
        "Bo Builder": "Revoked",
    }


@pytest.mark.parametrize(
    ("name", "persona", "data"),
    [
        ("sign", "riley", {"full_name": "Riley", "title": RILEY_TITLE, "affirmed": "on"}),
        ("amend", "sam", {"reason": "Lower level."}),
        ("training", "sam", {"course": COURSE}),
    ],
)
def test_a_page_read_before_someone_else_changed_the_mou_is_refused(
    client, stage, personas, name, persona, data
):
    agreement = stage.issued()
    seen = actions.version(agreement)
    if name != "sign":
        stage.sign(agreement)
    else:
        # Staff corrected it meanwhile: a version 2 the requestor has not read.
        ada = agreement.request.people.get()
        with stage.capture(execute=True):
            workflow.amend_mou(agreement, personas.sam, "Lower.", levels={ada: REPORTING})
    agreement = fresh(agreement)
    person = agreement.request.people.get()
    data = {
        **data,
        **(
            {f"name_{person.pk}": person.name, f"level_{person.pk}": REPORTING}
            if name == "amend"
            else {}
        ),
        **(
            {"person": person.pk, "completed_on": timezone.localdate().isoformat()}
            if name == "training"
            else {}
        ),
    }
    versions = agreement.mous.count()
    client.force_login(personas.by_name(persona))

    response = post(client, agreement, name, data, seen=seen)

    assert response.status_code == 400
    status = fresh(agreement).get_status_display()
    assert refusals_in(form_posting_to(response, agreement, name)) == [
        STALE.format(status=status[:1].lower() + status[1:])
    ]
    assert (agreement.mous.count(), Training.objects.count()) == (versions, 0)
    assert fresh(agreement).status == agreement.status


# The forms each persona is offered, in each status.

OFFERED = {
    "issued": {"riley": ["sign"], "sam": ["amend", "revoke", "training"], "lee": [], "alex": []},
    "signed": {
        "riley": [],
        "sam": ["amend", "countersign", "revoke", "training"],
        "lee": [],
        "alex": [],
    },
    "executed": {
        "riley": ["add", "depart", "lower", "remove"],
        "sam": ["activate", "depart", "revoke", "training"],
        "lee": [],
        "alex": [],
    },
    "active": {
        "riley": ["add", "depart", "lower", "remove", "renew"],
        "sam": ["depart", "revoke", "training"],
        "lee": [],
        "alex": [],
    },
    "revoked": {"riley": [], "sam": [], "lee": [], "alex": []},
}


def _staged(stage, settings, status):
    if status == "executed":
        agreement = stage.executed()
        return stage.train(agreement, *agreement.request.people.all())
    if status == "active":
        settings.GRANT_TERM_MONTHS = 1  # in the renewal window
    return getattr(stage, status)()


@pytest.mark.parametrize("status", list(OFFERED))
def test_the_page_offers_each_persona_only_the_forms_of_what_they_may_do(
    client, stage, personas, settings, status
):
    agreement = _staged(stage, settings, status)
    assert agreement.status == status

    shown = {}
    for name in OFFERED[status]:
        client.force_login(personas.by_name(name))
        response = client.get(page_url(agreement))
        assert response.status_code == 200
        shown[name] = offered(response, agreement)

    assert shown == OFFERED[status]


def test_the_page_shows_versions_signatures_and_each_persons_access(client, stage, personas):
    agreement = stage.executed(people=(ADA, CY))
    ada = agreement.request.people.get(name="Ada Analyst")
    agreement = stage.train(agreement, ada)
    client.force_login(personas.riley)

    main = parsed(client.get(page_url(agreement)))

    assert main.find(cls="agreement-status").text == (
        "Executed: waiting for training and activation"
    )
    rows = main.find("table", cls="mou-versions").find("tbody").find_all("tr")
    assert [r.find_all("td")[0].text.split(" (PDF")[0] for r in rows] == [
        "Version 1",
        "Version 2",
        "Version 3",
    ]
    assert [r.find("code").text for r in rows] == list(
        agreement.mous.values_list("sha256", flat=True)
    )
    people = main.find("table", cls="mou-people").find("tbody").find_all("tr")
    assert [(r.find_all("td")[1].text, r.find(cls="access-state").text) for r in people] == [
        ("View only", "Not active yet (ready)"),
        ("Full access", "Not active yet"),
    ]


# Renewal through the page.


def test_the_requestor_starts_a_renewal_and_lands_on_its_first_step(
    client, stage, personas, settings
):
    settings.GRANT_TERM_MONTHS = 1
    agreement = stage.active()
    client.force_login(personas.riley)

    response = client.post(reverse("renew", args=[agreement.request.reference]))

    renewal = agreement.request.renewals.get()
    assert (response.status_code, response["Location"]) == (
        302,
        reverse("application_step", args=[renewal.reference, "organization"]),
    )


def test_a_renewal_before_the_window_is_refused_with_the_date(client, stage, personas):
    agreement = stage.active()
    opens = workflow.renewal_opens_on(agreement)
    client.force_login(personas.riley)

    response = client.post(reverse("renew", args=[agreement.request.reference]), follow=True)

    assert parsed(response).find("div", role="status").text == (
        f"A renewal can be started from {opens:%B} {opens.day}, {opens:%Y}."
    )
    assert agreement.request.renewals.count() == 0


# Provisioning.

COLUMNS = [
    "Name",
    "E-mail",
    "Title",
    "Organization",
    "Access level",
    "CAN scope",
    "MOU",
    "Active since",
    "Access ends",
]


def test_the_provisioning_export_lists_each_active_person_without_an_account(
    client, stage, personas
):
    agreement = stage.active(people=(ADA, CY), granted={"Cy Clinician": VIEW})
    statewide = stage.active(people=(BO,), cans=[])
    client.force_login(personas.sam)
    today = timezone.localdate()

    response = client.get(reverse("provisioning_export"))

    assert response.status_code == 200
    assert (response["Content-Type"], response["Content-Disposition"]) == (
        "text/csv; charset=utf-8",
        f'attachment; filename="hmis-provisioning-{today}.csv"',
    )
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    ref, ends = agreement.request.reference, f"{agreement.ends_on:%Y-%m-%d}"
    sref = statewide.request.reference
    assert rows == [
        COLUMNS,
        [
            "Ada Analyst",
            "ada@harbor.example",
            "Analyst",
            "Harbor Health Partners",
            "View only",
            "Greater Hartford",
            f"{ref} v3",
            f"{today:%Y-%m-%d}",
            ends,
        ],
        [
            "Cy Clinician",
            "cy@harbor.example",
            "Analyst",
            "Harbor Health Partners",
            "View only",
            "Greater Hartford",
            f"{ref} v3",
            f"{today:%Y-%m-%d}",
            ends,
        ],
        [
            "Bo Builder",
            "bo@harbor.example",
            "Analyst",
            "Harbor Health Partners",
            "Reporting only",
            "Statewide",
            f"{sref} v3",
            f"{today:%Y-%m-%d}",
            f"{statewide.ends_on:%Y-%m-%d}",
        ],
    ]


def test_marking_people_provisioned_removes_them_from_the_list(client, stage, personas):
    agreement = stage.active(people=(ADA, CY))
    ada_access = agreement.people.get(person__name="Ada Analyst")
    client.force_login(personas.sam)

    response = client.post(reverse("provisioning"), {"access": [ada_access.pk]}, follow=True)

    main = parsed(response)
    assert main.find("div", role="status").text == "Marked 1 person as given an HMIS account."
    listed = main.find("table", cls="provisioning").find("tbody").find_all("tr")
    assert [r.find_all("td")[1].text for r in listed] == ["Cy Clinician cy@harbor.example"]
    rows = list(
        csv.reader(
            io.StringIO(
                b"".join(client.get(reverse("provisioning_export")).streaming_content).decode()
            )
        )
    )
    assert [r[0] for r in rows] == ["Name", "Cy Clinician"]


def test_marking_nobody_is_refused_in_words(client, stage, personas):
    stage.active()
    client.force_login(personas.sam)

    response = client.post(reverse("provisioning"), {}, follow=True)

    assert parsed(response).find("div", role="status").text == (
        "Choose at least one person from the list."
    )


@pytest.mark.parametrize("ticked", ["x", "another's"], ids=["not-a-number", "not-on-the-list"])
def test_marking_someone_not_on_the_list_is_refused_in_words(client, stage, personas, ticked):
    # A tampered page: the form reads the ids, and takes only rows of the requests staff see.
    agreement = stage.active()
    client.force_login(personas.sam)
    if ticked != "x":
        # A row of the staff member's own organization's request: never theirs to mark.
        MembershipFactory(organization=personas.harbor, user=personas.sam)
        # A new membership is a change of roles: it ends the sessions, so sign in again.
        client.force_login(personas.sam)
        ticked = agreement.people.get().pk

    response = client.post(reverse("provisioning"), {"access": [ticked]}, follow=True)

    assert parsed(response).find("div", role="status").text == "Choose people from the list."
    assert PersonAccess.objects.filter(provisioned_at__isnull=False).count() == 0


@pytest.mark.parametrize("page", ["provisioning", "provisioning_export"])
@pytest.mark.parametrize("persona", ["riley", "lee", "morgan"])
def test_only_staff_reach_the_provisioning_pages(client, stage, personas, page, persona):
    agreement = stage.active()
    client.force_login(personas.by_name(persona))

    assert client.get(reverse(page)).status_code == 403
    assert (
        client.post(reverse("provisioning"), {"access": [agreement.people.get().pk]}).status_code
        == 403
    )
    assert PersonAccess.objects.filter(provisioned_at__isnull=False).count() == 0


# Queries.

# Measured with one person: the session, the user, the request and its visibility, the
# agreement, its versions, signatures, people, trainings and grants, the grant's state and
# the request's revocations, each offered form's, the organization's signatory and security
# officer (one query, which also answers who may sign), and the read's record
# (requests_app/audit). The page asks once whether the person sees the request, not once per
# action. The departure form: whether anyone's access has not ended, and who.
# With the amendments (agreement/amendments.py): the additions waiting, the people added and
# not signed for yet; for the organization also the people who hold access and their levels,
# for the forms to remove and lower. Training, user agreements and due dates: one query.
MOU_PAGE_QUERIES = {"sam": 25, "riley": 24}


@pytest.mark.parametrize("persona", ["sam", "riley"])
def test_the_mou_page_runs_as_many_queries_with_five_people_as_with_one(
    client, stage, personas, persona
):
    one = stage.executed(people=(ADA,))
    five = stage.executed(
        people=tuple((f"Person {n}", f"p{n}@harbor.example", VIEW) for n in range(5))
    )
    for agreement in (one, five):
        stage.train(agreement, *agreement.request.people.all())
    client.force_login(personas.by_name(persona))
    client.get(page_url(one))  # the session and the user are loaded once

    counts = []
    for agreement in (one, five):
        with CaptureQueriesContext(connection) as captured:
            assert client.get(page_url(agreement)).status_code == 200
        counts.append(len(captured))

    assert counts == [MOU_PAGE_QUERIES[persona]] * 2


# The session, the person, the page's people with their CAN scopes, their bounded count
# (requests_app/core/paging.py), and the header's three.
PROVISIONING_QUERIES = 7


@pytest.mark.parametrize("people", [(ADA,), (ADA, BO, CY)], ids=["one", "three"])
def test_the_provisioning_page_runs_as_many_queries_for_many_people_as_for_one(
    client, stage, personas, django_assert_num_queries, people
):
    stage.active(people=people)
    stage.active(people=(BO,), cans=[])
    client.force_login(personas.sam)

    with django_assert_num_queries(PROVISIONING_QUERIES):
        response = client.get(reverse("provisioning"))

    assert response.status_code == 200


def waiting_for_accounts(stage, count):
    """`count` people of one active MOU, each active since an hour later than the one before,
    in another order than they were named: the list shows the longest waiting first."""
    agreement = stage.active(
        people=tuple((f"Person {n:02}", f"p{n}@harbor.example", VIEW) for n in range(count))
    )
    accesses = list(PersonAccess.objects.filter(agreement=agreement).order_by("-pk"))
    start = timezone.now() - datetime.timedelta(days=10)
    for hours, access in enumerate(accesses):
        # Only the status of an agreement is protected; when access began may be staged.
        PersonAccess.objects.filter(pk=access.pk).update(
            activated_at=start + datetime.timedelta(hours=hours)
        )
    return [access.pk for access in accesses]


def ticked_on(response):
    """The people a page offers to mark, by their access's id, in order."""
    boxes = parsed(response).find("table", cls="provisioning").find_all("input", type="checkbox")
    return [int(box.attrs["value"]) for box in boxes]


def test_the_provisioning_list_pages_60_people_25_at_a_time(client, stage, personas):
    one = waiting_for_accounts(stage, 1)
    client.force_login(personas.sam)
    with CaptureQueriesContext(connection) as captured:
        assert ticked_on(client.get(reverse("provisioning"))) == one
    few_queries = len(captured)
    waiting = one + waiting_for_accounts(stage, 59)

    pages, costs, response = [], [], None
    for link in (None, "Next", "Next", "Previous", "First"):
        address = reverse("provisioning") if link is None else pages_of(response)[1][link]
        with CaptureQueriesContext(connection) as captured:
            response = client.get(address)
        position, links = pages_of(response)
        pages.append((ticked_on(response), position, list(links)))
        costs.append(len(captured))

    assert pages == [
        (waiting[:25], "People 1 to 25 of 60", ["Next"]),
        (waiting[25:50], "People 26 to 50 of 60", ["First", "Previous", "Next"]),
        (waiting[50:], "People 51 to 60 of 60", ["First", "Previous"]),
        (waiting[25:50], "People 26 to 50 of 60", ["First", "Previous", "Next"]),
        (waiting[:25], "People 1 to 25 of 60", ["Next"]),
    ]
    # One person or sixty, the first page or the last: the same queries.
    assert [few_queries, *costs] == [PROVISIONING_QUERIES] * 6


def test_a_malformed_cursor_gives_the_provisioning_lists_first_page(
    client, stage, personas, monkeypatch
):
    monkeypatch.setattr(agreement_views, "PROVISIONING_PAGE_SIZE", 2)
    waiting = waiting_for_accounts(stage, 3)
    client.force_login(personas.sam)

    response = client.get(reverse("provisioning"), {"after": "eyJrIjoicGsifQ:1a2b3c"})

    assert (ticked_on(response), pages_of(response)[0]) == (waiting[:2], "People 1 to 2 of 3")


# The session, the person, the export's record in the read log (requests_app/core/files.py),
# and every row with its CAN scope in one query (requests_app/core/exports.py), whatever the
# number of people.
PROVISIONING_EXPORT_QUERIES = 4


def test_the_provisioning_export_runs_as_many_queries_for_many_people_as_for_one(
    client, stage, personas
):
    stage.active(people=(ADA,))
    client.force_login(personas.sam)
    counts = []
    for more in ((), (ADA, BO, CY)):
        if more:
            stage.active(people=more, cans=[])
            stage.active(people=more)
        with CaptureQueriesContext(connection) as captured:
            response = client.get(reverse("provisioning_export"))
            lines = b"".join(response.streaming_content).decode().splitlines()
        counts.append((len(lines), len(captured)))

    assert counts == [(2, PROVISIONING_EXPORT_QUERIES), (8, PROVISIONING_EXPORT_QUERIES)]
