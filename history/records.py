"""Records: a player's best gain per metric in a UTC calendar day, ISO week or calendar month.

Pure functions (no database). A period's gain follows the history rules (history.gains): counted
from the reading in force at the period's start (or the player's first reading, when the history
starts inside the period), moved to the latest baseline inside the period (the jump into a
baseline never counts), up to the reading at the end; a metric counts only when ranked at both
ends (a newly ranked metric never does). Gains are experience for skills, the score otherwise.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from dateutil.relativedelta import relativedelta

from hiscores.layout import MetricValue
from history.gains import metric_gain

PERIODS = ("day", "week", "month")

Reading = Mapping[str, MetricValue]


def period_bounds(period: str, at: datetime) -> tuple[datetime, datetime]:
    """[start, end) of the `period` (day, week, month) holding `at`, in UTC."""
    at = at.astimezone(UTC)
    day = at.replace(hour=0, minute=0, second=0, microsecond=0)
    if period == "day":
        return day, day + timedelta(days=1)
    if period == "week":
        start = day - timedelta(days=day.weekday())  # ISO weeks start on Monday
        return start, start + timedelta(weeks=1)
    if period == "month":
        start = day.replace(day=1)
        return start, start + relativedelta(months=1)
    raise ValueError(f"unknown period {period!r}")


def period_gains(start: Reading, end: Reading) -> dict[str, int]:
    """Positive gains from `start` to `end`, per metric ranked at both ends."""
    gains = {}
    for key, after in end.items():
        gained = metric_gain(start.get(key), after)
        if gained is not None and gained > 0:
            gains[key] = gained
    return gains
