"""Achievements: definitions and their pure derivation from snapshot readings (no database).

A reading is the metrics of one snapshot (`hiscores.layout.row_metrics`). An achievement holds in
a reading when its value reaches the threshold; it is *achieved* at the first snapshot showing it.

Dating rule (see docs/achievements.md):
- dated (`achieved_at` = that snapshot, `previous_snapshot_at` = the one before it: the real
  moment lies in between) when a previous snapshot exists and did not show it;
- undated (both null) when the player's first snapshot already shows it, when the snapshot is a
  baseline (an accepted reading that went down: the jump into it is never progress), or when a
  metric it depends on is newly ranked (unranked before: the hiscores only started showing it,
  the moment it was reached is unknown).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from hiscores.integration.catalogue import (
    BOSS_KEYS,
    MAX_LEVEL,
    MAX_SKILL_XP,
    OVERALL,
    SKILL_KEYS,
    combat_level,
    get_metric,
)
from hiscores.layout import MetricValue

Reading = Mapping[str, MetricValue]

SKILLS: tuple[str, ...] = tuple(key for key in SKILL_KEYS if key != OVERALL)
COMBAT_SKILLS = ("attack", "strength", "defence", "hitpoints", "ranged", "prayer", "magic")
MAX_TOTAL_LEVEL = MAX_LEVEL * len(SKILLS)
CLUES_ALL = "clue_scrolls_all"
COLLECTIONS_LOGGED = "collections_logged"

BASE_LEVELS = (60, 70, 80, 90, 99)
TOTAL_LEVELS = (1_000, 1_500, 1_750, 2_000, 2_200, MAX_TOTAL_LEVEL)
OVERALL_XP = (
    10_000_000,
    50_000_000,
    100_000_000,
    200_000_000,
    500_000_000,
    1_000_000_000,
    2_000_000_000,
    4_600_000_000,
)
BOSS_KILLS = (1, 50, 100, 500, 1_000, 5_000)
CLUE_SCORES = (100, 500, 1_000)
COLLECTION_SCORES = (500, 1_000)
COMBAT_MAX = 126


@dataclass(frozen=True)
class Definition:
    """One achievement: `key` is stable and stored; `value` reads its measure from a reading."""

    key: str
    name: str
    metric: str
    measure: str  # level | experience | base_level | combat_level | kills | score
    threshold: int
    depends_on: tuple[str, ...]  # metrics whose newly ranking leaves it undated
    value: Callable[[Reading], int | None]

    def holds(self, reading: Reading) -> bool:
        value = self.value(reading)
        return value is not None and value >= self.threshold


def _short(amount: int) -> str:
    for size, suffix in ((1_000_000_000, "B"), (1_000_000, "M"), (1_000, "K")):
        if amount >= size and amount % (size // 10) == 0:
            text = f"{amount / size:.1f}".removesuffix(".0")
            return f"{text}{suffix}"
    return f"{amount:,}"


def _level(key: str) -> Callable[[Reading], int | None]:
    def read(reading: Reading) -> int | None:
        value = reading.get(key)
        return value.level if value is not None and value.ranked else None

    return read


def _amount(key: str) -> Callable[[Reading], int | None]:
    def read(reading: Reading) -> int | None:
        value = reading.get(key)
        return value.value if value is not None else None

    return read


def _base_level(reading: Reading) -> int | None:
    levels = [_level(key)(reading) for key in SKILLS]
    return None if any(level is None for level in levels) else min(levels)


def _combat(reading: Reading) -> int | None:
    return combat_level({key: _level(key)(reading) for key in COMBAT_SKILLS})


def _name(key: str) -> str:
    metric = get_metric(key)
    return metric.name if metric else key


def _definitions() -> tuple[Definition, ...]:
    out: list[Definition] = []
    for skill in SKILLS:
        name = _name(skill)
        out.append(
            Definition(
                f"{skill}.level.99", f"99 {name}", skill, "level", 99, (skill,), _level(skill)
            )
        )
        out.append(
            Definition(
                f"{skill}.experience.200m",
                f"200M {name} XP",
                skill,
                "experience",
                MAX_SKILL_XP,
                (skill,),
                _amount(skill),
            )
        )
    for level in BASE_LEVELS:
        out.append(
            Definition(
                f"base.{level}", f"Base {level}", OVERALL, "base_level", level, SKILLS, _base_level
            )
        )
    for total in TOTAL_LEVELS:
        label = "Maxed" if total == MAX_TOTAL_LEVEL else f"{total:,} total level"
        out.append(
            Definition(
                f"overall.level.{total}",
                label,
                OVERALL,
                "level",
                total,
                (OVERALL,),
                _level(OVERALL),
            )
        )
    for xp in OVERALL_XP:
        out.append(
            Definition(
                f"overall.experience.{xp}",
                f"{_short(xp)} overall XP",
                OVERALL,
                "experience",
                xp,
                (OVERALL,),
                _amount(OVERALL),
            )
        )
    out.append(
        Definition(
            "combat.126",
            "126 Combat",
            "combat",
            "combat_level",
            COMBAT_MAX,
            COMBAT_SKILLS,
            _combat,
        )
    )
    for boss in BOSS_KEYS:
        name = _name(boss)
        for kills in BOSS_KILLS:
            label = f"{kills:,} {name} kill" + ("" if kills == 1 else "s")
            out.append(
                Definition(
                    f"{boss}.kills.{kills}", label, boss, "kills", kills, (boss,), _amount(boss)
                )
            )
    for key, scores, noun in (
        (CLUES_ALL, CLUE_SCORES, "clue scrolls"),
        (COLLECTIONS_LOGGED, COLLECTION_SCORES, "collections logged"),
    ):
        for score in scores:
            out.append(
                Definition(
                    f"{key}.score.{score}",
                    f"{score:,} {noun}",
                    key,
                    "score",
                    score,
                    (key,),
                    _amount(key),
                )
            )
    return tuple(out)


DEFINITIONS: tuple[Definition, ...] = _definitions()
BY_KEY: dict[str, Definition] = {d.key: d for d in DEFINITIONS}
assert len(BY_KEY) == len(DEFINITIONS), "duplicate achievement key"


@dataclass(frozen=True)
class Derived:
    """An achievement first shown by a reading; `dated` = it was reached since the previous one."""

    definition: Definition
    dated: bool


def holding(reading: Reading) -> set[str]:
    """Keys of every achievement the reading shows."""
    return {d.key for d in DEFINITIONS if d.holds(reading)}


def _newly_ranked(previous: Reading, current: Reading, keys: Iterable[str]) -> bool:
    for key in keys:
        after = current.get(key)
        before = previous.get(key)
        if after is not None and after.ranked and (before is None or not before.ranked):
            return True
    return False


def derive(
    previous: Reading | None,
    current: Reading,
    *,
    known: set[str] | None = None,
    is_baseline: bool = False,
) -> list[Derived]:
    """Achievements `current` shows that `previous` (and `known`, already stored) do not.

    `previous` None = the player's first snapshot: everything it shows is undated.
    """
    before = holding(previous) if previous is not None else set()
    skip = before | (known or set())
    out = []
    for definition in DEFINITIONS:
        if definition.key in skip or not definition.holds(current):
            continue
        dated = (
            previous is not None
            and not is_baseline
            and not _newly_ranked(previous, current, definition.depends_on)
        )
        out.append(Derived(definition, dated))
    return out
