"""History reads over snapshots: progress between dates, one metric's timeline, leaderboards.

The value of a metric at time T is the latest snapshot at or before T (snapshots are deduplicated,
so an unchanged stretch has no rows). Every "snapshot in force at T" below is one backwards probe
of the unique (player_id, fetched_at) index; nothing here loads a player's whole history.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection
from django.utils import timezone

from hiscores import layout
from hiscores.integration.catalogue import (
    ACTIVITY_KEYS,
    BOSS_KEYS,
    SKILL_KEYS,
    Metric,
    MetricKind,
    get_metric,
)
from hiscores.models import Snapshot
from hiscores.selectors import snapshot_in_force_sql
from history import gains
from osrs_diff import db
from osrs_diff.exceptions import NotFound
from players.models import Player

DAYS_DIGITS = 4
KEYS_BY_KIND: dict[MetricKind | None, tuple[str, ...]] = {
    None: (*SKILL_KEYS, *ACTIVITY_KEYS, *BOSS_KEYS),
    MetricKind.SKILL: SKILL_KEYS,
    MetricKind.ACTIVITY: ACTIVITY_KEYS,
    MetricKind.BOSS: BOSS_KEYS,
}


def metric_get(*, key: str, kind: MetricKind | None = None) -> Metric:
    """The catalogue metric for `key` (of `kind` when given), or 404 listing the valid keys."""
    metric = get_metric(key)
    if metric is None or (kind is not None and metric.kind is not kind):
        what = f"{kind} " if kind else "metric "
        valid = KEYS_BY_KIND[kind]
        raise NotFound(
            f"Unknown {what}{key!r}.",
            error_code="unknown_metric",
            details={"metric": key, "valid": list(valid)},
        )
    return metric


# --- Progress of one player between two dates ------------------------------------------------


@dataclass(frozen=True)
class ReadingWindow:
    """Which readings a range uses, and the real time it covers."""

    period_start: datetime
    period_end: datetime
    start_snapshot_at: datetime
    end_snapshot_at: datetime
    started_at_first_snapshot: bool
    days_elapsed: float


@dataclass(frozen=True)
class Progress:
    """A player's progress over a range (the `history` document)."""

    username: str
    window: ReadingWindow
    gains: gains.Gains

    def as_dict(self) -> dict[str, Any]:
        w = self.window
        g = self.gains
        return {
            "username": self.username,
            "period_start": w.period_start,
            "period_end": w.period_end,
            "start_snapshot_at": w.start_snapshot_at,
            "end_snapshot_at": w.end_snapshot_at,
            "started_at_first_snapshot": w.started_at_first_snapshot,
            "days_elapsed": w.days_elapsed,
            "experience_gained": g.experience_gained,
            "levels_gained": g.levels_gained,
            "boss_kills_gained": g.boss_kills_gained,
            "activities_gained": g.activities_gained,
            "rank_changes": g.rank_changes,
            "newly_ranked": g.newly_ranked,
            "daily_rates": g.daily_rates,
        }


def reading_window(
    *,
    start: datetime,
    end: datetime,
    start_at: datetime,
    end_at: datetime,
    now: datetime,
) -> ReadingWindow:
    """Which readings a range uses and the real time it covers (never past now)."""
    started_at_first = start_at > start
    # Real time covered: from the range start (or the first reading, when tracking began later)
    # to the range end, but never past now (a range ending tomorrow has not elapsed yet).
    covered_from = start_at if started_at_first else start
    covered_to = min(end, now)
    days = max(0.0, (covered_to - covered_from).total_seconds() / 86_400)
    return ReadingWindow(
        period_start=start,
        period_end=end,
        start_snapshot_at=start_at,
        end_snapshot_at=end_at,
        started_at_first_snapshot=started_at_first,
        days_elapsed=round(days, DAYS_DIGITS),
    )


def _no_snapshot(player: Player, end: datetime) -> NotFound:
    return NotFound(
        f"Player {player.username!r} has no snapshot at or before {end.isoformat()}.",
        error_code="no_snapshot",
    )


@dataclass(frozen=True)
class ProgressReadings:
    """The two snapshot rows a range's gains count between (column name -> value)."""

    start: dict[str, Any]
    end: dict[str, Any]


