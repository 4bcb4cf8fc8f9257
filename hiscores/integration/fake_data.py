"""The fake hiscores' data: player files on disk (`DATA/<board>/<player_name>.json`).

The layout is documented in the README and in `fake_server`; `write_player_file()` writes one
file, `write_sample_players()` the demo's players.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from hiscores.integration.catalogue import SKILL_KEYS
from hiscores.integration.fakes import make_hiscores_body

BOARDS = (
    "hiscore_oldschool",
    "hiscore_oldschool_ironman",
    "hiscore_oldschool_hardcore_ironman",
    "hiscore_oldschool_ultimate",
)


def player_file_name(name: str) -> str:
    """`Lynx Titan`, `lynx_titan`, `LYNX-TITAN` -> `lynx_titan.json`."""
    words = re.sub(r"[\s_\-\u00a0]+", " ", name).strip().lower().split()
    return "_".join(words) + ".json"


def write_player_file(
    data_dir: str | Path,
    name: str,
    *,
    board: str = BOARDS[0],
    stats: Mapping[str, int | None] | None = None,
    body: Mapping[str, Any] | None = None,
    gains: Mapping[str, int] | None = None,
    per: str = "request",
    freeze_after: int | None = None,
    remove_after: int | None = None,
) -> Path:
    """Write one player file in the documented layout; returns its path."""
    if str(board) not in BOARDS:
        raise ValueError(f"unknown board {board!r}")
    if per not in ("request", "minute"):
        raise ValueError("per must be 'request' or 'minute'")
    if body is not None and stats is not None:
        raise ValueError("give stats or body, not both")
    if body is None:
        make_hiscores_body(stats or {})  # validates the keys now rather than at request time
    spec: dict[str, Any] = (
        {"body": dict(body)} if body is not None else {"stats": dict(stats or {})}
    )
    if gains:
        spec["progress"] = {"per": per, "gains": dict(gains)}
    if freeze_after is not None:
        spec["freeze_after"] = int(freeze_after)
    if remove_after is not None:
        spec["remove_after"] = int(remove_after)
    path = Path(data_dir) / str(board) / player_file_name(name)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(spec, indent=1))
    tmp.replace(path)  # the server never reads a half-written file
    return path


#: The demo's timed scenario: minutes after the server starts when Demo HCIM dies (its hardcore
#: board freezes while the ironman board goes on) and Demo Deiron de-irons (its ironman board
#: freezes while the regular board goes on). `make demo` shortens it with `--events-after`.
SAMPLE_EVENTS_AFTER_MINUTES = 5
#: The sample players `make demo` tracks at start; the README's tour adds `Demo Main` itself.
SAMPLE_TRACKED = ("Demo Iron", "Demo HCIM", "Demo UIM", "Demo Deiron", "Demo Maxed")


def write_sample_players(
    data_dir: str | Path, *, events_after_minutes: int = SAMPLE_EVENTS_AFTER_MINUTES
) -> list[str]:
    """The demo's players: progressing by the minute; after `events_after_minutes` one hardcore
    dies and, a minute later, one ironman de-irons."""
    if events_after_minutes < 0:
        raise ValueError("events_after_minutes must be >= 0")
    main_stats = {
        "attack": 8_000_000,
        "strength": 10_000_000,
        "defence": 6_000_000,
        "hitpoints": 12_000_000,
        "ranged": 9_000_000,
        "prayer": 3_000_000,
        "magic": 7_500_000,
        "slayer": 5_000_000,
        "woodcutting": 2_000_000,
        "fishing": 1_500_000,
        "cooking": 3_000_000,
        "sailing": 200_000,
        "clue_scrolls_all": 120,
        "clue_scrolls_hard": 60,
        "zulrah": 400,
        "vorkath": 350,
        "barrows_chests": 220,
        "chambers_of_xeric": 35,
    }
    iron_stats = {k: v // 3 for k, v in main_stats.items()}
    gains = {"attack": 30_000, "slayer": 20_000, "hitpoints": 10_000, "zulrah": 1}
    players: list[tuple[str, str, dict[str, Any]]] = [
        ("Demo Main", BOARDS[0], {"stats": main_stats, "gains": gains}),
        ("Demo Maxed", BOARDS[0], {"stats": dict.fromkeys(SKILL_KEYS[1:], 200_000_000)}),
    ]
    for name, boards, freeze in (
        ("Demo Iron", BOARDS[:2], {}),
        ("Demo HCIM", BOARDS[:3], {BOARDS[2]: events_after_minutes}),  # dies
        ("Demo UIM", (BOARDS[0], BOARDS[1], BOARDS[3]), {}),
        ("Demo Deiron", BOARDS[:2], {BOARDS[1]: events_after_minutes + 1}),  # de-irons
    ):
        for board in boards:
            players.append(
                (
                    name,
                    board,
                    {"stats": iron_stats, "gains": gains, "freeze_after": freeze.get(board)},
                )
            )
    for name, board, spec in players:
        write_player_file(data_dir, name, board=board, per="minute", **spec)
    return sorted({name for name, _, _ in players})
