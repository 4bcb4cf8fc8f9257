"""Celery tasks of the players app. Names are explicit: PeriodicTask rows store the strings."""

from __future__ import annotations

import logging

from celery import shared_task

from hiscores.integration.errors import HiscoresUnavailable
from osrs_diff.beat.api import system_task_name
from osrs_diff.queues import SCHEDULED
from players import selectors, services
from players.models import Player

logger = logging.getLogger(__name__)

CHECK_GAME_MODES = "players.check_game_modes"
CHECK_GAME_MODE = "players.check_game_mode"
# Created by migration 0002 (which stores the same name).
DAILY_GAME_MODE_CHECK_NAME = system_task_name("daily game-mode check")


@shared_task(name=CHECK_GAME_MODES, acks_late=True)
def check_game_modes() -> dict[str, int]:
    """Queue one game-mode check per active non-regular player (runs daily at 02:00 UTC).

    The checks are background work, not a person's request: they go on `scheduled` (a person's
    check of one player stays on `interactive`, by route).
    """
    player_ids = list(selectors.players_for_game_mode_check().values_list("pk", flat=True))
    for player_id in player_ids:
        check_game_mode.apply_async(kwargs={"player_id": player_id}, queue=SCHEDULED)
    logger.info("queued game-mode checks for %d players", len(player_ids))
    return {"queued": len(player_ids)}


@shared_task(
    name=CHECK_GAME_MODE,
    acks_late=True,
    autoretry_for=(HiscoresUnavailable,),
    retry_backoff=30,
    retry_backoff_max=240,
    retry_jitter=True,
    max_retries=5,
)
def check_game_mode(player_id: int) -> dict[str, object] | None:
    """Re-detect one player's mode; a player that is gone is a logged no-op."""
    player = Player.objects.filter(pk=player_id).first()
    if player is None:
        logger.info("game-mode check skipped: player %s is gone", player_id)
        return None
    check = services.player_game_mode_update(player=player)
    return {
        "username": check.username,
        "previous_mode": check.previous_mode.value,
        "game_mode": check.game_mode.value,
        "outcome": check.outcome.value,
    }
