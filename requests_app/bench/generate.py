"""The benchmark's data set (docs/performance.md): years of requests in every status with their
people, answers, frozen versions, history, assessments, votes, decisions, MOUs and notices, so
each page is measured at the size it will reach rather than at the demo's.

Rows go straight into the models' own tables with COPY: each table's columns and defaults come
from its model's _meta, so a field added later needs nothing here unless it has no default.
Rows are only ever inserted, so the append-only triggers hold, and every foreign key is checked
by PostgreSQL once they are all in. The same seed gives the same rows (anchored at
today's midnight, so the dates stay relative to the day it runs)."""

import datetime
import hashlib
import io
import json
import queue
import random
import threading
from collections import Counter
from dataclasses import dataclass, field

from allauth.mfa.models import Authenticator
from django.apps import apps
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.core.management.color import no_style
from django.db import connection, transaction
from django.utils import timezone

from requests_app.agreement import mou
from requests_app.agreement.access import add_months
from requests_app.application import record
from requests_app.core import chain
from requests_app.core.states import AccessEnd, AccessLevel, AgreementStatus, Status
from requests_app.models import (
    CAN,
    AccessRequest,
    Agreement,
    ApplicationVersion,
    Assessment,
    CANRecommendation,
    Comment,
    Criterion,
    Decision,
    Event,
    Grant,
    Membership,
    MOUVersion,
    NamedPerson,
    Notification,
    Organization,
    PersonAccess,
    ReadLogEntry,
    Revocation,
    Signature,
    Training,
    User,
    Vote,
    VotingRound,
    private_storage,
)


@dataclass(frozen=True)
class Scale:
    """How much to make. The defaults are the measured size; tests ask for a small one."""

    requests: int = 100_000
    events: int = 1_000_000
    notices: int = 1_000_000
    organizations: int = 10_000
    # The history of the request page measured with a long history.
    long_history: int = 5_000
    # Requests with the committee: the docket's rows.
    docket: int = 1_000
    # The requests of the organization whose requestor reads "My requests".
    own_requests: int = 1_000
    # The read log: reads of requests' pages and files, the long history's request read most
    # (its "who read it" page), and CSV exports (docs/performance.md).
    reads: int = 1_000_000
    long_reads: int = 5_000
    exports: int = 2_000
    staff: int = 8
    committee: int = 10
    seed: int = 1


# The share of requests in each status, the docket's apart: about half are open.
SHARES = {
    Status.DRAFT: 2,
    Status.SUBMITTED: 22,
    Status.SCREENING: 23,
    Status.RETURNED: 8,
    Status.APPROVED: 23,
    Status.DENIED: 12,
    Status.WITHDRAWN: 10,
}
# The queue's search measured: a family name about one named person in eighty carries.
SEARCH_TERM = "rivera"
# The CAN of the CAN leader measured, named by about a quarter of the requests.
MEASURED_CAN = "greater-hartford"
MEASURED_CAN_SHARE = 0.27
# A committee-decided request among the decided: enough for a member's past docket.
COMMITTEE_SHARE = 0.06
SHORT_HISTORY = 14  # submitted, screening started and each of the 12 criteria assessed
CHUNK = 20_000  # rows per COPY
# The authenticator-app key of every deciding person generated (base32); nobody signs in with it.
BENCH_KEY = "BENCHBENCHBENCHBENCHBENCHBENCHBE"

