"""Celery tasks of the hiscores app. Names are explicit: PeriodicTask rows store the strings."""

from __future__ import annotations

import logging

from celery import shared_task

from hiscores import services
from hiscores.integration.errors import HiscoresUnavailable
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
    if _sent_by_beat(self.request) and not services.scheduled_fetch_claim(
        player_id=player_id,
        delivery_id=self.request.id,
        interval_seconds=_request_header(self.request, "schedule_interval_seconds"),
    ):
        return services.FetchOutcome(
            status=services.FetchStatus.SKIPPED, player_id=player_id, reason="already_claimed"
        ).as_dict()
    try:
        return services.snapshot_fetch(player_id=player_id).as_dict()
    except HiscoresUnavailable as exc:
        if self.request.retries < self.max_retries:
            logger.info("fetch of player %s unavailable (%s); retrying", player_id, exc)
            raise  # autoretry_for: retried with backoff and jitter
        logger.warning("fetch of player %s gave up after retries: %s", player_id, exc)
        return services.snapshot_record_unavailable(player_id=player_id, error=exc).as_dict()


def _request_header(request, name: str):
    # A worker sets custom headers as request attributes; an eager `apply()` keeps them in
    # `request.headers`.
    return getattr(request, name, None) or (request.headers or {}).get(name)


def _sent_by_beat(request) -> bool:
    return bool(_request_header(request, "periodic_task_name"))
