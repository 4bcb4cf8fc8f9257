"""Throttles that never turn a cache outage into an error."""

from __future__ import annotations

import logging

from django.conf import settings
from rest_framework import throttling

from osrs_diff.http import request_client_ip
from osrs_diff.permissions import PUBLIC_READ_ROUTES

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


class PublicReadThrottle(throttling.SimpleRateThrottle):
    """Anonymous reads under PUBLIC_READ: `PUBLIC_READ_THROTTLE_RATE` per client address.

    REST_FRAMEWORK's default throttle, counting only anonymous requests to the public routes
    (permissions run first, so only reads PUBLIC_READ let through reach it; health checks,
    docs and authenticated users are never counted). Fails open, like
    `ScopedRateThrottle`, while the cache is down.
    """

    scope = "public_read"

    def get_rate(self) -> str | None:
        # Read per request, not at import: the setting is the one source of the rate.
        return settings.PUBLIC_READ_THROTTLE_RATE

    def get_cache_key(self, request, view) -> str | None:
        if not settings.PUBLIC_READ or (request.user and request.user.is_authenticated):
            return None
        match = getattr(request, "resolver_match", None)
        if match is None or match.url_name not in PUBLIC_READ_ROUTES:
            return None  # /health, docs and the like are never counted against a reader
        return self.cache_format % {"scope": self.scope, "ident": request_client_ip(request)}

    def allow_request(self, request, view) -> bool:
        try:
            return super().allow_request(request, view)
        except Exception as exc:  # redis-py raises several connection/timeout errors
            logger.warning("throttle %s skipped: cache unavailable (%s)", self.scope, exc.__class__)
            return True
