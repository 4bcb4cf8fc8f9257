"""The player page (admin change page and GET /players/{username}/overview) in one read.

Per kind, a table of every metric (skills: level, XP, rank, gained; bosses and activities: score,
rank, gained) over a range, gained by the history rules (`history.gains`: newly ranked metrics and
the jump into a baseline never count); a chart range that fits the data (it starts at the first
reading when tracking began inside the range); the game-mode history; the last logged fetches;
what went down while flagged. Five queries at most, whatever the player's history.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils import timezone

from hiscores import layout
from hiscores.baselines import Fall, rejected_reading_falls
from hiscores.fetch_log import fetch_log_recent
from hiscores.integration.catalogue import MetricKind, get_metric
from hiscores.models import FetchLogEntry
from history import charts, gains, selectors
from osrs_diff.exceptions import NotFound
from players.models import GameModeChange, Player

RECENT_GAME_MODE_CHANGES = 20


@dataclass(frozen=True, slots=True)
class OverviewRow:
    """One metric in the player page's table: its values at the range's end and its gain."""

    key: str
    name: str
    kind: str
    rank: int | None
    value: int | None  # experience (skills) or score/kills; None = unranked
    level: int | None
    gained: int | None  # None: unranked at an end (a newly ranked metric is never a gain)
    newly_ranked: bool


@dataclass(frozen=True)
class PlayerOverview:
    """Everything the player page shows."""

    player: Player
    period_start: datetime
    period_end: datetime
    window: selectors.ReadingWindow | None  # None: no reading up to the range's end
    skills: list[OverviewRow]
    activities: list[OverviewRow]
    bosses: list[OverviewRow]
    chart_start: datetime
    chart_end: datetime
    game_mode_changes: list[GameModeChange]
    recent_fetches: list[FetchLogEntry]
    falls: list[Fall] | None  # flagged with the rejected reading kept: what went down

    @property
    def flagged(self) -> bool:
        return bool(self.player.flag_reason)

    def as_dict(self) -> dict[str, Any]:
        p = self.player
        w = self.window
        return {
            "username": p.username,
            "game_mode": p.game_mode,
            "is_active": p.is_active,
            "last_fetched": p.last_fetched,
            "last_fetch_status": p.last_fetch_status,
            "period_start": self.period_start,
            "period_end": self.period_end,
            "start_snapshot_at": w.start_snapshot_at if w else None,
            "end_snapshot_at": w.end_snapshot_at if w else None,
            "started_at_first_snapshot": w.started_at_first_snapshot if w else False,
            "skills": [_row_dict(row, skill=True) for row in self.skills],
            "activities": [_row_dict(row, skill=False) for row in self.activities],
            "bosses": [_row_dict(row, skill=False) for row in self.bosses],
            "chart": {"start": self.chart_start, "end": self.chart_end},
            "game_mode_changes": [
                {"from_mode": c.from_mode, "to_mode": c.to_mode, "detected_at": c.detected_at}
                for c in self.game_mode_changes
            ],
            "recent_fetches": [
                {"at": e.at, "outcome": e.outcome, "detail": e.detail} for e in self.recent_fetches
            ],
            "flag": {
                "flagged": self.flagged,
                "reason": p.flag_reason,
                "flagged_at": p.flagged_at,
                "falls": None
                if self.falls is None
                else [
                    {
                        "metric": f.metric,
                        "field": f.field,
                        "before": f.before,
                        "after": f.after,
                        "change": f.change,
                    }
                    for f in self.falls
                ],
            },
        }


def _row_dict(row: OverviewRow, *, skill: bool) -> dict[str, Any]:
    data: dict[str, Any] = {"metric": row.key, "name": row.name, "rank": row.rank}
    if skill:
        data.update(level=row.level, experience=row.value)
    else:
        data["score"] = row.value
    data.update(gained=row.gained, newly_ranked=row.newly_ranked)
    return data


def _rows(
    start: dict[str, layout.MetricValue], end: dict[str, layout.MetricValue]
) -> dict[MetricKind, list[OverviewRow]]:
    tables: dict[MetricKind, list[OverviewRow]] = {kind: [] for kind in MetricKind}
    for key, after in end.items():  # catalogue order, then metrics kept in `extra`
        before = start.get(key)
        metric = get_metric(key)
        tables[after.kind].append(
            OverviewRow(
                key=key,
                name=metric.name if metric else key.replace("_", " ").title(),
                kind=str(after.kind),
                rank=after.rank,
                value=after.value,
                level=after.level,
                gained=gains.metric_gain(before, after),
                newly_ranked=gains.is_newly_ranked(before, after),
            )
        )
    return tables


def player_overview(
    *, player: Player, start: datetime, end: datetime, now: datetime | None = None
) -> PlayerOverview:
    """The player page of `player` over [start, end] (see the module docstring)."""
    now = now or timezone.now()
    window = None
    tables: dict[MetricKind, list[OverviewRow]] = {kind: [] for kind in MetricKind}
    try:
        readings = selectors.progress_readings(player=player, start=start, end=end)
    except NotFound:
        readings = None
    if readings is not None:
        window = selectors.reading_window(
            start=start,
            end=end,
            start_at=readings.start["fetched_at"],
            end_at=readings.end["fetched_at"],
            now=now,
        )
        tables = _rows(
            layout.row_metrics(readings.start, readings.start["extra"]),
            layout.row_metrics(readings.end, readings.end["extra"]),
        )
    # Tracking began inside the range: the chart starts at the first reading (a new player is
    # not a vertical line at the right edge; a single reading is a point mid-chart).
    chart_start, chart_end = charts.chart_range(
        start=start,
        end=end,
        now=now,
        first_reading_at=window.start_snapshot_at
        if window is not None and window.started_at_first_snapshot
        else None,
    )
    changes = list(
        GameModeChange.objects.filter(player_id=player.pk)
        .only("from_mode", "to_mode", "detected_at")
        .order_by("-detected_at")[:RECENT_GAME_MODE_CHANGES]
    )
    return PlayerOverview(
        player=player,
        period_start=start,
        period_end=end,
        window=window,
        skills=tables[MetricKind.SKILL],
        activities=tables[MetricKind.ACTIVITY],
        bosses=tables[MetricKind.BOSS],
        chart_start=chart_start,
        chart_end=chart_end,
        game_mode_changes=changes,
        recent_fetches=fetch_log_recent(player_id=player.pk),
        falls=rejected_reading_falls(player=player) if player.flag_reason else None,
    )