def progress_readings(*, player: Player, start: datetime, end: datetime) -> ProgressReadings:
    """The reading gains count from over [start, end] and the one in force at `end`.

    One query: the snapshot in force at `start` (or the first one after it; or the latest
    baseline in the range, where counting restarts), and the one in force at `end`, each an
    index probe. 404 `no_snapshot` when the player has none up to `end`.
    """
    # Plain SQL (portable: scalar subqueries with ORDER BY/LIMIT) because compiling an ORM query
    # over ~330 columns, or building model instances from it, costs more than running it.
    table = connection.ops.quote_name(Snapshot._meta.db_table)
    in_force = snapshot_in_force_sql(select="id")
    first_after = (
        f"SELECT id FROM {table} WHERE player_id = %s AND fetched_at > %s AND fetched_at <= %s "
        "ORDER BY fetched_at ASC LIMIT 1"
    )
    baseline_in_range = (
        f"SELECT id FROM {table} WHERE player_id = %s AND fetched_at > %s AND fetched_at <= %s "
        "AND is_baseline ORDER BY fetched_at DESC LIMIT 1"
    )
    sql = (
        f"SELECT * FROM {table} WHERE id IN (({in_force}), ({in_force}), ({first_after}), "
        # The latest baseline in the range: gains restart there (history.gains.counting_start).
        f"({baseline_in_range})) ORDER BY fetched_at"
    )
    params = [player.pk, start, player.pk, end, player.pk, start, end, player.pk, start, end]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        names = [column[0] for column in cursor.description]
        rows = [dict(zip(names, values, strict=True)) for values in cursor.fetchall()]
    for row in rows:
        if isinstance(row["extra"], str):  # Django has the drivers hand JSON back as text
            row["extra"] = json.loads(row["extra"])
        row["fetched_at"] = db.backend().aware(row["fetched_at"])
    if not rows:
        raise _no_snapshot(player, end)
    # Rows are at most: in force at start (<= start), first after start, the latest baseline in
    # the range, in force at end.
    at_start = [row for row in rows if row["fetched_at"] <= start]
    start_row = gains.counting_start(at_start[-1] if at_start else rows[0], rows)
    return ProgressReadings(start=start_row, end=rows[-1])


def player_progress_between(
    *, player: Player, start: datetime, end: datetime, now: datetime | None = None
) -> Progress:
    """Gains, rank changes, newly ranked metrics and daily rates of `player` over [start, end].

    One query (`progress_readings`). 404 `no_snapshot` when the player has none up to `end`.
    """
    now = now or timezone.now()
    readings = progress_readings(player=player, start=start, end=end)
    start_row, end_row = readings.start, readings.end
    window = reading_window(
        start=start,
        end=end,
        start_at=start_row["fetched_at"],
        end_at=end_row["fetched_at"],
        now=now,
    )
    computed = gains.compute_gains(
        layout.row_metrics(start_row, start_row["extra"]),
        layout.row_metrics(end_row, end_row["extra"]),
        days=window.days_elapsed,
    )
    return Progress(username=player.username, window=window, gains=computed)


# --- One metric over a range: gain, rate and timeline ----------------------------------------


@dataclass(frozen=True, slots=True)
class TimelinePoint:
    at: datetime
    value: int | None
    rank: int | None
    level: int | None = None


@dataclass(frozen=True)
class MetricHistory:
    """One metric of one player over a range, with the readings where it changed."""

    username: str
    metric: Metric
    window: ReadingWindow
    start: layout.MetricValue
    end: layout.MetricValue
    timeline: list[TimelinePoint]

    @property
    def gained(self) -> int | None:
        return gains.metric_gain(self.start, self.end)

    def as_dict(self) -> dict[str, Any]:
        w = self.window
        is_skill = self.metric.kind is MetricKind.SKILL
        gained = self.gained
        body: dict[str, Any] = {
            "username": self.username,
            "metric": self.metric.key,
            "name": self.metric.name,
            "kind": str(self.metric.kind),
            "period_start": w.period_start,
            "period_end": w.period_end,
            "start_snapshot_at": w.start_snapshot_at,
            "end_snapshot_at": w.end_snapshot_at,
            "started_at_first_snapshot": w.started_at_first_snapshot,
            "days_elapsed": w.days_elapsed,
            "start": _value_dict(self.start, is_skill),
            "end": _value_dict(self.end, is_skill),
            "gained": gained,
            "daily_rate": gains.daily_rate(gained, w.days_elapsed) if gained else 0.0,
            "rank_change": gains.rank_change(self.start, self.end),
            "newly_ranked": gains.is_newly_ranked(self.start, self.end),
        }
        if is_skill:
            body["levels_gained"] = (
                (self.end.level or 0) - (self.start.level or 0) if gained is not None else None
            )
        body["timeline"] = [
            {"at": p.at, "value": p.value, "level": p.level, "rank": p.rank}
            if is_skill
            else {"at": p.at, "value": p.value, "rank": p.rank}
            for p in self.timeline
        ]
        return body


