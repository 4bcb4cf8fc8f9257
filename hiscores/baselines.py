"""Flagged readings and baselines: keep a rejected reading, and let an operator accept it.

A reading whose values went down is rejected and the player flagged (hiscores.services). Every
later reading is compared with the last stored snapshot, so after a real fall (a Jagex rollback,
a name taken over by a new account, a score that can legitimately fall) every later reading
would be rejected too. Accepting stores the rejected reading as a *baseline* snapshot: later
readings compare with it, and gains, leaderboards and charts restart from it (history.gains).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q

from hiscores import layout, rows
from hiscores.integration.catalogue import DECREASABLE_KEYS
from hiscores.integration.errors import PlayerNotFound
from hiscores.integration.results import HiscoresResult
from hiscores.integration.shared import fetch as hiscores_fetch
from hiscores.models import RejectedReading, Snapshot
from osrs_diff.exceptions import Conflict, NotFound
from players.game_modes import board_for_game_mode
from players.models import Player

logger = logging.getLogger(__name__)

KEPT = "kept"
HISCORES = "hiscores"


# --- Kept while flagged (called by hiscores.services with the player row locked) ----


def rejected_reading_keep(
    *,
    player_id: int,
    fetched_at: datetime,
    board: str,
    columns: dict[str, int | None],
    extra: dict[str, Any],
    falls: list[dict[str, Any]],
) -> None:
    """Keep the newest rejected reading of a player (an older backfilled one never replaces it)."""
    kept = RejectedReading.objects.filter(player_id=player_id).only("fetched_at").first()
    if kept is not None and kept.fetched_at > fetched_at:
        return
    RejectedReading.objects.update_or_create(
        player_id=player_id,
        defaults={
            "fetched_at": fetched_at,
            "board": board,
            "columns": columns,
            "extra": extra,
            "falls": falls,
        },
    )


def rejected_reading_discard(*, player_id: int) -> None:
    """The flag cleared by itself (a plausible reading arrived): nothing is left to accept."""
    RejectedReading.objects.filter(player_id=player_id).delete()


# --- Reads ----


@dataclass(frozen=True)
class Fall:
    """One value that went down in the rejected reading."""

    metric: str
    field: str
    before: int
    after: int

    @property
    def change(self) -> int:
        return self.after - self.before


def rejected_reading_get(*, player: Player) -> RejectedReading | None:
    """The kept rejected reading of a flagged player (None when not flagged or not kept)."""
    if not player.flag_reason:
        return None
    return RejectedReading.objects.filter(player_id=player.pk).first()


def rejected_reading_falls(*, player: Player) -> list[Fall] | None:
    """What went down and by how much while flagged; None when no rejected reading is kept."""
    kept = rejected_reading_get(player=player)
    if kept is None:
        return None
    return [
        Fall(metric=f["metric"], field=f["field"], before=f["before"], after=f["after"])
        for f in kept.falls
    ]


# --- Accept ----


@dataclass(frozen=True)
class BaselineAcceptance:
    """What accepting stored: the baseline snapshot, where its values came from, what fell."""

    player: Player
    snapshot_id: int
    fetched_at: datetime
    source: str  # KEPT (the rejected reading) or HISCORES (fetched again: it was not kept)
    falls: list[dict[str, Any]]


def _not_flagged(player: Player) -> Conflict:
    return Conflict(
        f"Player {player.username!r} is not flagged: there is no rejected reading to accept.",
        error_code="not_flagged",
    )


def snapshot_baseline_accept(*, player: Player) -> BaselineAcceptance:
    """Store a flagged player's rejected reading as a baseline snapshot and clear the flag.

    The kept rejected reading is used; a flag without one (raised before readings were kept) is
    answered by fetching the player's board once, outside any transaction. 409 `not_flagged` when
    nothing is flagged, so accepting twice stores one baseline.
    """
    # Read the flag afresh: the caller's object may predate an accept (never fetch for nothing).
    flag = Player.objects.filter(pk=player.pk).values_list("flag_reason", flat=True).first()
    if flag is None:
        raise NotFound(f"Player {player.username!r} is not tracked.")
    if not flag:
        raise _not_flagged(player)
    fetched: HiscoresResult | None = None
    if not RejectedReading.objects.filter(player_id=player.pk).exists():
        fetched = _fetch_current(player)
    with transaction.atomic():
        locked = Player.objects.select_for_update().filter(pk=player.pk).first()
        if locked is None:
            raise NotFound(f"Player {player.username!r} is not tracked.")
        if not locked.flag_reason:
            raise _not_flagged(locked)  # a concurrent accept (or a plausible reading) won
        kept = RejectedReading.objects.filter(player_id=locked.pk).first()
        if kept is not None:
            values = (kept.fetched_at, kept.board, kept.columns, kept.extra, kept.falls, KEPT)
        elif fetched is not None:
            values = (*_fetched_values(locked, fetched), HISCORES)
        else:  # kept when we looked, gone now: the flag was re-raised meanwhile; never guess
            raise Conflict("The flagged reading changed meanwhile; try again.", error_code="busy")
        fetched_at, board, columns, extra, falls, source = values
        snapshot_id = _store_baseline(
            player_id=locked.pk, fetched_at=fetched_at, board=board, columns=columns, extra=extra
        )
        RejectedReading.objects.filter(player_id=locked.pk).delete()
        Player.objects.filter(pk=locked.pk).update(flag_reason="", flagged_at=None)
        Player.objects.filter(pk=locked.pk).filter(
            Q(last_changed__lt=fetched_at) | Q(last_changed__isnull=True)
        ).update(last_changed=fetched_at)
    logger.info(
        "reading of %s at %s accepted as a baseline (%s): %s",
        locked.username,
        fetched_at.isoformat(),
        source,
        locked.flag_reason,
    )
    locked.refresh_from_db()
    return BaselineAcceptance(
        player=locked, snapshot_id=snapshot_id, fetched_at=fetched_at, source=source, falls=falls
    )


def _fetch_current(player: Player) -> HiscoresResult:
    board = board_for_game_mode(player.game_mode)
    try:
        return hiscores_fetch(player.username, board)
    except PlayerNotFound:
        raise NotFound(
            f"Player {player.username!r} is not on the {board} board: "
            "there is no reading to accept.",
            error_code="player_not_found",
        ) from None


def _fetched_values(player: Player, reading: HiscoresResult) -> tuple:
    columns, extra = layout.row_values(reading)
    previous = rows.row_at_or_before(player_id=player.pk, at=reading.fetched_at)
    falls: list[dict[str, Any]] = []
    if previous is not None:
        before = layout.flatten_row(previous, previous["extra"])
        falls = layout.decreases(before, layout.flatten_reading(reading), allowed=DECREASABLE_KEYS)
    return reading.fetched_at, str(reading.board), columns, extra, falls


def _store_baseline(
    *,
    player_id: int,
    fetched_at: datetime,
    board: str,
    columns: dict[str, Any],
    extra: dict[str, Any],
) -> int:
    full = {name: columns.get(name) for name in layout.COLUMN_NAMES}
    try:
        with transaction.atomic():  # savepoint: a row at this very time must not poison the rest
            snapshot_id = rows.insert_row(
                player_id=player_id, fetched_at=fetched_at, board=board, extra=extra, columns=full
            )
    except IntegrityError:
        # A snapshot already holds this time (a backfill stored it): that row becomes the baseline.
        snapshot_id = Snapshot.objects.get(player_id=player_id, fetched_at=fetched_at).pk
    Snapshot.objects.filter(pk=snapshot_id).update(is_baseline=True)
    return snapshot_id
