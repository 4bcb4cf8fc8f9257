"""Parsing of hiscores bodies, by row name, into `HiscoresResult`s."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from hiscores.integration.catalogue import (
    IGNORED_HISCORES_NAMES,
    METRICS,
    OVERALL,
    MetricKind,
    derive_key,
    is_ignored_name,
    metric_for_name,
)
from hiscores.integration.errors import HiscoresUnavailable
from hiscores.integration.results import ActivityReading, Board, HiscoresResult, SkillReading

MAX_VALUE = 2**63 - 1  # 64-bit everywhere (Overall XP of a maxed account is 4.8 billion)
# Ranks (a few million accounts) and levels (total level 2,376 at most) have smaller bounds: a
# body beyond them is garbage, and the snapshot columns hold 32-bit ranks and 16-bit levels.
MAX_RANK = 2**31 - 1
MAX_LEVEL = 2**15 - 1
_FIELD_MAX = {"rank": MAX_RANK, "level": MAX_LEVEL}


def _malformed(message: str) -> HiscoresUnavailable:
    return HiscoresUnavailable(
        f"Malformed hiscores body: {message}", reason=HiscoresUnavailable.MALFORMED_BODY
    )


def _value(row: Mapping[str, Any], field_name: str, name: str) -> int | None:
    value = row.get(field_name)
    # `type() is int` also refuses bools (JSON true/false).
    if type(value) is not int or value < -1 or value > _FIELD_MAX.get(field_name, MAX_VALUE):
        raise _malformed(f"{name!r}: {field_name} is not an integer in range ({value!r})")
    return None if value == -1 else value


def _rows(payload: Mapping[str, Any], list_name: str) -> list[Mapping[str, Any]]:
    rows = payload.get(list_name)
    if not isinstance(rows, list):
        raise _malformed(f"no {list_name!r} list")
    return rows


def _name(row: Any, list_name: str) -> str:
    name = row.get("name") if isinstance(row, dict) else None
    if not isinstance(name, str):
        raise _malformed(f"a {list_name!r} row without a name")
    return name


_IGNORED = object()
# Exact hiscores names first (the common case, one dict probe); anything else goes through the
# case-insensitive catalogue lookup.
_EXACT_NAMES: dict[str, Any] = {
    **{m.hiscores_name: m for m in METRICS},
    **dict.fromkeys(IGNORED_HISCORES_NAMES, _IGNORED),
}


def _lookup(name: str) -> Any:
    """The catalogue Metric for a row name, `_IGNORED`, or None for an unknown row."""
    found = _EXACT_NAMES.get(name)
    if found is not None:
        return found
    return _IGNORED if is_ignored_name(name) else metric_for_name(name)


def parse_hiscores(
    body: bytes | str | Mapping[str, Any],
    *,
    board: Board | str = Board.REGULAR,
    fetched_at: datetime | None = None,
) -> HiscoresResult:
    """Parse an `index_lite.json` body by row name; raise `HiscoresUnavailable` when malformed.

    Malformed means: not JSON (an HTML page, a truncated body, nothing), no `skills`/`activities`
    lists, no Overall row, a non-integer or out-of-range value, or the same row twice.
    """
    if isinstance(body, Mapping):
        payload: Any = body
    else:
        try:
            payload = json.loads(body)
        except (ValueError, UnicodeDecodeError) as exc:
            snippet = (body[:40] if body else b"").__repr__()
            raise _malformed(f"not JSON (starts with {snippet})") from exc
    if not isinstance(payload, Mapping):
        raise _malformed("not a JSON object")
    skill_rows, activity_rows = _rows(payload, "skills"), _rows(payload, "activities")

    skills: dict[str, SkillReading] = {}
    activities: dict[str, ActivityReading] = {}
    bosses: dict[str, ActivityReading] = {}

    for row in skill_rows:
        name = _name(row, "skills")
        metric = _lookup(name)
        if metric is _IGNORED:
            continue
        if metric is not None and metric.kind is not MetricKind.SKILL:
            raise _malformed(f"{name!r} is not a skill")
        key = metric.key if metric else derive_key(name)
        if key in skills:
            raise _malformed(f"{name!r} listed twice")
        skills[key] = SkillReading(
            _value(row, "rank", name), _value(row, "level", name), _value(row, "xp", name)
        )

    for row in activity_rows:
        name = _name(row, "activities")
        metric = _lookup(name)
        if metric is _IGNORED:
            continue
        if metric is None:
            section, key = bosses, derive_key(name)
        elif metric.kind is MetricKind.SKILL:
            raise _malformed(f"{name!r} is a skill, listed among activities")
        else:
            section = activities if metric.kind is MetricKind.ACTIVITY else bosses
            key = metric.key
        if key in activities or key in bosses or key in skills:
            raise _malformed(f"{name!r} listed twice")
        section[key] = ActivityReading(_value(row, "rank", name), _value(row, "score", name))

    if OVERALL not in skills:
        raise _malformed("no Overall row")
    return HiscoresResult(
        board=Board(board),
        skills=skills,
        activities=activities,
        bosses=bosses,
        fetched_at=fetched_at or datetime.now(UTC),
    )
