"""PostgreSQL's plan for a query, as it would be at the size the data reaches: a test's few rows
make a table read (or another method) cheaper than any index, so the methods named are
forbidden for the rest of the test's transaction and the plan shows which index serves the
query (docs/performance.md)."""

from django.db import connection


def plan(queryset, forbidden=("seqscan", "bitmapscan")):
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        for method in forbidden:
            cursor.execute(f"SET LOCAL enable_{method} = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())
