"""Circuit breaker shared by every process (state in Redis, or a locked file in embedded mode).

closed --(threshold consecutive transient failures)--> open --(cooldown elapsed)--> half_open
half_open --(the one probe request succeeds)--> closed;  half_open --(probe fails)--> open

While open, callers fail fast with `HiscoresUnavailable(reason="circuit_open")` and nothing is
sent. After the cooldown exactly one caller (across all processes) gets to send a probe; if that
probe never reports back (its process died) another caller may probe after `probe_timeout`.
A 404 is a proper answer and counts as a success. Every transition is logged.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from hiscores.integration.errors import HiscoresUnavailable
from hiscores.integration.state import State, StateStore, StateStoreError

logger = logging.getLogger(__name__)

KEY = "breaker"
CLOSED, OPEN, HALF_OPEN = "closed", "open", "half_open"
_INITIAL: State = {"state": CLOSED, "failures": 0, "opened_at": None, "probe_until": None}


def _iso(ts: float | None) -> str | None:
    return datetime.fromtimestamp(ts, tz=UTC).isoformat() if ts else None


class CircuitBreaker:
    def __init__(
        self,
        *,
        store: StateStore,
        threshold: int = 5,
        cooldown: float = 30.0,
        probe_timeout: float = 60.0,
        key: str = KEY,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.threshold = max(1, int(threshold))
        self.cooldown = float(cooldown)
        self.probe_timeout = float(probe_timeout)
        self.key = key
        self.clock = clock

    # --- transitions ---

    def _transact(self, fn: Callable[[State], State]) -> tuple[State, State]:
        def update(current: State | None) -> tuple[State, tuple[State, State]]:
            old = {**_INITIAL, **(current or {})}
            new = fn(dict(old))
            return new, (old, new)

        try:
            old, new = self.store.transact(self.key, update)
        except StateStoreError as exc:
            raise HiscoresUnavailable(
                "The hiscores circuit breaker state is unavailable.",
                reason=HiscoresUnavailable.STATE_UNAVAILABLE,
            ) from exc
        if old["state"] != new["state"]:
            logger.warning(
                "hiscores circuit breaker %s -> %s (consecutive failures: %d)",
                old["state"],
                new["state"],
                new["failures"],
                extra={"breaker_from": old["state"], "breaker_to": new["state"]},
            )
        return old, new

    def _open_error(self, state: State, now: float) -> HiscoresUnavailable:
        retry_at = (state.get("opened_at") or now) + self.cooldown
        if state["state"] == HALF_OPEN:
            retry_at = max(retry_at, state.get("probe_until") or now)
        return HiscoresUnavailable(
            "The hiscores circuit breaker is open: not sending requests for now.",
            reason=HiscoresUnavailable.CIRCUIT_OPEN,
            retry_after=max(0.0, retry_at - now),
        )

    def check(self) -> None:
        """Fail fast (read-only) when the breaker is open and its cooldown has not elapsed."""
        try:
            state = {**_INITIAL, **(self.store.read(self.key) or {})}
        except StateStoreError as exc:
            raise HiscoresUnavailable(
                "The hiscores circuit breaker state is unavailable.",
                reason=HiscoresUnavailable.STATE_UNAVAILABLE,
            ) from exc
        now = self.clock()
        if not self._may_send(state, now):
            raise self._open_error(state, now)

    def _may_send(self, state: State, now: float) -> bool:
        if state["state"] == OPEN:
            return now >= state["opened_at"] + self.cooldown
        if state["state"] == HALF_OPEN:
            return now >= (state.get("probe_until") or 0)
        return True

    def before_request(self) -> None:
        """Claim permission to send one request (or the half-open probe); raise when open."""
        # Fast path, no write: a closed breaker lets everyone through.
        try:
            current = self.store.read(self.key)
        except StateStoreError as exc:
            raise HiscoresUnavailable(
                "The hiscores circuit breaker state is unavailable.",
                reason=HiscoresUnavailable.STATE_UNAVAILABLE,
            ) from exc
        if current is None or current.get("state", CLOSED) == CLOSED:
            return
        now = self.clock()
        allowed: list[bool] = []

        def fn(state: State) -> State:
            if state["state"] == CLOSED:
                allowed.append(True)
                return state
            if self._may_send(state, now):
                allowed.append(True)
                return {**state, "state": HALF_OPEN, "probe_until": now + self.probe_timeout}
            allowed.append(False)
            return state

        old, new = self._transact(fn)
        if not allowed[-1]:
            raise self._open_error(new, now)

    def record_success(self) -> None:
        def fn(state: State) -> State:
            return dict(_INITIAL)

        # Skip the write in the common case: closed with no failures.
        try:
            current = self.store.read(self.key)
        except StateStoreError:
            current = None
        if current is None or (current.get("state") == CLOSED and not current.get("failures")):
            return
        self._transact(fn)

    def record_failure(self) -> None:
        now = self.clock()

        def fn(state: State) -> State:
            failures = int(state["failures"]) + 1
            if state["state"] == HALF_OPEN or (
                state["state"] == CLOSED and failures >= self.threshold
            ):
                return {"state": OPEN, "failures": failures, "opened_at": now, "probe_until": None}
            return {**state, "failures": failures}

        self._transact(fn)

    def reset(self) -> None:
        self._transact(lambda state: dict(_INITIAL))

    # --- visibility ---

    def state(self) -> dict[str, Any]:
        details: dict[str, Any] = {
            "backend": self.store.backend,
            "threshold": self.threshold,
            "cooldown_seconds": self.cooldown,
        }
        try:
            state = {**_INITIAL, **(self.store.read(self.key) or {})}
        except StateStoreError as exc:
            return {**details, "state": "unknown", "error": str(exc)}
        now = self.clock()
        details.update(
            state=state["state"],
            consecutive_failures=int(state["failures"]),
            opened_at=_iso(state["opened_at"]),
        )
        if state["state"] != CLOSED:
            details["retry_in_seconds"] = round(
                max(0.0, state["opened_at"] + self.cooldown - now), 3
            )
        return details
