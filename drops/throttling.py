"""Per-IP throttle for the drop-party endpoints: one atomic Redis counter per fixed window.

DRF's stock throttle keeps every request timestamp per key (read, modify, write back), which halved
throughput under a busy party. Here each request is one pipelined `INCR` + `EXPIRE` round trip.
The throttle fails open: when Redis is unreachable requests are allowed (drops only need
PostgreSQL), a warning is logged, and Redis is not retried for a few seconds so an outage costs at
most one short timeout. Without Redis (embedded mode) the counter lives in the local cache.
"""

from __future__ import annotations

import logging
import re
import threading
import time

import redis
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from redis.backoff import NoBackoff
from redis.retry import Retry
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

logger = logging.getLogger(__name__)

_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_RATE = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*(s|sec|second|m|min|minute|h|hour|d|day)s?\s*$")
# After a Redis failure, skip Redis (allow everything) for this long before trying again.
REDIS_RETRY_SECONDS = 5.0
_REDIS_TIMEOUT_SECONDS = 0.25


def parse_rate(rate: str) -> tuple[int, int]:
    """'600/minute' -> (600, 60); also '10/s', '5/15m', '1000/hour'."""
    match = _RATE.match(rate or "")
    if not match:
        raise ImproperlyConfigured(
            f"Invalid throttle rate {rate!r}: use '<requests>/<period>', e.g. '600/minute'."
        )
    count, multiplier, unit = match.groups()
    return int(count), int(multiplier or 1) * _PERIODS[unit[0]]


class _RedisCounter:
    """Fixed-window counters in Redis with a fail-open breaker."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._client: redis.Redis | None = None
        self._url: str | None = None
        self._down_until = 0.0

    def _get_client(self, url: str) -> redis.Redis:
        with self._lock:
            if self._client is None or self._url != url:
                self._client = redis.Redis.from_url(
                    url,
                    socket_connect_timeout=_REDIS_TIMEOUT_SECONDS,
                    socket_timeout=_REDIS_TIMEOUT_SECONDS,
                    # No retries with backoff: a throttle that cannot count just lets the
                    # request through.
                    retry=Retry(NoBackoff(), 0),
                )
                self._url = url
                self._down_until = 0.0
            return self._client

    def incr(self, url: str, key: str, ttl: int) -> int | None:
        """The counter after this request, or None when Redis is unavailable (fail open)."""
        client = self._get_client(url)
        if time.monotonic() < self._down_until:
            return None
        try:
            pipe = client.pipeline(transaction=False)
            pipe.incr(key)
            pipe.expire(key, ttl, nx=True)
            count, _ = pipe.execute()
            return int(count)
        except redis.RedisError as exc:
            self._down_until = time.monotonic() + REDIS_RETRY_SECONDS
            logger.warning(
                "drop throttle: Redis unavailable (%s); allowing requests for %.0fs",
                exc.__class__.__name__,
                REDIS_RETRY_SECONDS,
            )
            return None

    def reset(self) -> None:
        with self._lock:
            self._client = None
            self._url = None
            self._down_until = 0.0


redis_counter = _RedisCounter()


def _local_incr(key: str, ttl: int) -> int:
    # Embedded mode: one web process, so the local cache is the whole picture.
    cache.add(key, 0, timeout=ttl)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=ttl)
        return 1


class DropsRateThrottle(BaseThrottle):
    """`DROPS_THROTTLE_RATE` requests per client IP per window, per view scope."""

    default_scope = "drops"

    def allow_request(self, request: Request, view) -> bool:
        limit, period = parse_rate(settings.DROPS_THROTTLE_RATE)
        scope = getattr(view, "throttle_scope", None) or self.default_scope
        now = time.time()
        window = int(now // period)
        key = f"osrs_diff:throttle:{scope}:{self.get_ident(request)}:{period}:{window}"
        ttl = period + 1
        if settings.REDIS_URL:
            count = redis_counter.incr(settings.REDIS_URL, key, ttl)
            if count is None:
                return True
        else:
            count = _local_incr(key, ttl)
        if count > limit:
            self._wait = period - (now % period)
            return False
        return True

    def wait(self) -> float | None:
        return getattr(self, "_wait", None)
