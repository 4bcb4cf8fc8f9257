"""The metric catalogue: every skill, activity and boss of today's hiscores layout.

Parsing is by hiscores row *name*, never by position. Each metric has a stable snake_case `key`
(what the database and the API use), a display `name`, a `kind` and the `hiscores_name` it maps
from. A row the catalogue does not know yet gets a key derived from its name
(`metric_key_for_name`), so a boss Jagex adds tomorrow is stored from day one.

Also here: XP-to-level and combat-level formulas (pure integer functions).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum


class MetricKind(StrEnum):
    SKILL = "skill"
    ACTIVITY = "activity"
    BOSS = "boss"


@dataclass(frozen=True, slots=True)
class Metric:
    key: str
    name: str
    kind: MetricKind
    hiscores_name: str


_APOSTROPHES = re.compile(r"['’`]")
_NON_ALNUM = re.compile(r"[^a-z0-9]+")


def derive_key(hiscores_name: str) -> str:
    """A snake_case key from a hiscores row name ("Calvar'ion" -> "calvarion")."""
    key = _NON_ALNUM.sub("_", _APOSTROPHES.sub("", hiscores_name.strip().lower())).strip("_")
    return key or "unnamed"


def _metrics(kind: MetricKind, rows: list[tuple[str, str] | str]) -> list[Metric]:
    out = []
    for row in rows:
        # (key, hiscores name) when the key differs from the derived one, else just the name.
        key, hiscores_name = row if isinstance(row, tuple) else (derive_key(row), row)
        display = hiscores_name.removesuffix(" - Rank")
        out.append(Metric(key=key, name=display, kind=kind, hiscores_name=hiscores_name))
    return out


# Order is the hiscores' own order (skills, then activities, then bosses): lists and generated
# bodies follow it, parsing never depends on it.
_SKILLS = _metrics(
    MetricKind.SKILL,
    [
        "Overall",
        "Attack",
        "Defence",
        "Strength",
        "Hitpoints",
        "Ranged",
        "Prayer",
        "Magic",
        "Cooking",
        "Woodcutting",
        "Fletching",
        "Fishing",
        "Firemaking",
        "Crafting",
        "Smithing",
        "Mining",
        "Herblore",
        "Agility",
        "Thieving",
        "Slayer",
        "Farming",
        "Runecraft",
        "Hunter",
        "Construction",
        "Sailing",
    ],
)

_ACTIVITIES = _metrics(
    MetricKind.ACTIVITY,
    [
        "Bounty Hunter - Hunter",
        "Bounty Hunter - Rogue",
        "Clue Scrolls (all)",
        "Clue Scrolls (beginner)",
        "Clue Scrolls (easy)",
        "Clue Scrolls (medium)",
        "Clue Scrolls (hard)",
        "Clue Scrolls (elite)",
        "Clue Scrolls (master)",
        ("last_man_standing", "LMS - Rank"),
        ("pvp_arena", "PvP Arena - Rank"),
        "Soul Wars Zeal",
        ("guardians_of_the_rift", "Rifts closed"),
        "Colosseum Glory",
        "Collections Logged",
    ],
)

_BOSSES = _metrics(
    MetricKind.BOSS,
    [
        "Abyssal Sire",
        "Alchemical Hydra",
        "Amoxliatl",
        "Araxxor",
        "Artio",
        "Barrows Chests",
        "Brutus",
        "Bryophyta",
        "Callisto",
        "Calvar'ion",
        "Cerberus",
        "Chambers of Xeric",
        "Chambers of Xeric: Challenge Mode",
        "Chaos Elemental",
        "Chaos Fanatic",
        "Commander Zilyana",
        "Corporeal Beast",
        "Crazy Archaeologist",
        "Dagannoth Prime",
        "Dagannoth Rex",
        "Dagannoth Supreme",
        "Deranged Archaeologist",
        "Doom of Mokhaiotl",
        "Duke Sucellus",
        "General Graardor",
        "Giant Mole",
        "Grotesque Guardians",
        "Hespori",
        "Kalphite Queen",
        "King Black Dragon",
        "Kraken",
        "Kree'Arra",
        "K'ril Tsutsaroth",
        "Lunar Chests",
        "Mad Angel",
        "Maggot King",
        "Mimic",
        "Nex",
        "Nightmare",
        "Phosani's Nightmare",
        "Obor",
        "Phantom Muspah",
        "Sarachnis",
        "Scorpia",
        "Scurrius",
        "Shellbane Gryphon",
        "Skotizo",
        "Sol Heredit",
        "Spindel",
        "Tempoross",
        "The Gauntlet",
        "The Corrupted Gauntlet",
        "The Hueycoatl",
        "The Leviathan",
        "The Royal Titans",
        "The Whisperer",
        "Theatre of Blood",
        "Theatre of Blood: Hard Mode",
        "Thermonuclear Smoke Devil",
        "Tombs of Amascut",
        "Tombs of Amascut: Expert Mode",
        "TzKal-Zuk",
        "TzTok-Jad",
        "Vardorvis",
        "Venenatis",
        "Vet'ion",
        "Vorkath",
        "Wintertodt",
        "Yama",
        "Zalcano",
        "Zulrah",
    ],
)

METRICS: tuple[Metric, ...] = (*_SKILLS, *_ACTIVITIES, *_BOSSES)

SKILL_KEYS: tuple[str, ...] = tuple(m.key for m in _SKILLS)  # "overall" first
ACTIVITY_KEYS: tuple[str, ...] = tuple(m.key for m in _ACTIVITIES)
BOSS_KEYS: tuple[str, ...] = tuple(m.key for m in _BOSSES)

OVERALL = "overall"

# Rows the hiscores list that this product ignores: seasonal/game-mode points and the legacy
# Bounty Hunter scores (frozen, and reused by Jagex for test values).
IGNORED_HISCORES_NAMES: frozenset[str] = frozenset(
    {
        "League Points",
        "Grid Points",
        "Deadman Points",
        "Bounty Hunter (Legacy) - Hunter",
        "Bounty Hunter (Legacy) - Rogue",
    }
)
# The hiscores layout today, ignored rows included, in the hiscores' own order (used by the body
# generator). 25 skill rows + 91 activity rows = 116.
HISCORES_ACTIVITY_ROW_NAMES: tuple[str, ...] = (
    "Grid Points",
    "League Points",
    "Deadman Points",
    _ACTIVITIES[0].hiscores_name,
    _ACTIVITIES[1].hiscores_name,
    "Bounty Hunter (Legacy) - Hunter",
    "Bounty Hunter (Legacy) - Rogue",
    *(m.hiscores_name for m in _ACTIVITIES[2:]),
    *(m.hiscores_name for m in _BOSSES),
)

# Ratings that legitimately go down (they are ranks/ratings, not counters): a decrease is news,
# not a data error.
DECREASABLE_KEYS: frozenset[str] = frozenset(
    {"last_man_standing", "pvp_arena", "bounty_hunter_hunter", "bounty_hunter_rogue"}
)

_BY_KEY: dict[str, Metric] = {m.key: m for m in METRICS}
_BY_NAME: dict[str, Metric] = {m.hiscores_name.casefold(): m for m in METRICS}
_IGNORED_FOLDED = frozenset(n.casefold() for n in IGNORED_HISCORES_NAMES)

assert len(_BY_KEY) == len(METRICS), "duplicate metric key"
assert len(_BY_NAME) == len(METRICS), "duplicate hiscores name"


def get_metric(key: str) -> Metric | None:
    return _BY_KEY.get(key)


def metric_for_name(hiscores_name: str) -> Metric | None:
    """The catalogue metric for a hiscores row name (case-insensitive), or None if unknown."""
    return _BY_NAME.get(hiscores_name.strip().casefold())


def metric_key_for_name(hiscores_name: str) -> str:
    """Catalogue key of a hiscores row name, or a key derived from the name for unknown rows."""
    metric = metric_for_name(hiscores_name)
    return metric.key if metric else derive_key(hiscores_name)


def is_ignored_name(hiscores_name: str) -> bool:
    return hiscores_name.strip().casefold() in _IGNORED_FOLDED


# --- Levels -----------------------------------------------------------------------------------

MAX_LEVEL = 99
MAX_VIRTUAL_LEVEL = 126
MAX_SKILL_XP = 200_000_000


def _xp_table() -> tuple[int, ...]:
    # XP needed for level L: floor(sum_{n=1}^{L-1} floor(n + 300 * 2^(n/7)) / 4). Index = level.
    table = [0, 0]
    points = 0
    for level in range(1, MAX_VIRTUAL_LEVEL):
        points += math.floor(level + 300 * 2 ** (level / 7))
        table.append(points // 4)
    return tuple(table)


XP_FOR_LEVEL: tuple[int, ...] = _xp_table()  # XP_FOR_LEVEL[99] == 13_034_431


def level_for_xp(xp: int | None, *, virtual: bool = False) -> int:
    """The level for an XP amount: 1-99, or 1-126 with `virtual`; unranked (None/-1) is 1."""
    if xp is None or xp <= 0:
        return 1
    cap = MAX_VIRTUAL_LEVEL if virtual else MAX_LEVEL
    # Binary search over the 127-entry table.
    lo, hi = 1, cap
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if XP_FOR_LEVEL[mid] <= xp:
            lo = mid
        else:
            hi = mid - 1
    return lo


_COMBAT_DEFAULTS = {
    "attack": 1,
    "strength": 1,
    "defence": 1,
    "hitpoints": 10,
    "ranged": 1,
    "prayer": 1,
    "magic": 1,
}


def combat_level(levels: Mapping[str, int | None]) -> int:
    """OSRS combat level (3-126) from skill levels keyed by metric key, in integer arithmetic.

    base = (defence + hitpoints + prayer // 2) / 4; the best of melee (attack + strength),
    ranged (3 * ranged // 2) and magic (3 * magic // 2) adds 13/40 of itself. Missing skills take
    their starting level (1, hitpoints 10).
    """

    def lvl(key: str) -> int:
        value = levels.get(key)
        return _COMBAT_DEFAULTS[key] if value is None or value < 1 else int(value)

    base = 10 * (lvl("defence") + lvl("hitpoints") + lvl("prayer") // 2)
    best = max(
        lvl("attack") + lvl("strength"),
        3 * lvl("ranged") // 2,
        3 * lvl("magic") // 2,
    )
    return (base + 13 * best) // 40
