"""The only module that knows hiscores URLs and wire formats.

`parse_hiscores()` turns an `index_lite.json` body into a `HiscoresResult`, by row name.
`HiscoresClient.fetch()` asks one board for one player, politely and resiliently: the global rate
limit (`hiscores.ratelimit`), the shared circuit breaker (`hiscores.breaker`), explicit timeouts
and retries of transient failures with exponential backoff and jitter. Only `PlayerNotFound`
(permanent) and `HiscoresUnavailable` (transient) ever escape.

The module-level `fetch()`/`fetch_all_boards()` use one shared client built from settings
(`get_client()`); every hiscores call of the product goes through them.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import random
import ssl
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import certifi
import httpx
from django.core.signals import setting_changed
from prometheus_client import Counter, Histogram

from hiscores.breaker import CircuitBreaker
from hiscores.errors import HiscoresError, HiscoresUnavailable, PlayerNotFound
from hiscores.metrics import (
    IGNORED_HISCORES_NAMES,
    METRICS,
    OVERALL,
    SKILL_KEYS,
    MetricKind,
    combat_level,
    derive_key,
    get_metric,
    is_ignored_name,
    level_for_xp,
    metric_for_name,
)
from hiscores.ratelimit import RateLimiter
from hiscores.state import LocalStore, StateStore

__all__ = [
    "LEGACY_CSV_LAYOUT",
    "ActivityReading",
    "Board",
    "HiscoresClient",
    "HiscoresError",
    "HiscoresResult",
    "HiscoresUnavailable",
    "PlayerNotFound",
    "SkillReading",
    "fetch",
    "fetch_all_boards",
    "get_client",
    "normalise_name",
    "parse_hiscores",
    "parse_hiscores_csv",
    "reset_client",
]

logger = logging.getLogger(__name__)

MAX_NAME_LENGTH = 12  # OSRS display names are 1-12 characters
MAX_VALUE = 2**63 - 1  # 64-bit everywhere (Overall XP of a maxed account is 4.8 billion)
# Ranks (a few million accounts) and levels (total level 2,376 at most) have smaller bounds: a
# body beyond them is garbage, and the snapshot columns hold 32-bit ranks and 16-bit levels.
MAX_RANK = 2**31 - 1
MAX_LEVEL = 2**15 - 1
_FIELD_MAX = {"rank": MAX_RANK, "level": MAX_LEVEL}

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


class Board(StrEnum):
    REGULAR = "hiscore_oldschool"
    IRONMAN = "hiscore_oldschool_ironman"
    HARDCORE = "hiscore_oldschool_hardcore_ironman"
    ULTIMATE = "hiscore_oldschool_ultimate"


@dataclass(frozen=True, slots=True)
class SkillReading:
    """One skill row; `None` where the hiscores say -1 (unranked)."""

    rank: int | None
    level: int | None
    experience: int | None


@dataclass(frozen=True, slots=True)
class ActivityReading:
    """One activity/boss row; `None` where the hiscores say -1 (unranked)."""

    rank: int | None
    score: int | None


@dataclass(frozen=True)
class HiscoresResult:
    """One board's answer for one player, keyed by metric key (see `hiscores.metrics`).

    A metric the body did not list is absent from its dict (not -1, not zero). Rows the catalogue
    does not know are kept under a key derived from their name: skills in `skills`, anything
    else in `bosses` (what Jagex adds to that list is nearly always a boss).
    """

    board: Board
    skills: dict[str, SkillReading]
    activities: dict[str, ActivityReading]
    bosses: dict[str, ActivityReading]
    fetched_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def overall(self) -> SkillReading:
        return self.skills[OVERALL]

    def get(self, key: str) -> SkillReading | ActivityReading | None:
        return self.skills.get(key) or self.activities.get(key) or self.bosses.get(key)

    def levels(self, *, virtual: bool = False) -> dict[str, int]:
        """Level per skill (without Overall); virtual levels above 99 from the experience."""
        out = {}
        for key, reading in self.skills.items():
            if key == OVERALL:
                continue
            if virtual and reading.experience is not None:
                out[key] = level_for_xp(reading.experience, virtual=True)
            else:
                out[key] = reading.level if reading.level is not None else 1
        return out

    @property
    def combat_level(self) -> int:
        return combat_level(self.levels())

    def to_json(self) -> dict[str, Any]:
        """A JSON-safe dict; `HiscoresResult.from_json()` rebuilds an equal result."""
        return {
            "board": str(self.board),
            "fetched_at": self.fetched_at.isoformat(),
            "skills": {
                k: {"rank": r.rank, "level": r.level, "experience": r.experience}
                for k, r in self.skills.items()
            },
            "activities": {
                k: {"rank": r.rank, "score": r.score} for k, r in self.activities.items()
            },
            "bosses": {k: {"rank": r.rank, "score": r.score} for k, r in self.bosses.items()},
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> HiscoresResult:
        """Rebuild from `to_json()` output. Keys the catalogue knows by now go to their section."""
        try:
            skills = {
                str(k): SkillReading(
                    rank=_opt_int(v.get("rank")),
                    level=_opt_int(v.get("level")),
                    experience=_opt_int(v.get("experience")),
                )
                for k, v in data["skills"].items()
            }
            activities: dict[str, ActivityReading] = {}
            bosses: dict[str, ActivityReading] = {}
            for section in ("activities", "bosses"):
                for k, v in data.get(section, {}).items():
                    reading = ActivityReading(
                        rank=_opt_int(v.get("rank")), score=_opt_int(v.get("score"))
                    )
                    metric = get_metric(str(k))
                    kind = metric.kind if metric else None
                    if kind is MetricKind.ACTIVITY or (kind is None and section == "activities"):
                        activities[str(k)] = reading
                    else:
                        bosses[str(k)] = reading
            fetched_at = datetime.fromisoformat(data["fetched_at"])
            board = Board(data["board"])
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ValueError(f"not a serialised HiscoresResult: {exc}") from exc
        return cls(
            board=board, skills=skills, activities=activities, bosses=bosses, fetched_at=fetched_at
        )


def _opt_int(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"not an integer: {value!r}")
    return value


# --- Parsing ------------------------------------------------------------------------------------


def _malformed(message: str) -> HiscoresUnavailable:
    return HiscoresUnavailable(
        f"Malformed hiscores body: {message}", reason=HiscoresUnavailable.MALFORMED_BODY
    )


def _value(row: Mapping[str, Any], field_name: str, name: str) -> int | None:
    value = row.get(field_name)
    # `type() is int` also refuses bools (JSON true/false).
    if type(value) is not int or value < -1 or value > _FIELD_MAX.get(field_name, MAX_VALUE):
        raise _malformed(f"{name!r}: {field_name} is not an integer in range ({value!r})")
    return None if value == -1 else value


def _rows(payload: Mapping[str, Any], list_name: str) -> list[Mapping[str, Any]]:
    rows = payload.get(list_name)
    if not isinstance(rows, list):
        raise _malformed(f"no {list_name!r} list")
    return rows


def _name(row: Any, list_name: str) -> str:
    name = row.get("name") if isinstance(row, dict) else None
    if not isinstance(name, str):
        raise _malformed(f"a {list_name!r} row without a name")
    return name


_IGNORED = object()
# Exact hiscores names first (the common case, one dict probe); anything else goes through the
# case-insensitive catalogue lookup.
_EXACT_NAMES: dict[str, Any] = {
    **{m.hiscores_name: m for m in METRICS},
    **dict.fromkeys(IGNORED_HISCORES_NAMES, _IGNORED),
}


def _lookup(name: str) -> Any:
    """The catalogue Metric for a row name, `_IGNORED`, or None for an unknown row."""
    found = _EXACT_NAMES.get(name)
    if found is not None:
        return found
    return _IGNORED if is_ignored_name(name) else metric_for_name(name)


def parse_hiscores(
    body: bytes | str | Mapping[str, Any],
    *,
    board: Board | str = Board.REGULAR,
    fetched_at: datetime | None = None,
) -> HiscoresResult:
    """Parse an `index_lite.json` body by row name; raise `HiscoresUnavailable` when malformed.

    Malformed means: not JSON (an HTML page, a truncated body, nothing), no `skills`/`activities`
    lists, no Overall row, a non-integer or out-of-range value, or the same row twice.
    """
    if isinstance(body, Mapping):
        payload: Any = body
    else:
        try:
            payload = json.loads(body)
        except (ValueError, UnicodeDecodeError) as exc:
            snippet = (body[:40] if body else b"").__repr__()
            raise _malformed(f"not JSON (starts with {snippet})") from exc
    if not isinstance(payload, Mapping):
        raise _malformed("not a JSON object")
    skill_rows, activity_rows = _rows(payload, "skills"), _rows(payload, "activities")

    skills: dict[str, SkillReading] = {}
    activities: dict[str, ActivityReading] = {}
    bosses: dict[str, ActivityReading] = {}

    for row in skill_rows:
        name = _name(row, "skills")
        metric = _lookup(name)
        if metric is _IGNORED:
            continue
        if metric is not None and metric.kind is not MetricKind.SKILL:
            raise _malformed(f"{name!r} is not a skill")
        key = metric.key if metric else derive_key(name)
        if key in skills:
            raise _malformed(f"{name!r} listed twice")
        skills[key] = SkillReading(
            _value(row, "rank", name), _value(row, "level", name), _value(row, "xp", name)
        )

    for row in activity_rows:
        name = _name(row, "activities")
        metric = _lookup(name)
        if metric is _IGNORED:
            continue
        if metric is None:
            section, key = bosses, derive_key(name)
        elif metric.kind is MetricKind.SKILL:
            raise _malformed(f"{name!r} is a skill, listed among activities")
        else:
            section = activities if metric.kind is MetricKind.ACTIVITY else bosses
            key = metric.key
        if key in activities or key in bosses or key in skills:
            raise _malformed(f"{name!r} listed twice")
        section[key] = ActivityReading(_value(row, "rank", name), _value(row, "score", name))

    if OVERALL not in skills:
        raise _malformed("no Overall row")
    return HiscoresResult(
        board=Board(board),
        skills=skills,
        activities=activities,
        bosses=bosses,
        fetched_at=fetched_at or datetime.now(UTC),
    )


# The old positional CSV layout (`index_lite.ws`) as of 2025-11-05, before Sailing, Brutus, Mad
# Angel and Maggot King: CSV has no names, so this is the only positional parser, and it accepts
# exactly this many lines (any other count would silently mislabel every row after a change).
_LEGACY_SKIPPED = {"sailing"}
_LEGACY_SKIPPED_BOSSES = {"brutus", "mad_angel", "maggot_king"}


def _legacy_csv_layout() -> tuple[str, ...]:
    from hiscores.metrics import HISCORES_ACTIVITY_ROW_NAMES, metric_key_for_name

    skills = tuple(get_metric(k).hiscores_name for k in SKILL_KEYS if k not in _LEGACY_SKIPPED)
    rest = tuple(
        n
        for n in HISCORES_ACTIVITY_ROW_NAMES
        if metric_key_for_name(n) not in _LEGACY_SKIPPED_BOSSES
    )
    return skills + rest


LEGACY_CSV_LAYOUT: tuple[str, ...] = _legacy_csv_layout()  # 24 skills + 88 rows = 112 lines


def parse_hiscores_csv(
    body: bytes | str,
    *,
    board: Board | str = Board.REGULAR,
    fetched_at: datetime | None = None,
    layout: Sequence[str] = LEGACY_CSV_LAYOUT,
) -> HiscoresResult:
    """Parse the legacy CSV layout (`rank,level,xp` / `rank,score` lines) for importing history."""
    text = body.decode() if isinstance(body, bytes) else body
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    if len(lines) != len(layout):
        raise _malformed(f"{len(lines)} CSV lines, the legacy layout has {len(layout)}")
    skill_names = {get_metric(k).hiscores_name for k in SKILL_KEYS}
    payload: dict[str, list[dict[str, Any]]] = {"skills": [], "activities": []}
    for name, line in zip(layout, lines, strict=True):
        try:
            numbers = [int(part) for part in line.split(",")]
        except ValueError as exc:
            raise _malformed(f"line for {name!r} is not numbers: {line!r}") from exc
        if name in skill_names:
            if len(numbers) != 3:
                raise _malformed(f"line for {name!r} needs rank,level,xp")
            payload["skills"].append(
                {"name": name, "rank": numbers[0], "level": numbers[1], "xp": numbers[2]}
            )
        else:
            if len(numbers) != 2:
                raise _malformed(f"line for {name!r} needs rank,score")
            payload["activities"].append({"name": name, "rank": numbers[0], "score": numbers[1]})
    return parse_hiscores(payload, board=board, fetched_at=fetched_at)


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
        retry_delays: Iterable[float] = (2, 4, 8, 16, 32),
        retry_jitter: float = 0.25,
        max_retry_after: float = 60.0,
        limiter: RateLimiter | None = None,
        breaker: CircuitBreaker | None = None,
        sleep: Callable[[float], None] = time.sleep,
        rng: Callable[[], float] = random.random,
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
        self.retry_delays = tuple(float(d) for d in retry_delays)
        self.retry_jitter = max(0.0, min(1.0, float(retry_jitter)))
        self.max_retry_after = float(max_retry_after)
        self.limiter = limiter or RateLimiter(store=LocalStore(), rate=0)
        self.breaker = breaker or CircuitBreaker(store=LocalStore())
        self.sleep = sleep
        self.rng = rng
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

    def backoff_delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Delay before retry number `attempt + 1`: the configured step, +/- jitter."""
        base = self.retry_delays[min(attempt, len(self.retry_delays) - 1)]
        delay = base * (1 + self.retry_jitter * (2 * self.rng() - 1))
        if retry_after is not None:
            delay = max(delay, min(retry_after, self.max_retry_after))
        return max(0.0, delay)

    def fetch(self, name: str, board: Board | str = Board.REGULAR) -> HiscoresResult:
        """One board's stats of one player (retrying transient failures with backoff)."""
        board = Board(board)
        player = normalise_name(name)
        if not player or len(player) > MAX_NAME_LENGTH:
            # Such a name cannot exist: no need to ask (and spend a rate-limit slot).
            raise PlayerNotFound(f"{name!r} is not a valid OSRS name.", board=str(board))
        attempts = len(self.retry_delays) + 1
        for attempt in range(attempts):
            try:
                return self._attempt(player, board)
            except HiscoresUnavailable as exc:
                final = attempt == attempts - 1 or exc.reason in (
                    HiscoresUnavailable.RATE_LIMITED,
                    HiscoresUnavailable.CIRCUIT_OPEN,
                    HiscoresUnavailable.STATE_UNAVAILABLE,
                )
                if final:
                    raise
                delay = self.backoff_delay(attempt, exc.retry_after)
                logger.warning(
                    "hiscores %s for %r on %s (attempt %d/%d), retrying in %.2f s",
                    exc.reason,
                    player,
                    board,
                    attempt + 1,
                    attempts,
                    delay,
                )
                self.sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    def _attempt(self, player: str, board: Board) -> HiscoresResult:
        self.breaker.check()  # fail fast before queueing for a rate-limit slot
        self.limiter.acquire()
        self.breaker.before_request()
        started = time.perf_counter()
        try:
            response = self.http.get(self.url_for(board), params={"player": player})
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

    def fetch_all_boards(self, name: str) -> dict[Board, HiscoresResult | None]:
        """The player on every board (None where the board answers 404), for game-mode detection.

        A player missing from the regular board does not exist: `PlayerNotFound`. Hardcore and
        ultimate players are always on the ironman board too (dead and de-ironed accounts keep
        their frozen entries), so a 404 there answers the two other boards without asking.
        """
        results: dict[Board, HiscoresResult | None] = {
            Board.REGULAR: self.fetch(name, Board.REGULAR)
        }
        for board in (Board.IRONMAN, Board.HARDCORE, Board.ULTIMATE):
            if board is not Board.IRONMAN and results[Board.IRONMAN] is None:
                results[board] = None
                continue
            try:
                results[board] = self.fetch(name, board)
            except PlayerNotFound:
                results[board] = None
        return results


