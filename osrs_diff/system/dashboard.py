"""The operations dashboard on the admin index: health, fetches, queues, flags, parties.

Everything comes from the apps' selectors and `system_stats` (the same numbers as GET
/system/stats, so `fetch_budget` shows up here when the stats carry it). About ten cheap queries
and two Redis round trips, whatever the number of players.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils import timezone

from drops import selectors as drops_selectors
from drops.models import Party
from osrs_diff import health
from osrs_diff.system import selectors
from players import selectors as players_selectors
from players.models import GameModeChange, Player

FLAGGED_SHOWN = 20
GAME_MODE_CHANGES_SHOWN = 10
OPEN_PARTIES_SHOWN = 10


@dataclass(frozen=True)
class Dashboard:
    """What the admin index shows above the app list."""

    generated_at: datetime
    ready: bool
    health: dict[str, dict[str, Any]]  # database, broker, hiscores: {"status": "ok"|"down", ...}
    breaker: dict[str, Any]
    fetches_24h: dict[str, int]
    fetch_budget: dict[str, Any] | None  # issue 16 adds it to the stats; None until then
    queues: dict[str, Any]
    players: dict[str, Any]
    flagged: list[Player]
    game_mode_changes: list[GameModeChange]
    open_parties: list[Party]

    @property
    def fetch_outcomes(self) -> list[tuple[str, int]]:
        return [(name, count) for name, count in self.fetches_24h.items() if name != "total"]


def dashboard(*, now: datetime | None = None) -> Dashboard:
    """The dashboard's numbers, read now."""
    now = now or timezone.now()
    ready, report = health.readiness()
    stats = selectors.system_stats(now=now)
    hiscores = stats.get("hiscores") or {}
    return Dashboard(
        generated_at=now,
        ready=ready,
        health=report,
        breaker=hiscores.get("circuit_breaker") or {},
        fetches_24h=stats.get("fetches_24h") or {},
        fetch_budget=stats.get("fetch_budget"),
        queues=stats.get("queues") or {},
        players=stats.get("players") or {},
        flagged=players_selectors.players_flagged(limit=FLAGGED_SHOWN),
        game_mode_changes=players_selectors.game_mode_changes_recent(limit=GAME_MODE_CHANGES_SHOWN),
        open_parties=list(drops_selectors.party_list_active(now=now)[:OPEN_PARTIES_SHOWN]),
    )