def _value_dict(value: layout.MetricValue, is_skill: bool) -> dict[str, int | None]:
    if is_skill:
        return {"value": value.value, "level": value.level, "rank": value.rank}
    return {"value": value.value, "rank": value.rank}


def player_metric_history(
    *,
    player: Player,
    metric: Metric,
    start: datetime,
    end: datetime,
    now: datetime | None = None,
) -> MetricHistory:
    """One metric of `player` over [start, end]: start/end values and each reading it changed in.

    The timeline holds the reading in force at `start` (or the first one, when tracking began
    later; or the latest baseline in the range, where counting restarts), every reading in the
    range where the metric's value changed, and the last reading. One query over this metric's
    columns only. 404 `no_snapshot` when the player has none up to `end`.
    """
    now = now or timezone.now()
    is_skill = metric.kind is MetricKind.SKILL
    quote = connection.ops.quote_name
    table = quote(Snapshot._meta.db_table)
    value = quote(layout.column_for(metric.key, layout.value_part(metric.kind)))
    rank = quote(layout.column_for(metric.key, "rank"))
    level = quote(layout.column_for(metric.key, "level")) if is_skill else "NULL"
    # One range scan of the (player_id, fetched_at) index from the snapshot in force at `start`
    # to `end`. Snapshots exist when *anything* changed, so the window function keeps only the
    # first and last readings and those where this metric's value changed (a year of a busy
    # player is thousands of rows, a few hundred of them for one skill). Portable SQL: window
    # functions exist in PostgreSQL and in every SQLite Django supports.
    sql = f"""
        SELECT fetched_at, v, r, l FROM (
            SELECT fetched_at, {value} AS v, {rank} AS r, {level} AS l,
                   LAG({value}) OVER w AS previous_v,
                   ROW_NUMBER() OVER w AS n, COUNT(*) OVER () AS total
            FROM {table}
            WHERE player_id = %s AND fetched_at <= %s AND fetched_at >= COALESCE(
                (SELECT fetched_at FROM {table} WHERE player_id = %s AND is_baseline
                 AND fetched_at > %s AND fetched_at <= %s ORDER BY fetched_at DESC LIMIT 1),
                ({snapshot_in_force_sql(select="fetched_at")}), %s)
            WINDOW w AS (ORDER BY fetched_at)
        ) readings
        WHERE n = 1 OR n = total OR v <> previous_v OR (v IS NULL) <> (previous_v IS NULL)
        ORDER BY fetched_at
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [player.pk, end, player.pk, start, end, player.pk, start, start])
        rows = cursor.fetchall()
    if not rows:
        raise _no_snapshot(player, end)

    aware = db.backend().aware
    rows = [(aware(at), *rest) for at, *rest in rows]
    timeline = [
        TimelinePoint(at=at, value=v, rank=r, level=lv if is_skill else None)
        for at, v, r, lv in rows
    ]
    window = reading_window(
        start=start, end=end, start_at=timeline[0].at, end_at=timeline[-1].at, now=now
    )
    return MetricHistory(
        username=player.username,
        metric=metric,
        window=window,
        start=layout.MetricValue(
            metric.kind, timeline[0].rank, timeline[0].value, timeline[0].level
        ),
        end=layout.MetricValue(
            metric.kind, timeline[-1].rank, timeline[-1].value, timeline[-1].level
        ),
        timeline=timeline,
    )
