"""The HTTP client: the only code that knows hiscores URLs.

`HiscoresClient.fetch()` asks one board for one player, politely: the global rate limit
(`hiscores.integration.ratelimit`), the shared circuit breaker (`hiscores.integration.breaker`),
explicit timeouts. It makes ONE attempt per call (plus one immediate retry when a pooled
connection turns out to be reset) and never sleeps on a failure: retrying with backoff is the
Celery task's job, and a web request answers at once. Only `PlayerNotFound` (permanent) and
`HiscoresUnavailable` (transient) ever escape. `deadline` (a `time.monotonic()` instant) bounds a
call made for a web request: the rate-limit wait and the HTTP timeouts must fit before it.

The client builds nothing shared itself: it takes its limiter and breaker as collaborators.
`hiscores.integration.shared` builds the process-wide ones (and the shared client) from settings.
"""

from __future__ import annotations

import functools
import logging
import os
import ssl
import time

import certifi
import httpx
from prometheus_client import Counter, Histogram

from hiscores.integration.breaker import CircuitBreaker
from hiscores.integration.errors import HiscoresUnavailable, PlayerNotFound
from hiscores.integration.parsing import parse_hiscores
from hiscores.integration.ratelimit import RateLimiter
from hiscores.integration.results import Board, HiscoresResult
from hiscores.integration.state import LocalStore

logger = logging.getLogger(__name__)

MAX_NAME_LENGTH = 12  # OSRS display names are 1-12 characters

REQUESTS = Counter(
    "osrs_diff_hiscores_requests_total",
    "Requests sent to the hiscores, by board and outcome.",
    ["board", "outcome"],
)
LATENCY = Histogram(
    "osrs_diff_hiscores_request_seconds",
    "Time from sending a hiscores request to its parsed answer, by board.",
    ["board"],
    buckets=(0.1, 0.25, 0.5, 1, 2, 5, 10, 30),
)


# --- The client --------------------------------------------------------------------------------


def normalise_name(name: str) -> str:
    """Trimmed display name with spaces/underscores/hyphens unified, as the hiscores accept it."""
    return " ".join(name.replace("_", " ").replace("\u00a0", " ").split())


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None  # an HTTP date: rare here, and our own backoff applies anyway


class _ConnectionReset(Exception):
    """The connection was closed under a request (a stale keep-alive connection)."""


def _remaining(deadline: float) -> float:
    return max(0.0, deadline - time.monotonic())


@functools.cache
def _tls_context() -> ssl.SSLContext:
    return ssl.create_default_context(cafile=certifi.where())


