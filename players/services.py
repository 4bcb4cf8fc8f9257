"""Writes of the players app: tracking, pausing, deleting, and game-mode detection."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from hiscores.integration import shared as hiscores_client
from hiscores.integration.errors import HiscoresError, PlayerNotFound
from hiscores.integration.results import HiscoresResult
from osrs_diff import events
from osrs_diff.exceptions import BadGateway, Conflict, NotFound, ServiceError, ValidationFailed
from players import schedule_drift, schedules
from players.game_modes import (
    UNRANKED,
    GameMode,
    Outcome,
    board_for_game_mode,
    detect_game_mode,
    next_board,
    resolve_transition,
)
from players.models import (
    DEFAULT_FETCH_INTERVAL_MINUTES,
    MAX_FETCH_INTERVAL_MINUTES,
    MIN_FETCH_INTERVAL_MINUTES,
    GameModeChange,
    Player,
)
from players.names import normalise_username, validate_username

logger = logging.getLogger(__name__)


# --- Detection (reads the hiscores; writes nothing) ----


@dataclass(frozen=True)
class GameModeDetection:
    """What the boards said: the detected mode (None = not definite), XP per board, responses."""

    mode: GameMode | None
    readings: dict[GameMode, int | None]
    results: dict[GameMode, HiscoresResult] = field(default_factory=dict)

    @property
    def regular_result(self) -> HiscoresResult | None:
        """The regular board's response: the player's first snapshot (fetched once)."""
        return self.results.get(GameMode.REGULAR)

    def readings_for_log(self) -> dict[str, int | None]:
        return {mode.value: xp for mode, xp in self.readings.items()}


def game_mode_detect(*, username: str, current: GameMode | None = None) -> GameModeDetection:
    """Query the boards needed (regular, ironman, then hardcore/ultimate) and detect the mode.

    Raises `HiscoresUnavailable` (503) on a transient error, `BadGateway` (502) on anything else
    the client cannot use; a 404 on a board is a reading, not an error.
    """
    readings: dict[GameMode, int | None] = {}
    results: dict[GameMode, HiscoresResult] = {}
    while (board := next_board(readings, current=current)) is not None:
        try:
            result = hiscores_client.fetch(username, board_for_game_mode(board))
        except PlayerNotFound:
            readings[board] = None
            continue
        except ServiceError:
            raise
        except HiscoresError as exc:
            raise BadGateway(
                f"The hiscores answered unusably for {username!r}: {exc}",
                error_code="hiscores_bad_response",
            ) from exc
        results[board] = result
        xp = result.overall.experience
        readings[board] = UNRANKED if xp is None else xp
    return GameModeDetection(
        mode=detect_game_mode(readings, current=current), readings=readings, results=results
    )


# --- Create ----


# Called with the new player and its detection inside the creating transaction.
OnCreated = Callable[[Player, "GameModeDetection"], None]


@dataclass(frozen=True)
class PlayerCreation:
    """A new player plus the detection that created it (its responses become the 1st snapshot)."""

    player: Player
    detection: GameModeDetection


def validate_fetch_interval(minutes: Any) -> int:
    if isinstance(minutes, bool) or not isinstance(minutes, int):
        raise ValidationFailed(
            "fetch_interval_minutes must be a whole number of minutes.",
            details={"fetch_interval_minutes": ["A whole number of minutes is required."]},
        )
    if not MIN_FETCH_INTERVAL_MINUTES <= minutes <= MAX_FETCH_INTERVAL_MINUTES:
        message = (
            f"fetch_interval_minutes must be between {MIN_FETCH_INTERVAL_MINUTES} and "
            f"{MAX_FETCH_INTERVAL_MINUTES}."
        )
        raise ValidationFailed(message, details={"fetch_interval_minutes": [message]})
    return minutes


def _already_tracked(key: str) -> Conflict | None:
    existing = Player.objects.filter(username_key=key).only("pk", "username").first()
    if existing is None:
        return None
    return Conflict(
        f"{existing.username!r} is already tracked.",
        details={"id": existing.pk, "username": existing.username},
    )


def player_create(
    *,
    username: str,
    fetch_interval_minutes: int = DEFAULT_FETCH_INTERVAL_MINUTES,
    detection: GameModeDetection | None = None,
    on_created: OnCreated | None = None,
) -> PlayerCreation:
    """Store a player and its PeriodicTask in one transaction, after detecting its mode.

    `on_created(player, detection)` runs inside that transaction (the caller's writes that must
    commit or roll back with the player, e.g. its first snapshot).
    """
    name = validate_username(username)
    key = normalise_username(name)
    interval = validate_fetch_interval(fetch_interval_minutes)
    if conflict := _already_tracked(key):
        raise conflict  # before spending hiscores requests
    if detection is None:
        detection = game_mode_detect(username=name)  # no transaction is open across HTTP
    if detection.mode is None:
        raise NotFound(f"No hiscores board knows {name!r}.", error_code="player_not_found")
    now = timezone.now()
    try:
        with transaction.atomic():
            player = Player.objects.create(
                username=name,
                username_key=key,
                game_mode=detection.mode,
                fetch_interval_minutes=interval,
                game_mode_checked_at=now,
                created_at=now,
            )
            schedules.player_schedule_sync(player=player, now=now)
            if on_created is not None:
                on_created(player, detection)
    except IntegrityError:
        if conflict := _already_tracked(key):  # lost a race with another request
            raise conflict from None
        raise
    player.refresh_from_db()
    return PlayerCreation(player=player, detection=detection)


def players_create_bulk(
    *,
    detections: Sequence[tuple[str, GameModeDetection]],
    fetch_interval_minutes: int = DEFAULT_FETCH_INTERVAL_MINUTES,
    on_created: OnCreated | None = None,
) -> list[Player]:
    """Store many detected players at once (one insert each for players and tasks).

    Names already tracked (also by a concurrent request) are skipped, not errors.
    `on_created(player, detection)` runs for each new player inside the transaction.
    """
    interval = validate_fetch_interval(fetch_interval_minutes)
    now = timezone.now()
    rows: dict[str, Player] = {}
    detection_by_key: dict[str, GameModeDetection] = {}
    for username, detection in detections:
        name = validate_username(username)
        key = normalise_username(name)
        if detection.mode is None or key in rows:
            continue
        detection_by_key[key] = detection
        rows[key] = Player(
            username=name,
            username_key=key,
            game_mode=detection.mode,
            fetch_interval_minutes=interval,
            game_mode_checked_at=now,
            created_at=now,
        )
    if not rows:
        return []
    with transaction.atomic():
        Player.objects.bulk_create(rows.values(), ignore_conflicts=True)
        # Rows without a task are ours: a concurrent create commits player and task together.
        created = list(
            Player.objects.select_for_update()
            .filter(username_key__in=rows.keys(), fetch_task__isnull=True)
            .order_by("pk")
        )
        schedules.schedules_create_bulk(players=created, now=now)
        if on_created is not None:
            for player in created:
                on_created(player, detection_by_key[player.username_key])
    return created


# --- Update, pause, resume, delete ----


def _locked(player: Player) -> Player:
    try:
        return (
            Player.objects.select_for_update(of=("self",))
            .select_related("fetch_task__interval")
            .get(pk=player.pk)
        )
    except Player.DoesNotExist:
        raise NotFound(f"Player {player.username!r} is not tracked.") from None


def player_update(
    *,
    player: Player,
    fetch_interval_minutes: int | None = None,
    is_active: bool | None = None,
) -> Player:
    """Change the interval and/or active flag; the PeriodicTask follows, untouched if unchanged."""
    if fetch_interval_minutes is not None:
        validate_fetch_interval(fetch_interval_minutes)
    with transaction.atomic():
        locked = _locked(player)
        changed: list[str] = []
        if fetch_interval_minutes is not None and (
            locked.fetch_interval_minutes != fetch_interval_minutes
        ):
            locked.fetch_interval_minutes = fetch_interval_minutes
            changed.append("fetch_interval_minutes")
            # A new setting starts the adaptive rule afresh (players/intervals.py).
            if locked.effective_interval_minutes is not None or locked.unchanged_fetches:
                locked.effective_interval_minutes = None
                locked.unchanged_fetches = 0
                changed += ["effective_interval_minutes", "unchanged_fetches"]
        if is_active is not None and locked.is_active != is_active:
            locked.is_active = is_active
            changed.append("is_active")
        if changed:
            locked.save(update_fields=changed)
        # Also repairs a missing or drifted task of an otherwise unchanged player.
        schedules.player_schedule_sync(player=locked)
    return locked


def player_pause(*, player: Player) -> Player:
    """Stop fetching a player (its PeriodicTask is disabled, not deleted)."""
    return player_update(player=player, is_active=False)


def player_resume(*, player: Player) -> Player:
    """Fetch a paused player again (first run staggered over its interval)."""
    return player_update(player=player, is_active=True)


def player_schedule_resync(*, player: Player) -> schedules.SyncAction:
    """Repair one player's PeriodicTask (admin action)."""
    with transaction.atomic():
        return schedules.player_schedule_sync(player=_locked(player))


