"""Pages of a list, by keyset: a page starts after (or ends before) the row it was reached from,
so a deep page costs what the first does, never an OFFSET through every row before it. The
cursor in the address holds that row's ordering values, signed: one tampered with, or from
another ordering, gives the first page. The count is bounded, never a COUNT(*) over all.

Every list's view asks `paginate` for its page, and includes/pagination.html shows it."""

import datetime
import decimal
import uuid
from dataclasses import dataclass

from django.core import signing
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.core.paginator import Paginator
from django.db.models import F, IntegerField, Q, Subquery
from django.utils.functional import cached_property

AFTER, BEFORE = "after", "before"  # the cursor's two directions, as the address names them
CURSOR = (AFTER, BEFORE)
# Counted up to here, and past it said as "more than": counting further costs with each row
# (about 10 ms per thousand requests a CAN leader sees, docs/performance.md), and a list's
# reader needs no exact figure beyond it.
COUNT_BOUND = 1_000
_SIGNER = signing.Signer(salt="requests_app.core.paging")
REQUESTS = ("request", "requests")  # the noun of every list of requests: (one, many)


@dataclass(frozen=True)
class _Key:
    """One field of an ordering: its lookup path, its direction, and where its NULLs go."""

    path: str
    descending: bool
    nullable: bool
    field: object  # the model field the path ends at, which reads a cursor's value back

    # NULL sorts after every value: last going up, first going down (PostgreSQL's own default,
    # said explicitly so that SQLite orders the same), so a reversed key is simply the other
    # direction, and the cursor's predicate below agrees with the ORDER BY.
    @property
    def nulls_last(self):
        return not self.descending

    def reversed(self):
        return _Key(self.path, not self.descending, self.nullable, self.field)

    def order(self):
        column = F(self.path)
        if not self.nullable:
            return column.desc() if self.descending else column.asc()
        placement = {"nulls_last": True} if self.nulls_last else {"nulls_first": True}
        return column.desc(**placement) if self.descending else column.asc(**placement)

    def beyond(self, value):
        """The rows strictly after `value` in this key's order, or None for none at all."""
        if value is None:
            return None if self.nulls_last else Q(**{f"{self.path}__isnull": False})
        beyond = Q(**{f"{self.path}__{'lt' if self.descending else 'gt'}": value})
        if self.nullable and self.nulls_last:
            beyond |= Q(**{f"{self.path}__isnull": True})
        return beyond

    def equal(self, value):
        if value is None:
            return Q(**{f"{self.path}__isnull": True})
        return Q(**{self.path: value})

    def bound(self, value):
        """`beyond` or equal, on the first key alone: redundant with the predicate, it lets the
        database read an index on the key from the cursor on instead of filtering every row."""
        return Q(**{f"{self.path}__{'lte' if self.descending else 'gte'}": value})


def _keys(queryset, ordering, never_null=()):
    """The ordering as keys, ending with the primary key (a unique tie-break) in the last
    field's direction, so a list and its reverse are each other's exact reverse."""
    if ordering is None:
        ordering = queryset.query.order_by or (
            queryset.model._meta.ordering if queryset.query.default_ordering else ()
        )
    keys = []
    for name in ordering:
        if not isinstance(name, str) or name in ("", "?"):
            raise ValueError(f"Pages are ordered by field names, not by {name!r}.")
        descending = name.startswith("-")
        path = name.removeprefix("-")
        field, nullable = _resolve(queryset.model, path)
        keys.append(_Key(path, descending, nullable and path not in never_null, field))
    if not keys or keys[-1].field is not queryset.model._meta.pk:
        pk = queryset.model._meta.pk
        keys.append(_Key("pk", bool(keys) and keys[-1].descending, False, pk))
    return keys


def _resolve(model, path):
    """The field `path` ends at, and whether it can be NULL: a nullable field, or a nullable
    relation on the way to it (an unassigned request has no assignee's name)."""
    opts, nullable, field = model._meta, False, None
    parts = path.split("__")
    for i, part in enumerate(parts):
        try:
            field = opts.pk if part == "pk" else opts.get_field(part)
        except FieldDoesNotExist as missing:
            raise ValueError(f"Cannot order pages by {path}: no such field.") from missing
        nullable = nullable or field.null
        last = i == len(parts) - 1
        if field.is_relation:
            if field.many_to_many or field.one_to_many or not field.concrete:
                raise ValueError(f"Cannot order pages by {path}: a set of values, not one.")
            if last and part == field.name:
                raise ValueError(f"Cannot order pages by {path}: name its field, or its id.")
            if not last:
                opts = field.related_model._meta
            elif part == field.attname:
                field = field.target_field
        elif not last:
            raise ValueError(f"Cannot order pages by {path}: {part} is not a relation.")
    return field, nullable


