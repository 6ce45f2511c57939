"""The draft MOU a requestor downloads before a decision: rendered again only when what it says
changed (it is kept under drafts/ in private storage, named by the hash of what it shows), and
never looked up for someone who may not see the request."""

import pytest
from django.urls import reverse

from requests_app.agreement import mou
from requests_app.core.states import AccessLevel
from requests_app.models import AccessRequest
from tests.support.pdf import count_renders


@pytest.fixture(autouse=True)
def private_files(settings, tmp_path):
    settings.PRIVATE_FILES_ROOT = tmp_path / "private"


def download(client, request):
    response = client.get(reverse("mou_draft", args=[request.reference]))
    return response.status_code, response.content


def kept_drafts(settings, request):
    return len(list((settings.PRIVATE_FILES_ROOT / "drafts" / request.reference).iterdir()))


def new_answer(request):
    AccessRequest.objects.filter(pk=request.pk).update(purpose="Plan discharges together.")


def new_level(request):
    request.people.update(requested_level=AccessLevel.REPORTING)


@pytest.mark.parametrize("change", [new_answer, new_level])
def test_the_draft_is_rendered_again_only_when_what_it_says_changed(
    client, journey, personas, settings, monkeypatch, change
):
    request = journey.submitted()
    client.force_login(personas.riley)
    renders = count_renders(monkeypatch)

    first = download(client, request)
    second = download(client, request)
    assert (len(renders), second) == (1, first)

    change(request)
    third = download(client, request)

    assert (len(renders), third[0], third[1] != first[1]) == (2, 200, True)
    # Only the newest draft of a request is kept.
    assert kept_drafts(settings, request) == 1


@pytest.mark.parametrize("persona", ["quinn", "pat"])
def test_someone_who_may_not_see_the_request_gets_404_before_any_draft_is_looked_up(
    client, journey, personas, monkeypatch, persona
):
    request = journey.submitted()
    client.force_login(personas.riley)
    assert download(client, request)[0] == 200
    looked_up = []
    monkeypatch.setattr(mou, "draft_pdf", looked_up.append)
    client.force_login(personas.by_name(persona))

    assert (download(client, request)[0], looked_up) == (404, [])
