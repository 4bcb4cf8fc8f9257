"""Gains between two readings: pure functions over snapshot values (no database).

The rules, the same for every endpoint:
- gained = end - start for experience, levels, kills and scores, only when the metric is ranked at
  both ends;
- a metric unranked at the start and ranked at the end is *newly ranked*: reported with its end
  value, never counted as a gain of that whole value (a boss appears on the hiscores at 5 kills);
- a *baseline* reading (an operator accepted values that went down: a rollback, a name taken over)
  restarts counting, like a newly ranked metric: a range that crosses one counts from the latest
  baseline in it, never the jump into it (`counting_start`);
- rank changes are end - start (negative = climbed);
- daily rates divide a gain by the real elapsed days (36 hours = 1.5 days).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from hiscores.integration.catalogue import METRICS, OVERALL, MetricKind
from hiscores.layout import MetricValue  # one metric of a stored row (hiscores.layout owns it)

RATE_DIGITS = 2


@dataclass(frozen=True)
class Gains:
    experience_gained: dict[str, int] = field(default_factory=dict)
    levels_gained: dict[str, int] = field(default_factory=dict)
    boss_kills_gained: dict[str, int] = field(default_factory=dict)
    activities_gained: dict[str, int] = field(default_factory=dict)
    rank_changes: dict[str, dict[str, int]] = field(default_factory=dict)
    newly_ranked: list[dict[str, Any]] = field(default_factory=list)
    daily_rates: dict[str, float] = field(default_factory=dict)


def counting_start(
    start: Mapping[str, Any], readings: Sequence[Mapping[str, Any]]
) -> Mapping[str, Any]:
    """The reading gains count from: the latest baseline among `readings` after `start`, else start.

    Readings are snapshot rows (`fetched_at`, `is_baseline`); the jump from the readings before a
    baseline into it is never a gain, so a range that crosses one restarts there.
    """
    chosen = start
    for reading in readings:
        if reading.get("is_baseline") and reading["fetched_at"] > chosen["fetched_at"]:
            chosen = reading
    return chosen


def metric_gain(start: MetricValue | None, end: MetricValue | None) -> int | None:
    """end - start when ranked at both ends, else None (unranked, or newly ranked)."""
    if start is None or end is None or not start.ranked or not end.ranked:
        return None
    return end.value - start.value


def is_newly_ranked(start: MetricValue | None, end: MetricValue | None) -> bool:
    return end is not None and end.ranked and (start is None or not start.ranked)


def rank_change(start: MetricValue | None, end: MetricValue | None) -> int | None:
    """end rank - start rank (negative = climbed), when ranked at both ends."""
    if start is None or end is None or start.rank is None or end.rank is None:
        return None
    return end.rank - start.rank


def daily_rate(gained: int | None, days: float) -> float | None:
    if not gained or days <= 0:
        return None
    return round(gained / days, RATE_DIGITS)


def compute_gains(
    start: Mapping[str, MetricValue], end: Mapping[str, MetricValue], *, days: float
) -> Gains:
    """Progress from the `start` reading to the `end` one over `days` real days.

    Gained maps hold only metrics that changed, plus `overall` (experience and total level).
    """
    gains = Gains()
    by_kind = {
        MetricKind.ACTIVITY: gains.activities_gained,
        MetricKind.BOSS: gains.boss_kills_gained,
    }
    for key in _ordered_keys(start, end):
        before, after = start.get(key), end.get(key)
        kind = (after or before).kind
        gained = metric_gain(before, after)
        always = key == OVERALL
        if is_newly_ranked(before, after):
            entry: dict[str, Any] = {
                "metric": key,
                "kind": str(kind),
                "value": after.value,
                "rank": after.rank,
            }
            if kind is MetricKind.SKILL:
                entry["level"] = after.level
            gains.newly_ranked.append(entry)
        if gained is not None and (gained or always):
            if kind is MetricKind.SKILL:
                gains.experience_gained[key] = gained
            else:
                by_kind[kind][key] = gained
        if kind is MetricKind.SKILL and gained is not None:
            levels = (after.level or 0) - (before.level or 0)
            if levels or always:
                gains.levels_gained[key] = levels
        change = rank_change(before, after)
        if change is not None and (change or always):
            gains.rank_changes[key] = {"start": before.rank, "end": after.rank, "change": change}
        rate = daily_rate(gained, days)
        if rate is not None:
            gains.daily_rates[key] = rate
    return gains


def _ordered_keys(*readings: Mapping[str, MetricValue]) -> list[str]:
    # Catalogue order (overall first, then skills, activities, bosses), then unknown metrics.
    keys = list(dict.fromkeys(key for reading in readings for key in reading))
    order = {metric.key: index for index, metric in enumerate(METRICS)}
    return sorted(keys, key=lambda key: (order.get(key, len(order)), key))
