"""Throttles that never turn a cache outage into an error."""

from __future__ import annotations

import logging

from rest_framework import throttling

logger = logging.getLogger(__name__)


class ScopedRateThrottle(throttling.ScopedRateThrottle):
    """DRF's per-scope throttle, failing open when the cache (Redis) is unreachable.

    Throttle counters live in Redis; while it is down, logins and token refreshes keep working
    unthrottled (logged) rather than answering 500.
    """

    def allow_request(self, request, view) -> bool:
        try:
            return super().allow_request(request, view)
        except Exception as exc:  # redis-py raises several connection/timeout errors
            logger.warning("throttle %s skipped: cache unavailable (%s)", self.scope, exc.__class__)
            return True
