"""Hiscores errors (re-exported by `hiscores.integration.client`).

They say *permanent* or *transient*; as `ServiceError`s an API view that lets one escape answers
in the project's error format: 404 `player_not_on_hiscores`; 502 `hiscores_unavailable` when the
hiscores failed (the reason in `details`); 503 when our side is the cause: `rate_limited` (the
politeness queue is full; `Retry-After`) or `hiscores_unavailable` with reason
`state_unavailable` (our Redis/state store is down).
Both keep a plain `(message,)` args tuple so Celery can serialise and rebuild them.
"""

from __future__ import annotations

from osrs_diff.exceptions import NotFound, UpstreamUnavailable


class HiscoresError(Exception):
    """Base class of everything the hiscores client raises."""


class PlayerNotFound(HiscoresError, NotFound):
    """The board answered 404: the player is not on it (permanent, never retried)."""

    error_code = "player_not_on_hiscores"
    default_message = "The player is not on the hiscores."

    def __init__(self, message: str | None = None, *, board: str | None = None) -> None:
        super().__init__(message, details={"board": board} if board else None)
        self.board = board


class HiscoresUnavailable(HiscoresError, UpstreamUnavailable):
    """A transient failure: overload, timeout, garbage body, rate limited, breaker open."""

    status_code = 502  # the hiscores failed: a bad gateway, not our own unavailability
    error_code = "hiscores_unavailable"
    default_message = "The hiscores are unavailable; try again later."

    # Stable reason codes (for logs, metrics and API details).
    RATE_LIMITED = "rate_limited"
    CIRCUIT_OPEN = "circuit_open"
    TIMEOUT = "timeout"
    CONNECTION_ERROR = "connection_error"
    HTTP_STATUS = "http_status"
    MALFORMED_BODY = "malformed_body"
    STATE_UNAVAILABLE = "state_unavailable"

    def __init__(
        self,
        message: str | None = None,
        *,
        reason: str = "unknown",
        status_code: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        details = {"reason": reason}
        if retry_after is not None:
            details["retry_after_seconds"] = round(retry_after, 3)
        super().__init__(message, details=details)
        self.reason = reason
        self.upstream_status = status_code
        self.retry_after = retry_after
        if reason == self.RATE_LIMITED:
            self.status_code, self.error_code = 503, "rate_limited"
        elif reason == self.STATE_UNAVAILABLE:
            self.status_code = 503
