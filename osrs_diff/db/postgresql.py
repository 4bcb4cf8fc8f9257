"""PostgreSQL: production. Server-side functions, LATERAL joins, planner statistics."""

from __future__ import annotations

from datetime import datetime

from django.db import connection

NATIVE_SQL = True


def estimated_row_count(db_table: str) -> int | None:
    """The planner's row estimate (`pg_class.reltuples`), None when never analysed."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass", [db_table]
        )
        row = cursor.fetchone()
    return int(row[0]) if row and row[0] is not None and row[0] >= 0 else None


def aware(value: datetime) -> datetime:
    """psycopg already returns aware datetimes for timestamptz columns."""
    return value