class HiscoresClient:
    """A polite, resilient client for the hiscores `index_lite.json` endpoints."""

    def __init__(
        self,
        *,
        base_url: str,
        user_agent: str | None = None,
        transport: httpx.BaseTransport | None = None,
        connect_timeout: float = 5.0,
        read_timeout: float = 10.0,
        limiter: RateLimiter | None = None,
        breaker: CircuitBreaker | None = None,
    ) -> None:
        from osrs_diff.http import build_http_client

        if transport is None:
            # Our own pooled transport with a shared TLS context: building a context costs
            # ~0.2 s (CA bundle), too much for every client a test suite creates.
            transport = httpx.HTTPTransport(
                verify=_tls_context(),
                limits=httpx.Limits(max_connections=20, max_keepalive_connections=10),
            )
        self.base_url = base_url.rstrip("/")
        self.connect_timeout = float(connect_timeout)
        self.read_timeout = float(read_timeout)
        self.limiter = limiter or RateLimiter(store=LocalStore(), rate=0)
        self.breaker = breaker or CircuitBreaker(store=LocalStore())
        self.http = build_http_client(
            base_url=self.base_url,
            timeout=httpx.Timeout(read_timeout, connect=connect_timeout),
            transport=transport,
            user_agent=user_agent,
        )
        self._pid = os.getpid()

    def close(self) -> None:
        self.http.close()

    def url_for(self, board: Board | str) -> str:
        return f"{self.base_url}/m={Board(board)}/index_lite.json"

    def fetch(
        self,
        name: str,
        board: Board | str = Board.REGULAR,
        *,
        deadline: float | None = None,
        max_wait: float | None = None,
    ) -> HiscoresResult:
        """One board's stats of one player: one attempt, never a sleep on failure.

        `max_wait` bounds the rate-limit wait for this call (a scheduled fetch defers rather than
        wait long); `deadline` bounds the whole call.
        """
        board = Board(board)
        player = normalise_name(name)
        if not player or len(player) > MAX_NAME_LENGTH:
            # Such a name cannot exist: no need to ask (and spend a rate-limit slot).
            raise PlayerNotFound(f"{name!r} is not a valid OSRS name.", board=str(board))
        try:
            return self._attempt(player, board, deadline, max_wait)
        except _ConnectionReset:
            # A pooled keep-alive connection the server had already closed: the request most
            # likely never reached it. One immediate retry on a fresh connection, no sleep.
            logger.info("hiscores connection reset for %r on %s; retrying once", player, board)
        try:
            return self._attempt(player, board, deadline, max_wait)
        except _ConnectionReset as exc:
            self._failed(board, "connection_error")
            raise HiscoresUnavailable(
                f"Could not reach the hiscores ({exc.__cause__.__class__.__name__}).",
                reason=HiscoresUnavailable.CONNECTION_ERROR,
            ) from exc.__cause__

    def _timeout(self, deadline: float | None) -> httpx.Timeout:
        if deadline is None:
            return httpx.Timeout(self.read_timeout, connect=self.connect_timeout)
        left = _remaining(deadline)
        return httpx.Timeout(min(self.read_timeout, left), connect=min(self.connect_timeout, left))

    def _attempt(
        self, player: str, board: Board, deadline: float | None, max_wait: float | None = None
    ) -> HiscoresResult:
        self.breaker.check()  # fail fast before queueing for a rate-limit slot
        # A web request takes a slot only if it comes before its deadline (and leaves a moment
        # for the request itself); otherwise it answers "rate limited" at once.
        bounds = [] if max_wait is None else [max_wait]
        if deadline is not None:
            bounds.append(_remaining(deadline) - 0.5)
        self.limiter.acquire(max_wait=min(bounds) if bounds else None)
        self.breaker.before_request()
        if deadline is not None and _remaining(deadline) <= 0:
            raise HiscoresUnavailable(
                "No time left before the request's deadline.", reason=HiscoresUnavailable.TIMEOUT
            )
        started = time.perf_counter()
        try:
            response = self.http.get(
                self.url_for(board), params={"player": player}, timeout=self._timeout(deadline)
            )
        except (httpx.RemoteProtocolError, httpx.ReadError) as exc:
            raise _ConnectionReset() from exc
        except httpx.TimeoutException as exc:
            self._failed(board, "timeout")
            raise HiscoresUnavailable(
                f"The hiscores timed out ({exc.__class__.__name__}).",
                reason=HiscoresUnavailable.TIMEOUT,
            ) from exc
        except httpx.HTTPError as exc:
            self._failed(board, "connection_error")
            raise HiscoresUnavailable(
                f"Could not reach the hiscores ({exc.__class__.__name__}).",
                reason=HiscoresUnavailable.CONNECTION_ERROR,
            ) from exc

        if response.status_code == 404:
            self.breaker.record_success()  # a proper answer: the service is up
            REQUESTS.labels(board=board.value, outcome="not_found").inc()
            raise PlayerNotFound(f"{player!r} is not on the {board} hiscores.", board=str(board))
        if response.status_code != 200:
            # 5xx and 429 are the documented overload answers; any other status (a 403 from a
            # CDN, a redirect to a maintenance page) is no more permanent than they are.
            self._failed(board, f"http_{response.status_code}")
            raise HiscoresUnavailable(
                f"The hiscores answered HTTP {response.status_code}.",
                reason=HiscoresUnavailable.HTTP_STATUS,
                status_code=response.status_code,
                retry_after=_retry_after(response),
            )
        try:
            result = parse_hiscores(response.content, board=board)
        except HiscoresUnavailable:
            self._failed(board, "malformed_body")
            raise
        self.breaker.record_success()
        REQUESTS.labels(board=board.value, outcome="ok").inc()
        LATENCY.labels(board=board.value).observe(time.perf_counter() - started)
        return result

    def _failed(self, board: Board, outcome: str) -> None:
        REQUESTS.labels(board=board.value, outcome=outcome).inc()
        self.breaker.record_failure()
