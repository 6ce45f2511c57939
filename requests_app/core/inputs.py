"""What services make of the values a form gave them: text trimmed, and ids as integers (anything
else refused in words, not with a crash)."""

from requests_app.core.actions import ActionRefused


def text(value):
    return (value or "").strip()


def ids(action, values, what):
    """Ids from a form, as integers; anything else is refused in words, not with a crash."""
    try:
        return [int(value) for value in values or ()]
    except (TypeError, ValueError):
        raise ActionRefused(action, [f"Choose {what} from the list."]) from None


def by_id(action, mapping, what):
    """{id: value} from a form's {id, or id as text: value}."""
    mapping = mapping or {}
    return dict(zip(ids(action, mapping.keys(), what), mapping.values(), strict=True))
