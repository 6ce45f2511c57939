"""Hostile input at every address of the site: no answer may be a server error.

Every URL pattern (this app's, the admin's and allauth's) comes from the resolver itself, so a
page added later is fuzzed without being listed here. A case is one request: a persona, signed
in by a session cookie; a pattern whose path values are real (the staged requests' references,
real primary keys) or hostile (NUL and other control characters, the right-to-left override,
long, non-Latin, negative or huge numbers, empty); a method; a query string; and for a POST a
form body. A body starts from the real fields of the forms that post to that address, read from
the site's own pages with their hidden values, and is then mutated: a field dropped, repeated,
nearly right (a NUL added, a timestamp without its zone, another id), hostile, huge, a name
nobody expects, another copy of a formset's form; a file input gets odd files, an image
decompression bomb among them.

The client re-raises a view's exception, so a failure shows its traceback; an answer of 500 or
more without an exception fails too.

Three tests. One walks every pattern as every persona with real path values, a hostile query
string and a body with one field nearly right (breadth). One sends every form of this app as a
stale page, a double submission or a hand-edited form would: each hidden value nearly right in
five ways, or missing; a formset's first form again as a new one; each odd file; and sends
every search and filter (a GET form, an admin autocomplete) with a NUL in each value. Hypothesis
then draws FUZZ_EXAMPLES cases (default 200), half of them aimed at the forms the pages offer
(depth). By default its cases are the same on every run, so CI is repeatable; `make fuzz` draws
thousands, new ones each run. FUZZ_SHRINK=1 shrinks a failing case to a small one first.

Speed: the requests, their MOUs and the forms' fields are staged once for the module inside an
outer transaction; every case runs in a savepoint of it that is rolled back, so each starts from
the same data whatever the case before it posted.
"""

import itertools
import os
import re
import struct
import traceback
import zlib
from dataclasses import dataclass, field
from functools import cached_property
from urllib.parse import urlencode, urljoin, urlsplit

import pytest
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client, TestCase, override_settings
from django.urls import resolve
from django.utils import timezone
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from requests_app import workflow
from requests_app.application.forms import STEPS
from requests_app.models import (
    AccessRequest,
    Agreement,
    Criterion,
    Membership,
    Notification,
)
from tests.support.factories import MembershipFactory, RevocationFactory, attach
from tests.support.journey import agree, staged_journey
from tests.support.pages import TreeBuilder
from tests.support.personas import PERSONA_NAMES
from tests.support.routes import admin_model, admin_objects, parameters, path_of, routes, where

FUZZ_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "200"))
# Repeatable by default; FUZZ_RANDOM=1 (make fuzz) explores new cases on every run.
RANDOM = os.environ.get("FUZZ_RANDOM") == "1"
# A failing case is reported as drawn; FUZZ_SHRINK=1 shrinks it first, which can take minutes.
SHRINK = os.environ.get("FUZZ_SHRINK") == "1"

pytestmark = [pytest.mark.fuzz, pytest.mark.django_db]


# The site's URL patterns (tests/support/routes.py).

ROUTES = routes()
APP_ROUTES = [r for r in ROUTES if not where(r).startswith(("admin/", "accounts/"))]
OTHER_ROUTES = [r for r in ROUTES if r not in APP_ROUTES]
# Pages of a request that differ with its status, read for every staged request.
PAGES = {"request_detail", "agreement", "application_step"}


# The forms of the site's pages, by where they send to.


@dataclass
class Form:
    fields: dict = field(default_factory=dict)  # name: the values the pages offer
    files: set = field(default_factory=set)
    checkboxes: set = field(default_factory=set)  # sent only when ticked
    hidden: set = field(default_factory=set)  # ids, the page's version, a formset's counts
    personas: set = field(default_factory=set)  # who was shown it

    def add(self, name, value):
        values = self.fields.setdefault(name, [])
        if value not in values:
            values.append(value)


