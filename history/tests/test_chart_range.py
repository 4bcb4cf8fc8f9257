"""The chart's x range fits the data: a new player is not a line at the right edge."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from html import unescape

import pytest
import time_machine
from django.utils import timezone

from history.charts import MIN_DATA_SPAN, ChartPoint, chart_range, render_line_chart
from tests.factories import PlayerFactory, record_snapshot

NOW = datetime(2026, 11, 30, 6, 0, tzinfo=UTC)
WEEK = NOW - timedelta(days=7)
MIN = timedelta(minutes=1)


@pytest.mark.parametrize(
    ("start", "end", "first", "expected"),
    [
        # Tracked before the period: the whole period, up to now.
        (WEEK, NOW, NOW - timedelta(days=30), (WEEK, NOW)),
        (WEEK, NOW + timedelta(hours=3), WEEK, (WEEK, NOW)),
        # Tracking began inside the period: from the first reading.
        (WEEK, NOW, NOW - timedelta(days=2), (NOW - timedelta(days=2), NOW)),
        (WEEK, NOW, NOW - timedelta(hours=1), (NOW - timedelta(hours=1), NOW)),
        # A minute ago: the minute centred on a 10-minute axis (no 1-hour floor).
        (WEEK, NOW, NOW - MIN, (NOW - MIN - 4.5 * MIN, NOW + 4.5 * MIN)),
        # A single reading right now: a point mid-chart.
        (WEEK, NOW, NOW, (NOW - 5 * MIN, NOW + 5 * MIN)),
        # No reading: the period up to now.
        (WEEK, NOW, None, (WEEK, NOW)),
        # A period in the past ends at its end.
        (WEEK - timedelta(days=7), WEEK, None, (WEEK - timedelta(days=7), WEEK)),
    ],
)
def test_the_range_fits_the_data(start, end, first, expected):
    assert chart_range(start=start, end=end, now=NOW, first_reading_at=first) == expected


def test_a_new_players_range_is_never_an_hour_floor():
    start, end = chart_range(start=WEEK, end=NOW, now=NOW, first_reading_at=NOW - MIN)
    assert end - start == MIN_DATA_SPAN < timedelta(hours=1)


@pytest.mark.django_db
def test_a_player_tracked_a_minute_ago_is_a_point_mid_chart(reader_client):
    now = timezone.now()  # the client's token was issued now
    player = PlayerFactory(username="Newbie", schedule=False)
    record_snapshot(player, {"attack": 1_000}, at=now - MIN)

    with time_machine.travel(now, tick=False):
        for period in ("day", "week", "month", "year"):
            body = reader_client.get("/players/newbie/overview", {"period": period}).json()
            start = datetime.fromisoformat(body["chart"]["start"])
            end = datetime.fromisoformat(body["chart"]["end"])
            assert (start, end) == (now - 5.5 * MIN, now + 4.5 * MIN), period

        svg = reader_client.get(
            "/players/newbie/history/attack/chart.svg",
            {"start": start.isoformat(), "end": end.isoformat()},
            HTTP_ACCEPT="image/*",
        ).content.decode()
    root = ET.fromstring(svg)
    (dot,) = [el for el in root.iter() if el.get("class") == "point"]
    axis = next(el for el in root.iter() if el.get("class") == "x-axis")
    left, right = float(axis.get("x1")), float(axis.get("x2"))
    share = (float(dot.get("cx")) - left) / (right - left)
    assert 0.3 < share < 0.7  # not squeezed against the right edge


def test_the_svg_of_a_single_reading_puts_it_in_the_middle():
    start, end = chart_range(start=WEEK, end=NOW, now=NOW, first_reading_at=NOW)
    svg = render_line_chart(
        title="t", y_label="XP", points=[ChartPoint(NOW, 5)], start=start, end=end, line_until=NOW
    )
    (cx,) = re.findall(r'class="point" cx="([\d.]+)"', unescape(svg))
    root = ET.fromstring(svg)
    axis = next(el for el in root.iter() if el.get("class") == "x-axis")
    middle = (float(axis.get("x1")) + float(axis.get("x2"))) / 2
    assert abs(float(cx) - middle) < 1
