"""GET /players/{username}/history and .../history/{skills|bosses|activities}/{key}."""

import pytest
import time_machine

from hiscores.integration.catalogue import BOSS_KEYS, SKILL_KEYS, level_for_xp
from tests.factories import T0, PlayerFactory, SnapshotFactory, days, record_snapshot

pytestmark = pytest.mark.django_db
NOW = T0 + days(10)


def iso(moment):
    return moment.isoformat().replace("+00:00", "Z")


@pytest.fixture(autouse=True)
def frozen_now():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def zezima():
    player = PlayerFactory(username="Zezima", schedule=False)
    record_snapshot(player, {"attack": 10_000}, at=days(0), ranks={"attack": 5_000})
    record_snapshot(player, {"attack": 13_000, "zulrah": 6}, at=days(1.5), ranks={"attack": 4_000})
    record_snapshot(player, {"attack": 20_000, "zulrah": 9}, at=days(3), ranks={"attack": 3_000})
    return player


def test_history_needs_a_login(api_client, zezima):
    response = api_client.get("/players/zezima/history")
    assert response.status_code == 401


def test_history_of_a_range(auth_client, zezima):
    response = auth_client.get(
        "/players/ZEZIMA/history/", {"start": iso(T0), "end": iso(T0 + days(1.5))}
    )

    assert response.status_code == 200
    body = response.json()
    assert body["username"] == "Zezima"
    assert body["period_start"] == iso(T0)
    assert body["period_end"] == iso(T0 + days(1.5))
    assert body["start_snapshot_at"] == iso(T0)
    assert body["end_snapshot_at"] == iso(T0 + days(1.5))
    assert body["started_at_first_snapshot"] is False
    assert body["days_elapsed"] == 1.5
    assert body["experience_gained"] == {"overall": 3_000, "attack": 3_000}
    assert body["levels_gained"]["attack"] == 2  # 27 -> 29
    assert body["boss_kills_gained"] == {}
    assert body["activities_gained"] == {}
    assert body["rank_changes"]["attack"] == {"start": 5_000, "end": 4_000, "change": -1_000}
    assert body["newly_ranked"] == [
        {"metric": "zulrah", "kind": "boss", "value": 6, "rank": body["newly_ranked"][0]["rank"]}
    ]
    assert body["daily_rates"] == {"overall": 2_000.0, "attack": 2_000.0}


def test_history_defaults_to_the_last_30_days(auth_client, zezima):
    body = auth_client.get("/players/zezima/history").json()

    assert body["period_end"] == iso(NOW)
    assert body["period_start"] == iso(NOW - days(30))
    assert body["started_at_first_snapshot"] is True
    assert body["start_snapshot_at"] == iso(T0)
    assert body["days_elapsed"] == 10
    assert body["experience_gained"]["attack"] == 10_000
    assert body["daily_rates"]["attack"] == 1_000.0


def test_history_with_a_period_expression(auth_client, zezima):
    body = auth_client.get("/players/zezima/history", {"period": "1w"}).json()

    assert body["period_start"] == iso(NOW - days(7))
    assert body["start_snapshot_at"] == iso(T0 + days(3))  # in force a week ago
    assert body["experience_gained"] == {"overall": 0}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"start": "2026-01-05", "end": "2026-01-01"}, "end"),
        ({"period": "fortnight"}, "period"),
        ({"start": "last tuesday"}, "start"),
        ({"period": "20y"}, "start"),
    ],
)
def test_bad_ranges_are_400_with_a_clear_message(auth_client, zezima, params, field):
    response = auth_client.get("/players/zezima/history", params)

    assert response.status_code == 400
    body = response.json()
    assert body["error_code"] == "validation_error"
    assert field in body["details"]
    assert body["details"][field][0]
    # The message alone tells the user what to fix.
    assert body["message"] == f"Invalid input: {field}: {body['details'][field][0]}"


def test_unknown_player_is_404(auth_client):
    response = auth_client.get("/players/nobody/history")
    assert response.status_code == 404
    assert response.json()["error_code"] == "not_found"


def test_range_before_any_snapshot_is_404_no_snapshot(auth_client, zezima):
    response = auth_client.get("/players/zezima/history", {"end": "2025-06-01"})
    assert response.status_code == 404
    assert response.json()["error_code"] == "no_snapshot"


def test_history_endpoint_queries_are_bounded(auth_client, zezima, django_assert_max_num_queries):
    SnapshotFactory.create_history(
        zezima, ((days(4 + d / 10), {"attack": 20_000 + d}) for d in range(50))
    )
    # user (JWT), player, snapshots
    with django_assert_max_num_queries(3):
        response = auth_client.get("/players/zezima/history", {"period": "month"})
    assert response.json()["experience_gained"]["attack"] == 49 + 20_000 - 10_000


