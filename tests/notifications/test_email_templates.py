"""One template per e-mail kind, `templates/emails/<kind>.txt`, holds the kind's words in
blocks (subject, what, act) and extends the base `email_for` names: the subject's, the text
body's or the HTML body's. What a notice says reaches its reader as written in the subject and
the text body, and escaped in the HTML body, in the same words."""

import html
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.template import Context, Engine
from django.template.loader import get_template
from django.utils.html import escape, strip_tags

from requests_app.core.states import Status
from requests_app.models import Event, Notification
from requests_app.notifications import services as notifications

Kind = Notification.Kind
NAME = "O'Brien & Sons <Hartford>"
ESCAPED_NAME = "O&#x27;Brien &amp; Sons &lt;Hartford&gt;"
NOTE = "Is 1.9 met? <b>\"Yes\"</b> & 'no'"
# An HTML character reference: none belongs in a subject or a text body.
ENTITY = re.compile(r"&(?:[a-z][a-z0-9]*|#[0-9]+|#x[0-9a-f]+);", re.IGNORECASE)
PARAGRAPH = re.compile(r"<p>(.*?)</p>", re.DOTALL)

# The kinds whose subject names the requesting organization.
SUBJECT_NAMES_ORGANIZATION = {Kind.SUBMITTED, Kind.RESUBMITTED, Kind.WITHDRAWN, Kind.DEPARTED}
# The kinds whose `what` names it.
WHAT_NAMES_ORGANIZATION = {
    Kind.SUBMITTED,
    Kind.RESUBMITTED,
    Kind.ESCALATED,
    Kind.VOTE_CAST,
    Kind.QUORUM_REACHED,
    Kind.DECIDED,
    Kind.WITHDRAWN,
    Kind.SIGNED,
    Kind.VOTE_REMINDER,
    Kind.WAITING_REMINDER,
    Kind.DEPARTED,
    Kind.ADDITION_ASKED,
    Kind.AMENDMENT_SIGNED,
    Kind.RECERTIFIED,
}
# The kinds whose `what` quotes the event's note.
WHAT_QUOTES_NOTE = {
    Kind.RETURNED,
    Kind.RESUBMITTED,
    Kind.ESCALATED,
    Kind.DECIDED,
    Kind.WITHDRAWN,
    Kind.REVOKED,
    Kind.DEPARTED,
    Kind.ADDITION_ASKED,
    # Of an event other than an approval: the addition declined, with its reason.
    Kind.ADDITION_DECIDED,
    Kind.ACCESS_AMENDED,
    Kind.RECERTIFIED,
    Kind.SUSPENDED,
}


@pytest.fixture
def notice(journey, personas):
    """A notice of any kind on a request of `NAME` in vetting naming two CANs, about an event
    whose note needs escaping."""
    personas.harbor.name = NAME
    personas.harbor.save()
    request = journey.vetting(cans=[personas.hartford, personas.eastern])
    event = Event.objects.create(
        request=request,
        kind=Event.Kind.COMMITTEE_DECIDED,
        actor=personas.casey,
        from_status=Status.VETTING,
        to_status=Status.APPROVED,
        note=NOTE,
        data={"changed": True},
    )

    def make(kind):
        return Notification.objects.create(
            recipient=personas.riley, request=request, event=event, kind=kind
        )

    return make


def parts(message):
    """The subject, the text body's paragraphs and the HTML body with its paragraphs."""
    [(page, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    return message.subject, message.body.split("\n\n"), page, PARAGRAPH.findall(page)


@pytest.mark.parametrize("kind", Kind.values)
def test_each_kind_says_the_same_in_its_subject_text_and_html(kind, notice):
    subject, text, page, paragraphs = parts(notifications.email_for(notice(kind)))

    # The subject: one line of single spaces, after the prefix, nothing escaped.
    assert subject.startswith(settings.ACCOUNT_EMAIL_SUBJECT_PREFIX)
    assert subject.splitlines() == [subject]
    assert subject == " ".join(subject.split())
    assert ENTITY.findall(subject) == []
    assert (NAME in subject) == (kind in SUBJECT_NAMES_ORGANIZATION)

    # The text body: hello, what, act with the link, the footer; nothing escaped.
    hello, what, act, footer, *_ = text
    assert ENTITY.findall("\n\n".join(text)) == []
    assert hello == "Hello Riley,"
    assert (NAME in what) == (kind in WHAT_NAMES_ORGANIZATION)
    assert (NOTE in what) == (kind in WHAT_QUOTES_NOTE)
    assert footer.startswith("--\nHMIS Access.")

    # The HTML body: the same paragraphs, escaped.
    html_hello, html_what, html_act, html_footer = paragraphs
    # The page's title is the subject, escaped.
    assert (
        f"<title>{escape(subject.removeprefix(settings.ACCOUNT_EMAIL_SUBJECT_PREFIX))}</title>"
        in page
    )
    assert NAME not in page
    assert (ESCAPED_NAME in html_what) == (kind in WHAT_NAMES_ORGANIZATION)
    assert (escape(NOTE) in html_what) == (kind in WHAT_QUOTES_NOTE)
    assert html.unescape(strip_tags(html_hello)) == hello
    assert html.unescape(strip_tags(html_what)) == what
    assert html.unescape(strip_tags(html_act)).split() == act.split()
    assert html_footer.startswith("<small>HMIS Access.")


def test_the_submitted_email_names_the_cans_in_words_in_both_bodies(notice):
    submitted = notice(Kind.SUBMITTED)
    subject, text, _page, paragraphs = parts(notifications.email_for(submitted))
    reference = submitted.request.reference
    what = (
        f"{NAME} submitted request {reference} for HMIS access, naming Eastern, Greater Hartford."
    )
    assert subject == f"{settings.ACCOUNT_EMAIL_SUBJECT_PREFIX}{reference} submitted by {NAME}"
    assert text[1] == what
    assert paragraphs[1] == escape(what)


def test_each_kind_has_one_template_and_each_template_is_a_kind():
    folder = Path(get_template("emails/base_body.txt").origin.name).parent
    bases = ["base_body.html", "base_body.txt", "base_subject.txt"]
    assert sorted(path.name for path in folder.iterdir()) == sorted(
        bases + [f"{kind}.txt" for kind in Kind.values]
    )


def test_a_bases_autoescape_reaches_the_blocks_of_the_template_extending_it():
    """The mechanism `email_for` rests on: a block renders with its base's autoescaping."""
    engine = Engine(
        loaders=[
            (
                "django.template.loaders.locmem.Loader",
                {
                    "off": "{% autoescape off %}[{% block b %}{% endblock %}]{% endautoescape %}",
                    "on": "[{% block b %}{% endblock %}]",
                    "kind": "{% extends base %}{% block b %}{{ x }}{% endblock %}ignored",
                },
            )
        ]
    )
    kind = engine.get_template("kind")
    assert kind.render(Context({"base": "off", "x": NAME})) == f"[{NAME}]"
    assert kind.render(Context({"base": "on", "x": NAME})) == f"[{ESCAPED_NAME}]"
