"""Build realistic snapshot histories from parsed hiscores readings."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from hiscores import layout
from hiscores.models import Snapshot
from hiscores.services import snapshot_record
from hiscores.tests.snapshot_helpers import T0, reading

__all__ = ["T0", "bulk_history", "days", "record"]


def days(n: float) -> timedelta:
    return timedelta(days=n)


def record(player, values: dict, *, at: datetime | timedelta, **options) -> str:
    """Record a reading (XP for skills, scores otherwise) at T0 + `at` through snapshot_record."""
    return snapshot_record(player_id=player.pk, reading=reading(values, at=at, **options)).status


def bulk_history(player, entries: Iterable[tuple[datetime | timedelta, dict]], **options) -> None:
    """Many readings at once, stored with the write path's own row layout (for long histories)."""
    rows = []
    for at, values in entries:
        parsed = reading(values, at=at, **options)
        columns, extra = layout.row_values(parsed)
        rows.append(
            Snapshot(
                player_id=player.pk,
                fetched_at=parsed.fetched_at,
                board=str(parsed.board),
                extra=extra,
                **columns,
            )
        )
    Snapshot.objects.bulk_create(rows)
