from io import StringIO
from pathlib import Path

from django.core.management import call_command

DOCS = Path(__file__).resolve().parent.parent / "docs"


def test_the_workflow_diagram_in_docs_is_what_the_state_machine_draws():
    drawn = StringIO()
    call_command("graph_transitions", "requests_app.AccessRequest", stdout=drawn)
    # graph_transitions lists edges in set order, which varies from run to run.
    assert sorted(drawn.getvalue().splitlines()) == sorted(
        (DOCS / "workflow.gv").read_text().splitlines()
    ), "Run `make graph` and commit docs/workflow.gv and docs/workflow.svg."
