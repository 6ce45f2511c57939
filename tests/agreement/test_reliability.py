"""The MOU under a faulty world: a correction and a signature at the same moment, a render lost
with its process, a file changed on disk, two staff marking the same person at once. The
agreement records the version each action asked for and a revision every change bumps, both
inside the action's transaction, so every check runs under the row lock."""

import datetime

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from requests_app import workflow
from requests_app.agreement import mou
from requests_app.core import actions
from requests_app.core.states import AccessLevel, AgreementStatus
from requests_app.models import (
    Agreement,
    Event,
    MOUVersion,
    Notification,
    PersonAccess,
    Signature,
)
from tests.support.journey import agree
from tests.support.pages import parsed

VIEW, REPORTING = AccessLevel.VIEW, AccessLevel.REPORTING
TITLE = "Director of Community Programs"
IP = "203.0.113.7"
COURSE = "CT HMIS new user training"


@pytest.fixture(autouse=True)
def private_files(settings, tmp_path):
    settings.PRIVATE_FILES_ROOT = tmp_path / "private"


def fresh(agreement):
    return Agreement.objects.select_related("request").get(pk=agreement.pk)


def refused(action, call):
    with pytest.raises(actions.ActionRefused) as caught:
        call()
    assert caught.value.action == action
    return caught.value.problems


@pytest.fixture
def issued(journey):
    """An approval whose version 1 is rendered and stored."""
    request = journey.approved(granted=VIEW, committed=True)
    return Agreement.objects.select_related("request").get(request=request)


def sign(agreement, user, given=None, seen=None):
    return workflow.sign_mou(agreement, user, user.name, TITLE, True, IP, seen=seen, given=given)


# A correction committed but not rendered yet: what let a signature land on a superseded text.


def test_a_signature_is_refused_while_a_correction_waits_for_its_render(
    issued, personas, django_capture_on_commit_callbacks
):
    ada = issued.request.people.get()
    # The correction commits; its render (a task after commit) has not run yet.
    with django_capture_on_commit_callbacks(execute=False):
        workflow.amend_mou(issued, personas.sam, "Lower.", levels={ada: REPORTING})
    agreement = fresh(issued)
    assert (agreement.mou_version, agreement.mous.count()) == (2, 1)

    assert refused("sign", lambda: sign(agreement, personas.riley)) == [
        "Version 2 of the MOU is still being prepared: reload in a minute."
    ]
    assert Signature.objects.count() == 0
    assert fresh(agreement).status == AgreementStatus.ISSUED


def test_a_signature_names_the_version_and_hash_it_was_given_and_is_refused_on_another(
    issued, personas, django_capture_on_commit_callbacks
):
    v1 = issued.current_mou()
    ada = issued.request.people.get()
    with django_capture_on_commit_callbacks(execute=True):
        workflow.amend_mou(issued, personas.sam, "Lower.", levels={ada: REPORTING})
    agreement = fresh(issued)
    v2 = agreement.current_mou()

    # The signer's page showed version 1: the signature is refused, not moved to version 2.
    assert refused("sign", lambda: sign(agreement, personas.riley, given=v1.identity())) == [
        "The MOU changed while you were reading it: version 2 is now the one to sign. Read it, "
        "then sign again."
    ]
    assert Signature.objects.count() == 0

    with django_capture_on_commit_callbacks(execute=True):
        signature = sign(agreement, personas.riley, given=v2.identity())
    assert (signature.mou, signature.mou_sha256) == (v2, v2.sha256)


def test_the_sign_page_gives_the_current_version_and_a_post_from_an_older_page_is_refused(
    client, issued, personas, django_capture_on_commit_callbacks
):
    client.force_login(personas.riley)
    url = reverse("agreement", args=[issued.request.reference])
    page = client.get(url)
    form = page.context["sign_form"]
    v1 = issued.current_mou()
    assert (form.initial["mou_version"], form.initial["mou_sha256"]) == (1, v1.sha256)
    posted = {
        "seen": page.context["seen"],
        "sign-mou_version": 1,
        "sign-mou_sha256": v1.sha256,
        "sign-full_name": "Riley Requestor",
        "sign-title": TITLE,
        "sign-affirmed": "on",
    }
    ada = issued.request.people.get()
    with django_capture_on_commit_callbacks(execute=True):
        workflow.amend_mou(issued, personas.sam, "Lower.", levels={ada: REPORTING})

    response = client.post(reverse("sign", args=[issued.request.reference]), posted)

    assert response.status_code == 400
    assert Signature.objects.count() == 0
    assert [
        li.text for li in parsed(response).find("form", action=f"{url}sign").find_all("li")
    ] == [
        "Someone else changed this MOU while you were looking at it: it is now issued: waiting "
        "for the organization's signature. Reload the page to see what changed."
    ]