# fmt: off
FIRST = [
    "James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "David",
    "Elizabeth", "William", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah",
    "Charles", "Karen", "Christopher", "Lisa", "Daniel", "Nancy", "Matthew", "Betty", "Anthony",
    "Sandra", "Mark", "Margaret", "Donald", "Ashley", "Steven", "Kimberly", "Andrew", "Emily",
    "Paul", "Donna", "Joshua", "Michelle", "Kenneth", "Carol", "Kevin", "Amanda", "Brian",
    "Melissa", "George", "Deborah", "Timothy", "Stephanie", "Ronald", "Rebecca", "Jason", "Sharon",
    "Edward", "Laura", "Jeffrey", "Cynthia", "Ryan", "Amy", "Jacob", "Kathleen", "Luis", "Angela",
    "Carlos", "Dorothy", "Jose", "Shirley", "Juan", "Emma", "Priya", "Wei", "Aisha", "Omar"
]
LAST = [
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez",
    "Martinez", "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor",
    "Moore", "Jackson", "Martin", "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez",
    "Clark", "Ramirez", "Lewis", "Robinson", "Walker", "Young", "Allen", "King", "Wright", "Scott",
    "Torres", "Nguyen", "Hill", "Flores", "Green", "Adams", "Nelson", "Baker", "Hall", "Rivera",
    "Campbell", "Mitchell", "Carter", "Roberts", "Gomez", "Phillips", "Evans", "Turner", "Diaz",
    "Parker", "Cruz", "Edwards", "Collins", "Reyes", "Stewart", "Morris", "Morales", "Murphy",
    "Cook", "Rogers", "Gutierrez", "Ortiz", "Morgan", "Cooper", "Peterson", "Bailey", "Reed",
    "Kelly", "Howard", "Ramos", "Kim", "Cox", "Ward"
]
TOWNS = [
    "Hartford", "New Haven", "Bridgeport", "Stamford", "Waterbury", "Norwalk", "Danbury",
    "New Britain", "Bristol", "Meriden", "Milford", "West Haven", "Middletown", "Norwich",
    "Shelton", "Torrington", "New London", "Ansonia", "Derby", "Groton", "Manchester", "Enfield",
    "Glastonbury", "Hamden", "Wallingford", "Greenwich", "Fairfield", "Stratford", "East Hartford",
    "West Hartford", "Southington", "Naugatuck", "Newington", "Vernon", "Windham", "Willimantic",
    "Killingly", "Putnam", "Litchfield", "Winsted", "Old Saybrook", "Essex", "Mystic",
    "Stonington", "Branford", "Guilford", "Madison", "Orange", "Cheshire", "Farmington",
    "Simsbury", "Windsor", "Bloomfield", "Wethersfield", "Rocky Hill", "Cromwell", "Plainville",
    "Berlin", "Tolland", "Storrs", "Capitol Region", "Naugatuck Valley", "Quinnipiac",
    "Housatonic", "Thames Valley", "Shoreline", "Northeast", "Southeastern",
]
MIDDLE = [
    "Community", "Regional", "Family", "Health", "Housing", "Youth", "Veterans",
    "Behavioral Health", "Recovery", "Women's", "Children's", "Senior", "Legal Aid", "Workforce",
    "Public Health",
]
NOUNS = {
    "Health Center": Organization.Kind.HEALTH_CARE,
    "Hospital": Organization.Kind.HEALTH_CARE,
    "Medical Group": Organization.Kind.HEALTH_CARE,
    "Clinic": Organization.Kind.HEALTH_CARE,
    "Research Institute": Organization.Kind.RESEARCH,
    "Policy Lab": Organization.Kind.RESEARCH,
    "Foundation": Organization.Kind.FUNDER,
    "Fund": Organization.Kind.FUNDER,
    "Alliance": Organization.Kind.NONPROFIT,
    "Services": Organization.Kind.NONPROFIT,
    "Coalition": Organization.Kind.NONPROFIT,
    "Partners": Organization.Kind.NONPROFIT,
    "Network": Organization.Kind.OTHER,
    "Council": Organization.Kind.GOVERNMENT,
    "Department": Organization.Kind.GOVERNMENT,
    "Collaborative": Organization.Kind.OTHER,
}
TITLES = [
    "Case manager", "Discharge planner", "Data analyst", "Program director", "Research associate",
    "Social worker", "Outreach coordinator", "Care coordinator", "Epidemiologist", "Grants manager"
]
# fmt: on
# Sentences the answers are built from: two or three each, a few hundred characters.
SENTENCES = {
    "purpose": [
        "Coordinate discharge planning for patients experiencing homelessness.",
        "Confirm enrollment in coordinated entry before a referral is made.",
        "Match our outreach contacts with existing HMIS records to avoid duplicate intakes.",
        "Evaluate the effect of medical respite on returns to shelter within a year.",
        "Track housing outcomes of the families our program refers to rapid rehousing.",
        "Support the street medicine team with same-day knowledge of shelter stays.",
    ],
    "contribution": [
        "Fewer discharges to the street and faster housing referrals.",
        "Shorter stays in emergency shelter for the people we serve.",
        "Evidence the Continuum of Care can use to direct its funding.",
        "Fewer duplicate assessments for people already known to the system.",
        "Earlier connection to permanent supportive housing for high utilizers.",
    ],
    "existing_reporting_gap": [
        "CTCANDATA.org reports are aggregate and monthly; our staff need to see enrollment "
        "status the same day.",
        "Custom data pulls take weeks and cannot follow an individual client over time.",
        "Existing dashboards do not break results down by the CANs we serve.",
        "The public reports suppress small counts, which are exactly the cases we study.",
    ],
    "funding_relation": [
        "Required by our state-funded medical respite contract.",
        "A condition of our HUD Continuum of Care grant agreement.",
        "Part of the evaluation plan our foundation funder approved.",
        "No funding depends on it; it is part of our own quality work.",
    ],
    "homeless_relationship": [
        "Our respite program serves about 300 people a year.",
        "We run two drop-in centers and a mobile outreach van.",
        "Our clinic has served people experiencing homelessness for fifteen years.",
        "Our researchers partner with three shelters under a data use agreement.",
    ],
}
REASONS = [
    "All criteria are met and the CAN supports the request.",
    "The stated need can be met with the existing monthly reports.",
    "The purpose is clear and limited to the named program.",
    "Identified data is not justified for an aggregate study.",
]
COMMENTS = [
    "Checked the organization's registration with the Secretary of the State.",
    "The CAN lead confirmed they work with this program on discharges.",
    "Asked the contact for the IRB approval letter; it is attached now.",
    "Can you confirm whether the data analyst needs full access or reporting only?",
    "Thank you, we have uploaded the signed data use agreement.",
]
LEVEL_WEIGHTS = {AccessLevel.FULL: 30, AccessLevel.VIEW: 45, AccessLevel.REPORTING: 25}
PEOPLE_WEIGHTS = [35, 30, 20, 10, 5]  # one to five named people


@dataclass
class Plan:
    """One request, decided before any row is written: what the rows and events follow from.
    `seed` makes its story the same each time it is told."""

    pk: int
    status: str
    created: datetime.datetime
    organization: int
    seed: int
    cans: list = field(default_factory=list)
    people: list = field(default_factory=list)
    assessed: int = 0
    committee: bool = False
    stage: str = ""
    history: int = 0  # a fixed number of events (the measured histories), or 0
    reads: int = 0  # entries of the read log about it
    render: bool = False  # its MOU files are rendered for real (the MOU page measured)
    reference: str = ""
    assignee: int | None = None
    round: int | None = None


def _random(seed):
    """The generator of a benchmark's rows: seeded, so a run repeats; no secret depends on it."""
    return random.Random(seed)  # noqa: S311


def _copy_text(value):
    """A value in COPY's text format."""
    kind = type(value)
    if kind is str:
        text = value
    elif value is None:
        return r"\N"
    elif kind is bool:
        return "t" if value else "f"
    elif kind is int:
        return str(value)
    elif kind is dict or kind is list:
        text = json.dumps(value)
    elif isinstance(value, datetime.date):
        return value.isoformat()
    else:
        text = str(value)
    if "\\" in text or "\n" in text or "\t" in text or "\r" in text:
        return text.translate(_ESCAPES)
    return text


_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_ABSENT = object()


class Loader:
    """Rows into the models' tables with COPY, CHUNK at a time. Each row names the model's
    fields by attname; the rest take the field's default (a time default is `now`, so the
    same seed gives the same rows). Primary keys are numbered here, from 1."""

    def __init__(self, now):
        self.now = now
        self.tables = {}
        self.ids = Counter()
        # COPY runs in a thread of its own, on this transaction's connection, while the next
        # rows are made: PostgreSQL and Python each keep a core busy.
        connection.ensure_connection()
        self.raw = connection.connection
        self.pending = queue.Queue(maxsize=4)
        self.failure = None
        self.writer = threading.Thread(target=self._write, daemon=True)
        self.writer.start()

    def add(self, model, **row):
        table = self.tables.get(model) or self._table(model)
        if "id" not in row:
            self.ids[model] += 1
            row["id"] = self.ids[model]
        values = [
            default if (value := row.get(name, _ABSENT)) is _ABSENT else _copy_text(value)
            for name, default in table["defaults"]
        ]
        table["lines"].append("\t".join(values))
        if len(table["lines"]) >= CHUNK:
            self._flush(model)
        return row["id"]

    def next_id(self, model):
        self.ids[model] += 1
        return self.ids[model]

    def _table(self, model):
        defaults = []
        for f in model._meta.local_concrete_fields:
            default = f.get_default()
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                default = self.now
            if isinstance(default, datetime.datetime):
                default = self.now
            defaults.append((f.attname, _copy_text(default)))
        self.tables[model] = {"defaults": defaults, "lines": []}
        return self.tables[model]

    def _flush(self, model):
        if self.failure:
            raise self.failure
        table = self.tables[model]
        if not table["lines"]:
            return
        quote = connection.ops.quote_name
        columns = ", ".join(quote(model._meta.get_field(n).column) for n, _ in table["defaults"])
        sql = f"COPY {quote(model._meta.db_table)} ({columns}) FROM STDIN"
        self.pending.put((sql, io.StringIO("\n".join(table["lines"]) + "\n")))
        table["lines"] = []

    def _write(self):
        cursor = self.raw.cursor()
        while (item := self.pending.get()) is not None:
            try:
                if self.failure is None:
                    cursor.copy_expert(*item)
            except Exception as error:  # raised again in the thread that makes the rows
                self.failure = error

    def finish(self):
        for model in self.tables:
            self._flush(model)
        self.pending.put(None)
        self.writer.join()
        if self.failure:
            raise self.failure
        # The sequences go on from the numbers given here, so the application's inserts work.
        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(), list(self.tables)):
                cursor.execute(sql)