def test_skill_history_with_days(auth_client, zezima):
    response = auth_client.get("/players/zezima/history/skills/attack", {"days": 9})

    assert response.status_code == 200
    body = response.json()
    assert body["metric"] == "attack"
    assert body["kind"] == "skill"
    assert body["period_start"] == iso(NOW - days(9))
    assert body["start"] == {"value": 10_000, "level": 27, "rank": 5_000}
    assert body["end"]["value"] == 20_000
    assert body["gained"] == 10_000
    assert body["levels_gained"] == level_for_xp(20_000) - level_for_xp(10_000) == 33 - 27
    assert body["rank_change"] == -2_000
    assert body["daily_rate"] == round(10_000 / 9, 2)
    assert [point["value"] for point in body["timeline"]] == [10_000, 13_000, 20_000]
    assert body["timeline"][0] == {"at": iso(T0), "value": 10_000, "level": 27, "rank": 5_000}


def test_timeline_keeps_readings_where_the_metric_changed_and_the_last(auth_client, zezima):
    record_snapshot(zezima, {"attack": 20_000, "zulrah": 10}, at=days(4), ranks={"attack": 3_000})
    record_snapshot(zezima, {"attack": 21_000, "zulrah": 10}, at=days(5), ranks={"attack": 2_900})
    record_snapshot(zezima, {"attack": 21_000, "zulrah": 11}, at=days(6), ranks={"attack": 2_800})

    body = auth_client.get("/players/zezima/history/skills/attack", {"days": 30}).json()

    # Day 4 moved only zulrah: not an attack reading. Day 6 is the latest reading (its rank).
    assert [point["at"] for point in body["timeline"]] == [
        iso(T0),
        iso(T0 + days(1.5)),
        iso(T0 + days(3)),
        iso(T0 + days(5)),
        iso(T0 + days(6)),
    ]
    assert body["timeline"][-1]["rank"] == 2_800
    assert body["end"] == {"value": 21_000, "level": 34, "rank": 2_800}
    assert body["end_snapshot_at"] == iso(T0 + days(6))


def test_boss_history_reports_a_newly_ranked_boss(auth_client, zezima):
    body = auth_client.get("/players/zezima/history/bosses/zulrah", {"days": 30}).json()

    assert body["kind"] == "boss"
    assert body["newly_ranked"] is True
    assert body["gained"] is None
    assert body["start"]["value"] is None
    assert body["end"]["value"] == 9
    assert "levels_gained" not in body
    assert [point["value"] for point in body["timeline"]] == [None, 6, 9]


def test_boss_history_after_it_is_ranked(auth_client, zezima):
    body = auth_client.get(
        "/players/zezima/history/bosses/zulrah", {"start": iso(T0 + days(2)), "period": "1d12h"}
    ).json()

    assert body["gained"] == 3
    assert body["newly_ranked"] is False
    assert body["days_elapsed"] == 1.5
    assert body["daily_rate"] == 2.0


def test_activity_history(auth_client, zezima):
    response = auth_client.get("/players/zezima/history/activities/clue_scrolls_all")
    assert response.status_code == 200
    assert response.json()["gained"] is None  # never ranked


@pytest.mark.parametrize(
    ("path", "valid"),
    [
        ("/players/zezima/history/skills/zulrah", SKILL_KEYS),
        ("/players/zezima/history/skills/attak", SKILL_KEYS),
        ("/players/zezima/history/bosses/attack", BOSS_KEYS),
    ],
)
def test_unknown_metric_is_404_listing_valid_keys(auth_client, zezima, path, valid):
    response = auth_client.get(path)

    assert response.status_code == 404
    body = response.json()
    assert body["error_code"] == "unknown_metric"
    assert body["details"]["valid"] == list(valid)


def test_days_and_period_together_are_rejected(auth_client, zezima):
    response = auth_client.get(
        "/players/zezima/history/skills/attack", {"days": 3, "period": "week"}
    )
    assert response.status_code == 400
    assert "days" in response.json()["details"]


def test_days_must_be_positive(auth_client, zezima):
    response = auth_client.get("/players/zezima/history/skills/attack", {"days": 0})
    assert response.status_code == 400


def test_skill_history_queries_are_bounded(auth_client, zezima, django_assert_max_num_queries):
    SnapshotFactory.create_history(
        zezima, ((days(4 + d / 10), {"attack": 20_000 + d}) for d in range(50))
    )
    with django_assert_max_num_queries(3):
        response = auth_client.get("/players/zezima/history/skills/attack", {"days": 30})
    # the first bulk reading repeats 20,000 XP (not a change of attack); 49 more are
    assert len(response.json()["timeline"]) == 3 + 49