# --- The shared default client --------------------------------------------------------------------

_client: HiscoresClient | None = None
_client_lock = threading.Lock()


def build_client_from_settings(*, store: StateStore | None = None) -> HiscoresClient:
    from django.conf import settings

    from hiscores.state import default_store

    store = store or default_store()
    return HiscoresClient(
        base_url=settings.OSRS_HISCORES_BASE_URL,
        user_agent=settings.OSRS_HISCORES_USER_AGENT,
        connect_timeout=getattr(settings, "OSRS_HISCORES_CONNECT_TIMEOUT", 5.0),
        read_timeout=getattr(settings, "OSRS_HISCORES_READ_TIMEOUT", 10.0),
        retry_delays=getattr(settings, "OSRS_HISCORES_RETRY_DELAYS", (2, 4, 8, 16, 32)),
        retry_jitter=getattr(settings, "OSRS_HISCORES_RETRY_JITTER", 0.25),
        limiter=RateLimiter(
            store=store,
            rate=settings.OSRS_HISCORES_RATE,
            max_wait=getattr(settings, "OSRS_HISCORES_MAX_WAIT", 30.0),
        ),
        breaker=CircuitBreaker(
            store=store,
            threshold=getattr(settings, "OSRS_HISCORES_BREAKER_THRESHOLD", 5),
            cooldown=getattr(settings, "OSRS_HISCORES_BREAKER_COOLDOWN", 30.0),
            # A probe that never reports back (its process died) frees the slot after this.
            probe_timeout=getattr(settings, "OSRS_HISCORES_READ_TIMEOUT", 10.0) * 3,
        ),
    )


