"""Ranges from query parameters: dates, datetimes, named periods, expressions and bad input."""

from datetime import UTC, datetime, timedelta

import pytest
from dateutil.relativedelta import relativedelta

from history.periods import RangeError, parse_moment, parse_period, resolve_range

NOW = datetime(2026, 3, 31, 18, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("day", relativedelta(days=1)),
        ("week", relativedelta(weeks=1)),
        ("month", relativedelta(months=1)),
        ("year", relativedelta(years=1)),
        ("Week", relativedelta(weeks=1)),
        ("6h", relativedelta(hours=6)),
        ("2w3d", relativedelta(weeks=2, days=3)),
        ("1y2m", relativedelta(years=1, months=2)),
        ("3d12h", relativedelta(days=3, hours=12)),
        (" 1Y 6M ", relativedelta(years=1, months=6)),
    ],
)
def test_period_expressions(text, expected):
    assert parse_period(text) == expected


@pytest.mark.parametrize("text", ["fortnight", "", "6", "h", "2x", "1d2d", "0d", "-1d", "1.5d"])
def test_bad_period_expressions_are_rejected(text):
    with pytest.raises(RangeError) as caught:
        parse_period(text)
    assert caught.value.field == "period"


def test_default_is_the_last_30_days():
    window = resolve_range(now=NOW)
    assert (window.start, window.end) == (NOW - timedelta(days=30), NOW)


def test_period_ends_now_and_months_are_calendar_months():
    window = resolve_range(period="month", now=NOW)
    assert window.start == datetime(2026, 2, 28, 18, 30, tzinfo=UTC)
    assert window.end == NOW


def test_period_36_hours_is_one_and_a_half_days():
    assert resolve_range(period="1d12h", now=NOW).days == 1.5


def test_period_with_end_ends_there_and_with_start_starts_there():
    ending = resolve_range(period="week", end="2026-01-31T00:00:00Z", now=NOW)
    assert ending.start == datetime(2026, 1, 24, tzinfo=UTC)
    starting = resolve_range(period="2d", start="2026-01-01", now=NOW)
    assert (starting.start, starting.end) == (
        datetime(2026, 1, 1, tzinfo=UTC),
        datetime(2026, 1, 3, tzinfo=UTC),
    )


def test_dates_cover_whole_days():
    window = resolve_range(start="2026-01-01", end="2026-01-31", now=NOW)
    assert window.start == datetime(2026, 1, 1, tzinfo=UTC)
    assert window.end == datetime(2026, 2, 1, tzinfo=UTC)
    assert window.days == 31


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-01-05T10:00:00Z", datetime(2026, 1, 5, 10, tzinfo=UTC)),
        ("2026-01-05T10:00:00", datetime(2026, 1, 5, 10, tzinfo=UTC)),  # naive = UTC
        ("2026-01-05T12:00:00+02:00", datetime(2026, 1, 5, 10, tzinfo=UTC)),
        # "+" decoded to a space by a query string that was not percent-encoded
        ("2026-01-05T12:00:00 02:00", datetime(2026, 1, 5, 10, tzinfo=UTC)),
        ("2026-01-05", datetime(2026, 1, 5, tzinfo=UTC)),
    ],
)
def test_iso_moments(text, expected):
    assert parse_moment(text, field="start") == expected


def test_start_alone_runs_until_now():
    window = resolve_range(start="2026-03-30T18:30:00Z", now=NOW)
    assert window.end == NOW
    assert window.days == 1


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"start": "2026-02-01", "end": "2026-01-01"}, "end", "after start"),
        ({"start": "2026-01-01T00:00:00Z", "end": "2026-01-01T00:00:00Z"}, "end", "after start"),
        ({"start": "yesterday"}, "start", "not an ISO date"),
        ({"end": "2026-13-01"}, "end", "not an ISO date"),
        ({"period": "11y"}, "start", "longer than 10 years"),
        ({"start": "2000-01-01", "end": "2026-01-01"}, "start", "longer than 10 years"),
        ({"period": "99999y"}, "period", "longer than 10 years"),
        ({"period": "week", "start": "2026-01-01", "end": "2026-01-08"}, "period", "not all three"),
    ],
)
def test_bad_ranges_name_the_parameter(params, field, message):
    with pytest.raises(RangeError) as caught:
        resolve_range(now=NOW, **params)
    assert caught.value.field == field
    assert message in caught.value.message


def test_exactly_ten_years_is_allowed():
    window = resolve_range(period="10y", now=NOW)
    assert window.start == datetime(2016, 3, 31, 18, 30, tzinfo=UTC)


def test_empty_parameters_count_as_absent():
    assert resolve_range(start="", end=" ", period="", now=NOW) == resolve_range(now=NOW)
