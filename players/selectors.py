"""Reads of the players app. Name lookups always go through the normalised key."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db.models import Count, F, FloatField, Q, QuerySet, Sum, Value
from django.db.models.functions import Cast, Coalesce

from osrs_diff.exceptions import NotFound
from players import schedules
from players.game_modes import GameMode
from players.models import GameModeChange, NameChange, Player
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
    """The tracked player with this name in any spelling, or 404.

    A name no player has now but one gave up finds that player, with `former_name` set on the
    instance (the API body shows it; docs/names.md). Every /players/{username}/... route, reads
    and writes, resolves through here.
    """
    key = normalise_username(username)
    player = (
        Player.objects.select_related("fetch_task__interval").filter(username_key=key).first()
        if key
        else None
    )
    if player is None and key:
        player = _player_by_former_name(key)
    if player is None:
        raise NotFound(f"Player {username!r} is not tracked.")
    return player


def _player_by_former_name(key: str) -> Player | None:
    """The player that most recently gave up this name, with `former_name` set on it.

    A current name always wins (the caller looks that up first): a name given up by one player
    and taken by another tracked player answers the one using it now.
    """
    change = (
        NameChange.objects.filter(old_username_key=key)
        .select_related("player__fetch_task__interval")
        .order_by("-changed_at", "-pk")
        .first()
    )
    if change is None:
        return None
    player = change.player
    player.former_name = change.old_username
    return player


def player_name_changes(*, player: Player) -> QuerySet[NameChange]:
    """The player's name history, newest first."""
    return NameChange.objects.filter(player=player).order_by("-changed_at", "-pk")


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
    fetch_interval_minutes: int
    effective_interval_minutes: int


def player_schedule(*, player: Player) -> ScheduleInfo:
    """The player's PeriodicTask as the API shows it (all empty when the task is missing)."""
    task = player.fetch_task
    intervals = {
        "fetch_interval_minutes": player.fetch_interval_minutes,
        "effective_interval_minutes": player.schedule_interval_minutes,
    }
    if task is None:
        return ScheduleInfo(player.username, None, None, None, False, None, None, 0, **intervals)
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
        **intervals,
    )


def schedule_list() -> QuerySet[Player]:
    """Every player with its task and interval loaded in the same query."""
    return Player.objects.select_related("fetch_task__interval").order_by("username_key")


def player_fetch_tasks_q() -> Q:
    """Filter for the PeriodicTasks owned by players (one fetch task per player)."""
    return Q(name__startswith=schedules.TASK_NAME_PREFIX) | Q(task=schedules.FETCH_TASK)


def player_counts() -> dict[str, Any]:
    """Players by game mode and by state (active / paused / flagged / missing) in one query."""
    rows = Player.objects.values("game_mode").annotate(
        total=Count("id"),
        active=Count("id", filter=Q(is_active=True)),
        flagged=Count("id", filter=~Q(flag_reason="")),
        missing=Count("id", filter=Q(missing_since__isnull=False)),
    )
    by_mode = dict.fromkeys(GameMode.values, 0)
    total = active = flagged = missing = 0
    for row in rows.order_by():
        by_mode[row["game_mode"]] = row["total"]
        total += row["total"]
        active += row["active"]
        flagged += row["flagged"]
        missing += row["missing"]
    return {
        "total": total,
        "active": active,
        "paused": total - active,
        "flagged": flagged,
        "missing": missing,
        "by_game_mode": by_mode,
    }


# --- Fetch demand versus the hiscores budget ----


@dataclass(frozen=True)
class FetchDemand:
    """Scheduled fetches per second that the active players' schedules ask for."""

    demand_per_second: float  # at the effective intervals (what the PeriodicTasks carry)
    configured_demand_per_second: float  # at the intervals the operators set


def _per_second(minutes) -> Sum:
    # 1 / interval in minutes, summed, then / 60; Cast so PostgreSQL divides in floating point.
    return Sum(Value(1.0) / Cast(minutes, FloatField()), output_field=FloatField())


def fetch_demand() -> FetchDemand:
    """Demand of the active players' schedules, in one aggregate query."""
    sums = Player.objects.filter(is_active=True).aggregate(
        effective=_per_second(
            Coalesce(F("effective_interval_minutes"), F("fetch_interval_minutes"))
        ),
        configured=_per_second(F("fetch_interval_minutes")),
    )
    return FetchDemand(
        demand_per_second=(sums["effective"] or 0.0) / 60,
        configured_demand_per_second=(sums["configured"] or 0.0) / 60,
    )


def fetch_budget_rate() -> float:
    """Hiscores requests per second every process shares (`OSRS_HISCORES_RATE`)."""
    return float(settings.OSRS_HISCORES_RATE)


def _rate_text(value: float) -> str:
    # "2.0", "0.5", "1.005": four significant digits tell two close rates apart.
    text = f"{value:.4g}"
    return text if "." in text or "e" in text else f"{text}.0"


def fetch_budget_warnings(*, demand: FetchDemand | None = None) -> list[str]:
    """Sentences for the operator when the configured schedules want more than the budget.

    Empty within budget (and when the rate limit is off, `OSRS_HISCORES_RATE` <= 0).
    """
    rate = fetch_budget_rate()
    demand = demand or fetch_demand()
    wanted = demand.configured_demand_per_second
    if rate <= 0 or wanted <= rate * (1 + 1e-9):  # float sums of exactly the budget
        return []
    consequence = (
        "fetches will be deferred and idle players backed off"
        if settings.ADAPTIVE_FETCH
        else "fetches will be deferred"
    )
    return [
        f"Configured schedules want {_rate_text(wanted)} fetches/s but the hiscores budget is "
        f"{_rate_text(rate)}/s; {consequence}."
    ]


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
