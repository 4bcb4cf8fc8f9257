"""Snapshot writes: turn a hiscores reading into a stored snapshot only when the player progressed.

The fetch runs in two steps so no transaction is ever held across an HTTP call: the reading is
fetched first (`snapshot_fetch`), then `snapshot_record` compares and stores it in one short
transaction with the player row locked. The lock serialises concurrent or redelivered fetches of
one player, so the second one compares with the first one's row and finds nothing new; the unique
`(player, fetched_at)` constraint is the backstop.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Case, F, Q, Value, When
from django.utils import timezone

from hiscores import baselines, layout, rows
from hiscores.fetch_log import fetch_log_record
from hiscores.integration.catalogue import DECREASABLE_KEYS
from hiscores.integration.errors import HiscoresUnavailable, PlayerNotFound
from hiscores.integration.results import Board, HiscoresResult
from hiscores.integration.shared import fetch as hiscores_fetch
from hiscores.integration.shared import limiter_wait_bound
from hiscores.models import Snapshot
from hiscores.outcome_counts import fetch_outcome_record
from hiscores.outcomes import (
    FetchStatus,
)
from hiscores.stored import StoredSnapshot, snapshot_stored_notify
from osrs_diff import events
from osrs_diff.datetimes import not_after_now
from osrs_diff.queues import SCHEDULED
from players.adaptive import player_fetch_interval_adapt
from players.game_modes import GameMode, board_for_game_mode
from players.missing import player_found_record, player_not_found_record
from players.models import Player

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class FetchOutcome:
    """What one fetch (or one imported reading) did; also the task's JSON result."""

    status: str
    player_id: int | None
    username: str | None = None
    snapshot_id: int | None = None
    fetched_at: datetime | None = None
    reason: str | None = None
    details: Any = None

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["fetched_at"] = self.fetched_at.isoformat() if self.fetched_at else None
        return data


def board_for(player: Player) -> Board:
    return board_for_game_mode(player.game_mode)


def snapshot_fetch(
    *, player_id: int, scheduled: bool = False, delivery_id: str | None = None
) -> FetchOutcome:
    """Fetch a tracked player's board and record the reading.

    `scheduled` (background work, not a person waiting): the rate-limit wait is bounded by
    FETCH_DEFER_AFTER_SECONDS and a longer queue ends the fetch at once as `deferred` (no
    request; the next due time fetches the player). `delivery_id`: the beat delivery that claimed
    the due time; its outcome feeds the adaptive interval (players/intervals.py).
    Raises `HiscoresUnavailable` for transient failures so the caller (the task) can retry.
    """
    player = Player.objects.filter(pk=player_id).only(
        "id", "username", "game_mode", "is_active", "last_changed", "game_mode_checked_at"
    )
    player = player.first()
    if player is None or not player.is_active:
        logger.info(
            "fetch skipped: player %s is %s", player_id, "paused" if player else "not tracked"
        )
        return FetchOutcome(
            status=FetchStatus.SKIPPED,
            player_id=player_id,
            username=player.username if player else None,
            reason="paused" if player else "not_tracked",
        )
    try:
        reading = _fetch_reading(player, scheduled=scheduled)
    except PlayerNotFound:
        outcome = snapshot_record_not_found(player_id=player.pk)
    except _Deferred as deferred:
        outcome = FetchOutcome(
            FetchStatus.DEFERRED,
            player.pk,
            username=player.username,
            reason=HiscoresUnavailable.RATE_LIMITED,
            details={"retry_after": deferred.retry_after},
        )
        logger.info("fetch %s deferred: the rate-limit queue is long", player.username)
    else:
        outcome = snapshot_record(player_id=player.pk, reading=reading)
        if outcome.status == FetchStatus.UNCHANGED and _board_looks_frozen(player, reading):
            _queue_game_mode_check(player_id=player.pk)
    if outcome.status in (FetchStatus.SUCCESS, FetchStatus.UNCHANGED):
        player_fetch_interval_adapt(
            player_id=player.pk,
            progressed=outcome.status == FetchStatus.SUCCESS,
            delivery_id=delivery_id if scheduled else None,
        )
    fetch_outcome_record(outcome=outcome.status)
    fetch_log_record(player_id=player.pk, outcome=outcome.status, detail=outcome.reason)
    return outcome


class _Deferred(Exception):
    def __init__(self, retry_after: float | None) -> None:
        super().__init__("deferred")
        self.retry_after = retry_after


