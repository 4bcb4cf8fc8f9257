"""Reads of the players app. Name lookups always go through the normalised key."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Count, Q, QuerySet

from osrs_diff.exceptions import NotFound
from players import schedules
from players.game_modes import GameMode
from players.models import GameModeChange, Player
from players.names import normalise_username


def player_list(
    *,
    game_mode: str | None = None,
    is_active: bool | None = None,
    search: str | None = None,
) -> QuerySet[Player]:
    """Players ordered by name; `search` matches any part of the normalised name."""
    queryset = Player.objects.all().order_by("username_key")
    if game_mode:
        queryset = queryset.filter(game_mode=game_mode)
    if is_active is not None:
        queryset = queryset.filter(is_active=is_active)
    return players_matching(queryset, search=search)


def players_matching(queryset: QuerySet[Player], *, search: str | None) -> QuerySet[Player]:
    """Players whose normalised name contains the normalised search term."""
    if search and (needle := normalise_username(search)):
        # The key is already lower case with one separator, so a plain substring test on it
        # matches every spelling; exact lookups never do this (they compare the key).
        queryset = queryset.filter(username_key__contains=needle)
    return queryset


def player_get(*, username: str) -> Player:
    """The tracked player with this name in any spelling, or 404."""
    key = normalise_username(username)
    player = (
        Player.objects.select_related("fetch_task__interval").filter(username_key=key).first()
        if key
        else None
    )
    if player is None:
        raise NotFound(f"Player {username!r} is not tracked.")
    return player


def players_for_game_mode_check() -> QuerySet[Player]:
    """Active players whose mode can still change (regular players never can)."""
    return Player.objects.filter(is_active=True).exclude(game_mode=GameMode.REGULAR).order_by("pk")


@dataclass(frozen=True)
class ScheduleInfo:
    username: str
    schedule_id: int | None
    name: str | None
    interval_minutes: int | None
    enabled: bool
    last_run_at: datetime | None
    next_run_at: datetime | None
    total_run_count: int


def player_schedule(*, player: Player) -> ScheduleInfo:
    """The player's PeriodicTask as the API shows it (all empty when the task is missing)."""
    task = player.fetch_task
    if task is None:
        return ScheduleInfo(player.username, None, None, None, False, None, None, 0)
    interval = task.interval
    minutes = (
        int(interval.schedule.run_every.total_seconds() // 60) if interval is not None else None
    )
    return ScheduleInfo(
        username=player.username,
        schedule_id=task.pk,
        name=task.name,
        interval_minutes=minutes,
        enabled=task.enabled,
        last_run_at=task.last_run_at,
        next_run_at=schedules.schedule_next_run(task),
        total_run_count=task.total_run_count,
    )


def schedule_list() -> QuerySet[Player]:
    """Every player with its task and interval loaded in the same query."""
    return Player.objects.select_related("fetch_task__interval").order_by("username_key")


def player_fetch_tasks_q() -> Q:
    """Filter for the PeriodicTasks owned by players (one fetch task per player)."""
    return Q(name__startswith=schedules.TASK_NAME_PREFIX) | Q(task=schedules.FETCH_TASK)


def player_counts() -> dict[str, Any]:
    """Players by game mode and by state (active / paused / flagged) in one query."""
    rows = Player.objects.values("game_mode").annotate(
        total=Count("id"),
        active=Count("id", filter=Q(is_active=True)),
        flagged=Count("id", filter=~Q(flag_reason="")),
    )
    by_mode = dict.fromkeys(GameMode.values, 0)
    total = active = flagged = 0
    for row in rows.order_by():
        by_mode[row["game_mode"]] = row["total"]
        total += row["total"]
        active += row["active"]
        flagged += row["flagged"]
    return {
        "total": total,
        "active": active,
        "paused": total - active,
        "flagged": flagged,
        "by_game_mode": by_mode,
    }


def players_flagged(*, limit: int = 20) -> list[Player]:
    """Flagged players (a reading was rejected), longest flagged first (the admin dashboard)."""
    return list(
        Player.objects.exclude(flag_reason="")
        .only("id", "username", "flag_reason", "flagged_at")
        .order_by("flagged_at", "id")[:limit]
    )


def game_mode_changes_recent(*, limit: int = 10) -> list[GameModeChange]:
    """The latest detected game-mode changes with their players (one query)."""
    return list(
        GameModeChange.objects.select_related("player")
        .only("from_mode", "to_mode", "detected_at", "player__id", "player__username")
        .order_by("-detected_at", "-id")[:limit]
    )