def player_delete(*, player: Player) -> None:
    """Stop tracking a player: its history and its PeriodicTask go with it."""
    with transaction.atomic():
        locked = _locked(player)
        task_id = locked.fetch_task_id
        locked.delete()
        schedules.schedules_delete(task_ids=[task_id])


def players_delete(*, players: QuerySet[Player] | Iterable[Player]) -> int:
    """Delete many players and their tasks with one beat notification."""
    ids = [p.pk for p in players]
    with transaction.atomic():
        rows = list(
            Player.objects.select_for_update().filter(pk__in=ids).values_list("pk", "fetch_task_id")
        )
        Player.objects.filter(pk__in=[pk for pk, _ in rows]).delete()
        schedules.schedules_delete(task_ids=[task_id for _, task_id in rows])
    return len(rows)


# --- Game-mode check ----


@dataclass(frozen=True)
class GameModeCheck:
    username: str
    previous_mode: GameMode
    game_mode: GameMode
    detected_mode: GameMode | None
    outcome: Outcome

    @property
    def changed(self) -> bool:
        return self.outcome is Outcome.CHANGED


def player_game_mode_update(*, player: Player) -> GameModeCheck:
    """Re-detect a player's mode and apply it if the move is allowed (downward only).

    A transient error raises `HiscoresUnavailable` and nothing changes; an inconclusive reading
    (unexpected 404) leaves the mode as it is; an upward detection is refused with a warning.
    """
    detection = game_mode_detect(username=player.username, current=GameMode(player.game_mode))
    now = timezone.now()
    with transaction.atomic():
        locked = _locked(player)
        transition = resolve_transition(GameMode(locked.game_mode), detection.mode)
        fields: list[str] = []
        if transition.outcome is Outcome.REFUSED:
            logger.warning(
                "refused game-mode change of %s from %s to %s (readings: %s)",
                locked.username,
                transition.previous.value,
                transition.detected.value,
                detection.readings_for_log(),
                extra={"player_id": locked.pk, "readings": detection.readings_for_log()},
            )
        elif transition.outcome is Outcome.INCONCLUSIVE:
            logger.info(
                "game mode of %s left as %s: readings not definite (%s)",
                locked.username,
                transition.previous.value,
                detection.readings_for_log(),
            )
        if transition.changed:
            logger.info(
                "game mode of %s changed from %s to %s",
                locked.username,
                transition.previous.value,
                transition.mode.value,
            )
            GameModeChange.objects.create(
                player=locked,
                from_mode=transition.previous,
                to_mode=transition.mode,
                detected_at=now,
            )
            locked.game_mode = transition.mode
            fields.append("game_mode")
            events.event_record(
                name=events.PLAYER_GAME_MODE_CHANGED,
                data={
                    "username": locked.username,
                    "from": transition.previous.value,
                    "to": transition.mode.value,
                    "detected_at": now.isoformat(),
                },
                occurred_at=now,
            )
        if transition.outcome is not Outcome.INCONCLUSIVE:
            locked.game_mode_checked_at = now
            fields.append("game_mode_checked_at")
        if fields:
            locked.save(update_fields=fields)
    return GameModeCheck(
        username=locked.username,
        previous_mode=transition.previous,
        game_mode=GameMode(locked.game_mode),
        detected_mode=transition.detected,
        outcome=transition.outcome,
    )


def player_schedules_sync_all() -> schedule_drift.DriftReport:
    """Repair drift between every player and its PeriodicTask (the daily drift check)."""
    return schedule_drift.schedules_sync_all()
