"""The one rule for every datetime that comes from outside (query parameters, bodies, backfill).

A moment is accepted when its UTC offset is within +-14:00 (the widest real-world zone) and the
instant lies between 2001-01-01T00:00:00Z and now + 1 day. Anything else is refused *before* it
reaches arithmetic or the database: Python overflows near years 1 and 9999, PostgreSQL refuses
offsets past +-15:59, and a stored year-1 row makes every later read of it fail.

- `check_moment(value, now=)` returns the moment in UTC or raises `MomentOutOfRange`.
- `parse_moment(text, now=)` parses an ISO date/datetime (naive = UTC) and checks it.
- `BoundedDateTimeField` is the DRF field, `BoundedIsoDateTimeFilter` the django-filter filter.
- `echo(text)` quotes outside input for an error message, cut to 40 characters.
- `not_after_now(value, now=)` caps a moment at now (for bookkeeping such as `last_fetched`).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import django_filters
from django import forms
from django.utils import timezone
from rest_framework import serializers

EARLIEST = datetime(2001, 1, 1, tzinfo=UTC)
MAX_OFFSET = timedelta(hours=14)
FUTURE_SLACK = timedelta(days=1)

# A "+" in a query string decodes to a space: "2026-01-01T00:00:00 01:00" means "+01:00".
_SPACED_OFFSET = re.compile(r"(T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?) (\d{2}:?\d{2})$")


ECHO_LIMIT = 40


def echo(text: str, limit: int = ECHO_LIMIT) -> str:
    """`text` quoted for an error message, cut to `limit` characters with an ellipsis: a 5,000
    character query value is not sent back in full."""
    return repr(text if len(text) <= limit else f"{text[:limit]}…")


class MomentOutOfRange(ValueError):
    """A datetime from outside that the shared rule refuses; str() is the user-facing reason."""


def latest_allowed(now: datetime | None = None) -> datetime:
    return (now or timezone.now()).astimezone(UTC) + FUTURE_SLACK


def _range_text(now: datetime | None) -> str:
    latest = latest_allowed(now).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    return f"between 2001-01-01T00:00:00Z and {latest} (now + 1 day)"


def check_moment(value: datetime, *, now: datetime | None = None) -> datetime:
    """`value` in UTC if the shared rule accepts it; naive values are UTC."""
    offset = value.utcoffset()
    if offset is not None and abs(offset) > MAX_OFFSET:
        raise MomentOutOfRange("The UTC offset must be within -14:00 and +14:00.")
    try:
        moment = value.astimezone(UTC) if offset is not None else value.replace(tzinfo=UTC)
    except OverflowError:
        raise MomentOutOfRange(f"The moment must be {_range_text(now)}.") from None
    if moment < EARLIEST or moment > latest_allowed(now):
        raise MomentOutOfRange(f"The moment must be {_range_text(now)}.")
    return moment


def check_day(day: date, *, now: datetime | None = None) -> datetime:
    """The start of `day` (UTC) if the day starts within the shared bounds."""
    return check_moment(datetime.combine(day, time.min, tzinfo=UTC), now=now)


def day_end(day: date, *, now: datetime | None = None) -> datetime:
    """A date given as an *end* (`end`, `at`): the end of that day, i.e. the start of the next
    (bounds checked on the day's start). The one rule for every date-only end or `at`."""
    return check_day(day, now=now) + timedelta(days=1)


DATE_ONLY_END_HELP = "A date alone (YYYY-MM-DD) means the end of that day (UTC)."


def parse_moment(text: str, *, now: datetime | None = None) -> datetime:
    """An ISO datetime (or date: its midnight) in UTC; ValueError if unparseable or refused."""
    cleaned = _SPACED_OFFSET.sub(r"\1+\2", text.strip())
    if len(cleaned) <= 10:
        return check_day(date.fromisoformat(cleaned), now=now)
    return check_moment(datetime.fromisoformat(cleaned), now=now)


def not_after_now(value: datetime, *, now: datetime | None = None) -> datetime:
    """`value`, or now if it lies in the future: bookkeeping never records a future moment."""
    now = now or timezone.now()
    return min(value, now)


class BoundedDateTimeField(serializers.DateTimeField):
    """DRF's DateTimeField under the shared rule (offset within +-14:00, 2001 to now + 1 day).

    `date_is_end=True` (for `end` and `at`): a date alone means the end of that day (`day_end`).
    """

    def __init__(self, *args: Any, date_is_end: bool = False, **kwargs: Any) -> None:
        self.date_is_end = date_is_end
        super().__init__(*args, **kwargs)

    def to_internal_value(self, value: Any) -> datetime:
        if self.date_is_end and isinstance(value, str) and len(value.strip()) == 10:
            try:
                day = date.fromisoformat(value.strip())
            except ValueError:
                pass
            else:
                try:
                    return day_end(day)
                except MomentOutOfRange as exc:
                    raise serializers.ValidationError(str(exc), code="out_of_range") from None
        return super().to_internal_value(value)

    def enforce_timezone(self, value: datetime) -> datetime:
        try:
            moment = check_moment(value)
        except MomentOutOfRange as exc:
            raise serializers.ValidationError(str(exc), code="out_of_range") from None
        return super().enforce_timezone(moment)


class _BoundedIsoDateTimeField(django_filters.fields.IsoDateTimeField):
    def to_python(self, value: Any) -> datetime | None:
        parsed = super().to_python(value)
        if parsed is None:
            return None
        try:
            return check_moment(parsed)
        except MomentOutOfRange as exc:
            raise forms.ValidationError(str(exc), code="out_of_range") from None


class BoundedIsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    """django-filter's ISO datetime filter under the shared rule."""

    field_class = _BoundedIsoDateTimeField
