"""How a hiscores reading maps onto a snapshot row, and back.

A reading is flattened to `{(metric key, part): value}` where part is rank, level, experience
(skills) or rank, score (activities and bosses); None means unranked or absent. Catalogue metrics
live in their own columns, unknown ones in `Snapshot.extra`. Dedup and the data-quality guard
compare these flat maps, so both sides of a comparison always use the same layout.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from hiscores.integration.catalogue import METRICS, MetricKind, get_metric

SKILL_PARTS = ("rank", "level", "experience")
SCORE_PARTS = ("rank", "score")
# Parts that are progress; ranks only move because other players move.
PROGRESS_PARTS = frozenset({"level", "experience", "score"})

FlatValues = dict[tuple[str, str], int | None]


@dataclass(frozen=True, slots=True)
class ValueColumn:
    metric_key: str
    part: str
    column: str


def parts_for(kind: MetricKind | str) -> tuple[str, ...]:
    return SKILL_PARTS if MetricKind(kind) is MetricKind.SKILL else SCORE_PARTS


VALUE_COLUMNS: tuple[ValueColumn, ...] = tuple(
    ValueColumn(metric.key, part, f"{metric.key}_{part}")
    for metric in METRICS
    for part in parts_for(metric.kind)
)
COLUMN_NAMES: tuple[str, ...] = tuple(c.column for c in VALUE_COLUMNS)


def column_for(metric_key: str, part: str) -> str | None:
    """The snapshot column holding `part` of a catalogue metric, or None if it has none."""
    metric = get_metric(metric_key)
    if metric is None or part not in parts_for(metric.kind):
        return None
    return f"{metric_key}_{part}"


def value_part(kind: MetricKind | str) -> str:
    """The part that measures progress of a metric of this kind."""
    return "experience" if MetricKind(kind) is MetricKind.SKILL else "score"


@dataclass(frozen=True, slots=True)
class MetricValue:
    """One metric in one reading: `value` is experience (skills) or score/kills; None = unranked."""

    kind: MetricKind
    rank: int | None
    value: int | None
    level: int | None = None

    @property
    def ranked(self) -> bool:
        return self.value is not None


# Per catalogue metric, in catalogue order: (key, kind, rank column, value column, level column).
_METRIC_COLUMNS: tuple[tuple[str, MetricKind, str, str, str | None], ...] = tuple(
    (
        metric.key,
        metric.kind,
        f"{metric.key}_rank",
        f"{metric.key}_{value_part(metric.kind)}",
        f"{metric.key}_level" if metric.kind is MetricKind.SKILL else None,
    )
    for metric in METRICS
)


def row_metrics(
    row: Mapping[str, Any], extra: Mapping[str, Mapping[str, Any]] | None = None
) -> dict[str, MetricValue]:
    """Every metric of a stored snapshot (a model instance's __dict__ or a values() row).

    The one reader of a snapshot row by metric: catalogue metrics from their columns (catalogue
    order), then the metrics kept in `extra` (an `extra` entry without a kind is an activity).
    """
    get = row.get
    metrics = {
        key: MetricValue(kind, get(rank), get(value), get(level) if level else None)
        for key, kind, rank, value, level in _METRIC_COLUMNS
    }
    for key, stored in (extra or {}).items():
        kind = MetricKind(stored.get("kind", MetricKind.ACTIVITY))
        metrics[key] = MetricValue(
            kind, stored.get("rank"), stored.get(value_part(kind)), stored.get("level")
        )
    return metrics


def flatten_reading(reading: Any) -> FlatValues:
    """A parsed `HiscoresResult` as flat values."""
    flat: FlatValues = {}
    for key, skill in reading.skills.items():
        flat[(key, "rank")] = skill.rank
        flat[(key, "level")] = skill.level
        flat[(key, "experience")] = skill.experience
    for group in (reading.activities, reading.bosses):
        for key, activity in group.items():
            flat[(key, "rank")] = activity.rank
            flat[(key, "score")] = activity.score
    return flat


def row_values(reading: Any) -> tuple[dict[str, int | None], dict[str, dict[str, Any]]]:
    """Column values and the `extra` JSON for storing a reading as a snapshot row."""
    columns: dict[str, int | None] = dict.fromkeys(COLUMN_NAMES)
    extra: dict[str, dict[str, Any]] = {}
    for kind, group in (
        (MetricKind.SKILL, reading.skills),
        (MetricKind.ACTIVITY, reading.activities),
        (MetricKind.BOSS, reading.bosses),
    ):
        for key, value in group.items():
            parts = parts_for(kind)
            if get_metric(key) is not None:
                for part in parts:
                    columns[f"{key}_{part}"] = _part_value(value, part)
            else:
                extra[key] = {"kind": str(kind)} | {p: _part_value(value, p) for p in parts}
    return columns, extra


def flatten_row(row: Mapping[str, Any], extra: Mapping[str, Mapping[str, Any]]) -> FlatValues:
    """Flat values of a stored snapshot (a model instance's __dict__ or a values() row).

    The flat view of `row_metrics` for dedup and the data-quality guard, kept as one pass over
    the columns because it runs on every fetch.
    """
    flat: FlatValues = {(c.metric_key, c.part): row.get(c.column) for c in VALUE_COLUMNS}
    for key, values in (extra or {}).items():
        for part in parts_for(values.get("kind", MetricKind.ACTIVITY)):
            flat[(key, part)] = values.get(part)
    return flat


def progressed(previous: FlatValues, current: FlatValues, *, include_ranks: bool) -> bool:
    """Whether the reading holds any new progress (or new ranks, when they count)."""
    for key_part in previous.keys() | current.keys():
        if key_part[1] not in PROGRESS_PARTS and not include_ranks:
            continue
        if previous.get(key_part) != current.get(key_part):
            return True
    return False


def decreases(
    previous: FlatValues, current: FlatValues, *, allowed: Iterable[str]
) -> list[dict[str, Any]]:
    """Values that went down (a data error), except metrics allowed to fall.

    A metric turning unranked or vanishing from the reading is not a fall: the hiscores drop
    players below a rank threshold.
    """
    allowed_keys = frozenset(allowed)
    falls = []
    for (key, part), before in previous.items():
        if part not in PROGRESS_PARTS or key in allowed_keys or before is None:
            continue
        after = current.get((key, part))
        if after is not None and after < before:
            falls.append({"metric": key, "field": part, "before": before, "after": after})
    return sorted(falls, key=lambda fall: (fall["metric"], fall["field"]))


def _part_value(value: Any, part: str) -> int | None:
    return getattr(value, part)
