"""Adaptive fetch intervals applied to a player after a fetch (writes; the rule itself is the
pure function in players/intervals.py)."""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.db.models import Q

from players import schedules
from players.intervals import AdaptiveRule, IntervalState, next_interval
from players.models import (
    Player,
)

logger = logging.getLogger(__name__)


def fetch_delivery_adapted(delivery_id: str) -> str:
    """What `scheduled_fetch_delivery` holds once that delivery's outcome moved the interval."""
    return f"{delivery_id[:54]}+adapted"


def player_fetch_interval_adapt(
    *, player_id: int, progressed: bool, delivery_id: str | None = None
) -> Player | None:
    """Apply the adaptive rule (players/intervals.py) after a fetch of `player_id`.

    `delivery_id` is the scheduled (beat) delivery that claimed the player's due time
    (hiscores.scheduled.scheduled_fetch_claim): only those count towards backing off, and once
    per delivery - a redelivered message finds the claim marked and changes nothing. Any fetch
    that found progress (`progressed`, interactive ones too) resets the interval to the
    configured one. With ADAPTIVE_FETCH off a leftover stretched interval is reset.
    When the interval the PeriodicTask runs at changes, the task follows (one save).
    Returns the player when something was written, else None.
    """
    rule = AdaptiveRule.from_settings()
    if delivery_id is None and not progressed:
        return None  # an interactive "nothing new" says nothing about the schedule
    resetting = progressed or not rule.enabled
    if resetting and not (
        Player.objects.filter(pk=player_id)
        .filter(Q(effective_interval_minutes__isnull=False) | Q(unchanged_fetches__gt=0))
        .exists()
    ):
        return None  # at the configured interval with no streak: nothing to reset (no lock)
    with transaction.atomic():
        player = (
            Player.objects.select_for_update(of=("self",))
            .select_related("fetch_task__interval")
            .filter(pk=player_id)
            .first()
        )
        if player is None:
            return None
        if (
            not resetting
            and delivery_id is not None
            and player.scheduled_fetch_delivery != delivery_id[:64]
        ):
            return None  # applied already (a redelivery), or a newer send took the claim
        updates: dict[str, Any] = {}
        configured = player.fetch_interval_minutes
        state = next_interval(
            configured=configured,
            current=IntervalState(
                effective_minutes=player.schedule_interval_minutes,
                unchanged_fetches=player.unchanged_fetches,
            ),
            progressed=resetting,
            rule=rule,
        )
        effective = None if state.effective_minutes == configured else state.effective_minutes
        if effective != player.effective_interval_minutes:
            updates["effective_interval_minutes"] = effective
        if state.unchanged_fetches != player.unchanged_fetches:
            updates["unchanged_fetches"] = state.unchanged_fetches
        if not updates:
            return None
        if not resetting and delivery_id is not None:
            # Counted once per delivery: a redelivery finds the mark (resets are idempotent).
            updates["scheduled_fetch_delivery"] = fetch_delivery_adapted(delivery_id)
        Player.objects.filter(pk=player.pk).update(**updates)
        if "effective_interval_minutes" in updates:
            logger.info(
                "fetch interval of %s: %s -> %s min (%s)",
                player.username,
                player.schedule_interval_minutes,
                effective or configured,
                "progress" if progressed else "nothing new",
            )
            player.effective_interval_minutes = effective
            schedules.player_schedule_sync(player=player)
        player.unchanged_fetches = state.unchanged_fetches
        return player
