"""Rules for fetches beat sent: one fetch per due time (the claim), and stale messages skipped."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db.models import Case, Q, Value, When
from django.utils import timezone

from hiscores.outcome_counts import fetch_outcome_record
from hiscores.outcomes import (
    FetchStatus,
)
from hiscores.services import FetchOutcome
from players.adaptive import fetch_delivery_adapted
from players.models import MIN_FETCH_INTERVAL_MINUTES, Player

logger = logging.getLogger(__name__)


def scheduled_fetch_claim(
    *,
    player_id: int,
    delivery_id: str,
    interval_seconds: float | None = None,
    sent_at: datetime | None = None,
    now: datetime | None = None,
) -> bool:
    """Claim the player's current due time for one scheduled task delivery; False: skip it.

    Beat may send one due time twice: a second beat started by mistake, or a restarted one that
    had not yet written back its send times. Those copies carry new task ids, while a redelivered
    or retried message keeps its id, so the claim is granted to a new id only once half the
    schedule's interval has passed since the last claim (the next due time is always free).
    `interval_seconds` defaults to the player's own fetch interval.

    Claims are dated by when beat sent the message (`sent_at`, the message's header; now when
    unknown), not when a worker got to it: behind a backlog two due times' messages can be
    processed closer together than half an interval, while beat sends them a whole interval
    apart (and copies of one due time seconds apart).
    """
    now = now or timezone.now()
    if sent_at is not None:
        now = min(sent_at, now)
    players = Player.objects.filter(pk=player_id)
    if not interval_seconds:
        minutes = players.values_list("fetch_interval_minutes", flat=True).first()
        if minutes is None:
            return True  # not tracked: the fetch itself reports the skip
        interval_seconds = minutes * 60
    window_start = now - timedelta(seconds=float(interval_seconds) / 2)
    delivery = delivery_id[:64]
    # A redelivery whose outcome already moved the adaptive interval keeps that mark, so the
    # interval moves once per delivery (players.adaptive.player_fetch_interval_adapt).
    adapted = fetch_delivery_adapted(delivery_id)
    claimed = (
        players.filter(
            Q(scheduled_fetch_claimed_at__isnull=True)
            | Q(scheduled_fetch_claimed_at__lte=window_start)
            | Q(scheduled_fetch_delivery__in=(delivery, adapted))
        ).update(
            scheduled_fetch_claimed_at=now,
            scheduled_fetch_delivery=Case(
                When(scheduled_fetch_delivery=adapted, then=Value(adapted)),
                default=Value(delivery),
            ),
        )
        > 0
    )
    if not claimed:
        if not players.exists():
            return True
        logger.info(
            "scheduled fetch of player %s skipped: its due time was claimed by another send",
            player_id,
        )
    return claimed


def scheduled_fetch_is_stale(
    *, player_id: int, age_seconds: float | None, interval_seconds: float | None = None
) -> bool:
    """A scheduled message older than its schedule's interval: the next one is due already.

    The interval is the one its PeriodicTask had when beat sent it (`interval_seconds`, the
    `schedule_interval_seconds` header), or the player's effective interval if that is shorter
    now (a reset after progress) or the header is missing.
    """
    if age_seconds is None:
        return False
    if interval_seconds and age_seconds > float(interval_seconds):
        return True
    if age_seconds <= MIN_FETCH_INTERVAL_MINUTES * 60:
        return False  # no player interval is shorter: spare the query
    intervals = (
        Player.objects.filter(pk=player_id)
        .values_list("fetch_interval_minutes", "effective_interval_minutes")
        .first()
    )
    if intervals is None:
        return False  # not tracked: the fetch itself reports the skip
    configured, effective = intervals
    return age_seconds > (effective or configured) * 60


def scheduled_fetch_skip_stale(*, player_id: int, age_seconds: float) -> FetchOutcome:
    """Count and log a stale scheduled message; nothing is fetched."""
    logger.info(
        "scheduled fetch of player %s skipped: its message is %.0f s old", player_id, age_seconds
    )
    fetch_outcome_record(outcome=FetchStatus.STALE)
    return FetchOutcome(
        FetchStatus.STALE, player_id, reason="stale", details={"age_seconds": round(age_seconds, 1)}
    )


# A hardcore who died (or an ironman who de-ironed) stops moving on the iron board while they
# keep playing elsewhere. An iron board that has not moved for this long, with no game-mode check
# for as long, gets one now rather than at the next daily check.
