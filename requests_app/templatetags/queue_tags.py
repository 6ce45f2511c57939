from django import template

from requests_app import policy
from requests_app.core.paging import CURSOR

register = template.Library()


@register.simple_tag(takes_context=True)
def sort_link(context, field):
    """The query string that sorts the queue by `field`, reversing it if it is sorted so now."""
    query = context["request"].GET.copy()
    current = query.get("sort", "")
    query["sort"] = f"-{field}" if current == field else field
    # A new order starts at its first page: a cursor belongs to the order it was read in.
    for direction in CURSOR:
        query.pop(direction, None)
    return f"?{query.urlencode()}"


@register.simple_tag(takes_context=True)
def sort_state(context, field):
    """aria-sort for a column header: ascending, descending or none."""
    current = context["request"].GET.get("sort", "")
    if current == field or (not current and field == "waiting"):
        return "ascending"
    return "descending" if current == f"-{field}" else "none"


@register.filter
def days_in_status(request):
    return policy.days_in_status(request)


@register.filter
def decision_clock(request):
    """The request's decision clock (policy.deadline), for includes/clock.html."""
    return policy.deadline(request)
