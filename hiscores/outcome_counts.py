"""Fetch outcomes counted per hour, for /system/stats and /metrics (one atomic upsert a fetch)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from hiscores.models import FetchOutcomeCount
from hiscores.outcomes import (
    COUNTED_OUTCOMES,
    FETCH_OUTCOME_RETENTION,
    ROLLUP_HOUR,
)

logger = logging.getLogger(__name__)


# --- Fetch outcome counts (GET /system/stats, /metrics) ----


def _hour_start(at: datetime) -> datetime:
    return at.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def _outcome_add(cursor, *, hour: datetime, outcome: str, amount: int) -> int:
    """One atomic upsert (PostgreSQL and SQLite); returns the row's new count."""
    table = connection.ops.quote_name(FetchOutcomeCount._meta.db_table)
    count = connection.ops.quote_name("count")
    cursor.execute(
        f"INSERT INTO {table} (hour, outcome, {count}) VALUES (%s, %s, %s) "
        f"ON CONFLICT (hour, outcome) DO UPDATE SET {count} = {table}.{count} + %s "
        f"RETURNING {count}",
        [connection.ops.adapt_datetimefield_value(hour), outcome, amount, amount],
    )
    return cursor.fetchone()[0]


def fetch_outcome_record(*, outcome: str, at: datetime | None = None) -> None:
    """Count one fetch outcome in its hour; never fails the fetch it counts.

    The first count of a new hour also folds that outcome's hours past the retention into the
    rollup row (DELETE ... RETURNING, so concurrent folds never count a row twice).
    """
    if outcome not in COUNTED_OUTCOMES:
        return
    hour = _hour_start(at or timezone.now())
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            if _outcome_add(cursor, hour=hour, outcome=outcome, amount=1) != 1:
                return
            table = connection.ops.quote_name(FetchOutcomeCount._meta.db_table)
            count = connection.ops.quote_name("count")
            cursor.execute(
                f"DELETE FROM {table} WHERE outcome = %s AND hour > %s AND hour < %s "
                f"RETURNING {count}",
                [
                    outcome,
                    connection.ops.adapt_datetimefield_value(ROLLUP_HOUR),
                    connection.ops.adapt_datetimefield_value(hour - FETCH_OUTCOME_RETENTION),
                ],
            )
            folded = sum(row[0] for row in cursor.fetchall())
            if folded:
                _outcome_add(cursor, hour=ROLLUP_HOUR, outcome=outcome, amount=folded)
    except DatabaseError as exc:
        logger.warning("could not count fetch outcome %s: %s", outcome, exc)