def _dumped(value):
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()  # every microsecond: a cursor must match its row exactly
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    return value


def _token(keys, row, position):
    values = [getattr(row, f"paging_{i}") for i in range(len(keys))]
    return cursor_token(_signature(keys), values, position)


def cursor_token(signature, values, position):
    """What a Next link holds: the row numbered `position` in the ordering `signature`
    names ("status_changed_at,pk"), by its values there; the page after it follows."""
    return _SIGNER.sign_object({"k": signature, "v": [_dumped(v) for v in values], "n": position})


def cursor_signature(token):
    """The ordering a link's cursor walks, as `cursor_token` takes it."""
    return _SIGNER.unsign_object(token)["k"]


def _signature(keys):
    return ",".join(("-" if k.descending else "") + k.path for k in keys)


def _cursor(query, keys):
    """(direction, values, position) from the address, or None for the first page: also when
    the cursor is missing, doubled, tampered with, malformed, or from another ordering."""
    given = [(d, token) for d in CURSOR for token in query.getlist(d)]
    if len(given) != 1:
        return None
    direction, token = given[0]
    try:
        payload = _SIGNER.unsign_object(token)
        values, position = payload["v"], payload["n"]
        if payload["k"] != _signature(keys) or len(values) != len(keys):
            return None
        if not isinstance(position, int) or isinstance(position, bool) or position < 1:
            return None
        parsed = []
        for key, value in zip(keys, values, strict=True):
            if value is None and not key.nullable:
                return None
            parsed.append(None if value is None else key.field.to_python(value))
    except (signing.BadSignature, ValidationError, ValueError, TypeError, KeyError, AttributeError):
        return None
    return direction, parsed, position


def _beyond(keys, values):
    """Rows after `values` in the order of `keys`: for some key, every earlier one equal and
    this one beyond."""
    either, equal = [], Q()
    for key, value in zip(keys, values, strict=True):
        beyond = key.beyond(value)
        if beyond is not None:
            either.append(equal & beyond)
        equal &= key.equal(value)
    if not either:
        return Q(pk__in=[])
    predicate = either[0]
    for alternative in either[1:]:
        predicate |= alternative
    first, value = keys[0], values[0]
    # Where no NULL can follow the cursor's value: a field never NULL, or one going down from
    # a value (its NULLs came first).
    if not first.nullable or (value is not None and not first.nulls_last):
        predicate &= first.bound(value)
    return predicate


@dataclass
class ListPage:
    """One page of a list, as the templates read it (includes/pagination.html)."""

    rows: list
    has_next: bool
    has_previous: bool
    next_url: str
    previous_url: str
    first_url: str
    filters: str  # every parameter of the address but the cursor, encoded: filters kept
    count: int | None  # how many rows, up to COUNT_BOUND + 1; None when not counted
    count_text: str  # "60 requests", "more than 10,000 requests"; empty when not counted
    position: str  # where the page is, in words: "Requests 26 to 50 of 60"
    next_label: str
    previous_label: str

    @property
    def has_other_pages(self):
        return self.has_next or self.has_previous


