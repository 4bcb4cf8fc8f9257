"""Per-IP throttle for the drop-party endpoints: one atomic Redis counter per fixed window.

DRF's stock throttle keeps every request timestamp per key (read, modify, write back), which halved
throughput under a busy party. Here each request is one round trip: a tiny Lua script that
increments the window's counter and sets its expiry when it creates it.
The throttle fails open: when Redis is unreachable requests are allowed (drops only need
PostgreSQL), a warning is logged, and Redis is not retried for a few seconds so an outage costs at
most one short timeout. Without Redis (embedded mode) the counter lives in the local cache.
"""

from __future__ import annotations

import functools
import logging
import re
import threading
import time

import redis
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest
from redis.backoff import NoBackoff
from redis.connection import AbstractConnection
from redis.retry import Retry
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

from osrs_diff.http import request_client_ip
from osrs_diff.redis_scripts import RedisScript

logger = logging.getLogger(__name__)

_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_RATE = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*(s|sec|second|m|min|minute|h|hour|d|day)s?\s*$")
# After a Redis failure, skip Redis (allow everything) for this long before trying again.
REDIS_RETRY_SECONDS = 5.0
_REDIS_TIMEOUT_SECONDS = 0.25
# INCR and the window's expiry in one atomic command: one round trip, and a counter never
# outlives its window even when a client dies between the two steps.
_INCR = RedisScript(
    """
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return count
"""
)


@functools.lru_cache(maxsize=8)
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
    """Fixed-window counters in Redis with a fail-open breaker.

    Each thread keeps one connection of its own and talks to it directly: the client's pool,
    retry and command layers cost as much CPU as the round trip itself on the hot path.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pool: redis.ConnectionPool | None = None
        self._url: str | None = None
        self._local = threading.local()
        self._down_until = 0.0

    def _get_pool(self, url: str) -> redis.ConnectionPool:
        pool = self._pool
        if pool is not None and self._url == url:
            return pool
        with self._lock:
            if self._pool is None or self._url != url:
                self._pool = redis.ConnectionPool.from_url(
                    url,
                    socket_connect_timeout=_REDIS_TIMEOUT_SECONDS,
                    socket_timeout=_REDIS_TIMEOUT_SECONDS,
                    # No retries with backoff: a throttle that cannot count just lets the
                    # request through.
                    retry=Retry(NoBackoff(), 0),
                )
                self._url = url
                self._down_until = 0.0
            return self._pool

    def _connection(self, url: str) -> AbstractConnection:
        pool = self._get_pool(url)
        local = self._local
        if getattr(local, "pool", None) is not pool:
            # This thread's own connection; it connects on first use (inside the fail-open).
            local.connection = pool.make_connection()
            local.pool = pool
        return local.connection

    def incr(self, url: str, key: str, ttl: int) -> int | None:
        """The counter after this request, or None when Redis is unavailable (fail open)."""
        if time.monotonic() < self._down_until:
            return None
        connection = self._connection(url)
        try:
            return int(_run_incr(connection, key, ttl))
        except redis.RedisError as exc:
            connection.disconnect()  # its state is unknown after a failure; reconnects on use
            self._down_until = time.monotonic() + REDIS_RETRY_SECONDS
            logger.warning(
                "drop throttle: Redis unavailable (%s); allowing requests for %.0fs",
                exc.__class__.__name__,
                REDIS_RETRY_SECONDS,
            )
            return None

    def reset(self) -> None:
        with self._lock:
            self._pool = None
            self._url = None
            self._down_until = 0.0


def _run_incr(connection: AbstractConnection, key: str, ttl: int) -> int:
    return _INCR.run_on_connection(connection, [key], [ttl])


redis_counter = _RedisCounter()


def _local_incr(key: str, ttl: int) -> int:
    # Embedded mode: one web process, so the local cache is the whole picture.
    cache.add(key, 0, timeout=ttl)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=ttl)
        return 1


def throttle_wait(*, scope: str, ident: str) -> float | None:
    """Count one request of `ident` in `scope`; seconds to wait when over the rate, else None."""
    limit, period = parse_rate(settings.DROPS_THROTTLE_RATE)
    now = time.time()
    window = int(now // period)
    key = f"osrs_diff:throttle:{scope}:{ident}:{period}:{window}"
    ttl = period + 1
    if settings.REDIS_URL:
        count = redis_counter.incr(settings.REDIS_URL, key, ttl)
        if count is None:
            return None
    else:
        count = _local_incr(key, ttl)
    if count > limit:
        return period - (now % period)
    return None


class DropsRateThrottle(BaseThrottle):
    """`DROPS_THROTTLE_RATE` requests per client IP per window, per view scope."""

    default_scope = "drops"

    def get_ident(self, request: Request | HttpRequest) -> str:
        return request_client_ip(request)

    def allow_request(self, request: Request, view) -> bool:
        scope = getattr(view, "throttle_scope", None) or self.default_scope
        self._wait = throttle_wait(scope=scope, ident=self.get_ident(request))
        return self._wait is None

    def wait(self) -> float | None:
        return getattr(self, "_wait", None)