def read_forms(persona, page_path, html, forms):
    builder = TreeBuilder()
    builder.feed(html)
    for element in builder.root.find_all("form"):
        action = urlsplit(urljoin(page_path, element.attrs.get("action") or page_path)).path
        method = (element.attrs.get("method") or "get").lower()
        form = forms.setdefault((method, action), Form())
        form.personas.add(persona)
        for control in element.find_all():
            if control.attrs.get("data-ajax--url"):
                _read_autocomplete(persona, page_path, control, forms)
            name = control.attrs.get("name")
            kind = control.attrs.get("type", "").lower()
            if not name or name == "csrfmiddlewaretoken":
                continue  # the test client does not check CSRF
            if control.tag == "input" and kind == "file":
                form.files.add(name)
            elif control.tag == "input" and kind in ("checkbox", "radio"):
                form.add(name, control.attrs.get("value") or "on")
                if kind == "checkbox":
                    form.checkboxes.add(name)
            elif control.tag in ("input", "button"):
                form.add(name, control.attrs.get("value", ""))
                if kind == "hidden":
                    form.hidden.add(name)
            elif control.tag == "select":
                for option in control.find_all("option"):
                    form.add(name, option.attrs.get("value", option.text))
            elif control.tag == "textarea":
                form.add(name, control.text)


def _read_autocomplete(persona, page_path, select, forms):
    """An admin autocomplete field searches as the page's script asks: a GET form of its own."""
    url = urlsplit(urljoin(page_path, select.attrs["data-ajax--url"])).path
    lookup = forms.setdefault(("get", url), Form())
    lookup.personas.add(persona)
    lookup.add("term", "a")
    for name in ("app_label", "model_name", "field_name"):
        lookup.add(name, select.attrs.get(f"data-{name.replace('_', '-')}", ""))


# Hostile values.

HOSTILE = [
    "",
    "\x00",
    "a\x00b",
    "HMIS-2026-0001\x00",
    "\x00HMIS-2026-0001",
    "\x01\x02\x1f\x7f",
    "\r\n",
    "\t",
    "\x1b[2J",
    "\u202e",
    "\u202eHMIS-2026-0001",
    "\u0085\u2028\u2029",
    "\ufeff",
    "\uffff",
    "\U0001f600",
    "Ж" * 300,
    "x" * 5000,
    "-1",
    "0",
    "-9223372036854775809",
    "99999999999999999999999999",
    "1e309",
    "NaN",
    "1.5",
    "true",
    " ",
    "..",
    "../..",
    "/",
    "%00",
    "%",
    "<script>alert(1)</script>",
    "' OR '1'='1",
    "{{ 7*7 }}",
    "2026-02-30",
    "9999-12-31",
    "0001-01-01",
    "2026-01-01T00:00:00",
    "2026-01-01 00:00:00",
    "2026-01-01T00:00:00+99:00",
    "HMIS-9999-9999999999",
    "hmis-2026-0001",
]
hostile_text = st.one_of(
    st.sampled_from(HOSTILE),
    st.text(st.characters(codec="utf-8"), max_size=40),
    st.text(st.characters(codec="utf-8", categories=["Cc"]), min_size=1, max_size=4),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
)

