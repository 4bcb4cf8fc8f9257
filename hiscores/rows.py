"""The fetch's hot path on snapshot rows, in plain SQL.

A snapshot row has ~250 value columns; compiling an ORM query over them costs ~10 ms of Python
per query, more than the database spends. These statements are built once from the model's
metadata and run through Django's cursor, so they stay portable (PostgreSQL and SQLite both
support `LIMIT` and `RETURNING`) and keep the model as the single source of the layout.
"""

from __future__ import annotations

import json
from datetime import datetime
from functools import cache
from typing import Any

from django.db import connection

from hiscores import layout
from hiscores.models import Snapshot
from hiscores.selectors import snapshot_in_force_sql

Row = dict[str, Any]


@cache
def _statements() -> dict[str, str]:
    qn = connection.ops.quote_name
    table = qn(Snapshot._meta.db_table)
    value_columns = ", ".join(qn(c) for c in layout.COLUMN_NAMES)
    select_list = f"{qn('id')}, {qn('extra')}, {value_columns}"
    select = f"SELECT {select_list} FROM {table} WHERE player_id = %s"
    insert_columns = ["player_id", "fetched_at", "board", "extra", *layout.COLUMN_NAMES]
    return {
        "at_or_before": snapshot_in_force_sql(select=select_list),
        "after": f"{select} AND fetched_at > %s ORDER BY fetched_at ASC LIMIT 1",
        "insert": (
            f"INSERT INTO {table} ({', '.join(qn(c) for c in insert_columns)}) "
            f"VALUES ({', '.join(['%s'] * len(insert_columns))}) RETURNING {qn('id')}"
        ),
    }


def _fetch_row(statement: str, params: list[Any]) -> Row | None:
    with connection.cursor() as cursor:
        cursor.execute(_statements()[statement], params)
        values = cursor.fetchone()
    if values is None:
        return None
    row = dict(zip(("id", "extra", *layout.COLUMN_NAMES), values, strict=True))
    if isinstance(row["extra"], str):  # SQLite (and psycopg without the jsonb loader)
        row["extra"] = json.loads(row["extra"])
    return row


def row_at_or_before(*, player_id: int, at: datetime) -> Row | None:
    """The snapshot row in force at `at` (values by column name, plus id and extra)."""
    return _fetch_row("at_or_before", [player_id, _db_datetime(at)])


def row_after(*, player_id: int, at: datetime) -> Row | None:
    """The first snapshot row strictly after `at`."""
    return _fetch_row("after", [player_id, _db_datetime(at)])


def insert_row(
    *,
    player_id: int,
    fetched_at: datetime,
    board: str,
    extra: dict[str, Any],
    columns: dict[str, int | None],
) -> int:
    """Insert one snapshot row; returns its id. Raises IntegrityError on a duplicate time."""
    extra_field = Snapshot._meta.get_field("extra")
    params = [
        player_id,
        _db_datetime(fetched_at),
        board,
        extra_field.get_db_prep_value(extra, connection),
        *(columns[name] for name in layout.COLUMN_NAMES),
    ]
    with connection.cursor() as cursor:
        cursor.execute(_statements()["insert"], params)
        return cursor.fetchone()[0]


def _db_datetime(value: datetime) -> Any:
    return connection.ops.adapt_datetimefield_value(value)
