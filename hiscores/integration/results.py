"""What a hiscores board answers: the board names and one player's parsed readings."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from hiscores.integration.catalogue import (
    OVERALL,
    MetricKind,
    combat_level,
    get_metric,
    level_for_xp,
)


class Board(StrEnum):
    REGULAR = "hiscore_oldschool"
    IRONMAN = "hiscore_oldschool_ironman"
    HARDCORE = "hiscore_oldschool_hardcore_ironman"
    ULTIMATE = "hiscore_oldschool_ultimate"


@dataclass(frozen=True, slots=True)
class SkillReading:
    """One skill row; `None` where the hiscores say -1 (unranked)."""

    rank: int | None
    level: int | None
    experience: int | None


@dataclass(frozen=True, slots=True)
class ActivityReading:
    """One activity/boss row; `None` where the hiscores say -1 (unranked)."""

    rank: int | None
    score: int | None


@dataclass(frozen=True)
class HiscoresResult:
    """One board's answer for one player, keyed by metric key (see `catalogue`).

    A metric the body did not list is absent from its dict (not -1, not zero). Rows the catalogue
    does not know are kept under a key derived from their name: skills in `skills`, anything
    else in `bosses` (what Jagex adds to that list is nearly always a boss).
    """

    board: Board
    skills: dict[str, SkillReading]
    activities: dict[str, ActivityReading]
    bosses: dict[str, ActivityReading]
    fetched_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def overall(self) -> SkillReading:
        return self.skills[OVERALL]

    def get(self, key: str) -> SkillReading | ActivityReading | None:
        return self.skills.get(key) or self.activities.get(key) or self.bosses.get(key)

    def levels(self, *, virtual: bool = False) -> dict[str, int]:
        """Level per skill (without Overall); virtual levels above 99 from the experience."""
        out = {}
        for key, reading in self.skills.items():
            if key == OVERALL:
                continue
            if virtual and reading.experience is not None:
                out[key] = level_for_xp(reading.experience, virtual=True)
            else:
                out[key] = reading.level if reading.level is not None else 1
        return out

    @property
    def combat_level(self) -> int:
        return combat_level(self.levels())

    def to_json(self) -> dict[str, Any]:
        """A JSON-safe dict; `HiscoresResult.from_json()` rebuilds an equal result."""
        return {
            "board": str(self.board),
            "fetched_at": self.fetched_at.isoformat(),
            "skills": {
                k: {"rank": r.rank, "level": r.level, "experience": r.experience}
                for k, r in self.skills.items()
            },
            "activities": {
                k: {"rank": r.rank, "score": r.score} for k, r in self.activities.items()
            },
            "bosses": {k: {"rank": r.rank, "score": r.score} for k, r in self.bosses.items()},
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> HiscoresResult:
        """Rebuild from `to_json()` output. Keys the catalogue knows by now go to their section."""
        try:
            skills = {
                str(k): SkillReading(
                    rank=_opt_int(v.get("rank")),
                    level=_opt_int(v.get("level")),
                    experience=_opt_int(v.get("experience")),
                )
                for k, v in data["skills"].items()
            }
            activities: dict[str, ActivityReading] = {}
            bosses: dict[str, ActivityReading] = {}
            for section in ("activities", "bosses"):
                for k, v in data.get(section, {}).items():
                    reading = ActivityReading(
                        rank=_opt_int(v.get("rank")), score=_opt_int(v.get("score"))
                    )
                    metric = get_metric(str(k))
                    kind = metric.kind if metric else None
                    if kind is MetricKind.ACTIVITY or (kind is None and section == "activities"):
                        activities[str(k)] = reading
                    else:
                        bosses[str(k)] = reading
            fetched_at = datetime.fromisoformat(data["fetched_at"])
            board = Board(data["board"])
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ValueError(f"not a serialised HiscoresResult: {exc}") from exc
        return cls(
            board=board, skills=skills, activities=activities, bosses=bosses, fetched_at=fetched_at
        )


def _opt_int(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"not an integer: {value!r}")
    return value
