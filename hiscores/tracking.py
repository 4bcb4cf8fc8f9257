"""Tracking a player: the player, its schedule and its first snapshot, committed together.

One add per name at a time: a concurrent add of the same name answers 409 at once instead of
spending hiscores requests that the first one needs.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from django.conf import settings
from django.core.cache import cache

from hiscores.services import snapshot_record
from osrs_diff.exceptions import Conflict
from players.models import DEFAULT_FETCH_INTERVAL_MINUTES, Player
from players.names import normalise_username, validate_username
from players.services import (
    GameModeDetection,
    PlayerCreation,
    player_create,
    players_create_bulk,
)

logger = logging.getLogger(__name__)


# --- Tracking: a new player and its first snapshot, committed together ----


def _record_first_snapshot(player: Player, detection: GameModeDetection) -> None:
    """The detection already read the player's own board: that reading is the first snapshot."""
    reading = detection.results.get(detection.mode)
    if reading is not None:
        snapshot_record(player_id=player.pk, reading=reading)


def player_track(
    *,
    username: str,
    fetch_interval_minutes: int = DEFAULT_FETCH_INTERVAL_MINUTES,
    detection: GameModeDetection | None = None,
) -> PlayerCreation:
    """Track a player: detect its mode, store it, its schedule and first snapshot atomically.

    One request at a time tracks a given name: a concurrent add of the same (normalised) name
    answers 409 at once instead of spending hiscores requests, so a burst of adds cannot share
    out the politeness queue until every one of them runs out of its web deadline.
    """
    name = validate_username(username)
    with _tracking(name):
        return player_create(
            username=username,
            fetch_interval_minutes=fetch_interval_minutes,
            detection=detection,
            on_created=_record_first_snapshot,
        )


TRACKING_LOCK_PREFIX = "players:tracking:"


def _tracking_lock_seconds() -> int:
    """A little over the web deadline: a crashed holder frees the name soon after."""
    return int(float(getattr(settings, "OSRS_HISCORES_WEB_DEADLINE", 8.0))) + 5


@contextmanager
def _tracking(name: str) -> Iterator[None]:
    """Hold the name's tracking lock (an atomic `cache.add`) or raise Conflict.

    The cache is Redis in production, shared by every web process and worker; embedded mode's
    local-memory cache locks within its one process. Without a cache the add goes ahead unlocked
    (the unique username key still refuses a second row).
    """
    key = normalise_username(name)
    lock = TRACKING_LOCK_PREFIX + key.replace(" ", "_")  # "_" reads as a space in names
    try:
        acquired = cache.add(lock, 1, timeout=_tracking_lock_seconds())
    except Exception as exc:  # Redis down: degrade to the database's unique key
        logger.warning("tracking lock unavailable (%s); adding %r unlocked", exc.__class__, key)
        yield
        return
    if not acquired:
        raise Conflict(
            f"{name!r} is being added by another request; try again in a few seconds.",
            details={"username": name},
        )
    try:
        yield
    finally:
        try:
            cache.delete(lock)
        except Exception as exc:  # the lock expires by itself
            logger.warning("could not release the tracking lock of %r (%s)", key, exc.__class__)


def players_track_bulk(
    *,
    detections: Sequence[tuple[str, GameModeDetection]],
    fetch_interval_minutes: int = DEFAULT_FETCH_INTERVAL_MINUTES,
) -> list[Player]:
    """Track many detected players at once, each with its first snapshot (one transaction)."""
    return players_create_bulk(
        detections=detections,
        fetch_interval_minutes=fetch_interval_minutes,
        on_created=_record_first_snapshot,
    )
