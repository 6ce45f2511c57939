"""The web side of actions: the one view every action's form posts to, and how a form's post
runs its action on a page that is still current. Each aggregate's page registers how to find
the object, show it again with a failed form, and where to go back (`PAGES`)."""

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.shortcuts import redirect
from django.urls import path
from django.views.decorators.http import require_POST

from .actions import ACTIONS, ActionRefused, lock_seen


@dataclass(frozen=True)
class Page:
    find: Callable  # (http_request, reference) -> the object, or 404 for one who may not see it
    show: Callable  # (http_request, obj, bound={name: form}, status) -> the page again
    back: Callable  # obj -> where to go once the action is done


PAGES = {}


def run_form(request, form, perform, done, *, stale, again, back):
    """Run one action from a posted form: on success say so and go back; on bad input, a page
    out of date or a refusal show the page again (`again(form)`) with the form, its errors and
    what was typed. `stale()` is as for perform_if_current."""
    if form.is_valid():
        problems = perform_if_current(stale, lambda: perform(form))
        if not problems:
            messages.success(request, done)
            return redirect(back)
    else:
        # Bad input on an out-of-date page: say both.
        with transaction.atomic():
            problems = [problem for problem in [stale()] if problem]
    for problem in problems:
        form.add_error(None, problem)
    return again(form)


def mark_ticked(request, form, action, mark, said, back):
    """The POST of a staff list whose ticked rows are marked done in HMIS (provisioning,
    deprovisioning): the form's one field of ticked people (`access`), the service `mark`, and
    a message saying how many were marked (`said(count)`), or each refusal in words, the
    form's as the service's; then back to the list."""
    try:
        if not form.is_valid():
            raise ActionRefused(action, list(form.errors["access"]))
        done = mark(request.user, form.cleaned_data["access"])
    except ActionRefused as refused:
        for problem in refused.problems:
            messages.error(request, problem)
    else:
        messages.success(request, said(len(done)))
    return redirect(back)


def perform_if_current(stale, perform):
    """Run `perform()` once `stale()`, which takes the aggregate's row lock, finds the page the
    post came from current; both in one transaction, so nothing changes in between. The
    sentences that stopped it (the page out of date, or the action's refusals), or [] when it
    was done."""
    try:
        with transaction.atomic():
            if problem := stale():
                return [problem]
            perform()
    except ActionRefused as refused:
        return refused.problems
    return []


def action_forms(obj, user, names, bound, **arguments):
    """A form for each of the actions `names` that has one, for a page: the one that failed,
    with its errors and what was typed, or a new one from the action's row."""
    return {
        f"{name}_form": bound.get(name) or ACTIONS[name].form(obj, user, **arguments)
        for name in names
        if ACTIONS[name].form
    }


def page_out_of_date(request, obj):
    """For run_form: the row lock of `obj`, and the sentence for a post from a page showing an
    earlier version of it, or None when the page was current (or carried no version)."""
    return lambda: lock_seen(obj, request.user, request.POST.get("seen"))


@login_required
@require_POST
def act(request, reference, name, **arguments):
    """Every action's form posts here: find what it acts on (404 for one who may not see it),
    parse the form, run the action's service on a current page, go back or show the form's
    errors. `arguments` are the action's own path values, for an action whose row gives a `path`."""
    action = ACTIONS[name]
    page = PAGES[action.on]
    obj = page.find(request, reference)
    form = action.form(obj, request.user, request.POST, **arguments)
    done = action.done if isinstance(action.done, str) else action.done(obj, form)
    return run_form(
        request,
        form,
        lambda form: action.run(obj, request.user, form, request),
        done,
        stale=page_out_of_date(request, obj),
        again=lambda form: page.show(request, obj, bound={name: form}, status=400),
        back=page.back(obj),
    )


def action_urls():
    """One address per action with a form, named as the action."""
    return [
        path(f"r/<reference:reference>/{action.address}", act, {"name": name}, name=name)
        for name, action in ACTIONS.items()
        if action.run
    ]


def role_required(predicate):
    def decorator(view):
        @login_required
        def wrapped(request, *args, **kwargs):
            if not predicate(request.user):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        wrapped.__name__ = view.__name__
        return wrapped

    return decorator