def paginate(
    request,
    queryset,
    *,
    size,
    noun,
    ordering=None,
    newest_first=False,
    count=True,
    path=None,
    anchor="",
    never_null=(),
):
    """The page of `queryset` that `request`'s address asks for: `size` rows ordered by
    `ordering` (field names, "-" for descending, across relations too; by default the
    queryset's own), which the primary key ends. `noun`: (one, many), e.g. ("request",
    "requests"). `newest_first` lists say Newer and Older. `count`: whether to count the
    rows (bounded). `path`: where the page is (by default the address's own); `anchor`: the
    element the page's links lead to. `never_null`: fields the schema lets be NULL that these
    rows never are, so an index on them serves a deep page as it does the first."""
    keys = _keys(queryset, ordering, never_null)
    keyed = queryset.annotate(**{f"paging_{i}": F(k.path) for i, k in enumerate(keys)})
    cursor = _cursor(request.GET, keys)
    rows, has_next, has_previous, start = _rows(keyed, keys, cursor, size)
    if rows == [] and cursor is not None:
        # The rows the cursor pointed at are gone: the list from its start.
        rows, has_next, has_previous, start = _rows(keyed, keys, None, size)

    others = request.GET.copy()
    for direction in CURSOR:
        others.pop(direction, None)
    filters = others.urlencode()
    path = request.path if path is None else path

    def url(direction=None, row=None, position=None):
        query = others.copy()
        if direction is not None:
            query[direction] = _token(keys, row, position)
        encoded = query.urlencode()
        return f"{path}{'?' if encoded else ''}{encoded}{anchor}"

    one, many = noun
    total = _bounded_count(queryset) if count else None
    count_text = _count_text(total, one, many) if count else ""
    end = start + len(rows) - 1
    if not rows:
        position = ""
    elif not (has_next or has_previous):
        position = _count_text(len(rows), one, many)
    else:
        of = f" of {_number(total)}" if count else ""
        span = f"{one} {start:,}" if start == end else f"{many} {start:,} to {end:,}"
        position = f"{span[:1].upper()}{span[1:]}{of}"
    return ListPage(
        rows=rows,
        has_next=has_next,
        has_previous=has_previous,
        next_url=url(AFTER, rows[-1], end) if has_next else "",
        previous_url=url(BEFORE, rows[0], start) if has_previous else "",
        first_url=url(),
        filters=filters,
        count=total,
        count_text=count_text,
        position=position,
        next_label="Older" if newest_first else "Next",
        previous_label="Newer" if newest_first else "Previous",
    )


def _rows(keyed, keys, cursor, size):
    """(rows, has_next, has_previous, position of the first row): size + 1 rows are read, the
    extra one only to know whether there is more."""
    if cursor is None:
        rows = _read(keyed.order_by(*(k.order() for k in keys)), size + 1)
        return rows[:size], len(rows) > size, False, 1
    direction, values, position = cursor
    if direction == AFTER:
        found = keyed.filter(_beyond(keys, values)).order_by(*(k.order() for k in keys))
        rows = _read(found, size + 1)
        return rows[:size], len(rows) > size, True, position + 1
    # Before: the same walk in the reverse order, read back to front.
    backwards = [k.reversed() for k in keys]
    found = keyed.filter(_beyond(backwards, values)).order_by(*(k.order() for k in backwards))
    rows = _read(found, size + 1)
    earlier = len(rows) > size
    rows = rows[:size][::-1]
    return rows, True, earlier, max(1, position - len(rows)) if earlier else 1


def _read(found, limit):
    """The first `limit` rows of `found`, in its order: their keys first, through what the
    order and the filters need alone, then the rows themselves by key. Read in one query, the
    database may join every matching row's relations before it sorts them, and a list of a
    thousand rows costs a thousand joins for a page of 25 (docs/performance.md)."""
    keys = list(found.values_list("pk", flat=True)[:limit])
    rows = {row.pk: row for row in found.order_by().filter(pk__in=keys)}
    return [rows[key] for key in keys if key in rows]


def _bounded_count(queryset):
    """How many rows, up to COUNT_BOUND + 1: a LIMIT inside the count, over the rows' ids alone
    (no joins the filters do not need, no annotations, no order)."""
    return queryset.order_by().values("pk")[: COUNT_BOUND + 1].count()


class BoundedPaginator(Paginator):
    """Django's paginator (the admin's lists of records) counting as every list of the site
    does, up to COUNT_BOUND + 1: the admin's list of 1,000,000 events counted them all on each
    page (37 of its 61 ms, docs/performance.md). Its pages then reach the first COUNT_BOUND
    rows, an OFFSET no deeper than that; a filter, a search or the other order finds the rest,
    and `count_words` says there are more."""

    @cached_property
    def _counted(self):
        return _bounded_count(self.object_list)

    @cached_property
    def count(self):
        return min(self._counted, COUNT_BOUND)

    @property
    def bounded(self):
        return self._counted > COUNT_BOUND

    @property
    def count_words(self):
        """ "1,000" or "more than 1,000"."""
        return _number(self._counted)


class BoundedCount(Subquery):
    """`_bounded_count` as a column of another query (the header's unread notices): how many
    rows a sliced queryset holds, stopping at the slice's end whatever the table's size."""

    template = "(SELECT COUNT(*) FROM (%(subquery)s) AS bounded)"
    output_field = IntegerField()


def _number(total):
    return f"more than {COUNT_BOUND:,}" if total > COUNT_BOUND else f"{total:,}"


def _count_text(total, one, many):
    return f"{_number(total)} {one if total == 1 else many}"
