"""The site's URL patterns as the resolver has them (this app's, the admin's and allauth's), and
the path of each with given values: for tests that walk every address, so that a page added
later is walked without being listed anywhere.

A route is the chain of patterns from the root resolver down to one view; its last pattern has
the view's name."""

import re
from urllib.parse import quote

from django.contrib import admin
from django.urls import URLResolver, get_resolver
from django.urls.resolvers import RegexPattern

PARAMETER = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")
GROUP = re.compile(r"\(\?P<(?P<name>\w+)>[^()]*\)")


def _routes(resolver, chain=()):
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            yield from _routes(pattern, (*chain, pattern.pattern))
        else:
            yield (*chain, pattern.pattern)


def routes():
    """Every URL pattern of the site, as chains of patterns."""
    return list(_routes(get_resolver()))


def where(route):
    """The route as written, e.g. "r/<reference:reference>/mou/"."""
    return "".join(map(str, route))


def parameters(route):
    names = []
    for part in route:
        found = GROUP if isinstance(part, RegexPattern) else PARAMETER
        names += [m["name"] for m in found.finditer(str(part))]
    return names


def path_of(route, values):
    """The path of `route` with `values` for its parameters, each percent-encoded."""

    def value(match):
        return quote(values[match["name"]], safe="")

    pieces = []
    for part in route:
        if isinstance(part, RegexPattern):
            literal = GROUP.sub(value, str(part).removeprefix("^").removesuffix("$"))
            pieces.append(re.sub(r"\\(.)", r"\1", literal))
        else:
            pieces.append(PARAMETER.sub(value, str(part)))
    return "/" + "".join(pieces)


def admin_objects():
    """Real primary keys of each model in the admin, by its part of the admin's paths
    ("app_label/model_name/"), for the `object_id` of its change, history and delete pages."""
    return {
        f"{model._meta.app_label}/{model._meta.model_name}/": [
            str(pk) for pk in model._default_manager.order_by("pk").values_list("pk", flat=True)[:2]
        ]
        or ["1"]
        for model in admin.site._registry
    }


def admin_model(route, objects):
    """The admin model part of `route` ("app_label/model_name/"), or None for another route."""
    return next((str(part) for part in route if str(part) in objects), None)
