"""The `discord` format: Discord's webhook body with a human sentence per event.

`{"content": sentence, "embeds": [{"title", "description", "fields", "timestamp", "footer"}]}`;
one formatter per event name (an unknown name still gets a plain sentence). Discord's limits are
respected: content 2,000 characters, title 256, at most 25 fields of 1,024.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from osrs_diff import events
from players.game_modes import GameMode

COLOUR = 0xC8A55A  # the hiscores' parchment gold

Fields = list[tuple[str, str]]
Formatter = Callable[[dict[str, Any]], tuple[str, str, Fields]]


def gp(value: Any) -> str:
    """A coin amount with a K/M/B suffix: 950 -> "950 gp"-style "950", 4_234_567 -> "4.2M"."""
    try:
        amount = int(value)
    except (TypeError, ValueError):
        return str(value)
    sign, amount = ("-" if amount < 0 else ""), abs(amount)
    for size, suffix in ((10**9, "B"), (10**6, "M"), (10**3, "K")):
        if round(amount / size, 1) >= 1:
            text = f"{amount / size:.1f}".removesuffix(".0")
            return f"{sign}{text}{suffix}"
    return f"{sign}{amount}"


def _mode(value: Any) -> str:
    try:
        return str(GameMode(value).label).lower()
    except ValueError:
        return str(value).replace("_", " ")


def _duration(seconds: Any) -> str:
    try:
        total = int(float(seconds))
    except (TypeError, ValueError):
        return "?"
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min {secs} s" if minutes else f"{secs} s"


def _game_mode_changed(data: dict) -> tuple[str, str, Fields]:
    user, old, new = data.get("username", "?"), data.get("from"), data.get("to")
    if old == GameMode.HARDCORE and new == GameMode.IRONMAN:
        sentence = f"{user} died as a hardcore ironman (now ironman)"
    elif new == GameMode.REGULAR:
        sentence = f"{user} de-ironed (was {_mode(old)}, now regular)"
    else:
        sentence = f"{user} is now {_mode(new)} (was {_mode(old)})"
    return sentence, "Game mode changed.", [("From", _mode(old)), ("To", _mode(new))]


def _achievement(data: dict) -> tuple[str, str, Fields]:
    user = data.get("username", "?")
    what = data.get("name") or f"{data.get('threshold', '?')} {data.get('metric', '?')}"
    fields = [(label, str(data[key])) for key, label in (("metric", "Metric"),) if key in data]
    return f"{user} reached {what}", "New achievement.", fields


def _flagged(data: dict) -> tuple[str, str, Fields]:
    user, reason = data.get("username", "?"), data.get("reason", "")
    sentence = f"{user} was flagged: a reading went down"
    return sentence, reason or "A hiscores reading was rejected.", []


def _renamed(data: dict) -> tuple[str, str, Fields]:
    old = data.get("old_username") or data.get("old") or "?"
    new = data.get("new_username") or data.get("new") or data.get("username") or "?"
    return f"{old} is now known as {new}", "Name change.", [("Old", old), ("New", new)]


def _missing(data: dict) -> tuple[str, str, Fields]:
    user = data.get("username", "?")
    return f"{user} has gone missing from the hiscores", "No hiscores board found.", []


def _party_started(data: dict) -> tuple[str, str, Fields]:
    world = data.get("world", "?")
    return f"Drop party on world {world} started", "A drop party started.", [("World", str(world))]


def _party_ended(data: dict) -> tuple[str, str, Fields]:
    world, drops = data.get("world", "?"), data.get("drops", 0)
    count = f"{drops} drop" if drops == 1 else f"{drops} drops"
    sentence = f"Drop party on world {world} ended: {count}, {gp(data.get('total_value'))} gp"
    fields = [
        ("World", str(world)),
        ("Drops", str(drops)),
        ("Total", f"{gp(data.get('total_value'))} gp"),
        ("Biggest drop", f"{gp(data.get('biggest_value'))} gp"),
        ("Duration", _duration(data.get("duration_seconds"))),
    ]
    return sentence, "A drop party ended.", fields


def _competition(verb: str) -> Formatter:
    def format_(data: dict) -> tuple[str, str, Fields]:
        title = data.get("title") or data.get("name") or "A competition"
        return f"{title} {verb}{_won_by(data)}", f"Competition {verb}.", []

    return format_


def _won_by(data: dict) -> str:
    """': won by A' or ': tied for first: A and B' (`winners` of competition.ended, else
    `winner`; nothing without either)."""
    winners = data.get("winners")
    if winners is None:
        winners = [data["winner"]] if isinstance(data.get("winner"), dict) else []
    names = [str(row.get("username")) for row in winners if isinstance(row, dict)]
    if not names:
        return ""
    if len(names) == 1:
        return f": won by {names[0]}"
    listed = ", ".join(names[:-1]) + f" and {names[-1]}"
    return f": tied for first: {listed}"


FORMATTERS: dict[str, Formatter] = {
    events.PLAYER_ACHIEVEMENT: _achievement,
    events.PLAYER_GAME_MODE_CHANGED: _game_mode_changed,
    events.PLAYER_FLAGGED: _flagged,
    events.PLAYER_RENAMED: _renamed,
    events.PLAYER_MISSING: _missing,
    events.PARTY_STARTED: _party_started,
    events.PARTY_ENDED: _party_ended,
    events.COMPETITION_STARTED: _competition("started"),
    events.COMPETITION_ENDED: _competition("ended"),
}


def sentence(name: str, data: dict) -> str:
    """The human sentence for an event ("Zezima reached 99 Attack")."""
    return _format(name, data)[0]


def _format(name: str, data: dict) -> tuple[str, str, Fields]:
    formatter = FORMATTERS.get(name)
    if formatter is None:
        return f"Event {name}", "", []
    return formatter(data)


def discord_body(*, name: str, occurred_at: datetime, data: dict) -> dict[str, Any]:
    """Discord's execute-webhook JSON: `content` plus one embed."""
    text, description, fields = _format(name, data)
    embed: dict[str, Any] = {
        "title": text[:256],
        "description": description[:4096],
        "color": COLOUR,
        "timestamp": occurred_at.isoformat(),
        "footer": {"text": f"osrs-diff · {name}"},
        "fields": [
            {"name": label[:256], "value": (value or "-")[:1024], "inline": True}
            for label, value in fields[:25]
        ],
    }
    return {"content": text[:2000], "embeds": [embed], "allowed_mentions": {"parse": []}}