def _fetch_reading(player: Player, *, scheduled: bool) -> HiscoresResult:
    if not scheduled:
        return hiscores_fetch(player.username, board_for(player))
    try:
        with limiter_wait_bound(settings.FETCH_DEFER_AFTER_SECONDS):
            return hiscores_fetch(player.username, board_for(player))
    except HiscoresUnavailable as exc:
        if exc.reason == HiscoresUnavailable.RATE_LIMITED:
            raise _Deferred(getattr(exc, "retry_after", None)) from exc
        raise


FROZEN_BOARD_RECHECK = timedelta(hours=6)


def _board_looks_frozen(player: Player, reading: HiscoresResult) -> bool:
    if player.game_mode == GameMode.REGULAR:
        return False
    since = reading.fetched_at - FROZEN_BOARD_RECHECK
    idle = player.last_changed is None or player.last_changed <= since
    checked = player.game_mode_checked_at is not None and player.game_mode_checked_at > since
    return idle and not checked


def _queue_game_mode_check(*, player_id: int) -> None:
    """Background work a fetch found, not a person's request: it goes on `scheduled`."""
    from players.tasks import check_game_mode

    transaction.on_commit(
        lambda: check_game_mode.apply_async(kwargs={"player_id": player_id}, queue=SCHEDULED)
    )


def snapshot_record(
    *, player_id: int, reading: HiscoresResult, fetched_at: datetime | None = None
) -> FetchOutcome:
    """Store `reading` if it holds progress; reject it if any value went down.

    `last_fetched` moves forward (never back) whatever the outcome; `last_changed` moves when a
    snapshot is stored. Backfilled readings compare with the snapshot in force at their time.
    """
    fetched_at = fetched_at or reading.fetched_at
    columns, extra = layout.row_values(reading)
    current = layout.flatten_reading(reading)
    overall = reading.skills.get("overall")

    with transaction.atomic():
        player = Player.objects.select_for_update().filter(pk=player_id).first()
        if player is None:
            return FetchOutcome(FetchStatus.SKIPPED, player_id, reason="not_tracked")
        previous = rows.row_at_or_before(player_id=player_id, at=fetched_at)
        # A reading older than the latest row (a concurrent fetch that lost the race, or a
        # backfill) must also differ from the row after it, or that stretch would hold two rows.
        following = rows.row_after(player_id=player_id, at=fetched_at)
        outcome = _compare_and_store(
            player=player,
            previous=previous,
            following=following,
            current=current,
            columns=columns,
            extra=extra,
            board=reading.board,
            fetched_at=fetched_at,
        )
        _move_last_fetched(player_id=player_id, fetched_at=fetched_at, status=outcome.status)
        player_found_record(player=player, at=fetched_at)  # found: not missing (issue 18)
    if outcome.status == FetchStatus.REJECTED:
        logger.warning(
            "reading of %s rejected: values went down %s", player.username, outcome.details
        )
    logger.info(
        "fetch %s: %s (overall xp %s)",
        player.username,
        outcome.status,
        overall.experience if overall else None,
    )
    return outcome


def _compare_and_store(
    *,
    player: Player,
    previous: dict[str, Any] | None,
    following: dict[str, Any] | None,
    current: layout.FlatValues,
    columns: dict[str, int | None],
    extra: dict[str, Any],
    board: str,
    fetched_at: datetime,
) -> FetchOutcome:
    base = {"player_id": player.pk, "username": player.username, "fetched_at": fetched_at}
    include_ranks = settings.SNAPSHOT_DEDUP_INCLUDE_RANKS
    if previous is not None:
        before = layout.flatten_row(previous, previous["extra"])
        falls = layout.decreases(before, current, allowed=DECREASABLE_KEYS)
        if falls:
            reason = _describe_falls(falls)
            Player.objects.filter(pk=player.pk).update(flag_reason=reason, flagged_at=fetched_at)
            if not player.flag_reason:  # newly flagged; a flagged player's next rejects are quiet
                events.event_record(
                    name=events.PLAYER_FLAGGED,
                    data={
                        "username": player.username,
                        "reason": reason,
                        "flagged_at": fetched_at.isoformat(),
                    },
                )
            # Kept so an operator can accept it as a baseline without another hiscores call.
            baselines.rejected_reading_keep(
                player_id=player.pk,
                fetched_at=fetched_at,
                board=str(board),
                columns=columns,
                extra=extra,
                falls=falls,
            )
            return FetchOutcome(FetchStatus.REJECTED, reason=reason, details=falls, **base)
        if not layout.progressed(before, current, include_ranks=include_ranks):
            _clear_flag(player)
            return FetchOutcome(FetchStatus.UNCHANGED, snapshot_id=previous["id"], **base)
    if following is not None:
        after = layout.flatten_row(following, following["extra"])
        if not layout.progressed(current, after, include_ranks=include_ranks):
            return FetchOutcome(FetchStatus.UNCHANGED, snapshot_id=following["id"], **base)
    try:
        with transaction.atomic():  # savepoint: a duplicate must not poison the outer transaction
            snapshot_id = rows.insert_row(
                player_id=player.pk,
                fetched_at=fetched_at,
                board=str(board),
                extra=extra,
                columns=columns,
            )
    except IntegrityError:
        # Backstop of the unique (player, fetched_at): this exact reading was recorded before.
        existing = Snapshot.objects.only("id").get(player_id=player.pk, fetched_at=fetched_at)
        return FetchOutcome(FetchStatus.UNCHANGED, snapshot_id=existing.pk, **base)
    changed_at = not_after_now(fetched_at)  # a backfill line may lie up to a day ahead
    Player.objects.filter(pk=player.pk).filter(
        Q(last_changed__lt=changed_at) | Q(last_changed__isnull=True)
    ).update(last_changed=changed_at)
    _clear_flag(player)
    snapshot_stored_notify(  # achievements and records (history registers them)
        StoredSnapshot(
            player_id=player.pk,
            username=player.username,
            snapshot_id=snapshot_id,
            fetched_at=fetched_at,
            previous=previous,
            columns=columns,
            extra=extra,
        )
    )
    return FetchOutcome(FetchStatus.SUCCESS, snapshot_id=snapshot_id, **base)


