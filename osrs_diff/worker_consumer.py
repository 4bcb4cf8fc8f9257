"""The worker's consumer: Celery's own, surviving the broker going away under a late-acked task.

Celery 5.7.0 closes the broken broker connection right after `collect()` has detached its
transport. When a task with `acks_late` is running at that moment, closing the channel asks
kombu's Redis transport to put the task's message back, and with the transport detached that
raises AttributeError ("'NoneType' object has no attribute 'hostname'"): an unrecoverable error
that stops the worker, so fetches never resume after a Redis restart. Nothing is lost by skipping
that step: the message stays in the broker's unacknowledged set and returns after
`visibility_timeout` (and a Redis that restarts empty has nothing to give back anyway). Selected
by `CELERY_WORKER_CONSUMER`; fault drill 3 (tests/drills/test_redis_outage.py) runs a fetch
across the outage.
"""

from __future__ import annotations

import logging

from celery.worker.consumer import Consumer as CeleryConsumer

logger = logging.getLogger(__name__)


class Consumer(CeleryConsumer):
    def on_connection_error_after_connected(self, exc: Exception) -> None:
        try:
            super().on_connection_error_after_connected(exc)
        except AttributeError as error:
            # The connection is already released (self.connection is None); blueprint.restart()
            # reconnects as usual.
            logger.warning(
                "broker connection lost with tasks in flight; their messages return after "
                "the visibility timeout (%r)",
                error,
            )
