"""The chart's x axis: ticks on round UTC boundaries with a nice step, distinct labels."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import pytest

from history.charts import ChartPoint, render_line_chart, time_ticks

NOW = datetime(2026, 11, 30, 6, 1, 23, tzinfo=UTC)


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("span", "first", "step", "labels"),
    [
        (timedelta(minutes=10), at(2026, 11, 30, 5, 52), timedelta(minutes=2), None),
        (
            timedelta(hours=1),
            at(2026, 11, 30, 5, 10),
            timedelta(minutes=10),
            ["05:10", "05:20", "05:30", "05:40", "05:50", "06:00"],
        ),
        (
            timedelta(days=1),  # the "06:01 | 10:49 | 15:37"
            at(2026, 11, 29, 12),
            timedelta(hours=6),
            ["29 Nov 12:00", "29 Nov 18:00", "30 Nov 00:00", "30 Nov 06:00"],
        ),
        (
            timedelta(days=7),  # the "23 Nov | 24 Nov | 26 Nov"
            at(2026, 11, 24),
            timedelta(days=1),
            ["24 Nov", "25 Nov", "26 Nov", "27 Nov", "28 Nov", "29 Nov", "30 Nov"],
        ),
        (timedelta(days=30), at(2026, 11, 2), timedelta(weeks=1), None),  # Mondays
        (
            timedelta(days=365),
            at(2026, 1, 1),
            None,
            ["Jan 2026", "Apr 2026", "Jul 2026", "Oct 2026"],
        ),
        (
            timedelta(days=3652),  # the "Dec 2016 | Dec 2018 | Nov 2020"
            at(2018, 1, 1),
            None,
            ["2018", "2020", "2022", "2024", "2026"],
        ),
    ],
)
def test_ticks_sit_on_round_boundaries(span, first, step, labels):
    ticks, fmt = time_ticks(NOW - span, NOW)
    texts = [t.strftime(fmt) for t in ticks]

    assert ticks[0] == first
    assert 4 <= len(ticks) <= 7
    assert all(NOW - span <= t <= NOW for t in ticks)
    if step is not None:
        assert all(b - a == step for a, b in zip(ticks, ticks[1:], strict=False))
    if labels is not None:
        assert texts == labels
    assert len(set(texts)) == len(texts)


@pytest.mark.parametrize(
    "span",
    [timedelta(seconds=s) for s in (5, 40, 90, 200, 700, 2000, 5000, 20000, 50000)]
    + [timedelta(hours=h) for h in (30, 50, 80, 130, 200, 400, 900, 2000, 5000, 9000)]
    + [timedelta(days=d) for d in (600, 1200, 2500, 6000, 9000)],
)
def test_every_span_gets_four_to_seven_round_distinct_ticks(span):
    ticks, fmt = time_ticks(NOW - span, NOW)
    texts = [t.strftime(fmt) for t in ticks]

    assert 3 <= len(ticks) <= 7, (span, texts)
    assert len(set(texts)) == len(texts), texts
    assert all(t.microsecond == 0 for t in ticks)
    if span >= timedelta(minutes=10):
        assert all(t.second == 0 for t in ticks), texts
    if span > timedelta(days=7):
        assert all(t.hour == t.minute == 0 for t in ticks), texts


def test_the_svg_axis_reads_round_days():
    start = NOW - timedelta(days=7)
    svg = render_line_chart(
        title="Zezima: Overall experience",
        y_label="Experience",
        points=[ChartPoint(start, 1_000), ChartPoint(NOW, 2_000)],
        start=start,
        end=NOW,
    )
    texts = [el.text for el in ET.fromstring(svg).iter() if el.get("class") == "x-label"]
    assert texts == ["24 Nov", "25 Nov", "26 Nov", "27 Nov", "28 Nov", "29 Nov", "30 Nov"]