def get_client() -> HiscoresClient:
    """The process-wide client (pooled connections), built from settings on first use."""
    global _client
    with _client_lock:
        # A forked worker must not share its parent's sockets: rebuild in a new process.
        if _client is None or _client._pid != os.getpid():
            _client = build_client_from_settings()
        return _client


def reset_client() -> None:
    """Forget the default client (tests, or after changing settings)."""
    global _client
    from hiscores.state import reset_default_store

    with _client_lock:
        if _client is not None and _client._pid == os.getpid():
            _client.close()
        _client = None
    reset_default_store()


def _on_setting_changed(*, setting: str, **kwargs: Any) -> None:
    if setting.startswith("OSRS_HISCORES_") or setting in ("REDIS_URL", "VAR_DIR"):
        reset_client()


setting_changed.connect(_on_setting_changed, dispatch_uid="hiscores.client.reset_on_setting")


def fetch(name: str, board: Board | str = Board.REGULAR) -> HiscoresResult:
    """Fetch one board of one player through the shared client (rate limit, breaker, retries)."""
    return get_client().fetch(name, board)


def fetch_all_boards(name: str) -> dict[Board, HiscoresResult | None]:
    """Fetch every board of one player through the shared client (None where 404)."""
    return get_client().fetch_all_boards(name)
