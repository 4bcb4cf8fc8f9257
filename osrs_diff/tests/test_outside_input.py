"""Issue 15 items 6, 7, 10 and 16 through the API: outside input never reaches a 500.

Datetimes follow the one rule of `osrs_diff.datetimes` (400 naming the parameter), impossible
pages are 404 "Invalid page." everywhere, body types are strict and unknown filter values 400.
"""

from datetime import UTC, datetime

import pytest

from hiscores.models import Snapshot
from tests.factories import PlayerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def zezima():
    player = PlayerFactory(username="Zezima")
    Snapshot.objects.create(
        player=player,
        fetched_at=datetime(2025, 1, 1, tzinfo=UTC),
        board="hiscore_oldschool",
        attack_experience=1_000,
    )
    return player


def assert_validation_error(response, field):
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["error_code"] == "validation_error"
    assert field in body["details"], body


# --- item 6: out-of-range datetimes -----------------------------------------------------------


@pytest.mark.parametrize(
    "since", ["2026-01-01T00:00:00+16:00", "2026-01-01T00:00:00-15:00", "0001-01-01T00:00:00Z"]
)
def test_party_history_refuses_an_out_of_range_since_even_anonymously(api_client, since):
    response = api_client.get("/parties/history", {"since": since})

    assert_validation_error(response, "since")


@pytest.mark.parametrize(
    "params, field",
    [
        ({"end": "9999-12-31"}, "end"),
        ({"start": "0001-01-01", "period": "1y"}, "start"),
        ({"period": "day", "end": "0001-01-02"}, "end"),
        ({"start": "2026-01-01T00:00:00+16:00"}, "start"),
    ],
)
@pytest.mark.parametrize(
    "path",
    [
        "/players/Zezima/history",
        "/players/Zezima/history/skills/attack",
        "/players/Zezima/history/attack/chart.svg",
        "/history/leaderboard",
    ],
)
def test_history_charts_and_leaderboard_refuse_out_of_range_moments(
    staff_client, zezima, path, params, field
):
    assert_validation_error(staff_client.get(path, params), field)


@pytest.mark.parametrize("param", ["at"])
@pytest.mark.parametrize(
    "value", ["9999-12-31T23:00:00-14:00", "2026-01-01T00:00:00+14:01", "1999-01-01T00:00:00Z"]
)
def test_stats_at_refuses_out_of_range_moments(staff_client, zezima, param, value):
    assert_validation_error(staff_client.get("/players/Zezima/stats", {param: value}), param)


@pytest.mark.parametrize("param", ["start", "end"])
def test_snapshot_range_refuses_out_of_range_moments(staff_client, zezima, param):
    response = staff_client.get("/players/Zezima/snapshots", {param: "2026-01-01T00:00:00+16:00"})

    assert_validation_error(response, param)


def test_a_period_reaching_before_2001_is_clamped(staff_client, zezima):
    response = staff_client.get("/players/Zezima/history", {"end": "2001-06-01", "period": "5y"})

    assert response.status_code in (200, 404), response.content  # 404: no snapshot by then
    if response.status_code == 200:
        assert response.json()["period_start"].startswith("2001-01-01")


# --- item 7: out-of-range integers ------------------------------------------------------------


@pytest.mark.parametrize(
    "page", ["4611686018427387904", "922337203685477580", str(2**63), str(2**64), "0", "-1", "x"]
)
@pytest.mark.parametrize(
    "path", ["/history/leaderboard", "/players", "/schedules", "/parties/history"]
)
def test_every_list_answers_an_impossible_page_with_404_invalid_page(
    staff_client, zezima, path, page
):
    response = staff_client.get(path, {"page": page})

    assert response.status_code == 404, response.content
    assert response.json()["error_code"] == "not_found"
    assert response.json()["message"] == "Invalid page."


@pytest.mark.parametrize("value", [str(2**63), "-1", "0", "3654", "99999999999999999999999"])
def test_days_out_of_range_is_a_400(staff_client, zezima, value):
    response = staff_client.get("/players/Zezima/history/skills/attack", {"days": value})

    assert_validation_error(response, "days")


