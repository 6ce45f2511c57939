"""The action machinery: what an action is, and what every action does before its service runs.

An action is one `Action` row in requests_app/actions.py: its name (one word, shared by its URL,
its form's prefix and its button), the aggregate it acts on (a request or its MOU), the
statuses it runs from (a transition's source, or a set), who may take it (core/permissions.py),
its further refusals, the words for it done, its form and the service it runs. From the row
come: the refusals a page shows beside a button and a service raises (`refusals`), the buttons
a page offers (`available`), the row lock, the stale-page check and the revision (`lock`), and
the view (core/web.py). How an action travels from the view to its event and its notices is
told in docs/architecture.md; who may do what, from where, in docs/design.md section 4.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db.models import F
from django.utils import timezone
from django_fsm import can_proceed

from requests_app.core import visibility
from requests_app.core.dates import time_of_day

from ..models import AccessRequest, Agreement
from .permissions import Requirement, remembered


class ActionRefused(Exception):
    """An action was refused. `problems` says why, in sentences a person can act on."""

    def __init__(self, action, problems):
        self.action = action
        self.problems = list(problems)
        super().__init__(" ".join(self.problems))


class Conflict(ActionRefused):
    """Someone else changed the request or its MOU between reading it and acting on it."""


@dataclass(frozen=True)
class Aggregate:
    """What actions act on: a request, or the MOU of an approved one. Each locks its own row
    and carries its own revision; who may act is always asked of the request."""

    model: type
    noun: str
    request_of: Callable
    related: tuple = ()

    def lock(self, obj):
        rows = self.model.objects.select_related(*self.related)
        return rows.select_for_update(of=("self",)).get(pk=obj.pk)


REQUEST = Aggregate(AccessRequest, "request", lambda request: request)
AGREEMENT = Aggregate(
    Agreement, "MOU", lambda agreement: agreement.request, related=("request__organization",)
)


def aggregate_of(obj):
    return REQUEST if isinstance(obj, AccessRequest) else AGREEMENT


@dataclass(frozen=True)
class Action:
    """One thing a person does to a request or its MOU. See the module's docstring."""

    name: str
    on: Aggregate
    past: str
    who: tuple[Requirement, ...]
    # A status-changing action names its transition on the model; the transition's source is
    # where it runs from and its conditions are its guards. An MOU's other actions list their
    # statuses; a request's say theirs in words among `who` (permissions.during).
    transition: str = ""
    statuses: frozenset | None = None
    # Further refusals, asked once the status and the person allow the action: (obj) -> [str].
    checks: tuple[Callable, ...] = ()
    # A sentence said instead of the status refusal in a status where a different action is
    # the one to take.
    instead: dict = field(default_factory=dict)
    # The web side: its form (obj, user, data, **url kwargs) -> Form with prefix=name; what it
    # runs (obj, user, form, http_request) -> the service's result; what it says when done.
    form: Callable | None = None
    run: Callable | None = None
    done: str | Callable = ""
    # Its address after the request's: its name (under mou/ for the MOU's), unless it says.
    path: str = ""

    @property
    def address(self):
        return self.path or (f"mou/{self.name}" if self.on is AGREEMENT else self.name)


ACTIONS: dict[str, Action] = {}


def register(*actions):
    for action in actions:
        assert action.name not in ACTIONS, f"Two actions are called {action.name}."
        ACTIONS[action.name] = action


def actions_on(aggregate):
    return [action for action in ACTIONS.values() if action.on is aggregate]


def in_a_sentence(label):
    """A label inside a sentence: its first letter lowered, unless it starts a name written in
    capitals (CCEH, MOU)."""
    if label[1:2].isupper():
        return label
    return label[:1].lower() + label[1:]


def _status_words(obj):
    return in_a_sentence(obj.get_status_display())


def _sees(on, obj, user):
    """Asked of every action a page shows or blocks: once per person, request and status."""
    request = on.request_of(obj)
    return remembered(
        request,
        ("sees", request.status),
        user,
        lambda: visibility.requests_visible_to(user).filter(pk=request.pk).exists(),
    )


def seen(request, user):
    """`request` was just read through `user`'s visibility: the answer `_sees` would ask for."""
    remembered(request, ("sees", request.status), user, lambda: True)


def _guards(obj, action):
    """The transition's conditions from the object's status, through django-fsm's public API."""
    for transition in obj.get_all_status_transitions():
        if transition.name == action.transition:
            return transition.conditions
    return []


