"""Missing players: tracked players whose fetches keep finding no board.

After `MISSING_AFTER_FETCHES` fetches in a row that found the player on no board (404), the player
is marked missing (`missing_since`), one `player.missing` event is recorded, and its schedule backs
off: the effective interval doubles with every such fetch from then on, up to
`FETCH_BACKOFF_MAX_MINUTES` (never below the configured interval, never shorter than an adaptive
interval already in force). The first fetch that finds the board clears it all and puts the
schedule back on the configured interval.

Both functions run inside the fetch's transaction, on the row the fetch locked
(hiscores/services.py: `snapshot_record_not_found` and `snapshot_record`).
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.conf import settings

from osrs_diff.events import PLAYER_MISSING, event_record
from players import schedules
from players.models import Player

logger = logging.getLogger(__name__)


def missing_interval_minutes(
    *, configured: int, current: int | None, missed: int, after: int, max_minutes: int
) -> int | None:
    """The effective interval after `missed` fetches in a row found no board (None: unchanged).

    From the fetch that makes the player missing (`missed == after`) the interval is the
    configured one doubled once per such fetch, capped at `max_minutes`.
    """
    if missed < after:
        return None
    ceiling = max(configured, max_minutes)
    backed_off = min(configured * 2 ** (missed - after + 1), ceiling)
    return max(backed_off, current or configured)


def player_not_found_record(*, player: Player, now: datetime) -> bool:
    """Count one fetch that found no board; True when this fetch made the player missing.

    `player` is the row the caller locked (select_for_update) in its transaction.
    """
    after = max(1, settings.MISSING_AFTER_FETCHES)
    player.missing_fetches += 1
    fields = ["missing_fetches"]
    became_missing = player.missing_since is None and player.missing_fetches >= after
    if became_missing:
        player.missing_since = now
        fields.append("missing_since")
    interval = missing_interval_minutes(
        configured=player.fetch_interval_minutes,
        current=player.effective_interval_minutes,
        missed=player.missing_fetches,
        after=after,
        max_minutes=settings.FETCH_BACKOFF_MAX_MINUTES,
    )
    if interval is not None and interval != player.schedule_interval_minutes:
        player.effective_interval_minutes = interval
        fields.append("effective_interval_minutes")
    player.save(update_fields=fields)
    if became_missing:
        event_record(
            name=PLAYER_MISSING,
            data={
                "username": player.username,
                "game_mode": player.game_mode,
                "missing_since": now.isoformat(),
                "fetches": player.missing_fetches,
            },
            occurred_at=now,
        )
        logger.warning(
            "player %s is missing: no board found %s fetches in a row",
            player.username,
            player.missing_fetches,
        )
    if "effective_interval_minutes" in fields:
        schedules.player_schedule_sync(player=player)
    return became_missing


def player_found_record(*, player: Player, at: datetime) -> bool:
    """A reading taken `at` found the player's board: clear the missing state (True if cleared).

    Costs nothing for a player that was never missed (the common case on the fetch hot path). A
    backfilled reading older than the latest fetch (an import) clears nothing.
    """
    if not player.missing_fetches and player.missing_since is None:
        return False
    if player.last_fetched is not None and at < player.last_fetched:
        return False
    was_missing = player.missing_since is not None
    Player.objects.filter(pk=player.pk).update(missing_fetches=0, missing_since=None)
    player.missing_fetches, player.missing_since = 0, None
    if was_missing:
        # The back-off was ours: the configured interval again (the adaptive rule starts over).
        Player.objects.filter(pk=player.pk).update(effective_interval_minutes=None)
        player.effective_interval_minutes = None
        schedules.player_schedule_sync(player=player)
        logger.info("player %s found again: no longer missing", player.username)
    return True
