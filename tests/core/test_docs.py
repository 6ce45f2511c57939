from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

DOCS = Path(__file__).resolve().parents[2] / "docs"


@pytest.mark.parametrize(
    ("model", "diagram"),
    [("requests_app.AccessRequest", "workflow"), ("requests_app.Agreement", "agreement")],
)
def test_each_diagram_in_docs_is_what_its_state_machine_draws(model, diagram):
    drawn = StringIO()
    call_command("graph_transitions", model, stdout=drawn)
    # graph_transitions lists edges in set order, which varies from run to run.
    assert sorted(drawn.getvalue().splitlines()) == sorted(
        (DOCS / f"{diagram}.gv").read_text().splitlines()
    ), f"Run `make graph` and commit docs/{diagram}.gv and docs/{diagram}.svg."


def test_the_access_diagram_in_docs_is_what_the_access_table_draws():
    drawn = StringIO()
    call_command("graph_access", stdout=drawn)
    assert drawn.getvalue().splitlines() == (DOCS / "access.gv").read_text().splitlines(), (
        "Run `make graph` and commit docs/access.gv and docs/access.svg."
    )
