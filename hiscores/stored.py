"""What runs after a snapshot is stored, inside its transaction.

hiscores never imports history (the floor plan): history registers its derivation (achievements
and records) here from its AppConfig.ready, and `snapshot_record` calls `snapshot_stored_notify`
once per inserted snapshot. Explicit subscribers, not Django signals.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class StoredSnapshot:
    player_id: int
    username: str
    snapshot_id: int
    fetched_at: datetime
    previous: dict[str, Any] | None  # the row in force before it (id, extra, value columns)
    columns: dict[str, int | None]
    extra: dict[str, Any]


_subscribers: list[Callable[[StoredSnapshot], None]] = []


def snapshot_stored_subscribe(subscriber: Callable[[StoredSnapshot], None]) -> None:
    if subscriber not in _subscribers:
        _subscribers.append(subscriber)


def snapshot_stored_notify(stored: StoredSnapshot) -> None:
    for subscriber in _subscribers:
        subscriber(stored)