# A real value, nearly: what a stale page, a hand-edited form or a broken client sends.
NEARLY = {
    "with a NUL": lambda v: v + "\x00",
    "without its time zone": lambda v: v[:19],
    "cut in half": lambda v: v[: len(v) // 2],
    "another id": lambda v: str(int(v) + 1000) if v.isdigit() else v + "1",
    "negative": lambda v: "-" + v,
    "twice over": lambda v: v + v,
    "upper case": lambda v: v.upper(),
    "with a right-to-left override": lambda v: "\u202e" + v,
}

QUERY_KEYS = [
    "q",
    "o",
    "p",
    "e",
    "page",
    "tab",
    "sort",
    "status",
    "status__exact",
    "kind",
    "kind__exact",
    "cans__id__exact",
    "is_researcher__exact",
    "revoked_at__gte",
    "_to_field",
    "_popup",
    "_changelist_filters",
    "next",
    "add",
    "all",
    "term",
    "app_label",
    "model_name",
    "field_name",
]
RAW_QUERIES = ["%00", "%zz", "%ff%fe=%ff", "&&&", "=", "a=1&a=2&a", "q=%00&q=%01", "%E2%80%AE=x"]
RAW_BODIES = [
    ("multipart/form-data", b"--x\r\n\x00"),
    ("multipart/form-data; boundary=x", b"--x\r\nContent-Disposition: form-data\r\n\r\n\x00"),
    ("multipart/form-data; boundary=x", b"--x\r\n" * 50),
    ("application/x-www-form-urlencoded", b"%ff%fe=%00&&=&%zz"),
    ("application/x-www-form-urlencoded", b"&".join([b"a=1"] * 1001)),
    ("application/json", b'{"a": "\\u0000"}'),
    ("text/plain", b"\x00\xff"),
]
METHODS = ["GET", "POST", "POST", "HEAD", "PUT", "DELETE", "OPTIONS"]
HUGE = "x" * 200_000


def _png(width, height):
    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    pixels = zlib.compress(b"\x00" * (width + 1) * min(height, 2))
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


UPLOADS = {
    "a PDF": b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF",
    "a PNG": _png(1, 1),
    # A few kilobytes that claim 400 million pixels: a decompression bomb.
    "a decompression bomb": _png(20_000, 20_000),
    "an empty file": b"",
    "garbage": b"\x00\xff" * 64,
    "a PDF one byte too large": b"%PDF-1.7\n" + b"0" * (10 * 1024 * 1024 - 8),
}


def upload(kind, name=None):
    names = {"a PNG": "scan.png", "a decompression bomb": "scan.png"}
    return SimpleUploadedFile(name or names.get(kind, "letter.pdf"), UPLOADS[kind])


UPLOAD_NAMES = ["irb.pdf", "a.png", "a.jpg", "\x00.pdf", "\u202efdp.exe", "../../x.pdf", "x" * 300]


# The staged data.


@dataclass
class Stage:
    sessions: dict  # persona: session key; None for the anonymous visitor
    values: dict  # path parameter: real values
    objects: dict  # an admin model's path, "app_label/model_name/": real primary keys
    editable: list  # the references of the applications the requestor may edit
    forms: dict = field(default_factory=dict)  # (method, path): Form

    def __repr__(self):
        # Hypothesis prints the test's arguments with a failing case; the drawn values say it.
        return f"Stage({len(self.forms)} forms)"

    def real_values(self, route):
        model = admin_model(route, self.objects)
        own = {"object_id": self.objects[model]} if model else {}
        return {name: own.get(name) or self.values.get(name, ["1"]) for name in parameters(route)}

    @cached_property
    def form_patterns(self):
        """The forms' (method, path)s by their method and URL pattern."""
        patterns = {}
        for method, path in sorted(self.forms):
            pattern = str(resolve(path).route)
            patterns.setdefault((method, pattern), []).append((method, path))
        return patterns

    def client(self, persona):
        client = Client(raise_request_exception=True)
        if self.sessions[persona]:
            client.cookies[settings.SESSION_COOKIE_NAME] = self.sessions[persona]
        return client


def _mou_signed(journey):
    """An approved request whose MOU the organization signed. Each step renders a version after
    commit, and the next step waits for it."""
    p = journey.p
    with TestCase.captureOnCommitCallbacks(execute=True):
        request = journey.approved()
    with TestCase.captureOnCommitCallbacks(execute=True):
        agreement = Agreement.objects.get(request=request)
        workflow.sign_mou(agreement, p.riley, "Riley Requestor", "Director", True, "192.0.2.1")
    return request


def _mou_active(journey):
    """An MOU countersigned, its person trained and active: the MOU page then offers revoking
    and, near the end, renewing."""
    p = journey.p
    request = _mou_signed(journey)
    with TestCase.captureOnCommitCallbacks(execute=True):
        agreement = Agreement.objects.get(request=request)
        workflow.countersign_mou(agreement, p.sam, "Sam Staff", "Manager", True, "192.0.2.2")
    for person in request.people.all():
        agreement = Agreement.objects.get(request=request)
        workflow.record_training(agreement, p.sam, person, timezone.localdate(), "HMIS")
        agree(person)
    with TestCase.captureOnCommitCallbacks(execute=True):
        workflow.activate_access(Agreement.objects.get(request=request), p.sam)
    return request


def _stage_data():
    journey = staged_journey()
    p = journey.p
    draft, returned = journey.draft(), journey.returned()
    # A colleague saved each application too, so a page's edit_seen is compared with theirs.
    colleague = MembershipFactory(organization=p.harbor, user__name="Robin Colleague").user
    for application in (draft, returned):
        purpose = {"purpose": "Coordinate discharge planning and follow-up."}
        workflow.save_answers(application, colleague, "scope", purpose)
    requests = [
        draft,
        returned,
        journey.submitted(),
        journey.ready_to_approve(),
        journey.ready_to_deny(),
        journey.with_quorum(),
        journey.denied(),
        journey.withdrawn(),
    ]
    with TestCase.captureOnCommitCallbacks(execute=True):
        requests.append(journey.approved())  # its MOU issued, waiting for the signature
    requests += [_mou_signed(journey), _mou_active(journey)]
    attachment = attach(draft, p.riley)
    pending = MembershipFactory(organization=p.harbor, state=Membership.State.PENDING)
    RevocationFactory(organization=p.elsewhere, recorded_by=p.alex)
    notices = list(Notification.objects.order_by("pk").values_list("pk", flat=True)[:3])
    Notification.objects.filter(pk=notices[0]).update(delivery=Notification.Delivery.FAILED)

    sessions = {"anonymous": None}
    for name in PERSONA_NAMES[1:]:
        client = Client()
        client.force_login(p.by_name(name))
        sessions[name] = client.cookies[settings.SESSION_COOKIE_NAME].value

    values = {
        "reference": [r.reference for r in requests],
        "step": [step.slug for step in STEPS],
        "visibility": ["internal", "requestor"],
        "version": ["1", "2", "3"],
        "criterion_id": [str(c.pk) for c in Criterion.objects.order_by("pk")[:3]],
        "pk": [str(pk) for pk in (attachment.pk, pending.pk, *notices)],
        "id": [str(p.riley.pk)],
        "content_type_id": [str(ContentType.objects.get_for_model(AccessRequest).pk)],
        "object_id": [str(draft.pk)],
        "app_label": ["requests_app", "auth", "account", "django_tasks_database"],
        "url": ["", "nothing/here"],
        "key": ["abc", "MQ:1abc:xyz"],
        "uidb36": ["1", "zz"],
        "table": ["stages", "access_by_can", "nothing"],
    }
    stage = Stage(sessions, values, admin_objects(), [draft.reference, returned.reference])
    _read_the_pages(stage)
    return stage


def _read_the_pages(stage):
    """The forms of the pages each persona reaches with real values, so bodies start from the
    fields a browser sends. One persona of each role is enough to be shown every form."""
    for persona in ("riley", "sam", "casey", "lee", "alex", "anonymous"):
        client = stage.client(persona)
        paths = set()
        for route in ROUTES:
            written = where(route)
            if written.startswith("admin/") != (persona == "alex"):
                continue  # the administrator's pages are the admin's
            if written.startswith("accounts/") and persona not in ("anonymous", "riley"):
                continue
            if written.endswith(("/history/", "<path:object_id>/")):
                continue  # no forms there
            real = stage.real_values(route)
            if route[-1].name == "application_step":
                if persona != "riley":
                    continue  # only the requestor edits an application
                real["reference"] = stage.editable
            elif route[-1].name not in PAGES:
                real = {name: options[:1] for name, options in real.items()}
            for values in itertools.product(*real.values()):
                paths.add(path_of(route, dict(zip(real, values, strict=True))))
        for path in sorted(paths):
            response = client.get(path)
            if response.status_code == 200 and "html" in response.get("Content-Type", ""):
                read_forms(persona, path, response.content.decode(), stage.forms)


@pytest.fixture(scope="module")
def stage(django_db_setup, django_db_blocker, tmp_path_factory):
    private = tmp_path_factory.mktemp("private")
    with (
        django_db_blocker.unblock(),
        override_settings(PRIVATE_FILES_ROOT=private),
        transaction.atomic(),
    ):
        yield _stage_data()
        transaction.set_rollback(True)


# A case and its answer.


@dataclass
class Case:
    persona: str
    method: str
    path: str
    query: str = ""
    fields: list = field(default_factory=list)  # (name, value) pairs; a name may repeat
    files: dict = field(default_factory=dict)
    raw: tuple | None = None  # (content type, bytes) sent instead of the fields
    urlencoded: bool = False

    def __repr__(self):
        fields = [(n[:80], v[:80] + ("..." if len(v) > 80 else "")) for n, v in self.fields]
        files = {name: (f.name, f.size) for name, f in self.files.items()}
        return (
            f"{self.method} {self.path[:300]}?{self.query[:300]} as {self.persona}, "
            f"fields={fields} files={files} raw={self.raw and self.raw[0]} "
            f"urlencoded={self.urlencoded}"
        )


def send(stage, case):
    """The answer's status code, from a savepoint rolled back afterwards."""
    client = stage.client(case.persona)
    url = f"{case.path}?{case.query}" if case.query else case.path
    with transaction.atomic():
        cache.clear()  # allauth counts its rate limits in the cache
        if case.raw:
            response = client.generic(case.method, url, case.raw[1], content_type=case.raw[0])
        elif case.method == "POST" and case.urlencoded:
            body = urlencode(case.fields)
            response = client.post(url, body, content_type="application/x-www-form-urlencoded")
        elif case.method == "POST":
            data = {}
            for name, value in case.fields:
                data.setdefault(name, []).append(value)
            for file in case.files.values():
                file.seek(0)  # a case the walk or Hypothesis sends again reads it afresh
            response = client.post(url, {**data, **case.files})
        else:
            response = client.generic(case.method, url)
        transaction.set_rollback(True)
    return response.status_code


def server_errors(stage, case):
    status = send(stage, case)
    return [f"{status} for {case!r}"] if status >= 500 else []


def failures(stage, case):
    """server_errors(), with an exception reported too, so a run shows every failure."""
    try:
        return server_errors(stage, case)
    except Exception as error:
        frames = traceback.extract_tb(error.__traceback__)
        ours = [f for f in frames if "site-packages" not in f.filename][-2:]
        where = "".join(traceback.format_list([*ours, frames[-1]]))
        return [f"{case!r} raised\n{where}{type(error).__name__}: {error}"]


def real_fields(form, pick=lambda values: values[0], ticked=lambda name: True):
    return [
        (name, pick(values))
        for name, values in form.fields.items()
        if name not in form.checkboxes or ticked(name)
    ]


# Breadth: every pattern as every persona, with real path values, a hostile query and a body
# with one field nearly right. GET or POST in turn, so each pattern gets both.

QUERIES = ["status=%00", "q=%01%7f&p=-1", "o=%00&e=1", "page=99999999999999999999", "%ff=%zz"]


@pytest.mark.parametrize("persona", PERSONA_NAMES)
def test_every_address_as_every_persona_answers_without_a_server_error(stage, persona):
    errors = []
    turn = PERSONA_NAMES.index(persona)
    nearly = list(NEARLY.values())
    for number, route in enumerate(ROUTES, start=turn):
        real = stage.real_values(route)
        path = path_of(route, {name: opts[number % len(opts)] for name, opts in real.items()})
        if number % 2:
            case = Case(persona, "GET", path, query=QUERIES[number % len(QUERIES)])
        else:
            form = stage.forms.get(("post", path), Form())
            fields = real_fields(form, ticked=lambda name: not name.endswith("DELETE"))
            if fields:
                name, value = fields.pop(number % len(fields))
                fields.append((name, nearly[number % len(nearly)](value)))
            case = Case(persona, "POST", path, fields=fields)
        errors += failures(stage, case)
    assert errors == [], "\n\n".join(errors)


# Every form of this app as a stale page, a double submission or a hand-edited form sends it:
# each hidden value nearly right, or missing; a formset's first form once more as a new one;
# each odd file in each file input. And every search and filter of the site with a NUL.

# The ways a hidden value is nearly right that the sweep tries; Hypothesis tries them all.
SWEPT = ["with a NUL", "without its time zone", "cut in half", "another id", "negative"]


def _sweep(stage):
    shapes = set()
    for (method, path), form in sorted(stage.forms.items()):
        if method == "get":
            # A search or a filter: each value with a NUL, the admin's and allauth's too.
            real = real_fields(form)
            for name, _ in real:
                query = urlencode([(n, v + "\x00" if n == name else v) for n, v in real])
                yield Case(next(p for p in PERSONA_NAMES if p in form.personas), "GET", path, query)
            continue
        if path.startswith(("/admin/", "/accounts/")):
            continue
        # One form of each kind: forms that differ by a number only count once.
        shape = (resolve(path).route, *sorted({re.sub(r"\d+", "N", n) for n in form.fields}))
        if shape in shapes:
            continue
        shapes.add(shape)
        persona = next(p for p in PERSONA_NAMES if p in form.personas)
        real = real_fields(form, ticked=lambda name: not name.endswith("DELETE"))
        for name in sorted(form.hidden):
            for how in SWEPT:
                fields = [(n, NEARLY[how](v) if n == name else v) for n, v in real]
                yield Case(persona, "POST", path, fields=fields)
            yield Case(persona, "POST", path, fields=[(n, v) for n, v in real if n != name])
        for total in sorted(n for n in form.fields if n.endswith("-TOTAL_FORMS")):
            fields = another_form(real, total.removesuffix("-TOTAL_FORMS"))
            yield Case(persona, "POST", path, fields=fields)
        for name in sorted(form.files):
            for kind in UPLOADS:
                yield Case(persona, "POST", path, fields=real, files={name: upload(kind)})


def test_every_form_sent_nearly_right_answers_without_a_server_error(stage):
    errors = []
    for case in _sweep(stage):
        errors += failures(stage, case)
    assert errors == [], "\n\n".join(errors)


# Depth: Hypothesis draws the cases.


def _mutated(data, stage, form):
    """The form's fields with real values, then up to three changes. Half the changes are to
    hidden values: a browser never changes those, so views are likelier to trust them."""
    fields = real_fields(
        form,
        pick=lambda values: data.draw(st.sampled_from(values)),
        ticked=lambda name: data.draw(st.booleans(), label=f"tick {name}"),
    )
    names = sorted(form.fields)
    known = sorted({name for f in stage.forms.values() for name in f.fields})
    changes = ["nearly", "hostile", "drop", "repeat", "huge", "extra", "another form"]
    for change in data.draw(st.lists(st.sampled_from(changes), max_size=3), label="changes"):
        hidden = [at for at, (name, _) in enumerate(fields) if name in form.hidden]
        if change == "extra":
            name = data.draw(st.one_of(st.sampled_from(known), hostile_text), label="name")
            fields.append((name, data.draw(hostile_text)))
        elif change == "another form":
            formsets = sorted(n.removesuffix("-TOTAL_FORMS") for n in names if "TOTAL" in n)
            if formsets:
                fields = another_form(fields, data.draw(st.sampled_from(formsets)))
        elif fields:
            anywhere = st.integers(0, len(fields) - 1)
            at = data.draw(st.sampled_from(hidden) | anywhere if hidden else anywhere)
            name, value = fields.pop(at)
            if change == "nearly":
                how = data.draw(st.sampled_from(sorted(NEARLY)), label="nearly")
                fields.insert(at, (name, NEARLY[how](value)))
            elif change == "hostile":
                fields.insert(at, (name, data.draw(hostile_text)))
            elif change == "repeat":
                fields[at:at] = [(name, value), (name, data.draw(hostile_text | st.just(value)))]
            elif change == "huge":
                fields.insert(at, (name, HUGE))
    if names and not fields:
        fields = [(data.draw(st.sampled_from(names)), data.draw(hostile_text))]
    return fields


def another_form(fields, prefix):
    """A formset's form 0 once more, as a new form: the same person named twice, say."""
    count = dict(fields).get(f"{prefix}-TOTAL_FORMS", "1")
    count = int(count) if count.isdigit() else 1
    copied = [
        (name.replace(f"{prefix}-0-", f"{prefix}-{count}-", 1), value)
        for name, value in fields
        if name.startswith(f"{prefix}-0-") and not name.endswith(("-id", "-DELETE"))
    ]
    fields = [(n, str(count + 1) if n == f"{prefix}-TOTAL_FORMS" else v) for n, v in fields]
    return fields + copied


def _files(data, form):
    files = {}
    for name in sorted(form.files):
        if data.draw(st.booleans(), label=f"upload {name}"):
            kind = data.draw(st.sampled_from(sorted(UPLOADS)), label="upload")
            filename = data.draw(st.sampled_from(UPLOAD_NAMES), label="filename")
            files[name] = upload(kind, filename)
    return files


def _query(data, stage, path):
    if data.draw(st.integers(0, 9)) == 0:
        return data.draw(st.sampled_from(RAW_QUERIES), label="raw query")
    form = stage.forms.get(("get", path))
    if form and data.draw(st.booleans()):
        return urlencode(_mutated(data, stage, form))
    pairs = st.tuples(st.sampled_from(QUERY_KEYS) | hostile_text, hostile_text)
    return urlencode(data.draw(st.lists(pairs, max_size=3), label="query"))


def _body(data, stage, case, form):
    if data.draw(st.integers(0, 9)) == 0:
        case.raw = data.draw(st.sampled_from(RAW_BODIES), label="raw body")
        return
    case.fields = _mutated(data, stage, form)
    case.urlencoded = data.draw(st.booleans(), label="urlencoded") if not form.files else False
    case.files = {} if case.urlencoded else _files(data, form)


def _a_form_case(data, stage):
    """One of the forms the pages offer, sent by someone it was shown to or by anybody. The
    form's pattern is drawn first, so forms that differ by a number only count as
    one, and this app's patterns get half the draws."""
    patterns = stage.form_patterns
    app = sorted(p for p in patterns if not p[1].startswith(("admin/", "accounts/")))
    other = sorted(p for p in patterns if p not in app)
    pattern = data.draw(st.sampled_from(app) | st.sampled_from(other), label="form pattern")
    method, path = data.draw(st.sampled_from(patterns[pattern]), label="form")
    form = stage.forms[method, path]
    who = st.sampled_from(sorted(form.personas)) | st.sampled_from(PERSONA_NAMES)
    case = Case(data.draw(who, label="persona"), method.upper(), path)
    if method == "get":
        case.query = urlencode(_mutated(data, stage, form))
    else:
        _body(data, stage, case, form)
    return case


def _an_address_case(data, stage):
    """Any pattern, its path values real or hostile, with any method."""
    # Half the cases for this app's patterns: there are fewer of them, and its forms.
    route = data.draw(st.sampled_from(APP_ROUTES) | st.sampled_from(OTHER_ROUTES), label="route")
    values = {
        name: data.draw(st.sampled_from(options) | hostile_text, label=name)
        for name, options in stage.real_values(route).items()
    }
    path = path_of(route, values)
    persona = data.draw(st.sampled_from(PERSONA_NAMES), label="persona")
    case = Case(persona, data.draw(st.sampled_from(METHODS), label="method"), path)
    case.query = _query(data, stage, path)
    if case.method != "GET":
        _body(data, stage, case, stage.forms.get(("post", path), Form()))
    return case


@hypothesis_settings(
    max_examples=FUZZ_EXAMPLES,
    deadline=None,
    derandomize=not RANDOM,
    database=None,
    phases=[Phase.explicit, Phase.generate, *([Phase.shrink] if SHRINK else [])],
    # The staged data is the module's, and each case rolls back its own savepoint: pytest's
    # function-scoped fixtures (the test's transaction, the cache) hold nothing between cases.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_hostile_requests_never_get_a_server_error(stage, data):
    if data.draw(st.booleans(), label="a form of the pages"):
        case = _a_form_case(data, stage)
    else:
        case = _an_address_case(data, stage)
    assert server_errors(stage, case) == []
