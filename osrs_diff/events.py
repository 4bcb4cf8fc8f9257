"""Events through a transactional outbox: record them inside the change's own transaction.

    with transaction.atomic():
        ...the change...
        event_record(name=PLAYER_RENAMED, data={"player": ..., "old": ..., "new": ...})

A rolled-back change sends nothing; a committed one is delivered by the operations app
(`osrs_diff.system`, task `DELIVER_EVENTS_TASK` on the `maintenance` queue) to every enabled
webhook subscribed to the event's name. Delivery is kicked when the transaction commits, and a
periodic sweep picks up anything a lost kick left behind. Domain apps import this module only
(wiring); they never import the operations app.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from osrs_diff.models import OutboxEvent

PLAYER_ACHIEVEMENT = "player.achievement"
PLAYER_GAME_MODE_CHANGED = "player.game_mode_changed"
PLAYER_FLAGGED = "player.flagged"
PLAYER_RENAMED = "player.renamed"
PLAYER_MISSING = "player.missing"
PARTY_STARTED = "party.started"
PARTY_ENDED = "party.ended"
COMPETITION_STARTED = "competition.started"
COMPETITION_ENDED = "competition.ended"
EVENT_NAMES = (
    PLAYER_ACHIEVEMENT,
    PLAYER_GAME_MODE_CHANGED,
    PLAYER_FLAGGED,
    PLAYER_RENAMED,
    PLAYER_MISSING,
    PARTY_STARTED,
    PARTY_ENDED,
    COMPETITION_STARTED,
    COMPETITION_ENDED,
)

logger = logging.getLogger(__name__)

# The operations app registers a Celery task under this name; sent by name, never imported.
DELIVER_EVENTS_TASK = "system.deliver_events"


def event_record(
    *, name: str, data: dict[str, Any], occurred_at: datetime | None = None
) -> OutboxEvent:
    """Write an event in the caller's transaction; its delivery starts when that commits."""
    if name not in EVENT_NAMES:
        raise ValueError(f"unknown event {name!r}")
    event = OutboxEvent.objects.create(
        name=name, data=data, occurred_at=occurred_at or timezone.now()
    )
    transaction.on_commit(kick_delivery)
    return event


def event_record_many(
    *, name: str, items: list[tuple[dict[str, Any], datetime | None]]
) -> list[OutboxEvent]:
    """`event_record` for several events of one name in one INSERT (e.g. a sweep's parties)."""
    if name not in EVENT_NAMES:
        raise ValueError(f"unknown event {name!r}")
    if not items:
        return []
    now = timezone.now()
    created = OutboxEvent.objects.bulk_create(
        [OutboxEvent(name=name, data=data, occurred_at=at or now) for data, at in items]
    )
    transaction.on_commit(kick_delivery)
    return created


def kick_delivery() -> None:
    """Ask a worker to deliver pending events now (best effort: the periodic sweep backs it up)."""
    from celery import current_app

    try:
        current_app.send_task(DELIVER_EVENTS_TASK, queue="maintenance", ignore_result=True)
    except Exception:  # the broker down must never fail the change that recorded the event
        logger.warning("event delivery not kicked (broker unavailable)")
