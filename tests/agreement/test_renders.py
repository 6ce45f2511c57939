"""No web request waits for a PDF: without a worker, as in development, the MOU an action asks
for is rendered after the action's response is built (requests_app/core/tasks_backend.py).
Committed transactions, so the render is queued on a real commit inside the request."""

import pytest
from django.test.client import ClientHandler
from django.urls import reverse

from requests_app.core.states import AccessLevel
from requests_app.models import Agreement, Event
from tests.support.pages import form_data
from tests.support.pdf import count_renders

DEVELOPMENT_TASKS = {"default": {"BACKEND": "requests_app.core.tasks_backend.AfterResponseBackend"}}


@pytest.fixture(autouse=True)
def development(settings, tmp_path):
    settings.TASKS = DEVELOPMENT_TASKS
    settings.PRIVATE_FILES_ROOT = tmp_path / "private"


def renders_when_built(monkeypatch, renders):
    """How many renders had run when each response left Django for the server, one entry per
    request, in order."""
    counts = []
    get_response = ClientHandler.get_response

    def recording(handler, request):
        response = get_response(handler, request)
        counts.append(len(renders))
        return response

    monkeypatch.setattr(ClientHandler, "get_response", recording)
    return counts


@pytest.mark.django_db(transaction=True)
def test_the_approval_post_answers_before_its_mou_is_rendered_which_follows_it(
    client, journey, personas, monkeypatch
):
    request = journey.ready_to_approve()
    client.force_login(personas.sam)
    seen = client.get(request.get_absolute_url()).context["seen"]
    levels = {f"level_{p.pk}": AccessLevel.VIEW for p in request.people.all()}
    renders = count_renders(monkeypatch)
    built = renders_when_built(monkeypatch, renders)

    response = client.post(
        reverse("approve", args=[request.reference]),
        form_data("approve", {"seen": seen, **levels}),
    )

    assert response.status_code == 302
    assert (built, len(renders)) == ([0], 1)
    agreement = Agreement.objects.get(request=request)
    assert list(agreement.mous.values_list("version", flat=True)) == [1]
    assert request.events.filter(kind=Event.Kind.MOU_ISSUED).count() == 1
