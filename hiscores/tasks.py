"""Celery tasks of the hiscores app. Names are explicit: PeriodicTask rows store the strings."""

from __future__ import annotations

import logging
from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from hiscores import scheduled, services
from hiscores.integration.errors import HiscoresUnavailable
from osrs_diff.queues import SENT_AT_HEADER, is_interactive, message_age_seconds, request_header
from players.schedules import FETCH_TASK

logger = logging.getLogger(__name__)

MAX_FETCH_RETRIES = 5
# A retried task waits unacknowledged in the worker; keep every countdown well under the Redis
# broker's visibility timeout (300 s) or the message would be delivered twice.
RETRY_BACKOFF_FACTOR_SECONDS = 15
RETRY_BACKOFF_MAX_SECONDS = 120


# Scheduled fetches run thousands of times a day: their results are not stored. The API's manual
# fetch sends with ignore_result=False so GET /tasks/{id} can show the outcome.
# Retries live here, not in the client (which makes one attempt): a transient failure is retried
# with exponential backoff and full jitter; the last attempt records "unavailable" instead.
#
# Interactive or scheduled (docs/fetching.md): a fetch sent on queue `interactive`, or with the
# header `interactive: true`, is a person's and may wait up to OSRS_HISCORES_MAX_WAIT for its
# rate-limit slot. Every other fetch is background work: it is skipped as `stale` when its message
# is older than its schedule's interval, and `deferred` (no request, no retry) when its slot is
# more than FETCH_DEFER_AFTER_SECONDS away.
@shared_task(
    bind=True,
    name=FETCH_TASK,  # the string every player's PeriodicTask row stores
    acks_late=True,
    ignore_result=True,
    autoretry_for=(HiscoresUnavailable,),
    retry_backoff=RETRY_BACKOFF_FACTOR_SECONDS,
    retry_backoff_max=RETRY_BACKOFF_MAX_SECONDS,
    retry_jitter=True,
    max_retries=MAX_FETCH_RETRIES,
)
def fetch_player(self, player_id: int) -> dict:
    """Fetch one player's hiscores and store a snapshot if they progressed (idempotent)."""
    request = self.request
    if is_interactive(request):
        return _fetch(self, player_id=player_id, scheduled=False, delivery_id=None)
    interval_seconds = request_header(request, "schedule_interval_seconds")
    age = message_age_seconds(request_header(request, SENT_AT_HEADER))
    if scheduled.scheduled_fetch_is_stale(
        player_id=player_id, age_seconds=age, interval_seconds=interval_seconds
    ):
        return scheduled.scheduled_fetch_skip_stale(player_id=player_id, age_seconds=age).as_dict()
    delivery_id = None
    if _sent_by_beat(request):
        delivery_id = request.id
        if not scheduled.scheduled_fetch_claim(
            player_id=player_id,
            delivery_id=delivery_id,
            interval_seconds=interval_seconds,
            sent_at=None if age is None else timezone.now() - timedelta(seconds=age),
        ):
            return services.FetchOutcome(
                status=services.FetchStatus.SKIPPED, player_id=player_id, reason="already_claimed"
            ).as_dict()
    return _fetch(self, player_id=player_id, scheduled=True, delivery_id=delivery_id)


def _fetch(task, *, player_id: int, scheduled: bool, delivery_id: str | None) -> dict:
    try:
        return services.snapshot_fetch(
            player_id=player_id, scheduled=scheduled, delivery_id=delivery_id
        ).as_dict()
    except HiscoresUnavailable as exc:
        if task.request.retries < task.max_retries:
            logger.info("fetch of player %s unavailable (%s); retrying", player_id, exc)
            raise  # autoretry_for: retried with backoff and jitter
        logger.warning("fetch of player %s gave up after retries: %s", player_id, exc)
        return services.snapshot_record_unavailable(player_id=player_id, error=exc).as_dict()


def _sent_by_beat(request) -> bool:
    return bool(request_header(request, "periodic_task_name"))
