"""Fetching participants: the start/final waves (interactive) and the running-competition sweep.

Every fetch is the task `hiscores.fetch_player`, so the hiscores budget rules apply unchanged (the
global rate limiter, interactive waits, scheduled deferrals). These sends carry no
`periodic_task_name` header (a task sends them, not beat), so the scheduled-fetch claim never
takes one for a duplicate beat send.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone

from hiscores.tasks import fetch_player
from history.competitions import schedules
from history.competitions.models import Competition, CompetitionParticipant
from osrs_diff.queues import interactive_send_options

logger = logging.getLogger(__name__)

# The sweep's PeriodicTask runs this often (history migration 0003).
SWEEP_MINUTES = 5


@dataclass(frozen=True)
class Wave:
    sent: int
    next_offset: int | None  # None: that was the last wave


def participant_ids(competition_id: int) -> list[int]:
    """Active participants' player ids, in a stable order (waves page through it)."""
    return list(
        CompetitionParticipant.objects.filter(competition_id=competition_id, player__is_active=True)
        .order_by("player_id")
        .values_list("player_id", flat=True)
    )


def participants_fetch_wave(*, competition_id: int, offset: int = 0) -> Wave:
    """Send interactive fetches for one wave of participants (schedules.fetch_wave_size)."""
    ids = participant_ids(competition_id)
    size = schedules.fetch_wave_size() or len(ids)
    chunk = ids[offset : offset + size]
    for player_id in chunk:
        fetch_player.apply_async(kwargs={"player_id": player_id}, **interactive_send_options())
    following = offset + size
    return Wave(sent=len(chunk), next_offset=following if following < len(ids) else None)


def sweep_limit(rate: float | None = None) -> int | None:
    """Fetches one sweep may queue: what the budget allows until the next sweep (None: no limit)."""
    rate = settings.OSRS_HISCORES_RATE if rate is None else rate
    return math.floor(rate * SWEEP_MINUTES * 60) if rate > 0 else None


def participants_due(*, now: datetime | None = None) -> list[int]:
    """Active participants of ongoing competitions not fetched for COMPETITION_FETCH_MINUTES,
    never-fetched and longest-waiting first, at most `sweep_limit()`."""
    now = now or timezone.now()
    cutoff = now - timedelta(minutes=settings.COMPETITION_FETCH_MINUTES)
    ongoing = Competition.objects.filter(starts_at__lte=now, ends_at__gt=now)
    ids = (
        CompetitionParticipant.objects.filter(competition__in=ongoing, player__is_active=True)
        .filter(Q(player__last_fetched=None) | Q(player__last_fetched__lt=cutoff))
        .order_by(F("player__last_fetched").asc(nulls_first=True), "player_id")
        .values_list("player_id", flat=True)
    )
    unique = list(dict.fromkeys(ids))
    limit = sweep_limit()
    return unique if limit is None else unique[:limit]


def participants_fetch_due(*, now: datetime | None = None) -> int:
    """Queue scheduled fetches of the participants due (see participants_due); how many."""
    due = participants_due(now=now)
    for player_id in due:
        # The `scheduled` queue (TASK_ROUTES): deferred, not queued up, when the budget is spent.
        fetch_player.apply_async(kwargs={"player_id": player_id})
    if due:
        logger.info("competition sweep queued %d participant fetches", len(due))
    return len(due)


def orphan_tasks_delete() -> int:
    """Delete clocked competition tasks whose competition is gone (a lost delete)."""
    orphans = schedules.orphan_task_ids(
        competition_ids=Competition.objects.values_list("pk", flat=True)
    )
    return schedules.competition_tasks_delete(task_ids=orphans)
