"""What a fetch can end in, and which outcomes the hourly counters keep (stats, /metrics)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class FetchStatus:
    SUCCESS = "success"
    UNCHANGED = "unchanged"
    NOT_FOUND = "not_found"
    UNAVAILABLE = "unavailable"
    REJECTED = "rejected"
    SKIPPED = "skipped"  # paused, deleted or unknown player: nothing was fetched
    # A scheduled fetch whose rate-limit slot was further away than FETCH_DEFER_AFTER_SECONDS:
    # it ended at once without a request (the next due time fetches the player).
    DEFERRED = "deferred"
    # A scheduled message older than its schedule's interval when a worker took it: skipped.
    STALE = "stale"


COUNTED_OUTCOMES = (
    FetchStatus.SUCCESS,
    FetchStatus.UNCHANGED,
    FetchStatus.NOT_FOUND,
    FetchStatus.UNAVAILABLE,
    FetchStatus.REJECTED,
    FetchStatus.DEFERRED,
    FetchStatus.STALE,
)
# Hourly rows kept this long; older ones are folded into the ROLLUP_HOUR row of their outcome.
FETCH_OUTCOME_RETENTION = timedelta(days=8)
ROLLUP_HOUR = datetime(1970, 1, 1, tzinfo=UTC)
