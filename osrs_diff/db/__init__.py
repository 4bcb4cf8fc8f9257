"""The per-backend seam: what differs between PostgreSQL (production) and SQLite (embedded mode).

`backend()` is the module for the default connection's engine, chosen once per process:
`osrs_diff.db.postgresql` or `osrs_diff.db.sqlite`. Both expose the same small surface:

- `NATIVE_SQL`: the PostgreSQL-only fast paths (server-side functions, LATERAL joins, epoch
  extraction) are available. Callers pick between their two implementations with `pick()`.
- `estimated_row_count(db_table)`: the planner's estimate, or None where there is none.
- `aware(value)`: a timestamp read through a raw cursor, as an aware UTC datetime.

Nothing else in the project reads `connection.vendor` to branch.
"""

from __future__ import annotations

import functools
from types import ModuleType
from typing import TypeVar

from django.db import connection

T = TypeVar("T")


@functools.cache
def _backend_for(vendor: str) -> ModuleType:
    if vendor == "postgresql":
        from osrs_diff.db import postgresql

        return postgresql
    from osrs_diff.db import sqlite

    return sqlite


def backend() -> ModuleType:
    """The backend module of the default database connection."""
    return _backend_for(connection.vendor)


def pick(*, native: T, portable: T) -> T:
    """`native` where the PostgreSQL fast paths exist, else `portable`."""
    return native if backend().NATIVE_SQL else portable


# Below this many rows (by the planner's estimate) a table is counted exactly.
EXACT_COUNT_LIMIT = 100_000


def table_count(model, *, exact_below: int = EXACT_COUNT_LIMIT) -> tuple[int, bool]:
    """(rows, estimated): the planner's estimate for big tables, COUNT(*) for small ones
    (below `exact_below` rows by that estimate, or where the backend has none)."""
    estimate = backend().estimated_row_count(model._meta.db_table)
    if estimate is not None and estimate >= exact_below:
        return estimate, True
    return model.objects.count(), False
