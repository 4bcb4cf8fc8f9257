"""What a hiscores board answers: the board names and one player's parsed readings."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum

from hiscores.integration.catalogue import (
    OVERALL,
    combat_level,
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
