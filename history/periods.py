"""Time ranges from query parameters: ISO dates/datetimes, named periods and period expressions.

Pure functions (no database, no settings): `resolve_range(start=, end=, period=, now=)` turns what a
user typed into a `DateRange` in UTC, or raises `RangeError` naming the parameter at fault.

- `start`/`end`: ISO datetimes (`2026-01-01T12:00:00Z`, an offset, or naive = UTC) or dates. A date
  as `start` is the start of that day, a date as `end` the end of it (midnight after it), so
  `start=2026-01-01&end=2026-01-31` covers the whole of January.
- `period`: `day`, `week`, `month`, `year`, or an expression of whole units: `6h`, `2w3d`, `1y2m`
  (y = years, m = calendar months, w = weeks, d = days, h = hours). The range ends at `end` (now by
  default), or starts at `start` when only `start` is given.
- Nothing given: the last 30 days. At most 10 years; `end` must be after `start`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from dateutil.relativedelta import relativedelta

from osrs_diff.datetimes import (
    EARLIEST,
    MomentOutOfRange,
    check_day,
    check_moment,
    day_end,
    echo,
)

DEFAULT_SPAN = relativedelta(days=30)
# Ten years with their leap days: `period=10y` and `days=3653` are both within the limit.
MAX_SPAN = timedelta(days=3653)
MAX_SPAN_TEXT = "10 years (3653 days)"

NAMED_PERIODS: dict[str, relativedelta] = {
    "hour": relativedelta(hours=1),
    "day": relativedelta(days=1),
    "week": relativedelta(weeks=1),
    "month": relativedelta(months=1),
    "year": relativedelta(years=1),
}
_UNITS = {"y": "years", "m": "months", "w": "weeks", "d": "days", "h": "hours"}
_TERM = re.compile(r"(\d{1,5})([ymwdh])")
_EXPRESSION = re.compile(r"(?:\d{1,5}[ymwdh])+")
# A "+" in a query string decodes to a space: "2026-01-01T00:00:00 01:00" means "+01:00".
_SPACED_OFFSET = re.compile(r"(T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?) (\d{2}:?\d{2})$")

PERIOD_HELP = (
    "day, week, month, year, or an expression like 6h, 2w3d, 1y2m "
    "(y years, m months, w weeks, d days, h hours)"
)


class RangeError(ValueError):
    """A range the user asked for is unparseable or impossible; `field` names the parameter."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")


@dataclass(frozen=True, slots=True)
class DateRange:
    """A closed time range [start, end] in UTC."""

    start: datetime
    end: datetime

    @property
    def days(self) -> float:
        return (self.end - self.start).total_seconds() / 86_400


def parse_period(text: str) -> relativedelta:
    """`week` or `2w3d` as a relativedelta; raises RangeError("period", ...) if unparseable."""
    cleaned = text.strip().lower().replace(" ", "")
    if cleaned in NAMED_PERIODS:
        return NAMED_PERIODS[cleaned]
    if not cleaned or not _EXPRESSION.fullmatch(cleaned):
        raise RangeError("period", f"Unknown period {echo(text)}: use {PERIOD_HELP}.")
    amounts: dict[str, int] = {}
    for number, unit in _TERM.findall(cleaned):
        name = _UNITS[unit]
        if name in amounts:
            raise RangeError("period", f"Unit {echo(unit)} appears twice in period {echo(text)}.")
        amounts[name] = int(number)
    if not any(amounts.values()):
        raise RangeError("period", f"Period {echo(text)} is empty: give at least one unit above 0.")
    return relativedelta(**amounts)


def parse_moment(
    text: str, *, field: str, end_of_day: bool = False, now: datetime | None = None
) -> datetime:
    """An ISO datetime or date as an aware UTC datetime (naive values are UTC), within the
    shared bounds of `osrs_diff.datetimes` (for a date: the day it names)."""
    cleaned = _SPACED_OFFSET.sub(r"\1+\2", text.strip())
    if not cleaned:
        raise RangeError(field, "Give an ISO date or datetime.")
    try:
        if len(cleaned) <= 10:
            day = date.fromisoformat(cleaned)
            return day_end(day, now=now) if end_of_day else check_day(day, now=now)
        return check_moment(datetime.fromisoformat(cleaned), now=now)
    except MomentOutOfRange as exc:
        raise RangeError(field, str(exc)) from None
    except ValueError:
        raise RangeError(
            field,
            f"{echo(text)} is not an ISO date or datetime "
            "(e.g. 2026-01-31 or 2026-01-31T18:00:00Z).",
        ) from None


def resolve_range(
    *,
    start: str | None = None,
    end: str | None = None,
    period: str | None = None,
    now: datetime,
    default: relativedelta = DEFAULT_SPAN,
) -> DateRange:
    """The range meant by the query parameters (empty strings count as absent)."""
    start, end, period = (
        value if value and value.strip() else None for value in (start, end, period)
    )
    if period is not None and start is not None and end is not None:
        raise RangeError("period", "Give a period or both start and end, not all three.")
    span = parse_period(period) if period is not None else None
    start_at = parse_moment(start, field="start", now=now) if start is not None else None
    end_at = parse_moment(end, field="end", end_of_day=True, now=now) if end is not None else None

    try:
        if start_at is not None and end_at is None:
            end_at = start_at + span if span is not None else now.astimezone(UTC)
        elif start_at is None:
            end_at = end_at if end_at is not None else now.astimezone(UTC)
            start_at = end_at - (span if span is not None else default)
    except (OverflowError, ValueError):  # "99999y": beyond the calendar
        raise RangeError("period", f"The range is longer than {MAX_SPAN_TEXT}.") from None

    if end_at <= start_at:
        raise RangeError("end", "end must be after start.")
    if start_at < end_at - MAX_SPAN:
        raise RangeError("start", f"The range is longer than {MAX_SPAN_TEXT}.")
    # A computed start never leaves the shared bounds (see the module docstring); a typed one
    # was checked when parsed.
    start_at = max(start_at, EARLIEST)
    if end_at <= start_at:
        raise RangeError("end", "end must be after start.")
    return DateRange(start=start_at, end=end_at)
