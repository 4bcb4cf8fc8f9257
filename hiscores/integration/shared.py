"""The process-wide hiscores collaborators, built from settings (the only module that does).

One state store (Redis when `REDIS_URL` is set, else files under `VAR_DIR/hiscores` in embedded
mode), the global rate limiter and the circuit breaker on it, and the shared client that takes
them as collaborators. `fetch()` is the entry point every hiscores call of the product uses;
`web_deadline()` bounds the calls a web request makes.
Changing an `OSRS_HISCORES_*`, `REDIS_URL` or `VAR_DIR` setting (tests) rebuilds them.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.signals import setting_changed

from hiscores.integration.breaker import OPEN, CircuitBreaker
from hiscores.integration.client import HiscoresClient
from hiscores.integration.ratelimit import RateLimiter
from hiscores.integration.results import Board, HiscoresResult
from hiscores.integration.state import FileStore, RedisStore, StateStore, StateStoreError

_lock = threading.RLock()
_store: StateStore | None = None
_limiter: RateLimiter | None = None
_breaker: CircuitBreaker | None = None
_client: HiscoresClient | None = None


def get_store() -> StateStore:
    """Redis when `REDIS_URL` is set, else files under `VAR_DIR/hiscores` (embedded mode)."""
    global _store
    with _lock:
        if _store is None:
            if settings.REDIS_URL:
                _store = RedisStore(settings.REDIS_URL)
            else:
                _store = FileStore(Path(settings.VAR_DIR) / "hiscores")
        return _store


def get_limiter() -> RateLimiter:
    """The global rate limit of every hiscores request."""
    global _limiter
    with _lock:
        if _limiter is None:
            _limiter = RateLimiter(
                store=get_store(),
                rate=settings.OSRS_HISCORES_RATE,
                max_wait=getattr(settings, "OSRS_HISCORES_MAX_WAIT", 30.0),
            )
        return _limiter


def get_breaker() -> CircuitBreaker:
    """The circuit breaker shared by every process."""
    global _breaker
    with _lock:
        if _breaker is None:
            _breaker = CircuitBreaker(
                store=get_store(),
                threshold=getattr(settings, "OSRS_HISCORES_BREAKER_THRESHOLD", 5),
                cooldown=getattr(settings, "OSRS_HISCORES_BREAKER_COOLDOWN", 30.0),
                # A probe that never reports back (its process died) frees the slot after this.
                probe_timeout=getattr(settings, "OSRS_HISCORES_READ_TIMEOUT", 10.0) * 3,
            )
        return _breaker


def build_client() -> HiscoresClient:
    """A new client configured from settings, on the shared limiter and breaker."""
    return HiscoresClient(
        base_url=settings.OSRS_HISCORES_BASE_URL,
        user_agent=settings.OSRS_HISCORES_USER_AGENT,
        connect_timeout=getattr(settings, "OSRS_HISCORES_CONNECT_TIMEOUT", 5.0),
        read_timeout=getattr(settings, "OSRS_HISCORES_READ_TIMEOUT", 10.0),
        limiter=get_limiter(),
        breaker=get_breaker(),
    )


def get_client() -> HiscoresClient:
    """The process-wide client (pooled connections), built from settings on first use."""
    global _client
    with _lock:
        # A forked worker must not share its parent's sockets: rebuild in a new process.
        if _client is None or _client._pid != os.getpid():
            _client = build_client()
        return _client


def reset_client() -> None:
    """Forget the shared client, limiter, breaker and store (tests, or after changing settings)."""
    global _store, _limiter, _breaker, _client
    with _lock:
        if _client is not None and _client._pid == os.getpid():
            _client.close()
        if isinstance(_store, RedisStore):
            _store.close()
        _store = _limiter = _breaker = _client = None


def _on_setting_changed(*, setting: str, **kwargs: Any) -> None:
    if setting.startswith("OSRS_HISCORES_") or setting in ("REDIS_URL", "VAR_DIR"):
        reset_client()


setting_changed.connect(
    _on_setting_changed, dispatch_uid="hiscores.integration.shared.reset_on_setting"
)


def fetch(name: str, board: Board | str = Board.REGULAR) -> HiscoresResult:
    """Fetch one board of one player through the shared client: one attempt, no sleep on failure.

    Inside `web_deadline()` the call (rate-limit wait included) must end before the deadline.
    """
    return get_client().fetch(name, board, deadline=_deadline.get(), max_wait=_max_wait.get())


_deadline: ContextVar[float | None] = ContextVar("hiscores_deadline", default=None)
_max_wait: ContextVar[float | None] = ContextVar("hiscores_max_wait", default=None)


@contextmanager
def limiter_wait_bound(seconds: float) -> Iterator[None]:
    """Every hiscores call inside waits at most `seconds` for its rate-limit slot.

    A caller whose slot is further away takes none and gets `HiscoresUnavailable` with reason
    `rate_limited` at once: scheduled fetches use it to defer instead of holding a worker slot
    while interactive ones (outside it) may wait up to `OSRS_HISCORES_MAX_WAIT`.
    """
    outer = _max_wait.get()
    token = _max_wait.set(seconds if outer is None else min(outer, seconds))
    try:
        yield
    finally:
        _max_wait.reset(token)


# The hiscores part of a web request ends this much before its deadline (at most a quarter of
# it): storing the reading and answering must fit inside the deadline too.
ANSWER_HEADROOM_SECONDS = 0.3


@contextmanager
def web_deadline(seconds: float | None = None) -> Iterator[None]:
    """Every hiscores call inside ends within `OSRS_HISCORES_WEB_DEADLINE` seconds from now.

    For web requests (API views, admin forms and actions): they answer 502/503 at once rather
    than wait for a free rate-limit slot or a slow hiscores beyond the deadline.
    """
    if seconds is None:
        seconds = float(getattr(settings, "OSRS_HISCORES_WEB_DEADLINE", 8.0))
    deadline = time.monotonic() + max(0.0, seconds - min(ANSWER_HEADROOM_SECONDS, seconds / 4))
    outer = _deadline.get()
    token = _deadline.set(deadline if outer is None else min(outer, deadline))
    try:
        yield
    finally:
        _deadline.reset(token)


# --- Visibility (readiness, system stats, /metrics) ----


def limiter_state() -> dict[str, Any]:
    return get_limiter().state()


def breaker_state() -> dict[str, Any]:
    return get_breaker().state()


def estimated_wait_seconds() -> float:
    """How long a hiscores request enqueued now would wait for the global rate limit."""
    try:
        return get_limiter().estimated_wait_seconds()
    except StateStoreError:
        return 0.0


def readiness_check() -> tuple[bool, dict[str, Any]]:
    """Readiness detail (non-critical): "down" while the breaker is open.

    An unreadable state (Redis down) shows as `"state": "unknown"` with the error but does not
    mark this check down: the broker check already names that dependency.
    """
    state = breaker_state()
    return state["state"] != OPEN, {"breaker": state, "rate_limit": limiter_state()}
