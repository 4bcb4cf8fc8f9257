"""Reads of the derived history: a player's achievements and records, recent achievements."""

from __future__ import annotations

from django.db.models import F, QuerySet

from history.achievements import DEFINITIONS
from history.models import Achievement, Record
from players.models import Player

_ORDER = {d.key: index for index, d in enumerate(DEFINITIONS)}


def player_achievements(*, player: Player) -> list[Achievement]:
    """Every achievement of the player: dated ones newest first, then the undated ones, each in
    definition order."""
    found = list(Achievement.objects.filter(player=player))
    return sorted(
        found,
        key=lambda a: (
            a.achieved_at is None,
            -(a.achieved_at.timestamp() if a.achieved_at else 0),
            _ORDER.get(a.key, len(_ORDER)),
        ),
    )


def achievements_recent(*, limit: int) -> QuerySet[Achievement]:
    """Dated achievements across players, newest first."""
    return (
        Achievement.objects.filter(achieved_at__isnull=False)
        .select_related("player")
        .order_by(F("achieved_at").desc(), "-id")[:limit]
    )


def player_records(*, player: Player, period: str) -> QuerySet[Record]:
    return Record.objects.filter(player=player, period=period).order_by("metric")