def test_a_sign_post_without_the_version_it_read_is_refused_with_the_typed_values_kept(
    client, issued, personas
):
    client.force_login(personas.riley)
    url = reverse("agreement", args=[issued.request.reference])
    seen = client.get(url).context["seen"]

    response = client.post(
        reverse("sign", args=[issued.request.reference]),
        {
            "seen": seen,
            "sign-full_name": "Riley Q. Requestor",
            "sign-title": TITLE,
            "sign-affirmed": "on",
        },
    )

    assert response.status_code == 400
    assert response.context["sign_form"].non_field_errors() == [
        "This page did not say which version of the MOU you read. Reload it, read the newest "
        "version, then sign."
    ]
    assert response.context["sign_form"]["full_name"].value() == "Riley Q. Requestor"
    assert Signature.objects.count() == 0


def test_a_correction_bumps_the_revision_before_any_render(
    issued, personas, django_capture_on_commit_callbacks
):
    before = actions.version(issued)
    ada = issued.request.people.get()
    with django_capture_on_commit_callbacks(execute=False):
        workflow.amend_mou(issued, personas.sam, "Lower.", levels={ada: REPORTING})

    assert actions.version(fresh(issued)) != before


# Renders lost with their process, or failed, are found and done once.


@pytest.fixture
def unrendered(journey):
    """An approval committed whose render task never ran (its process was killed)."""
    request = journey.approved(committed=False)
    return Agreement.objects.select_related("request").get(request=request)


def backdate(agreement, minutes):
    Agreement.objects.filter(pk=agreement.pk).update(
        mou_queued_at=timezone.now() - datetime.timedelta(minutes=minutes)
    )


def test_a_render_that_never_ran_is_rendered_once_by_the_sweep_run_twice(
    unrendered, personas, settings, django_capture_on_commit_callbacks
):
    settings.MOU_RENDER_TIMEOUT_MINUTES = 10
    assert (unrendered.mou_version, unrendered.mous.count()) == (1, 0)

    # Queued a minute ago: it may still be running, so the sweep leaves it.
    backdate(unrendered, 1)
    with django_capture_on_commit_callbacks(execute=True):
        assert workflow.sweep_renders() == 0
    backdate(unrendered, 11)
    with django_capture_on_commit_callbacks(execute=True):
        first = workflow.sweep_renders()
    with django_capture_on_commit_callbacks(execute=True):
        second = workflow.sweep_renders(older_than=timezone.now())

    assert (first, second) == (1, 0)
    agreement = fresh(unrendered)
    assert list(agreement.mous.values_list("version", "kind")) == [(1, MOUVersion.Kind.ISSUED)]
    request = agreement.request
    assert request.events.filter(kind=Event.Kind.MOU_ISSUED).count() == 1
    assert sorted(
        Notification.objects.filter(request=request, kind=Notification.Kind.MOU_READY).values_list(
            "recipient__name", flat=True
        )
    ) == ["Riley Requestor"]


def test_the_daily_command_and_render_agreements_sweep_renders(
    unrendered, django_capture_on_commit_callbacks, capsys
):
    backdate(unrendered, 60)
    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_reminders")
    assert fresh(unrendered).mous.count() == 1
    assert "1 MOU version queued to render again." in capsys.readouterr().out

    with django_capture_on_commit_callbacks(execute=True):
        call_command("render_agreements", "--now")
    assert capsys.readouterr().out == "0 MOU versions queued to render.\n"
    assert fresh(unrendered).mous.count() == 1


def test_while_a_render_is_pending_the_page_says_so_and_nothing_can_be_signed(
    client, unrendered, personas
):
    client.force_login(personas.riley)
    page = client.get(reverse("agreement", args=[unrendered.request.reference]))

    assert parsed(page).find("p", cls="mou-pending").text == (
        "Version 1 of the MOU is being prepared. Reload this page in a minute."
    )
    assert page.context.get("sign_form") is None


def test_a_failed_render_is_shown_to_staff_with_a_retry_and_in_words_to_the_requestor(
    client, journey, personas, monkeypatch, django_capture_on_commit_callbacks
):
    def broken(*args, **kwargs):
        raise OSError("No space left on device")

    monkeypatch.setattr(mou, "render_pdf", broken)
    request = journey.approved(committed=True)
    agreement = Agreement.objects.get(request=request)
    assert (agreement.mous.count(), agreement.mou_error) == (0, "OSError: No space left on device")
    url = reverse("agreement", args=[request.reference])

    client.force_login(personas.riley)
    shown = parsed(client.get(url)).find("div", cls="mou-failed")
    assert shown.text == (
        "Version 1 of the MOU could not be prepared yet. CCEH staff can see this and prepare it "
        "again."
    )
    assert shown.find("form") is None

    client.force_login(personas.sam)
    page = client.get(url)
    staff_sees = parsed(page).find("div", cls="mou-failed")
    assert "could not be prepared" in staff_sees.find("p").text
    assert staff_sees.find("p").text.endswith(": OSError: No space left on device")
    assert staff_sees.find("button").text == "Prepare version 1 again"

    monkeypatch.undo()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("prepare", args=[request.reference]), {"seen": page.context["seen"]}
        )
    assert response.status_code == 302
    agreement = fresh(agreement)
    assert (agreement.mous.count(), agreement.mou_failed_at, agreement.mou_error) == (1, None, "")
    assert actions.refusals(agreement, personas.sam, "prepare") == [
        "Every version of the MOU asked for is stored or being prepared."
    ]


