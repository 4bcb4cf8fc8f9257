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
        ({"start": "2014-01-01", "end": "2026-01-01"}, "start", "longer than 10 years"),
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


# --- issue 15 items 6 and 10: the shared datetime rule, computed starts, 3653 days ------------


@pytest.mark.parametrize(
    "params, field",
    [
        ({"start": "0001-01-01", "period": "1y"}, "start"),  # ValueError before
        ({"period": "day", "end": "0001-01-02"}, "end"),
        ({"end": "9999-12-31"}, "end"),  # OverflowError before
        ({"end": "9999-12-31T23:00:00-14:00"}, "end"),
        ({"start": "2026-01-01T00:00:00+16:00"}, "start"),
        ({"start": "2026-01-01T00:00:00-14:30"}, "start"),
        ({"start": "2000-12-31T23:59:59Z"}, "start"),
        ({"start": "2026-04-02T18:30:01Z"}, "start"),  # more than a day ahead of NOW
    ],
)
def test_moments_outside_the_shared_bounds_are_refused_naming_the_parameter(params, field):
    with pytest.raises(RangeError) as caught:
        resolve_range(now=NOW, **params)
    assert caught.value.field == field


def test_the_widest_offsets_and_the_bounds_themselves_are_accepted():
    window = resolve_range(
        start="2026-01-01T00:00:00+14:00", end="2026-01-02T00:00:00-14:00", now=NOW
    )
    assert window.start == datetime(2025, 12, 31, 10, tzinfo=UTC)
    assert resolve_range(start="2001-01-01", end="2001-01-02", now=NOW).start.year == 2001


def test_a_start_computed_before_2001_is_clamped_to_2001():
    window = resolve_range(end="2001-03-01", period="1y", now=NOW)

    assert window.start == datetime(2001, 1, 1, tzinfo=UTC)
    assert window.end == datetime(2001, 3, 2, tzinfo=UTC)


def test_a_computed_range_ending_at_2001_01_01_is_empty_and_refused():
    with pytest.raises(RangeError) as caught:
        resolve_range(end="2001-01-01T00:00:00Z", now=NOW)
    assert caught.value.field == "end"


def test_3653_days_ten_years_with_their_leap_days_are_within_the_limit():
    window = resolve_range(period="3653d", now=NOW)
    assert window.days == 3653
    with pytest.raises(RangeError):
        resolve_range(period="3654d", now=NOW)
