"""Readings for snapshot tests, parsed from bodies generated from the catalogue."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hiscores.integration.fakes import make_hiscores_body
from hiscores.integration.parsing import parse_hiscores
from hiscores.integration.results import Board, HiscoresResult

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def reading(
    values: dict[str, int | None] | None = None,
    *,
    at: datetime | timedelta = T0,
    board: Board = Board.REGULAR,
    **body_options: Any,
) -> HiscoresResult:
    """A parsed reading with the given XP/scores (others: 1,000,000 XP, bosses unranked)."""
    body_options.setdefault("default_xp", 1_000_000)
    fetched_at = T0 + at if isinstance(at, timedelta) else at
    body = make_hiscores_body(values, **body_options)
    return parse_hiscores(body, board=board, fetched_at=fetched_at)
