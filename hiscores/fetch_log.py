"""The bounded per-player log of fetches and their outcomes (the player page's "last fetches").

The hourly counters (FetchOutcomeCount) say how fetches went overall; this says how one player's
last FETCH_LOG_KEPT fetches went. Each entry costs one INSERT and one indexed DELETE of what fell
off the end, and a failure to log never fails the fetch.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from hiscores.models import FetchLogEntry
from hiscores.outcomes import FetchStatus

logger = logging.getLogger(__name__)

FETCH_LOG_KEPT = 20
DETAIL_LENGTH = 200


def fetch_log_record(
    *, player_id: int | None, outcome: str, detail: str | None = None, at: datetime | None = None
) -> None:
    """Log one fetch of a player; keep only the player's newest FETCH_LOG_KEPT entries."""
    if player_id is None or outcome == FetchStatus.SKIPPED:
        return  # nothing was fetched
    table = connection.ops.quote_name(FetchLogEntry._meta.db_table)
    try:
        with transaction.atomic():
            FetchLogEntry.objects.create(
                player_id=player_id,
                at=at or timezone.now(),
                outcome=outcome,
                detail=(detail or "")[:DETAIL_LENGTH],
            )
            with connection.cursor() as cursor:
                # Everything older than the player's FETCH_LOG_KEPT-th newest entry (the inner
                # query is NULL while there are fewer: nothing is deleted).
                cursor.execute(
                    f"DELETE FROM {table} WHERE player_id = %s AND id < ("
                    f"SELECT id FROM {table} WHERE player_id = %s ORDER BY id DESC "
                    "LIMIT 1 OFFSET %s)",
                    [player_id, player_id, FETCH_LOG_KEPT - 1],
                )
    except DatabaseError as exc:  # e.g. the player was deleted meanwhile
        logger.warning("could not log fetch of player %s: %s", player_id, exc)


def fetch_log_recent(*, player_id: int, limit: int = FETCH_LOG_KEPT) -> list[FetchLogEntry]:
    """A player's newest logged fetches, newest first (one indexed query)."""
    return list(
        FetchLogEntry.objects.filter(player_id=player_id)
        .only("at", "outcome", "detail")
        .order_by("-id")[:limit]
    )
