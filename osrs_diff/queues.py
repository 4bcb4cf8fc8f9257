"""Celery queues by purpose, and what is waiting in each.

- `scheduled`: the per-player fetches beat sends, and background checks they cause. It may build
  a backlog when the schedules want more than the hiscores budget; nothing else waits behind it.
- `interactive`: work a person asked for (an API or admin fetch, a game-mode check of one player).
- `maintenance`: the sweeper, the drift check, the daily fan-outs and every other system task.

A worker started without `-Q` consumes all three; deployments add a small worker for
`interactive,maintenance` so neither ever waits behind `scheduled` (docs/operations.md).

Every message carries a `sent_at` header (epoch seconds, set when it is published), so a worker
can tell how old a message is and the operations stats can report the oldest waiting message.
"""

from __future__ import annotations

import time
from typing import Any

SCHEDULED = "scheduled"
INTERACTIVE = "interactive"
MAINTENANCE = "maintenance"
QUEUES = (INTERACTIVE, MAINTENANCE, SCHEDULED)
SENT_AT_HEADER = "sent_at"
# A fetch a person asked for: sent on INTERACTIVE, or with this header true (docs/fetching.md).
INTERACTIVE_HEADER = "interactive"

# Task names are repeated here as strings on purpose: settings (and so this module) load before
# any app, and a route must not import the task it routes.
TASK_ROUTES = {
    "hiscores.fetch_player": {"queue": SCHEDULED},
    "players.check_game_mode": {"queue": INTERACTIVE},
}
DEFAULT_QUEUE = MAINTENANCE


def interactive_send_options() -> dict[str, Any]:
    """Send options of work a person asked for: queue `interactive`, marked by its header."""
    return {"queue": INTERACTIVE, "headers": {INTERACTIVE_HEADER: True}}


def stamp_sent_at(headers: dict[str, Any] | None) -> None:
    """Record the publish time on an outgoing message (a `before_task_publish` handler's job)."""
    if headers is not None and SENT_AT_HEADER not in headers:
        headers[SENT_AT_HEADER] = time.time()


def request_header(request: Any, name: str) -> Any:
    """A custom header of the message a task is running for (worker or eager `apply()`)."""
    # A worker sets custom headers as request attributes; an eager `apply()` keeps them in
    # `request.headers`.
    value = getattr(request, name, None)
    if value is None:
        value = (getattr(request, "headers", None) or {}).get(name)
    return value


def is_interactive(request: Any) -> bool:
    """A person is waiting for this task: it came on `interactive` or says so in its headers."""
    if request_header(request, INTERACTIVE_HEADER) in (True, 1, "1", "true"):
        return True
    delivery = getattr(request, "delivery_info", None) or {}
    return delivery.get("routing_key") == INTERACTIVE


def message_age_seconds(sent_at: Any, *, now: float | None = None) -> float | None:
    """How long ago a message with this `sent_at` header was published (None: unknown)."""
    if isinstance(sent_at, bool) or not isinstance(sent_at, int | float):
        return None
    return max(0.0, (time.time() if now is None else now) - float(sent_at))