def generate(scale=Scale(), say=print):
    """Fill the current database, freshly migrated and empty, with `scale`'s data set."""
    if AccessRequest.objects.exists():
        raise ValueError("The database already has requests: generate into an empty one.")
    call_command("loaddata", "cans", "criteria", verbosity=0)
    with transaction.atomic(), connection.cursor() as cursor:
        # Local to this transaction: loading takes longer than a page may.
        cursor.execute("SET LOCAL statement_timeout = 0")
        keys = _foreign_keys(cursor)
        # As pg_restore does: the foreign keys go while the rows are loaded, and come back
        # with every row checked in one pass each, instead of one lookup per row.
        for table, name, _ in keys:
            cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {name}")
        Generator(scale, say).run()
        say("checking every foreign key")
        for table, name, definition in keys:
            cursor.execute(f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}")


def _foreign_keys(cursor):
    """The app's foreign keys as PostgreSQL defines them: (table, name, definition)."""
    tables = [
        model._meta.db_table
        for model in apps.get_app_config("requests_app").get_models(include_auto_created=True)
    ]
    cursor.execute(
        "SELECT conrelid::regclass::text, quote_ident(conname), pg_get_constraintdef(oid) "
        "FROM pg_constraint WHERE contype = 'f' AND conrelid::regclass::text = ANY(%s)",
        [tables],
    )
    return cursor.fetchall()


