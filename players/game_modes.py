"""Game modes and the pure rules that detect them from hiscores readings.

A reading is the Overall XP a board reports for the player: `None` means the board answered 404
(definitely not there), `UNRANKED` (-1) means the board knows the player but Overall is unranked,
and a board that was not queried is simply absent from the mapping. Transient errors never reach
these functions: the service stops before detection, so the mode stays.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from django.db import models

from hiscores.integration.results import Board


class GameMode(models.TextChoices):
    REGULAR = "regular", "Regular"
    IRONMAN = "ironman", "Ironman"
    HARDCORE = "hardcore", "Hardcore ironman"
    ULTIMATE = "ultimate", "Ultimate ironman"


# The board each mode's stats are read from (the one owner of this mapping).
BOARD_FOR_GAME_MODE: dict[str, Board] = {
    GameMode.REGULAR: Board.REGULAR,
    GameMode.IRONMAN: Board.IRONMAN,
    GameMode.HARDCORE: Board.HARDCORE,
    GameMode.ULTIMATE: Board.ULTIMATE,
}


def board_for_game_mode(mode: str) -> Board:
    """The hiscores board of a game mode."""
    return BOARD_FOR_GAME_MODE[mode]


UNRANKED = -1
Readings = Mapping[GameMode, int | None]

# The only moves the game allows: a hardcore dies or de-irons, an ultimate downgrades or de-irons,
# an ironman de-irons. Nothing ever becomes more restricted.
ALLOWED_TRANSITIONS: frozenset[tuple[GameMode, GameMode]] = frozenset(
    {
        (GameMode.HARDCORE, GameMode.IRONMAN),
        (GameMode.HARDCORE, GameMode.REGULAR),
        (GameMode.ULTIMATE, GameMode.IRONMAN),
        (GameMode.ULTIMATE, GameMode.REGULAR),
        (GameMode.IRONMAN, GameMode.REGULAR),
    }
)

# Boards a player of a known mode must still appear on (de-ironed and dead accounts keep their
# frozen entries). A 404 there is unexpected: a rename, a ban or a hiscores glitch, not a mode.
_REQUIRED_BOARDS: dict[GameMode, tuple[GameMode, ...]] = {
    GameMode.REGULAR: (),
    GameMode.IRONMAN: (GameMode.IRONMAN,),
    GameMode.HARDCORE: (GameMode.IRONMAN, GameMode.HARDCORE),
    GameMode.ULTIMATE: (GameMode.IRONMAN, GameMode.ULTIMATE),
}

# Restricted boards worth asking about, by the mode already known. An ironman can never become
# hardcore or ultimate, and a hardcore never ultimate, so those boards are not queried.
_CANDIDATE_BOARDS: dict[GameMode | None, tuple[GameMode, ...]] = {
    None: (GameMode.HARDCORE, GameMode.ULTIMATE),
    GameMode.REGULAR: (),
    GameMode.IRONMAN: (),
    GameMode.HARDCORE: (GameMode.HARDCORE,),
    GameMode.ULTIMATE: (GameMode.ULTIMATE,),
}


def next_board(readings: Readings, *, current: GameMode | None = None) -> GameMode | None:
    """The next board to query, or None when the readings so far decide the mode."""
    for board in (GameMode.REGULAR, GameMode.IRONMAN):
        if board not in readings:
            return board
    iron = readings[GameMode.IRONMAN]
    if iron is None or _xp(readings[GameMode.REGULAR]) > iron:
        return None
    for board in _CANDIDATE_BOARDS[current]:
        if board not in readings:
            return board
        xp = readings[board]
        if xp is not None and xp >= iron:
            return None
    return None


def detect_game_mode(readings: Readings, *, current: GameMode | None = None) -> GameMode | None:
    """The mode the readings show, or None when they are not definite enough to act on."""
    regular = readings.get(GameMode.REGULAR)
    iron = readings.get(GameMode.IRONMAN)
    if regular is None and iron is None:
        return None  # no board knows the name (or only the regular board was asked)
    if current is not None and any(
        board in readings and readings[board] is None for board in _REQUIRED_BOARDS[current]
    ):
        return None
    if iron is None:
        return GameMode.REGULAR
    if _xp(regular) > iron:
        return GameMode.REGULAR  # de-ironed: the iron entry froze while the account kept training
    for board in (GameMode.HARDCORE, GameMode.ULTIMATE):
        xp = readings.get(board)
        if xp is not None and xp >= iron:
            return board  # ties go to the more restricted mode
    return GameMode.IRONMAN


class Outcome(StrEnum):
    UNCHANGED = "unchanged"
    CHANGED = "changed"
    REFUSED = "refused"
    INCONCLUSIVE = "inconclusive"


@dataclass(frozen=True)
class Transition:
    previous: GameMode
    detected: GameMode | None
    outcome: Outcome

    @property
    def mode(self) -> GameMode:
        return self.detected if self.outcome is Outcome.CHANGED else self.previous

    @property
    def changed(self) -> bool:
        return self.outcome is Outcome.CHANGED


def resolve_transition(current: GameMode, detected: GameMode | None) -> Transition:
    """Apply the one-way rule: only downward moves are taken, upward ones are refused."""
    current = GameMode(current)
    if detected is None:
        return Transition(current, None, Outcome.INCONCLUSIVE)
    detected = GameMode(detected)
    if detected == current:
        return Transition(current, detected, Outcome.UNCHANGED)
    if (current, detected) in ALLOWED_TRANSITIONS:
        return Transition(current, detected, Outcome.CHANGED)
    return Transition(current, detected, Outcome.REFUSED)


def _xp(value: int | None) -> int:
    return UNRANKED if value is None else value
