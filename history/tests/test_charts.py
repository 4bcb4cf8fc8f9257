"""SVG charts: the pure renderer, and GET /players/{username}/history/{metric}/chart.svg."""

import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth import get_user_model

from history.charts import ChartPoint, compact_number, nice_ticks, render_line_chart
from tests.factories import T0, PlayerFactory, days, record_snapshot

SVG = "{http://www.w3.org/2000/svg}"
NOW = T0 + days(10)


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)  # raises on malformed XML
    assert root.tag == f"{SVG}svg"
    return root


def by_class(root, name):
    return [el for el in root.iter() if el.get("class") == name]


def polyline_vertices(root):
    (line,) = by_class(root, "series")
    return [tuple(map(float, pair.split(","))) for pair in line.get("points").split()]


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0, "0"),
        (999, "999"),
        (9_999, "9,999"),
        (12_345, "12.3k"),
        (250_000, "250k"),
        (4_560_000, "4.56M"),
        (999_999, "1M"),
        (4_600_000_000, "4.6B"),
    ],
)
def test_compact_numbers(value, text):
    assert compact_number(value) == text


def test_ticks_are_round_and_cover_the_values():
    ticks = nice_ticks(13_034_431, 13_450_000)
    assert ticks[0] <= 13_034_431 and ticks[-1] >= 13_450_000
    steps = {b - a for a, b in zip(ticks, ticks[1:], strict=False)}
    assert steps == {200_000}  # 5 ticks over 416k: steps of 2 x 10^5


def test_chart_is_well_formed_with_axes_dates_and_points():
    points = [
        ChartPoint(T0, 1_000_000),
        ChartPoint(T0 + days(2), 1_250_000),
        ChartPoint(T0 + days(5), 2_000_000),
    ]
    svg = render_line_chart(
        title="Zezima: Attack experience <&>",
        y_label="Experience",
        points=points,
        start=T0,
        end=T0 + days(10),
        line_until=T0 + days(7),
    )
    root = parse(svg)

    assert root.find(f"{SVG}title").text == "Zezima: Attack experience <&>"
    x_labels = [el.text for el in by_class(root, "x-label")]
    assert x_labels == ["03 Jan", "05 Jan", "07 Jan", "09 Jan", "11 Jan"]  # round 2-day steps
    y_labels = [el.text for el in by_class(root, "y-label")]
    assert "1M" in y_labels and "2M" in y_labels
    assert "Experience" in svg and "Date (UTC)" in svg
    dots = by_class(root, "point")
    assert [int(dot.get("data-value")) for dot in dots] == [1_000_000, 1_250_000, 2_000_000]
    assert dots[1].find(f"{SVG}title").text == "2026-01-03 12:00 UTC: 1,250,000"
    vertices = polyline_vertices(root)
    assert len(vertices) == 4  # three readings, then the last value carried on to line_until
    assert vertices[-1][1] == vertices[-2][1]
    ys = [y for _, y in vertices]
    assert ys[0] > ys[1] > ys[2]  # growing values climb the chart (SVG y points down)


def test_reading_before_the_range_is_drawn_at_its_start():
    svg = render_line_chart(
        title="t",
        y_label="Kills",
        points=[ChartPoint(T0 - days(3), 5), ChartPoint(T0 + days(1), 9)],
        start=T0,
        end=T0 + days(2),
    )
    vertices = polyline_vertices(parse(svg))
    assert vertices[0][0] == 78  # the left edge of the plot


def test_thousands_of_readings_stay_a_small_document():
    points = [ChartPoint(T0 + timedelta(minutes=10 * i), 1_000 + i) for i in range(20_000)]
    svg = render_line_chart(
        title="t", y_label="Experience", points=points, start=T0, end=points[-1].at
    )
    root = parse(svg)
    assert by_class(root, "point") == []
    assert len(polyline_vertices(root)) <= 2 * 720
    assert len(svg) < 40_000


def test_empty_chart_says_so():
    root = parse(render_line_chart(title="t", y_label="Kills", points=[], start=T0, end=NOW))
    assert by_class(root, "empty")[0].text == "No data in this range"


# --- The endpoint -------------------------------------------------------------------------


@pytest.fixture
def zezima(db):
    player = PlayerFactory(username="Zezima", schedule=False)
    record_snapshot(player, {"attack": 10_000, "zulrah": 5}, at=days(0))
    record_snapshot(player, {"attack": 13_000, "zulrah": 5}, at=days(2))
    record_snapshot(player, {"attack": 13_000, "zulrah": 8}, at=days(4))  # attack unchanged here
    return player


@pytest.fixture(autouse=True)
def frozen_now():
    with time_machine.travel(NOW, tick=False):
        yield


def test_chart_endpoint_serves_svg_with_the_data_points(auth_client, zezima):
    response = auth_client.get(
        "/players/zezima/history/attack/chart.svg", {"period": "2w"}, HTTP_ACCEPT="image/*"
    )

    assert response.status_code == 200
    assert response["Content-Type"].startswith("image/svg+xml")
    root = parse(response.content.decode())
    assert root.find(f"{SVG}title").text == "Zezima: Attack experience"
    values = [int(dot.get("data-value")) for dot in by_class(root, "point")]
    assert values == [10_000, 13_000, 13_000]  # day 4 is the latest reading
    assert [el.text for el in by_class(root, "x-label")][-1] == NOW.strftime("%d %b")


def test_boss_chart(auth_client, zezima):
    response = auth_client.get("/players/zezima/history/zulrah/chart.svg")
    root = parse(response.content.decode())
    assert [int(dot.get("data-value")) for dot in by_class(root, "point")] == [5, 8]
    assert "Kills" in response.content.decode()


def test_chart_of_a_player_without_snapshots_is_an_empty_chart(auth_client, db):
    PlayerFactory(username="Fresh", schedule=False)
    response = auth_client.get("/players/fresh/history/overall/chart.svg")
    assert response.status_code == 200
    assert by_class(parse(response.content.decode()), "empty")


def test_chart_errors_are_json(auth_client, api_client, zezima):
    unknown = auth_client.get(
        "/players/zezima/history/runecrafting/chart.svg", HTTP_ACCEPT="image/*"
    )
    assert unknown.status_code == 404
    assert unknown.json()["details"]["valid"][0] == "overall"
    bad = auth_client.get("/players/zezima/history/attack/chart.svg", {"period": "often"})
    assert bad.status_code == 400
    assert api_client.get("/players/zezima/history/attack/chart.svg").status_code == 401


def test_chart_works_with_a_session_login_for_img_tags(client, zezima):
    user = get_user_model().objects.create_user("viewer", password="pw-123456!")
    client.force_login(user)
    response = client.get(
        "/players/zezima/history/overall/chart.svg?period=30d",
        HTTP_ACCEPT="image/avif,image/webp,image/svg+xml,image/*,*/*;q=0.8",
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("image/svg+xml")


def test_chart_is_two_queries_after_auth(auth_client, zezima, django_assert_max_num_queries):
    with django_assert_max_num_queries(3):
        assert auth_client.get("/players/zezima/history/attack/chart.svg").status_code == 200