def _clear_flag(player: Player) -> None:
    if player.flag_reason:
        Player.objects.filter(pk=player.pk).update(flag_reason="", flagged_at=None)
        baselines.rejected_reading_discard(player_id=player.pk)
        logger.info("flag cleared for %s: a plausible reading arrived", player.username)


def _move_last_fetched(*, player_id: int, fetched_at: datetime, status: str) -> None:
    # Forward only: a late or backfilled reading never moves last_fetched back in time; and never
    # past now, or a reading dated in the future would pin it there for good.
    fetched_at = not_after_now(fetched_at)
    Player.objects.filter(pk=player_id).update(
        last_fetch_status=status,
        last_fetched=Case(
            When(
                Q(last_fetched__lt=fetched_at) | Q(last_fetched__isnull=True),
                then=Value(fetched_at),
            ),
            default=F("last_fetched"),
        ),
    )


def _describe_falls(falls: list[dict[str, Any]]) -> str:
    shown = ", ".join(
        f"{fall['metric']} {fall['field']} {fall['before']} -> {fall['after']}"
        for fall in falls[:5]
    )
    more = f" (+{len(falls) - 5} more)" if len(falls) > 5 else ""
    return f"Values went down: {shown}{more}"


def snapshot_record_not_found(*, player_id: int) -> FetchOutcome:
    """A tracked player's board answered 404: record it; iron players get a game-mode check."""
    now = timezone.now()
    with transaction.atomic():
        player = Player.objects.select_for_update().filter(pk=player_id).first()
        if player is None:
            return FetchOutcome(FetchStatus.SKIPPED, player_id, reason="not_tracked")
        _move_last_fetched(player_id=player_id, fetched_at=now, status=FetchStatus.NOT_FOUND)
        player_not_found_record(player=player, now=now)  # missing after N (players/missing.py)
        if player.game_mode != GameMode.REGULAR:
            # An iron board dropping the player usually means a mode change (de-iron, death).
            _queue_game_mode_check(player_id=player_id)
    logger.warning("fetch %s: not on the %s board", player.username, board_for(player))
    return FetchOutcome(
        FetchStatus.NOT_FOUND,
        player_id,
        username=player.username,
        fetched_at=now,
        reason=f"not on the {board_for(player)} board",
    )


def snapshot_record_unavailable(*, player_id: int, error: HiscoresUnavailable) -> FetchOutcome:
    """Retries are exhausted: remember the failure on the player; nothing else changes."""
    Player.objects.filter(pk=player_id).update(last_fetch_status=FetchStatus.UNAVAILABLE)
    fetch_outcome_record(outcome=FetchStatus.UNAVAILABLE)
    fetch_log_record(
        player_id=player_id,
        outcome=FetchStatus.UNAVAILABLE,
        detail=getattr(error, "reason", None) or str(error),
    )
    return FetchOutcome(
        FetchStatus.UNAVAILABLE,
        player_id,
        reason=getattr(error, "reason", "unknown"),
        details=str(error),
    )
