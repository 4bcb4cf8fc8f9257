"""One global rate limit for every hiscores request of every process (GCRA with a bounded queue).

The state is one number, the *theoretical arrival time* (TAT) of the next free slot, in the shared
store (Redis, or a locked file in embedded mode). A caller atomically reserves the next slot
(`tat = max(tat, now) + interval`) and sleeps until it; callers are therefore served in order and
spaced exactly `1 / rate` apart, whatever process they run in. A caller whose slot is more than
`max_wait` seconds away reserves nothing and gets `HiscoresUnavailable("rate limited")`.

`estimated_wait_seconds()` is how long a request enqueued now would wait (the queue ahead of it).
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from typing import Any

from hiscores.integration.errors import HiscoresUnavailable
from hiscores.integration.state import State, StateStore, StateStoreError

logger = logging.getLogger(__name__)

KEY = "ratelimit"


class RateLimiter:
    def __init__(
        self,
        *,
        store: StateStore,
        rate: float,
        max_wait: float = 30.0,
        key: str = KEY,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.store = store
        self.rate = max(0.0, float(rate))
        self.max_wait = max(0.0, float(max_wait))
        self.key = key
        self.clock = clock
        self.sleep = sleep

    @property
    def enabled(self) -> bool:
        return self.rate > 0

    @property
    def interval(self) -> float:
        return 1.0 / self.rate if self.rate > 0 else 0.0

    def reserve(self, *, max_wait: float | None = None) -> float:
        """Reserve the next slot; return the seconds to wait for it (raises when too far away).

        `max_wait` tightens the configured bound for one caller (a web request's deadline).
        """
        if not self.enabled:
            return 0.0
        now = self.clock()
        interval = self.interval
        max_wait = self.max_wait if max_wait is None else max(0.0, min(max_wait, self.max_wait))

        def update(state: State | None) -> tuple[State | None, float | None]:
            tat = max(float((state or {}).get("tat", 0.0)), now)
            wait = tat - now
            if wait > max_wait:
                return state, None  # unchanged: this caller does not take a slot
            return {"tat": tat + interval}, wait

        try:
            # The key outlives its last slot by a little, then disappears on its own.
            wait = self.store.transact(self.key, update, ttl=self.max_wait + interval + 60)
        except StateStoreError as exc:
            # Fail closed: without the shared limiter nothing may be sent (politeness first).
            raise HiscoresUnavailable(
                "The hiscores rate limiter is unavailable.",
                reason=HiscoresUnavailable.STATE_UNAVAILABLE,
            ) from exc
        if wait is None:
            estimate = self.estimated_wait_seconds()
            raise HiscoresUnavailable(
                f"Rate limited: the hiscores request queue is {estimate:.1f} s long, more than "
                f"this request may wait ({max_wait:.1f} s). Try again in "
                f"{max(1, math.ceil(estimate))} s.",
                reason=HiscoresUnavailable.RATE_LIMITED,
                retry_after=estimate,
            )
        return wait

    def acquire(self, *, max_wait: float | None = None) -> float:
        """Wait for a slot (bounded by `max_wait`); return the seconds waited."""
        wait = self.reserve(max_wait=max_wait)
        if wait > 0:
            self.sleep(wait)
        return wait

    def estimated_wait_seconds(self) -> float:
        """Seconds a request enqueued now would wait for its slot (0 when the queue is empty)."""
        if not self.enabled:
            return 0.0
        state = self.store.read(self.key) or {}
        return max(0.0, float(state.get("tat", 0.0)) - self.clock())

    def state(self) -> dict[str, Any]:
        details: dict[str, Any] = {
            "backend": self.store.backend,
            "enabled": self.enabled,
            "rate_per_second": self.rate,
            "max_wait_seconds": self.max_wait,
        }
        try:
            wait = self.estimated_wait_seconds()
        except StateStoreError as exc:
            details["error"] = str(exc)
            return details
        details["estimated_wait_seconds"] = round(wait, 3)
        # Slots already promised to callers that have not sent yet.
        details["queued"] = math.ceil(wait * self.rate - 1e-9) if self.enabled else 0
        return details


INTERACTIVE_LINE_KEY = "interactive-line"


def interactive_line_reserve(
    store: StateStore,
    *,
    wait: float,
    per_fetch: float,
    clock: Callable[[], float] = time.time,
    count: int = 1,
) -> float:
    """Seconds until one more interactive fetch gets its rate-limit slot, with a place in line.

    The line is when the next interactive fetch may start (epoch seconds, in the state store):
    a new one starts after the limiter's current `wait` and not before the line, and moves the
    line on by `per_fetch` (one slot). Concurrent callers get consecutive places, so a burst of
    manual fetches is told 2, 4, 6 ... s instead of "2 s" each. Best effort: without the store,
    the wait alone. `count` fetches queued together (a group fetch) take `count` consecutive
    places; the answer is when the first of them starts.
    """
    now = clock()

    def update(state: State | None) -> tuple[State, float]:
        start = max(now + wait, float((state or {}).get("line", 0.0)))
        return {"line": start + per_fetch * max(1, count)}, start - now

    try:
        return store.transact(INTERACTIVE_LINE_KEY, update, ttl=3600)
    except StateStoreError:
        return wait