def test_only_staff_may_ask_again_for_a_failed_render(client, journey, personas, monkeypatch):
    monkeypatch.setattr(mou, "render_pdf", lambda *a, **k: 1 / 0)
    request = journey.approved(committed=True)
    agreement = Agreement.objects.get(request=request)

    assert actions.refusals(agreement, personas.riley, "prepare") == [
        "Only CCEH staff can do this.",
        "You belong to the requesting organization, so you cannot act on its request "
        "(a conflict of interest).",
    ]
    assert actions.refusals(agreement, personas.sam, "prepare") == []
    client.force_login(personas.riley)
    response = client.post(reverse("prepare", args=[request.reference]), {})
    assert response.status_code == 400
    assert fresh(agreement).mou_failed_at is not None


# A stored file is checked against its SHA-256 whenever it is served.


def test_an_altered_mou_file_is_refused_and_shown_to_staff(client, issued, personas):
    stored = issued.current_mou()
    path = stored.file.path
    with open(path, "ab") as f:
        f.write(b"%% appended later")
    reference = issued.request.reference

    client.force_login(personas.riley)
    response = client.get(reverse("mou_download", args=[reference, 1]))
    assert response.status_code == 409
    assert parsed(response).find("h1").text == "This version of the MOU cannot be served"
    assert (
        parsed(client.get(reverse("agreement", args=[reference]))).find("div", cls="mou-altered")
        is None
    )

    client.force_login(personas.sam)
    assert client.get(reverse("mou_download", args=[reference, 1])).status_code == 409
    alert = parsed(client.get(reverse("agreement", args=[reference]))).find(
        "div", cls="mou-altered"
    )
    assert alert.text.startswith(
        "The stored file of version 1 no longer matches the SHA-256 recorded when it was made"
    )


def test_an_intact_mou_file_is_served_as_stored(client, issued, personas):
    client.force_login(personas.riley)
    response = client.get(reverse("mou_download", args=[issued.request.reference, 1]))

    assert response.status_code == 200
    with issued.current_mou().file.open("rb") as f:
        assert b"".join(response.streaming_content) == f.read()


# Provisioning a person already provisioned does nothing a second time.


@pytest.fixture
def active(issued, personas, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        sign(issued, personas.riley)
    agreement = fresh(issued)
    with django_capture_on_commit_callbacks(execute=True):
        workflow.countersign_mou(agreement, personas.sam, "Sam Staff", "Admin", True, IP)
    agreement = fresh(agreement)
    person = agreement.request.people.get()
    workflow.record_training(agreement, personas.sam, person, timezone.localdate(), COURSE)
    agree(person)
    workflow.activate_access(fresh(agreement), personas.sam)
    return fresh(agreement)


def test_provisioning_from_a_second_tab_marks_nobody_twice(active, personas, django_user_model):
    colleague = django_user_model.objects.create_user(
        "kim@cceh.example.org", "x", name="Kim Colleague", is_cceh_staff=True
    )
    access = active.people.get()
    workflow.provision_access(personas.sam, [access])

    problems = refused("provision", lambda: workflow.provision_access(colleague, [access]))

    when = timezone.localtime(PersonAccess.objects.get().provisioned_at)
    assert problems == [
        f"Already marked as given an HMIS account by Sam Staff at {when:%-I:%M %p}: nothing "
        "was marked twice."
    ]
    assert PersonAccess.objects.get().provisioned_by == personas.sam
    assert active.request.events.filter(kind=Event.Kind.ACCESS_PROVISIONED).count() == 1


def test_a_signature_whose_answer_was_lost_is_found_on_reload_and_not_given_twice(
    client, issued, personas, django_capture_on_commit_callbacks
):
    client.force_login(personas.riley)
    url = reverse("agreement", args=[issued.request.reference])
    page = client.get(url)
    current = issued.current_mou()
    posted = {
        "seen": page.context["seen"],
        "sign-mou_version": current.version,
        "sign-mou_sha256": current.sha256,
        "sign-full_name": "Riley Requestor",
        "sign-title": TITLE,
        "sign-affirmed": "on",
    }
    # The answer never arrives: the browser keeps the cookies it had before the post.
    cookies = client.cookies
    client.cookies = cookies.__class__(cookies)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("sign", args=[issued.request.reference]), posted)
    client.cookies = cookies

    reloaded = client.get(url)
    assert parsed(reloaded).find("div", role="status").text == (
        "You signed the MOU. CCEH staff countersign it next."
    )
    again = client.post(reverse("sign", args=[issued.request.reference]), posted)

    signed_at = timezone.localtime(Signature.objects.get().signed_at)
    assert again.status_code == 400
    assert (
        f"Your own earlier action changed this MOU: MOU signed by the organization at "
        f"{signed_at:%-I:%M %p}. It was recorded once."
    ) in again.content.decode()
    assert Signature.objects.count() == 1
