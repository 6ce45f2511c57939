"""`manage.py lighthouse` (docs/accessibility.md): the pages it audits, what it reports when a
score is under 100, and that it drops no database but its own. `make lighthouse` runs it."""

import pytest
from django.core.management import CommandError, call_command

from requests_app.management.commands.lighthouse import Page, failures, pages


def test_it_refuses_to_drop_any_database_but_the_one_named_for_it(monkeypatch):
    monkeypatch.setenv(
        "LIGHTHOUSE_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/hmis_lighthouse_only"
    )
    with pytest.raises(CommandError) as refused:
        call_command("lighthouse")
    assert str(refused.value) == (
        "DATABASE_URL must name the Lighthouse database hmis_lighthouse_only "
        "(LIGHTHOUSE_DATABASE_URL); `make lighthouse` sets it."
    )


def test_it_audits_the_first_pages_of_requestors_and_staff(journey, personas):
    draft = journey.draft()
    screening = journey.screening()
    journey.submitted()
    assert pages() == [
        Page("Sign in", "/accounts/login/", None),
        Page("My requests", "/requests/", personas.riley),
        Page("Application step 2", f"/r/{draft.reference}/apply/people", personas.riley),
        Page("Queue", "/queue/", personas.sam),
        Page("Request (staff)", f"/r/{screening.reference}/", personas.sam),
        Page("Request (requestor)", f"/r/{screening.reference}/", personas.riley),
    ]


def test_an_audit_under_full_marks_is_named_with_the_elements_at_fault():
    report = {
        "categories": {
            "accessibility": {
                "auditRefs": [
                    {"id": "color-contrast", "weight": 7},
                    {"id": "label", "weight": 7},
                    # Unweighted audits are advice, not part of the score.
                    {"id": "tabindex-manual", "weight": 0},
                ]
            },
            "best-practices": {"auditRefs": [{"id": "errors-in-console", "weight": 1}]},
        },
        "audits": {
            "color-contrast": {
                "score": 0,
                "title": "Background and foreground colors do not have a sufficient contrast",
                "details": {"items": [{"node": {"snippet": '<a class="pale">'}}]},
            },
            "label": {"score": 1, "title": "Form elements have labels"},
            "tabindex-manual": {"score": 0, "title": "Manual check"},
            "errors-in-console": {
                "score": 0,
                "title": "Browser errors were logged to the console",
                "details": {"items": [{"url": "http://127.0.0.1/favicon.ico"}]},
            },
        },
    }
    assert failures(report) == [
        "color-contrast: Background and foreground colors do not have a sufficient contrast "
        "['<a class=\"pale\">']",
        "errors-in-console: Browser errors were logged to the console "
        "['http://127.0.0.1/favicon.ico']",
    ]