def _allowed_from(action, obj):
    if action.transition:
        return can_proceed(getattr(obj, action.transition), check_conditions=False)
    return action.statuses is None or obj.status in action.statuses


def refusals(obj, user, name, check_conditions=True):
    """Why `user` may not take action `name` on `obj` now; empty when they may. The pages show
    these next to the actions, and the services raise them."""
    action = ACTIONS[name]
    if not _sees(action.on, obj, user):
        return ["You do not have access to this request."]
    return _refusals_of_one_who_sees(action, obj, user, check_conditions)


def _refusals_of_one_who_sees(action, obj, user, check_conditions=True):
    if not _allowed_from(action, obj):
        if obj.status in action.instead:
            return [action.instead[obj.status]]
        return [
            f"{'This' if action.on is REQUEST else 'The'} {action.on.noun} is "
            f"{_status_words(obj)}, so it cannot be {action.past} now."
        ]
    request = action.on.request_of(obj)
    problems = [r.words(request) for r in action.who if not r.predicate.test(user, request)]
    if problems or not check_conditions:
        return problems
    if action.transition:
        for guard in _guards(obj, action):
            problems += guard.problems(obj)
    for check in action.checks:
        if problems:
            break
        problems += check(obj)
    return problems


def available(obj, user):
    """The names of the actions `user` can take on `obj` now: what a page offers as buttons."""
    on = aggregate_of(obj)
    if not _sees(on, obj, user):
        return []
    return [a.name for a in actions_on(on) if not _refusals_of_one_who_sees(a, obj, user)]


def refuse(name, problems):
    if problems:
        raise ActionRefused(name, problems)


def require(name, *checks):
    """Refuse `name` with the message of every (failed, message) pair that failed."""
    refuse(name, [message for failed, message in checks if failed])


# Pages and posts: every page records the revision it showed; every action raises it.


def version(obj):
    """What a page records of the request or MOU it showed: any action changes it."""
    return str(obj.revision)


def lock(obj, user, name, seen=None, check_conditions=True):
    """`obj`'s row, locked for this transaction, after checking that nothing changed since the
    person's page was read (its status, or the `seen` version when the page gave one) and that
    they may take the action. Its revision goes up: every action changes what a page showed."""
    action = ACTIONS[name]
    locked = action.on.lock(obj)
    if locked.status != obj.status or (seen is not None and seen != version(locked)):
        raise Conflict(name, [changed_meanwhile(locked)])
    refuse(name, refusals(locked, user, name, check_conditions=check_conditions))
    bump(locked)
    return locked


def lock_seen(obj, user, seen):
    """Take `obj`'s row lock and compare the version the person's page showed; the sentence to
    show them when it moved on since, or None. For a post that runs its action in the same
    transaction, so nothing can change between the check and the action."""
    locked = aggregate_of(obj).lock(obj)
    if seen is not None and seen != version(locked):
        return changed_meanwhile(locked, user)
    return None


def bump(locked):
    """Raise a locked request's or MOU's revision, in the database and on the row."""
    type(locked).objects.filter(pk=locked.pk).update(revision=F("revision") + 1)
    locked.revision += 1


def changed_meanwhile(current, user=None):
    """What a person is told when the request or MOU moved on since they read it. When the last
    change was their own (a second click, or a page reloaded after an answer that never
    arrived), they are told what they did rather than that someone else did something."""
    on = aggregate_of(current)
    noun = on.noun
    if own := _own_recent_change(on.request_of(current), user):
        return (
            f"Your own earlier action changed this {noun}: {own}. It was recorded once. "
            f"Reload the page to see the {noun} as it is now ({_status_words(current)})."
        )
    return (
        f"Someone else changed this {noun} while you were looking at it: it is now "
        f"{_status_words(current)}. Reload the page to see what changed."
    )


def _own_recent_change(request, user):
    """What `user` did last to `request`, in words with its time, when the latest change of
    all was theirs and recent (how far back an earlier action explains a stale page)."""
    if user is None:
        return None
    latest = request.events.order_by("-pk").first()
    recently = timezone.now() - datetime.timedelta(minutes=30)
    if latest is None or latest.actor_id != user.pk or latest.created_at < recently:
        return None
    return f"{in_a_sentence(latest.get_kind_display())} at {time_of_day(latest.created_at)}"


def names(aggregate):
    return [action.name for action in actions_on(aggregate)]


def transitions(aggregate):
    """The actions that change the status of what they act on."""
    return [action.name for action in actions_on(aggregate) if action.transition]
