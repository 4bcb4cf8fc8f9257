"""Small database helpers shared by the apps."""

from __future__ import annotations

from django.db import connection

# Below this many rows (by the planner's estimate) a table is counted exactly.
EXACT_COUNT_LIMIT = 100_000


def table_count(model, *, exact_below: int = EXACT_COUNT_LIMIT) -> tuple[int, bool]:
    """(rows, estimated): PostgreSQL's statistics for big tables, COUNT(*) for small ones
    (below `exact_below` rows by the planner's estimate)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass",
                [model._meta.db_table],
            )
            row = cursor.fetchone()
        if row and row[0] is not None and row[0] >= exact_below:
            return int(row[0]), True
    return model.objects.count(), False