@pytest.mark.parametrize("value", [str(2**63), "-1", "0", "501"])
def test_leaderboard_page_size_out_of_range_is_a_400(staff_client, value):
    assert_validation_error(
        staff_client.get("/history/leaderboard", {"page_size": value}), "page_size"
    )


@pytest.mark.parametrize("value", [str(2**63), "-1", "0", "501", "x"])
@pytest.mark.parametrize("path", ["/players", "/schedules", "/parties/history"])
def test_every_list_refuses_an_impossible_page_size(staff_client, path, value):
    assert_validation_error(staff_client.get(path, {"page_size": value}), "page_size")


@pytest.mark.parametrize("value", [str(2**63), "-1", "0"])
def test_party_history_world_out_of_range_is_a_400(api_client, value):
    assert_validation_error(api_client.get("/parties/history", {"world": value}), "world")


# --- item 10: days=3653 as documented ---------------------------------------------------------


def test_days_3653_is_valid_as_the_readme_says(staff_client, zezima):
    response = staff_client.get("/players/Zezima/history/skills/attack", {"days": "3653"})

    assert response.status_code == 200, response.content


# --- item 16: strict input types --------------------------------------------------------------


@pytest.mark.parametrize("username", [123, 1.5, True, None, ["Zezima"], {"a": 1}])
def test_a_username_must_be_a_json_string(staff_client, username):
    response = staff_client.post("/players", {"username": username}, format="json")

    assert_validation_error(response, "username")


@pytest.mark.parametrize("is_active", ["yes", "true", 1, 0, "1", None])
def test_is_active_must_be_a_json_boolean(staff_client, zezima, is_active):
    response = staff_client.patch("/players/Zezima", {"is_active": is_active}, format="json")

    assert_validation_error(response, "is_active")


@pytest.mark.parametrize("value", [False, True])
def test_is_active_takes_json_booleans(staff_client, zezima, value):
    response = staff_client.patch("/players/Zezima", {"is_active": value}, format="json")

    assert response.status_code == 200, response.content
    assert response.json()["is_active"] is value


@pytest.mark.parametrize("value", ["maybe", "yes", "2", "TRUEISH"])
def test_an_unknown_is_active_filter_value_is_a_400(staff_client, zezima, value):
    assert_validation_error(staff_client.get("/players", {"is_active": value}), "is_active")


@pytest.mark.parametrize("value, count", [("true", 1), ("false", 0), ("1", 1), ("0", 0)])
def test_the_is_active_filter_takes_true_and_false(staff_client, zezima, value, count):
    response = staff_client.get("/players", {"is_active": value})

    assert response.status_code == 200
    assert response.json()["count"] == count


def test_an_unknown_game_mode_filter_value_is_a_400(staff_client, zezima):
    assert_validation_error(staff_client.get("/players", {"game_mode": "wizard"}), "game_mode")


LONG = "2026-01-01T" + "9" * 4_989  # 5,000 characters


@pytest.mark.parametrize(
    ("path", "query"),
    [
        ("/players/zezima/overview", {"start": LONG, "end": "2026-01-02"}),
        ("/players/zezima/overview", {"period": "custom", "start": LONG, "end": "2026-01-02"}),
        ("/players/zezima/history", {"start": LONG}),
        ("/players/zezima/history", {"period": "x" * 5_000}),
        ("/players/zezima/history/skills/attack", {"start": LONG}),
        ("/players/zezima/history/attack/chart.svg", {"start": LONG}),
        ("/players/zezima/snapshots", {"start": LONG}),
        ("/players/zezima/stats", {"at": LONG}),
    ],
)
def test_a_long_invalid_value_is_not_echoed_in_full(staff_client, zezima, path, query):
    response = staff_client.get(path, query)

    assert response.status_code == 400, response.content[:300]
    body = response.content.decode()
    assert "9" * 41 not in body and "x" * 41 not in body, body[:300]
    assert len(body) < 2_000
