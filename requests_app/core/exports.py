"""What the CSV exports read: every row in one query, whatever the number of rows, as plain values,
never a model object per row. What a row has several of (its CANs, its people) comes as one text
cell from a subquery of that row, so the export reads one consistent snapshot
(docs/performance.md)."""

from django.contrib.postgres.aggregates import StringAgg
from django.db.models import Aggregate, Case, F, OuterRef, Subquery, TextField, Value, When

SEPARATOR = "; "


class Joined(StringAgg):
    """Text values joined with a separator, in the order given: PostgreSQL's STRING_AGG. SQLite,
    used only in development, joins them with GROUP_CONCAT in the order it reads them."""

    def as_sqlite(self, compiler, connection, **extra_context):
        expression, separator = self.get_source_expressions()[:2]
        concat = Aggregate(expression, separator, output_field=TextField())
        concat.function = "GROUP_CONCAT"
        return concat.as_sql(compiler, connection, **extra_context)


def joined(related, expression, by="request", to="pk"):
    """One cell per row of the outer query: `expression` over `related` (the rows of another
    table that point through `by` at the outer row's `to`), in their model's order, joined
    with "; "."""
    order = related.model._meta.ordering or ["pk"]
    return Subquery(
        related.filter(**{by: OuterRef(to)})
        .order_by()
        .values(by)
        .annotate(text=Joined(expression, SEPARATOR, order_by=order))
        .values("text"),
        output_field=TextField(),
    )


def label(field, choices):
    """The display label of a choice field, computed by the database."""
    return Case(
        *[When(**{field: value}, then=Value(text)) for value, text in choices],
        default=F(field),
        output_field=TextField(),
    )
