"""GET /history/leaderboard and leaderboard_page: top gainers computed in the database."""

import pytest
import time_machine

from hiscores.integration.catalogue import get_metric
from history.leaderboards import leaderboard_page
from players.game_modes import GameMode
from tests.factories import T0, PlayerFactory, SnapshotFactory, days

pytestmark = pytest.mark.django_db
NOW = T0 + days(30)
WEEK_AGO = NOW - days(7)


@pytest.fixture(autouse=True)
def frozen_now():
    with time_machine.travel(NOW, tick=False):
        yield


def player_with(name, history, **fields):
    """A player whose readings are (days after T0, {metric: value})."""
    player = PlayerFactory(username=name, schedule=False, **fields)
    SnapshotFactory.create_history(player, ((days(day), values) for day, values in history))
    return player


@pytest.fixture
def clan():
    # Week = days 23..30. Values in force at day 23 are the start.
    player_with(
        "Steady", [(0, {"attack": 1_000}), (20, {"attack": 2_000}), (25, {"attack": 7_000})]
    )
    player_with(
        "Grinder",
        [
            (0, {"attack": 1_000}),
            (22, {"attack": 5_000}),
            (24, {"attack": 6_000}),
            (29, {"attack": 25_000}),
        ],
        game_mode=GameMode.IRONMAN,
    )
    # Tracking began mid-week: the range starts at the first snapshot (gain 3,000, not 9,000).
    player_with("Newcomer", [(26, {"attack": 6_000}), (28, {"attack": 9_000})])
    # Progress only before the week: no gain inside it.
    player_with("Idle", [(0, {"attack": 1_000}), (10, {"attack": 90_000})])
    # Paused players are not tracked.
    player_with("Paused", [(0, {"attack": 1_000}), (27, {"attack": 900_000})], is_active=False)
    # Zulrah: newly ranked in the week is not a gain; Steady gains 5 kills.
    player_with("Zulrah Fan", [(0, {"zulrah": None}), (27, {"zulrah": 400})])
    PlayerFactory(username="No Data", schedule=False)


def names(body):
    return [row["username"] for row in body["results"]]


def test_leaderboard_orders_the_best_gainers_first(auth_client, clan):
    response = auth_client.get("/history/leaderboard", {"metric": "attack", "period": "week"})

    assert response.status_code == 200
    body = response.json()
    assert body["metric"] == "attack"
    assert body["kind"] == "skill"
    assert body["count"] == 3
    assert body["next"] is None and body["previous"] is None
    assert body["results"] == [
        {
            "rank": 1,
            "username": "Grinder",
            "game_mode": "ironman",
            "start": 5_000,
            "end": 25_000,
            "gained": 20_000,
        },
        {
            "rank": 2,
            "username": "Steady",
            "game_mode": "regular",
            "start": 2_000,
            "end": 7_000,
            "gained": 5_000,
        },
        {
            "rank": 3,
            "username": "Newcomer",
            "game_mode": "regular",
            "start": 6_000,
            "end": 9_000,
            "gained": 3_000,
        },
    ]


def test_leaderboard_filters_by_game_mode(auth_client, clan):
    body = auth_client.get(
        "/history/leaderboard", {"metric": "attack", "period": "week", "game_mode": "ironman"}
    ).json()
    assert names(body) == ["Grinder"]
    assert body["game_mode"] == "ironman"


def test_leaderboard_over_another_range(auth_client, clan):
    body = auth_client.get(
        "/history/leaderboard", {"metric": "attack", "start": "2026-01-01", "end": "2026-01-12"}
    ).json()
    assert names(body) == ["Idle"]  # 1,000 -> 90,000 on day 10
    assert body["results"][0]["gained"] == 89_000


def test_newly_ranked_boss_is_not_a_gain(auth_client, clan):
    body = auth_client.get("/history/leaderboard", {"metric": "zulrah", "period": "week"}).json()
    assert body["count"] == 0
    assert body["results"] == []


def test_boss_leaderboard(auth_client):
    player_with("Slayer", [(0, {"zulrah": 50}), (27, {"zulrah": 80})])
    player_with("Casual", [(0, {"zulrah": 5}), (28, {"zulrah": 6})])

    body = auth_client.get("/history/leaderboard", {"metric": "zulrah", "period": "week"}).json()

    assert [(row["username"], row["gained"]) for row in body["results"]] == [
        ("Slayer", 30),
        ("Casual", 1),
    ]