class Generator:
    """Plans every request first (its status, time, people and how many events it tells),
    then writes each with its history and the rows beside it, and last the notices."""

    def __init__(self, scale, say):
        self.scale = scale
        self.say = say
        self.rng = _random(scale.seed)
        today = timezone.localdate()
        self.now = datetime.datetime.combine(
            today, datetime.time(), tzinfo=timezone.get_current_timezone()
        )
        self.load = Loader(self.now)
        self.criteria = list(Criterion.objects.order_by("order"))
        self.cans = {can.pk: can for can in CAN.objects.order_by("pk")}
        self.measured_can = CAN.objects.get(slug=MEASURED_CAN).pk
        self.names = {}
        self.notices = []  # (recipient, request, event, kind, time), one per person told
        self.withheld = []  # the MOU versions rendered for real once everything is loaded

    def run(self):
        self.say("people and organizations")
        self._users()
        self._organizations()
        self.say("planning the requests")
        plans = self._plans()
        self.say("requests, their people, versions, histories and reads")
        for plan in plans:
            self._request(plan)
        self.say("notices")
        self._write_notices()
        self.say("CSV exports in the read log")
        self._write_exports()
        self.load.finish()
        self._render_withheld()

    # People and organizations.

    def _name(self):
        return f"{self.rng.choice(FIRST)} {self.rng.choice(LAST)}"

    def _user(self, name, domain, **roles):
        pk = self.load.next_id(User)
        self.names[pk] = name
        email = f"{name.lower().replace(' ', '.')}.{pk}@{domain}"
        # An unusable password: the benchmark signs people in with sessions of its own.
        self.load.add(
            User,
            id=pk,
            email=email,
            name=name,
            password="!bench",  # noqa: S106 (unusable: a password starting with "!" never matches)
            date_joined=self.now,
            **roles,
        )
        return pk

    def _users(self):
        cceh = "cceh.example.org"
        self.staff = [
            self._user(self._name(), cceh, is_cceh_staff=True) for _ in range(self.scale.staff)
        ]
        self.members = [
            self._user(self._name(), cceh, is_committee_member=True)
            for _ in range(self.scale.committee - 1)
        ]
        self.chair = self._user(
            self._name(), cceh, is_committee_member=True, is_committee_chair=True
        )
        self.members.append(self.chair)
        self.leaders = {}
        for can in self.cans:
            self.leaders[can] = self._user(self._name(), "can.example.org")
            self.load.add(User.led_cans.through, user_id=self.leaders[can], can_id=can)
        # An administrator: the one who reads the whole read log (the audit page).
        self.admin = self._user(self._name(), cceh, is_staff=True, is_superuser=True)
        # Every role that decides signs in with a second factor (requests_app/accounts/mfa.py).
        for pk in [*self.staff, *self.members, *self.leaders.values(), self.admin]:
            self.load.add(
                Authenticator, user_id=pk, type=Authenticator.Type.TOTP, data={"secret": BENCH_KEY}
            )

    def _organizations(self):
        names = [
            (f"{town} {middle} {noun}", kind)
            for town in TOWNS
            for middle in MIDDLE
            for noun, kind in NOUNS.items()
        ]
        self.rng.shuffle(names)
        if len(names) < self.scale.organizations:
            raise ValueError(f"At most {len(names)} organizations have distinct names.")
        self.organizations, self.domains, self.requestors = {}, {}, {}
        start = self.now - datetime.timedelta(days=4 * 365)
        for name, kind in names[: self.scale.organizations]:
            pk = self.load.next_id(Organization)
            domain = name.lower().replace(" ", "-").replace("'", "") + ".example.org"
            self.domains[pk] = domain
            self.organizations[pk] = {
                "name": name,
                "kind": kind,
                "address": f"{self.rng.randint(1, 999)} Main Street, {name.split(' ')[0]}, CT",
                "website": f"https://{domain}",
                "funded_for_homeless_services": False,
            }
            assert set(self.organizations[pk]) == set(record.ORGANIZATION)
            self.load.add(Organization, id=pk, created_at=start, **self.organizations[pk])
            self.requestors[pk] = []
            for _n in range(self.rng.choice([1, 1, 2, 3])):
                user = self._user(self._name(), domain)
                self.requestors[pk].append(user)
                self.load.add(
                    Membership,
                    user_id=user,
                    organization_id=pk,
                    state=Membership.State.ACTIVE,
                    created_at=start,
                )

    # Planning: every request's status, time, organization, CANs and people.

    def _plans(self):
        scale, rng = self.scale, self.rng
        others = scale.requests - scale.docket
        statuses = [Status.VETTING] * scale.docket + rng.choices(
            list(SHARES), weights=list(SHARES.values()), k=others
        )
        stamped = sorted((self._created(status), status) for status in statuses)
        # The organization read on "My requests" has the most requests; the rest spread out.
        own = set(rng.sample(range(scale.requests), scale.own_requests))
        self.own_organization = 1
        plans = []
        for index, (created, status) in enumerate(stamped):
            organization = (
                self.own_organization if index in own else rng.randint(2, scale.organizations)
            )
            plan = Plan(
                pk=index + 1,
                status=status,
                created=created,
                organization=organization,
                seed=rng.getrandbits(32),
            )
            self._fill(plan)
            plans.append(plan)
        self._special(plans)
        self._top_up(plans)
        self._share_reads(plans)
        return plans

    def _created(self, status):
        """When a request was started: open ones in the last months, closed ones over years."""
        days = {Status.DRAFT: 60, **dict.fromkeys(Status.OPEN, 240)}.get(status, 3 * 365)
        return self.now - datetime.timedelta(seconds=self.rng.uniform(86400, days * 86400))

    def _fill(self, plan):
        rng = _random(plan.seed)
        plan.reference = f"HMIS-{plan.created.astimezone(datetime.UTC):%Y}-{plan.pk:04d}"
        if rng.random() > 0.1:  # a tenth are statewide, naming no CAN
            others = [pk for pk in self.cans if pk != self.measured_can]
            named = rng.random() < MEASURED_CAN_SHARE
            plan.cans = sorted(
                ([self.measured_can] if named else [])
                + rng.sample(
                    others, rng.choice([0, 1, 1, 2]) if named else rng.choice([1, 1, 2, 3])
                )
            )
        people = rng.choices(range(1, 6), weights=PEOPLE_WEIGHTS)[0]
        domain = self.domains[plan.organization]
        emails = set()
        for _ in range(people):
            first, last = rng.choice(FIRST), rng.choice(LAST)
            email = f"{first}.{last}@{domain}".lower()
            if email in emails:
                email = f"{first}.{last}{len(emails)}@{domain}".lower()
            emails.add(email)
            level = rng.choices(list(LEVEL_WEIGHTS), weights=list(LEVEL_WEIGHTS.values()))[0]
            plan.people.append(
                [
                    self.load.next_id(NamedPerson),
                    f"{first} {last}",
                    rng.choice(TITLES),
                    email,
                    level,
                ]
            )
        if plan.status in (Status.SCREENING, Status.RETURNED):
            plan.assessed = rng.randint(0, 5)
        elif plan.status in (Status.VETTING, *Status.DECIDED):
            plan.assessed = len(self.criteria)
        elif plan.status == Status.WITHDRAWN:
            plan.assessed = rng.randint(0, 2)
        # Taken up for screening by one of staff; half the withdrawals come before that.
        screened = plan.status not in (Status.DRAFT, Status.SUBMITTED, Status.WITHDRAWN)
        if screened or (plan.status == Status.WITHDRAWN and rng.random() < 0.5):
            plan.assignee = rng.choice(self.staff)
        else:
            plan.assessed = 0
        plan.committee = plan.status == Status.VETTING or (
            plan.status in Status.DECIDED and rng.random() < COMMITTEE_SHARE
        )
        if plan.status == Status.APPROVED:
            plan.stage = self._stage(plan, rng)

    def _stage(self, plan, rng):
        """Where an approval's MOU stands, by the approval's age: recent ones still being
        signed, those of the last year active, older ones expired (or revoked)."""
        age = (self.now - plan.created).days
        if age < 60:
            return rng.choice(
                [AgreementStatus.ISSUED, AgreementStatus.SIGNED, AgreementStatus.EXECUTED]
            )
        if age < 365:
            return rng.choices(
                [AgreementStatus.ACTIVE, AgreementStatus.REVOKED, AgreementStatus.EXECUTED],
                weights=[90, 5, 5],
            )[0]
        # Activated within 45 days of the start, a term ends within 411 days of it.
        if age < 450:
            return AgreementStatus.REVOKED
        return rng.choices([AgreementStatus.EXPIRED, AgreementStatus.REVOKED], weights=[85, 15])[0]

    def _special(self, plans):
        """The two request pages measured (a long and a short history) and the MOU page's
        request: outside the organization read on "My requests"."""
        outside = [p for p in plans if p.organization != self.own_organization]
        returned = [p for p in outside if p.status == Status.RETURNED]
        screening = [p for p in outside if p.status == Status.SCREENING]
        long, short = returned[len(returned) // 2], screening[len(screening) // 2]
        long.history, long.assessed = self.scale.long_history, len(self.criteria)
        short.history, short.assessed = SHORT_HISTORY, len(self.criteria)
        # The MOU page: the oldest active MOU a staff member decided (bench/run.py finds it so).
        active = [p for p in outside if p.stage == AgreementStatus.ACTIVE and not p.committee]
        active[0].render = True

    def _top_up(self, plans):
        """Reassessments (a criterion judged again) make up the events asked for exactly."""
        told = sum(len(self._story(p)) for p in plans)
        extra = self.scale.events - told
        if extra < 0:
            raise ValueError(f"{told} events are needed at this scale; ask for at least that.")
        assessed = [p for p in plans if p.assessed and not p.history]
        for plan, more in Counter(self.rng.choices(range(len(assessed)), k=extra)).items():
            assessed[plan].assessed += more

    def _share_reads(self, plans):
        """The reads asked for, among the submitted requests: the long history's request gets
        `long_reads`, the rest fall at random."""
        read = [p for p in plans if p.status != Status.DRAFT and not p.history]
        long = next(p for p in plans if p.history == self.scale.long_history)
        long.reads = self.scale.long_reads
        extra = self.scale.reads - long.reads
        for index, count in Counter(self.rng.choices(range(len(read)), k=extra)).items():
            read[index].reads = count

    # A request's story: its events in order, each with what it adds beside the event.

    def _story(self, plan):
        """The request's events, oldest first: (kind, actor, details) with the details the
        event and its side rows need. Told twice (counted, then written), the same each time."""
        rng = _random(plan.seed)
        requestor = self.requestors[plan.organization][0]
        staff = plan.assignee
        status = plan.status
        if status == Status.DRAFT:
            return []
        story = [(Event.Kind.SUBMITTED, requestor, {"to": Status.SUBMITTED})]
        if status == Status.SUBMITTED or (status == Status.WITHDRAWN and not staff):
            if status == Status.WITHDRAWN:
                story.append((Event.Kind.WITHDRAWN, requestor, {"to": status}))
            return story
        story.append((Event.Kind.SCREENING_STARTED, staff, {"to": Status.SCREENING}))
        story += self._assessments(plan, staff)
        if plan.history:
            if status == Status.RETURNED:
                story.append((Event.Kind.RETURNED, staff, {"to": status}))
                changes = plan.history - len(story)
                story += [(Event.Kind.ANSWERS_CHANGED, requestor, {})] * changes
            return story
        if status in (Status.SCREENING, Status.WITHDRAWN, Status.RETURNED):
            if status != Status.SCREENING:
                story.append(
                    (
                        Event.Kind.RETURNED if status == Status.RETURNED else Event.Kind.WITHDRAWN,
                        staff if status == Status.RETURNED else requestor,
                        {"to": status},
                    )
                )
            return story
        for can in plan.cans:
            story.append((Event.Kind.CAN_RECOMMENDED, self.leaders[can], {"can": can}))
        if plan.committee:
            story.append((Event.Kind.ESCALATED, staff, {"to": Status.VETTING}))
            voters = rng.sample(self.members, rng.randint(0, len(self.members)))
            if status != Status.VETTING:
                voters = self.members[: len(self.members) // 2 + 1 + rng.randint(0, 2)]
            story += [(Event.Kind.VOTED, m, {"choice": self._choice(plan, rng)}) for m in voters]
            if status != Status.VETTING:
                story.append((Event.Kind.COMMITTEE_DECIDED, self.chair, {"to": status}))
        elif status in Status.DECIDED:
            kind = Event.Kind.APPROVED if status == Status.APPROVED else Event.Kind.DENIED
            story.append((kind, staff, {"to": status}))
        if status == Status.APPROVED:
            story += self._agreement_story(plan, staff, requestor)
        return story

    def _choice(self, plan, rng):
        choices = ["approve", "approve", "deny", "abstain"]
        if plan.status == Status.DENIED:
            choices = ["deny", "deny", "approve", "abstain"]
        return rng.choice(choices)

    def _assessments(self, plan, staff):
        """Each criterion in turn, then again for reassessments; the last of each decides.
        A denial's last judgement of 1.1 fails it. A stream of its own: the top-up adds
        reassessments after the story is counted, and the rest of the story stays the same."""
        rng = _random(plan.seed + 4)
        story = []
        count = len(self.criteria)
        for i in range(plan.assessed):
            criterion = self.criteria[i % count]
            last = i >= plan.assessed - count
            fails = plan.status == Status.DENIED and last and criterion.code == "1.1"
            if criterion.is_disqualifier:
                outcome = Assessment.Outcome.MET if fails else Assessment.Outcome.NOT_MET
            elif fails:
                outcome = Assessment.Outcome.NOT_MET
            else:
                outcome = Assessment.Outcome.MET if last else rng.choice(list(Assessment.Outcome))
            story.append((Event.Kind.ASSESSED, staff, {"criterion": criterion, "outcome": outcome}))
        return story

    def _agreement_story(self, plan, staff, requestor):
        stage = plan.stage
        story = [(Event.Kind.MOU_ISSUED, staff, {"version": 1})]
        if stage == AgreementStatus.ISSUED:
            return story
        story.append((Event.Kind.MOU_SIGNED, requestor, {"version": 1}))
        if stage == AgreementStatus.SIGNED:
            return story
        story.append((Event.Kind.MOU_COUNTERSIGNED, staff, {"version": 2}))
        story.append((Event.Kind.TRAINING_RECORDED, staff, {}))
        if stage == AgreementStatus.EXECUTED:
            return story
        story.append((Event.Kind.ACCESS_ACTIVATED, staff, {}))
        if plan.seed % 10 < 7:
            story.append((Event.Kind.ACCESS_PROVISIONED, staff, {}))
        if stage == AgreementStatus.EXPIRED:
            story.append((Event.Kind.ACCESS_EXPIRED, None, {}))
        elif stage == AgreementStatus.REVOKED:
            story.append((Event.Kind.ACCESS_REVOKED, staff, {}))
        return story

    def _times(self, plan, count):
        """The events' times, in order, from a few days after the request was started: an
        open request's reach into the last hours, a closed one's span a few months."""
        rng = self.rng
        start = plan.created + datetime.timedelta(days=rng.uniform(0.1, 5))
        end = self.now - datetime.timedelta(hours=1)
        if plan.status not in Status.OPEN:
            end = min(end, start + datetime.timedelta(days=rng.uniform(20, 120)))
        if plan.stage:
            # Signed, trained and activated within weeks; an expiry comes at the term's end.
            end = min(end, start + datetime.timedelta(days=40))
        start = min(start, end)
        span = (end - start).total_seconds()
        return sorted(
            start + datetime.timedelta(seconds=rng.uniform(0, span)) for _ in range(count)
        )

    # Writing one request.

    def _request_row(self, plan, times, changed):
        rng = self.rng
        answers = {
            "program": f"{rng.choice(MIDDLE)} program",
            "contact_name": self._name_from(rng),
            "contact_email": f"contact@{self.domains[plan.organization]}",
            "contact_phone": f"860-555-{rng.randint(1000, 9999)}",
            "statewide": not plan.cans,
            "need_type": AccessRequest.NeedType.ONGOING
            if plan.status == Status.APPROVED or rng.random() < 0.9
            else AccessRequest.NeedType.ONE_TIME,
            "usage_frequency": rng.choice(["Daily", "Weekly", "Monthly"]),
            "is_researcher": rng.random() < 0.15,
            "aggregated_data_sufficient": False,
            "identified_data_justification": "",
            "had_prior_access": False,
            "prior_access_details": "",
            "prior_access_revoked": None,
            "attests_training": True,
            "attests_accuracy": True,
        }
        for name, sentences in SENTENCES.items():
            answers[name] = " ".join(rng.sample(sentences, min(3, len(sentences))))
        assert set(answers) == set(record.ANSWERS)
        submitted = times[0] if times else None
        voting_round = self.load.next_id(VotingRound) if plan.committee else None
        self.load.add(
            AccessRequest,
            id=plan.pk,
            reference=plan.reference,
            organization_id=plan.organization,
            created_by_id=self.requestors[plan.organization][0],
            status=plan.status,
            status_changed_at=changed,
            submitted_at=submitted,
            assignee_id=plan.assignee,
            voting_round_id=voting_round,
            last_step="organization" if plan.status == Status.DRAFT else "",
            created_at=plan.created,
            updated_at=max(changed, plan.created),
            **answers,
        )
        plan.round = voting_round
        for can in plan.cans:
            self.load.add(AccessRequest.cans.through, accessrequest_id=plan.pk, can_id=can)
        for pk, name, title, email, level in plan.people:
            self.load.add(
                NamedPerson,
                id=pk,
                request_id=plan.pk,
                name=name,
                title=title,
                email=email,
                requested_level=level,
            )
        if submitted:
            self._version(plan, answers, submitted)

    def _name_from(self, rng):
        return f"{rng.choice(FIRST)} {rng.choice(LAST)}"

    def _version(self, plan, answers, submitted):
        """The application as submitted, frozen as the application itself freezes it."""
        content = {
            "reference": plan.reference,
            "organization": self.organizations[plan.organization],
            "answers": answers,
            "cans": sorted(self.cans[c].name for c in plan.cans),
            "people": [
                {"id": pk, **dict(zip(record.PERSON, rest, strict=True))}
                for pk, *rest in plan.people
            ],
            "attachments": [],
        }
        text = record.canonical(content)
        self.load.add(
            ApplicationVersion,
            request_id=plan.pk,
            number=1,
            content=text.decode(),
            sha256=hashlib.sha256(text).hexdigest(),
            submitted_by_id=self.requestors[plan.organization][0],
            submitted_at=submitted,
        )

    def _request(self, plan):
        story = self._story(plan)
        times = self._times(plan, len(story))
        kinds = [kind for kind, _, _ in story]
        if plan.stage == AgreementStatus.EXPIRED:
            # The daily expire_agreements ends access the day after its term.
            activated = times[kinds.index(Event.Kind.ACCESS_ACTIVATED)]
            times[-1] = self._term_end(activated) + datetime.timedelta(days=1, minutes=10)
        changed = max(
            [plan.created, *(t for (_, _, d), t in zip(story, times, strict=True) if "to" in d)]
        )
        self._request_row(plan, times, changed)
        self.status, self.votes, when = Status.DRAFT, [], {}
        self.digest = chain.GENESIS  # each request's events are a hash chain of their own
        for (kind, actor, details), time in zip(story, times, strict=True):
            self._event(plan, kind, actor, details, time)
            when[kind] = time
        if plan.stage:
            self._agreement(plan, when)
        self._comments(plan, times)
        self._reads(plan, times)

    def _term_end(self, activated):
        return datetime.datetime.combine(
            add_months(timezone.localdate(activated), settings.GRANT_TERM_MONTHS),
            datetime.time(),
            tzinfo=self.now.tzinfo,
        )

    def _event(self, plan, kind, actor, details, time):
        data, note = self._side_rows(plan, kind, actor, details, time)
        was = self.status
        if "to" in details:
            self.status = details["to"]
        said = {
            "kind": kind,
            "from_status": was if "to" in details else "",
            "to_status": self.status if "to" in details else "",
            "note": note,
            "data": chain.jsonable(data),
        }
        public = kind not in INTERNAL
        content = chain.event_content(
            plan.reference, actor_id=actor, public=public, at=time, **said
        )
        sealed = chain.content_digest(content)
        prev, self.digest = self.digest, chain.link(self.digest, sealed)
        event = self.load.add(
            Event,
            request_id=plan.pk,
            actor_id=actor,
            visible_to_requestor=public,
            created_at=time,
            content_sha256=sealed,
            prev_digest=prev,
            digest=self.digest,
            **said,
        )
        told = AUDIENCES.get(kind)
        if told:
            notice, audiences = told
            recipients = set()
            for audience in audiences:
                recipients.update(getattr(self, f"_{audience}")(plan))
            for recipient in sorted(recipients):
                self.notices.append((recipient, plan.pk, event, notice, time))

    def _staff(self, plan):
        return self.staff

    def _assignee_or_staff(self, plan):
        return [plan.assignee] if plan.assignee else self.staff

    def _requestors(self, plan):
        return self.requestors[plan.organization]

    def _leaders(self, plan):
        return [self.leaders[can] for can in plan.cans]

    def _committee(self, plan):
        return self.members

    def _chair(self, plan):
        return [self.chair]

    def _voters(self, plan):
        return [voter for voter, _ in self.votes]

    def _side_rows(self, plan, kind, actor, details, time):
        """The rows an event stands beside (an assessment, a vote, a decision), and the event's
        data and note as the action that records it writes them."""
        rng = self.rng
        if kind == Event.Kind.ASSESSED:
            criterion, outcome = details["criterion"], details["outcome"]
            self.load.add(
                Assessment,
                request_id=plan.pk,
                criterion_id=criterion.pk,
                outcome=outcome,
                note=rng.choice(COMMENTS) if rng.random() < 0.3 else "",
                assessed_by_id=actor,
                assessed_at=time,
            )
            data = {
                "criterion": criterion.code,
                "outcome": outcome,
                "disqualifier": criterion.is_disqualifier,
            }
            return data, ""
        if kind == Event.Kind.CAN_RECOMMENDED:
            position = rng.choices(list(CANRecommendation.Position), weights=[70, 5, 15, 10])[0]
            if plan.status == Status.APPROVED and position == CANRecommendation.Position.OPPOSE:
                position = CANRecommendation.Position.SUPPORT
            reason = rng.choice(REASONS)
            can = self.cans[details["can"]]
            self.load.add(
                CANRecommendation,
                request_id=plan.pk,
                can_id=can.pk,
                position=position,
                reason=reason,
                author_id=actor,
                created_at=time,
            )
            return {"can": can.name, "position": position}, reason
        if kind == Event.Kind.ESCALATED:
            deadline = time + datetime.timedelta(days=settings.COMMITTEE_VOTING_DAYS)
            note = "Is identified data justified for this evaluation?"
            self.load.add(
                VotingRound,
                id=plan.round,
                request_id=plan.pk,
                opened_at=time,
                deadline=deadline,
                note=note,
                opened_by_id=actor,
            )
            return {"deadline": deadline.isoformat()}, note
        if kind == Event.Kind.VOTED:
            choice = details["choice"]
            levels = {str(p[0]): p[4] for p in plan.people} if choice == "approve" else {}
            vote = self.load.add(
                Vote,
                request_id=plan.pk,
                round_id=plan.round,
                voter_id=actor,
                choice=choice,
                reason=rng.choice(REASONS),
                recommended_levels=levels,
                cast_at=time,
            )
            self.votes.append((actor, choice))
            return {"vote": vote, "choice": choice, "changed": False}, ""
        if kind in (Event.Kind.APPROVED, Event.Kind.DENIED, Event.Kind.COMMITTEE_DECIDED):
            return self._decision(plan, kind, actor, time, rng)
        if kind in (Event.Kind.RETURNED, Event.Kind.WITHDRAWN):
            return {}, rng.choice(COMMENTS)
        if kind == Event.Kind.ANSWERS_CHANGED:
            return {"changed": [rng.choice(["Purpose", "Contact phone", "A named person"])]}, ""
        if kind in (Event.Kind.MOU_ISSUED, Event.Kind.MOU_SIGNED, Event.Kind.MOU_COUNTERSIGNED):
            note = f"{self.names[actor]}, Director" if kind == Event.Kind.MOU_SIGNED else ""
            return {"version": details["version"]}, note
        if kind in PEOPLE_EVENTS:
            return {"people": [p[1] for p in plan.people]}, ""
        return {}, ""

    def _decision(self, plan, kind, actor, time, rng):
        tally = None
        if plan.committee:
            tally = dict.fromkeys(("approve", "deny", "abstain", "recuse"), 0)
            for _, choice in self.votes:
                tally[choice] += 1
            tally["members"] = len(self.members)
            majority = max(("approve", "deny"), key=tally.get)
            tally["majority"] = None if tally["approve"] == tally["deny"] else majority
        reason = rng.choice(REASONS)
        decision = self.load.add(
            Decision,
            request_id=plan.pk,
            outcome=plan.status,
            decided_by_id=actor,
            decided_at=time,
            by_committee=plan.committee,
            reason=reason,
            tally=tally,
        )
        if plan.status == Status.APPROVED:
            for pk, *_, level in plan.people:
                self.load.add(Grant, decision_id=decision, person_id=pk, level=level)
        else:
            cited = self.criteria[0]
            self.load.add(
                Decision.cited_criteria.through, decision_id=decision, criterion_id=cited.pk
            )
        if kind == Event.Kind.COMMITTEE_DECIDED:
            return {"tally": tally}, reason
        if kind == Event.Kind.APPROVED:
            return {"levels": {str(p[0]): p[4] for p in plan.people}}, ""
        return {"cited": [self.criteria[0].code]}, reason

    def _agreement(self, plan, when):
        """The approval's MOU as it stands at its stage: its versions, signatures, each
        person's training and access, and a revocation."""
        stage, staff = plan.stage, plan.assignee
        requestor = self.requestors[plan.organization][0]
        versions = [(MOUVersion.Kind.ISSUED, when[Event.Kind.MOU_ISSUED], staff)]
        if Event.Kind.MOU_SIGNED in when:
            versions.append((MOUVersion.Kind.SIGNED, when[Event.Kind.MOU_SIGNED], requestor))
        if Event.Kind.MOU_COUNTERSIGNED in when:
            versions.append((MOUVersion.Kind.EXECUTED, when[Event.Kind.MOU_COUNTERSIGNED], staff))
        activated = when.get(Event.Kind.ACCESS_ACTIVATED)
        ended = when.get(Event.Kind.ACCESS_EXPIRED) or when.get(Event.Kind.ACCESS_REVOKED)
        agreement = self.load.add(
            Agreement,
            request_id=plan.pk,
            status=stage,
            issued_at=when.get(Event.Kind.APPROVED) or when[Event.Kind.COMMITTEE_DECIDED],
            executed_at=when.get(Event.Kind.MOU_COUNTERSIGNED),
            activated_at=activated,
            ends_on=add_months(timezone.localdate(activated), settings.GRANT_TERM_MONTHS)
            if activated
            else None,
            ended_at=ended,
            revision=len(versions),
            mou_version=len(versions),
            mou_kind=versions[-1][0],
            mou_requested_by_id=versions[-1][2],
            mou_queued_at=versions[-1][1],
        )
        stored = [self._mou_version(plan, agreement, n, *v) for n, v in enumerate(versions, 1)]
        # Each signature signs the version before the one it makes.
        signers = [(Signature.Party.ORGANIZATION, requestor), (Signature.Party.CCEH, staff)]
        for (party, signer), mou_row, (_, signed, _) in zip(
            signers, stored, versions[1:], strict=False
        ):
            self.load.add(
                Signature,
                agreement_id=agreement,
                mou_id=mou_row["id"],
                mou_sha256=mou_row["sha256"],
                party=party,
                signer_id=signer,
                full_name=self.names[signer],
                title="Director",
                statement="I am authorized to sign this MOU, and I sign it.",
                ip_address="203.0.113.7",
                signed_at=signed,
            )
        trained = when.get(Event.Kind.TRAINING_RECORDED)
        provisioned = when.get(Event.Kind.ACCESS_PROVISIONED)
        revoked = when.get(Event.Kind.ACCESS_REVOKED)
        # Everyone's access ended with a revocation or the MOU's expiry (access.end_access),
        # and half of those accounts are closed already.
        expired = when.get(Event.Kind.ACCESS_EXPIRED)
        end = (
            (timezone.localdate(revoked), AccessEnd.REVOKED)
            if revoked
            else (timezone.localdate(expired), AccessEnd.EXPIRED)
            if expired
            else (None, "")
        )
        closed = end[0] is not None and plan.pk % 2 == 0
        for pk, *_ in plan.people:
            if trained:
                self.load.add(
                    Training,
                    person_id=pk,
                    completed_on=timezone.localdate(trained),
                    course="CT HMIS end user training",
                    recorded_by_id=staff,
                    recorded_at=trained,
                )
            self.load.add(
                PersonAccess,
                agreement_id=agreement,
                person_id=pk,
                activated_at=activated,
                provisioned_at=provisioned,
                provisioned_by_id=staff if provisioned else None,
                revoked_at=revoked,
                ended_on=end[0],
                end_reason=end[1],
                deprovisioned_at=(revoked or expired) if closed else None,
                deprovisioned_by_id=staff if closed else None,
            )
        if revoked:
            self.load.add(
                Revocation,
                organization_id=plan.organization,
                request_id=plan.pk,
                reason="The MOU's conditions on sharing client data were not kept.",
                revoked_at=revoked,
                recorded_by_id=staff,
            )

    def _mou_version(self, plan, agreement, version, kind, time, by):
        """A stored MOU version's row. Its file is on disk only for the MOU page measured; the
        others name a file as the application would, unread by the pages measured."""
        digest = hashlib.sha256(f"{plan.reference} v{version}".encode()).hexdigest()
        row = {
            "id": self.load.next_id(MOUVersion),
            "agreement_id": agreement,
            "version": version,
            "kind": kind,
            "file": f"mou/{plan.reference}/v{version}-{digest[:12]}.pdf",
            "sha256": digest,
            "size": 60_000,
            "created_by_id": by,
            "created_at": time,
        }
        if plan.render:
            self.withheld.append((plan.pk, row))
        else:
            self.load.add(MOUVersion, **row)
        return row

    def _comments(self, plan, times):
        if plan.status in (Status.DRAFT, Status.SUBMITTED):
            return
        rng = self.rng
        for _ in range(2 if plan.history else rng.choice([0, 0, 1, 2])):
            internal = rng.random() < 0.7
            self.load.add(
                Comment,
                request_id=plan.pk,
                author_id=(plan.assignee or self.staff[0])
                if internal
                else self.requestors[plan.organization][0],
                visibility=Comment.Visibility.INTERNAL
                if internal
                else Comment.Visibility.REQUESTOR,
                body=rng.choice(COMMENTS),
                created_at=rng.choice(times),
            )

    def _reads(self, plan, times):
        """Who read the request's page and files, from its submission to now: staff most, then
        its requestors and its CANs' leaders; each request's reads a hash chain of their own."""
        if not plan.reads:
            return
        rng = _random(plan.seed + 1)
        readers = [*self.staff, *self._requestors(plan), *self._leaders(plan)]
        weights = [8] * len(self.staff) + [1] * (len(readers) - len(self.staff))
        kinds = [ReadLogEntry.Kind.REQUEST_PAGE, ReadLogEntry.Kind.APPLICATION_VERSION]
        if plan.stage:
            kinds.append(ReadLogEntry.Kind.MOU_PAGE)
        span = (self.now - times[0]).total_seconds()
        moments = sorted(
            times[0] + datetime.timedelta(seconds=rng.uniform(0, span)) for _ in range(plan.reads)
        )
        digest = chain.GENESIS
        for moment in moments:
            kind = rng.choices(kinds, weights=[85, 10, 5][: len(kinds)])[0]
            digest = self._read(
                digest,
                reader=rng.choices(readers, weights=weights)[0],
                kind=kind,
                request_id=plan.pk,
                reference=plan.reference,
                subject="Version 1" if kind == ReadLogEntry.Kind.APPLICATION_VERSION else "",
                address=f"10.{rng.randint(0, 3)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}",
                created_at=moment,
            )

    def _write_exports(self):
        """Staff's CSV exports, a chain of their own (no request), over the last year."""
        rng = _random(self.scale.seed + 2)
        year = datetime.timedelta(days=365).total_seconds()
        moments = sorted(
            self.now - datetime.timedelta(seconds=rng.uniform(0, year))
            for _ in range(self.scale.exports)
        )
        digest = chain.GENESIS
        for moment in moments:
            digest = self._read(
                digest,
                reader=rng.choice(self.staff),
                kind=ReadLogEntry.Kind.CSV_EXPORT,
                request_id=None,
                reference="",
                subject=f"hmis-queue-{moment:%Y-%m-%d}.csv",
                address=f"10.0.0.{rng.randint(1, 254)}",
                created_at=moment,
            )

    def _read(self, digest, *, reader, kind, request_id, reference, subject, address, created_at):
        """One entry of the read log after `digest`; its own digest."""
        content = chain.read_content(reference, reader, kind, subject, address, created_at)
        sealed = chain.content_digest(content)
        linked = chain.link(digest, sealed)
        self.load.add(
            ReadLogEntry,
            reader_id=reader,
            kind=kind,
            request_id=request_id,
            reference=reference,
            subject=subject,
            address=address,
            created_at=created_at,
            content_sha256=sealed,
            prev_digest=digest,
            digest=linked,
        )
        return linked

    def _write_notices(self):
        """The number of notices asked for, drawn from everyone told of each event: staff,
        told of every submission, get most."""
        wanted = self.scale.notices
        if len(self.notices) < wanted:
            raise ValueError(f"At most {len(self.notices)} notices at this scale.")
        recent = self.now - datetime.timedelta(days=14)
        for index in sorted(self.rng.sample(range(len(self.notices)), wanted)):
            recipient, request, event, kind, time = self.notices[index]
            read = self.rng.random() < (0.9 if time < recent else 0.3)
            delivery = self.rng.choices(
                [
                    Notification.Delivery.SENT,
                    Notification.Delivery.SKIPPED,
                    Notification.Delivery.FAILED,
                ],
                weights=[968, 30, 2],
            )[0]
            sent = delivery == Notification.Delivery.SENT
            self.load.add(
                Notification,
                recipient_id=recipient,
                request_id=request,
                event_id=event,
                kind=kind,
                created_at=time,
                read_at=time + datetime.timedelta(hours=5) if read else None,
                delivery=delivery,
                attempts=settings.NOTIFICATION_MAX_ATTEMPTS
                if delivery == Notification.Delivery.FAILED
                else int(sent),
                next_try_at=time,
                claimed_at=time if sent else None,
                sent_at=time + datetime.timedelta(seconds=2) if sent else None,
                last_error="SMTP 451: temporary local problem, try again later"
                if delivery == Notification.Delivery.FAILED
                else "",
            )
        self.notices = []

    def _render_withheld(self):
        """The MOU page measured reads its stored files: render them for real, once the rows
        the render reads are all in, and store each version's row with its file's SHA-256."""
        storage = private_storage()
        for request, row in self.withheld:
            access_request = AccessRequest.objects.get(pk=request)
            pdf = mou.render_pdf(access_request, draft=False, version=row["version"])
            row["sha256"] = hashlib.sha256(pdf).hexdigest()
            row["size"] = len(pdf)
            row["file"] = (
                f"mou/{access_request.reference}/v{row['version']}-{row['sha256'][:12]}.pdf"
            )
            storage.delete(row["file"])
            storage.save(row["file"], ContentFile(pdf))
            MOUVersion.objects.bulk_create([MOUVersion(**row)])


# Who is told of each event, as notifications.services.AUDIENCES tells them.
AUDIENCES = {
    Event.Kind.SUBMITTED: (Notification.Kind.SUBMITTED, ("staff", "leaders")),
    Event.Kind.RETURNED: (Notification.Kind.RETURNED, ("requestors",)),
    Event.Kind.ESCALATED: (Notification.Kind.ESCALATED, ("committee", "leaders")),
    Event.Kind.VOTED: (Notification.Kind.VOTE_CAST, ("chair",)),
    Event.Kind.APPROVED: (Notification.Kind.DECIDED, ("requestors", "leaders")),
    Event.Kind.DENIED: (Notification.Kind.DECIDED, ("requestors", "leaders")),
    Event.Kind.COMMITTEE_DECIDED: (Notification.Kind.DECIDED, ("requestors", "leaders", "voters")),
    Event.Kind.WITHDRAWN: (Notification.Kind.WITHDRAWN, ("assignee_or_staff",)),
    Event.Kind.MOU_ISSUED: (Notification.Kind.MOU_READY, ("requestors",)),
    Event.Kind.MOU_SIGNED: (Notification.Kind.SIGNED, ("staff",)),
    Event.Kind.MOU_COUNTERSIGNED: (Notification.Kind.COUNTERSIGNED, ("requestors",)),
    Event.Kind.ACCESS_ACTIVATED: (Notification.Kind.ACCESS_ACTIVE, ("requestors",)),
    Event.Kind.ACCESS_EXPIRED: (Notification.Kind.EXPIRED, ("requestors",)),
    Event.Kind.ACCESS_REVOKED: (Notification.Kind.REVOKED, ("requestors",)),
}
# The events only those inside the request read (core/events.py's callers say `public`).
INTERNAL = {
    Event.Kind.ASSESSED,
    Event.Kind.CAN_RECOMMENDED,
    Event.Kind.ESCALATED,
    Event.Kind.VOTED,
}
PEOPLE_EVENTS = {
    Event.Kind.TRAINING_RECORDED,
    Event.Kind.ACCESS_ACTIVATED,
    Event.Kind.ACCESS_PROVISIONED,
    Event.Kind.ACCESS_REVOKED,
}
