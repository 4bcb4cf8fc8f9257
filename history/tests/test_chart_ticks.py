"""Chart axes: distinct, round y tick labels; x labels that fit inside the picture."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import pytest

from history.charts import ChartPoint, nice_ticks, render_line_chart, tick_labels

START = datetime(2026, 11, 29, 3, 30, tzinfo=UTC)


def labels(svg: str, kind: str) -> list[ET.Element]:
    return [el for el in ET.fromstring(svg).iter() if el.get("class") == kind]


@pytest.mark.parametrize(
    ("low", "high"),
    [
        (67_210_000, 67_290_000),  # the issue's "67.2M | 67.2M | 67.3M"
        (67_250_000, 67_250_000),  # a flat line
        (1_000_000, 2_000_000),
        (0, 9_999),
        (1_234, 1_260),
        (13_034_431, 13_450_000),
        (2_500_000_000, 2_510_000_000),
        (0, 3),
    ],
)
def test_ticks_are_round_distinct_and_cover_the_values(low, high):
    ticks = nice_ticks(low, high)
    texts = tick_labels(ticks)

    assert ticks[0] <= low and ticks[-1] >= high
    assert 3 <= len(ticks) <= 8
    step = ticks[1] - ticks[0]
    mantissa = step / 10 ** math.floor(math.log10(step))
    assert round(mantissa, 9) in (1, 2, 5)  # 1-2-5 steps
    assert len(set(texts)) == len(texts), texts


def test_the_issue_example_reads_in_round_steps():
    assert tick_labels(nice_ticks(67_210_000, 67_290_000)) == [
        "67.2M",
        "67.22M",
        "67.24M",
        "67.26M",
        "67.28M",
        "67.3M",
    ]


@pytest.mark.parametrize(
    "span",
    [
        timedelta(minutes=3),
        timedelta(hours=1),
        timedelta(days=1),
        timedelta(days=2, hours=3),  # a player tracked for two days: days alone would repeat
        timedelta(days=4, hours=23),
        timedelta(days=30),
    ],
)
def test_x_labels_are_distinct_and_fit(span):
    end = START + span
    svg = render_line_chart(
        title="Zezima: Overall experience",
        y_label="Experience",
        points=[ChartPoint(START, 67_210_000), ChartPoint(end, 67_290_000)],
        start=START,
        end=end,
    )
    width = int(ET.fromstring(svg).get("width"))

    texts = [el.text for el in labels(svg, "x-label")]
    assert len(set(texts)) == len(texts), texts
    for el in labels(svg, "x-label"):
        half = len(el.text) * 6.5 / 2  # 11 px sans-serif: at most ~6.5 px per character
        assert float(el.get("x")) - half >= 0
        assert float(el.get("x")) + half <= width, el.text