def test_default_metric_is_overall(auth_client, clan):
    body = auth_client.get("/history/leaderboard", {"period": "week"}).json()
    assert body["metric"] == "overall"
    assert names(body) == ["Grinder", "Steady", "Newcomer"]


def test_ties_are_ordered_by_name(auth_client):
    for name in ("Bravo", "Alpha", "Charlie"):
        player_with(name, [(0, {"attack": 1_000}), (27, {"attack": 2_000})])
    body = auth_client.get("/history/leaderboard", {"metric": "attack", "period": "week"}).json()
    assert names(body) == ["Alpha", "Bravo", "Charlie"]
    assert [row["rank"] for row in body["results"]] == [1, 2, 3]


def test_leaderboard_is_paginated(auth_client):
    for index in range(5):
        player_with(f"P{index}", [(0, {"attack": 1_000}), (27, {"attack": 2_000 + index})])
    params = {"metric": "attack", "period": "week", "page_size": 2}

    first = auth_client.get("/history/leaderboard", params).json()
    second = auth_client.get("/history/leaderboard", {**params, "page": 2}).json()
    last = auth_client.get("/history/leaderboard", {**params, "page": 3}).json()

    assert first["count"] == second["count"] == last["count"] == 5
    assert names(first) == ["P4", "P3"]
    assert names(second) == ["P2", "P1"]
    assert [row["rank"] for row in second["results"]] == [3, 4]
    assert names(last) == ["P0"]
    assert "page=2" in first["next"] and first["previous"] is None
    assert "page=3" in second["next"] and "page=" not in second["previous"]
    assert last["next"] is None
    beyond = auth_client.get("/history/leaderboard", {**params, "page": 4})
    assert beyond.status_code == 404
    assert beyond.json()["details"]["count"] == 5


def test_unknown_metric_is_404_listing_every_valid_key(auth_client):
    response = auth_client.get("/history/leaderboard", {"metric": "sailing_xp"})
    assert response.status_code == 404
    body = response.json()
    assert body["error_code"] == "unknown_metric"
    assert "attack" in body["details"]["valid"] and "zulrah" in body["details"]["valid"]
    assert "clue_scrolls_all" in body["details"]["valid"]


@pytest.mark.parametrize(
    "params",
    [
        {"game_mode": "deadman"},
        {"page_size": 0},
        {"page_size": 501},
        {"period": "7 days"},
        {"start": "2026-01-10", "end": "2026-01-01"},
    ],
)
def test_bad_parameters_are_400(auth_client, params):
    response = auth_client.get("/history/leaderboard", {"metric": "attack", **params})
    assert response.status_code == 400
    assert response.json()["error_code"] == "validation_error"


def test_leaderboard_needs_a_login(api_client):
    assert api_client.get("/history/leaderboard").status_code == 401


def test_leaderboard_is_one_query(auth_client, clan, django_assert_max_num_queries):
    # The JWT's user, then the page with its total in one SELECT; on PostgreSQL that SELECT runs
    # in a (savepoint) transaction with `SET LOCAL jit = off`.
    with django_assert_max_num_queries(5) as captured:
        response = auth_client.get("/history/leaderboard", {"metric": "attack", "period": "week"})
    assert response.json()["count"] == 3
    reads = [q["sql"] for q in captured.captured_queries if "hiscores_snapshot" in q["sql"]]
    assert len(reads) == 1


@pytest.mark.parametrize("game_mode", [None, GameMode.IRONMAN, GameMode.REGULAR])
@pytest.mark.parametrize("metric", ["attack", "overall", "zulrah"])
def test_portable_orm_query_matches_the_postgresql_one(clan, metric, game_mode):
    player_with("Zulrah Pro", [(0, {"zulrah": 50}), (27, {"zulrah": 80})])
    arguments = {
        "metric": get_metric(metric),
        "start": WEEK_AGO,
        "end": NOW,
        "game_mode": game_mode,
        "limit": 2,
    }
    for offset in (0, 2):
        fast = leaderboard_page(**arguments, offset=offset, portable=False)
        portable = leaderboard_page(**arguments, offset=offset, portable=True)
        assert fast == portable
