"""The draft MOU (policy 4.1): the application as it stands, as a PDF, read back as text; who
may download it; and that rendering it never reaches out to the network."""

import http.server
import threading

import pytest
from django.urls import reverse
from weasyprint import HTML

from requests_app.agreement import mou
from requests_app.core.states import AccessLevel
from tests.support.pdf import text_of

# Every test here reads a rendered PDF.
pytestmark = pytest.mark.pdf

PEOPLE = [
    ("Ada Analyst", "ada@harbor.example", AccessLevel.VIEW),
    ("Bo Builder", "bo@harbor.example", AccessLevel.REPORTING),
    ("Cy Clinician", "cy@harbor.example", AccessLevel.FULL),
]


@pytest.fixture
def draft(journey, personas):
    return journey.draft(
        named=PEOPLE,
        cans=[personas.hartford, personas.eastern],
        purpose="Coordinate discharge planning for respite patients.",
        contribution="Fewer discharges to the street.",
        is_researcher=True,
        aggregated_data_sufficient=True,
    )


def test_the_draft_mou_states_the_application_as_it_stands(draft):
    text, pages = text_of(mou.render_pdf(draft, draft=True))

    expected = [
        "DRAFT",
        draft.reference,
        "Harbor Health Partners",
        "Ada Analyst Analyst ada@harbor.example View only",
        "Bo Builder Analyst bo@harbor.example Reporting only",
        "Cy Clinician Analyst cy@harbor.example Full access",
        "Limited to these Coordinated Access Networks: Eastern, Greater Hartford.",
        "Coordinate discharge planning for respite patients.",
        "Fewer discharges to the street.",
        "The organization asks as a researcher. Aggregated, de-identified data will serve the "
        "research. Unless the decision says otherwise, a researcher receives aggregated and "
        "de-identified data only.",
        f"Page 1 of {pages}",
        f"Page {pages} of {pages}",
    ]
    assert [piece for piece in expected if piece not in text] == []


def test_a_statewide_request_says_statewide(journey):
    draft = journey.draft(cans=[])
    assert draft.statewide is True

    text, _pages = text_of(mou.render_pdf(draft, draft=True))

    assert "Statewide: every Coordinated Access Network (CAN) in Connecticut." in text
    assert "Limited to these Coordinated Access Networks" not in text


@pytest.mark.parametrize(
    ("answers", "clause"),
    [
        ({"is_researcher": False}, "The organization does not ask as a researcher."),
        (
            {
                "is_researcher": True,
                "aggregated_data_sufficient": False,
                "identified_data_justification": "Matching to hospital records.",
            },
            "The organization asks as a researcher. It asks for identified data, because: "
            "Matching to hospital records. Unless the decision says otherwise, a researcher "
            "receives aggregated and de-identified data only.",
        ),
        ({"is_researcher": None}, "5. Research and conditions (1.9) Not answered yet."),
    ],
    ids=["not-a-researcher", "identified-data", "unanswered"],
)
def test_the_research_clause_follows_the_answers(journey, answers, clause):
    text, _pages = text_of(mou.render_pdf(journey.draft(**answers), draft=True))

    assert clause in text


def test_the_final_mou_of_an_approval_is_not_marked_draft(journey):
    text, _pages = text_of(mou.render_pdf(journey.approved(), draft=False, version=1))

    assert "DRAFT" not in text


def test_a_request_not_approved_has_no_final_mou(draft):
    with pytest.raises(ValueError, match=r"Only an approved request has a final MOU\."):
        mou.render_pdf(draft, draft=False)


# Downloading it.


def download(client, request):
    return client.get(reverse("mou_draft", args=[request.reference]))


def test_the_requestor_downloads_the_draft_mou_as_a_pdf_attachment(client, personas, draft):
    client.force_login(personas.riley)

    response = download(client, draft)

    assert response.status_code == 200
    assert (response["Content-Type"], response["Content-Disposition"]) == (
        "application/pdf",
        f'attachment; filename="{draft.reference}-draft-mou.pdf"',
    )
    text, _pages = text_of(response.content)
    assert "DRAFT: this is the application as it stands on" in text
    assert draft.reference in text


@pytest.mark.parametrize("persona", ["quinn", "pat"])
def test_nobody_else_gets_the_draft_mou_of_a_submitted_request(client, journey, personas, persona):
    # Submitted, naming Greater Hartford only: Quinn is of another organization, Pat leads
    # Eastern.
    request = journey.submitted()
    client.force_login(personas.by_name(persona))

    assert download(client, request).status_code == 404


def test_an_anonymous_visitor_is_sent_to_sign_in(client, journey):
    response = download(client, journey.submitted())

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


# Rendering never fetches anything.


class Recorder(http.server.BaseHTTPRequestHandler):
    hits = []

    def do_GET(self):  # the standard library's name for it
        Recorder.hits.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def listening():
    """A real HTTP server on this machine that records every request it gets."""
    Recorder.hits = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_markup_in_an_answer_is_printed_as_text_and_never_fetched(journey, personas, listening):
    image = f'<img src="{listening}/purpose.png">'
    style = f'<link rel="stylesheet" href="{listening}/style.css">'
    draft = journey.draft(purpose=f"See {image} here.", contribution=style)
    personas.harbor.website = f"{listening}/site"
    personas.harbor.save()

    text, _pages = text_of(mou.render_pdf(draft, draft=True))

    assert f"See {image} here." in text
    assert style in text
    assert Recorder.hits == []


def test_the_renderer_refuses_every_url_even_one_the_template_might_someday_contain(listening):
    page = f'<link rel="stylesheet" href="{listening}/s.css"><img src="{listening}/i.png">'

    # The same page with weasyprint's own fetcher does reach the server: the recorder works.
    HTML(string=page).write_pdf()
    assert sorted(Recorder.hits) == ["/i.png", "/s.css"]
    Recorder.hits.clear()

    HTML(string=page, url_fetcher=mou._OFFLINE).write_pdf()
    assert Recorder.hits == []
