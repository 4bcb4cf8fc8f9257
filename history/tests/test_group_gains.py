"""GET /groups/{id}/gains (the leaderboard restricted to members) and /groups/{id}/stats,
against hand-computed values."""

from __future__ import annotations

import pytest
import time_machine
from django.utils import timezone

from hiscores.integration.catalogue import get_metric
from hiscores.models import Snapshot
from history.groups import group_gains
from players.game_modes import GameMode
from players.groups import services
from tests.factories import T0, PlayerFactory, SnapshotFactory, days

pytestmark = pytest.mark.django_db
NOW = T0 + days(30)
WEEK_AGO = NOW - days(7)  # the week: days 23..30


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
    members = [
        player_with(
            "Steady", [(0, {"attack": 1_000}), (20, {"attack": 2_000}), (25, {"attack": 7_000})]
        ),
        player_with(
            "Grinder",
            [(0, {"attack": 1_000}), (22, {"attack": 5_000}), (29, {"attack": 25_000})],
            game_mode=GameMode.IRONMAN,
        ),
        # Tracked from day 26: counted from its first reading (3,000).
        player_with("Newcomer", [(26, {"attack": 6_000}), (28, {"attack": 9_000})]),
        # Counting restarts at the accepted baseline of day 25: 1,000 -> 4,000, not 5M -> 4,000.
        player_with(
            "Based",
            [(0, {"attack": 5_000_000}), (25, {"attack": 1_000}), (27, {"attack": 4_000})],
        ),
        # Paused members still count in their group (gains up to the pause).
        player_with("Paused", [(0, {"attack": 1_000}), (27, {"attack": 2_000})], is_active=False),
        # Nothing gained in the week: not ranked.
        player_with("Idle", [(0, {"attack": 1_000}), (10, {"attack": 90_000})]),
        # Zulrah newly ranked in the week: reported elsewhere, never a gain.
        player_with("Zulrah Fan", [(0, {"zulrah": None}), (27, {"zulrah": 400})]),
    ]
    Snapshot.objects.filter(player=members[3], fetched_at=T0 + days(25)).update(is_baseline=True)
    # Not a member: the biggest gainer of all, never on the group's board.
    player_with("Outsider", [(0, {"attack": 1_000}), (27, {"attack": 900_000})])
    group = services.group_create(name="Clan")
    services.group_members_add(group=group, players=members)
    return group


EXPECTED = [
    # rank, username, gained, start, end (hand-computed from the readings above)
    (1, "Grinder", 20_000, 5_000, 25_000),
    (2, "Steady", 5_000, 2_000, 7_000),
    (3, "Based", 3_000, 1_000, 4_000),  # a tie with Newcomer: by name
    (4, "Newcomer", 3_000, 6_000, 9_000),
    (5, "Paused", 1_000, 1_000, 2_000),
]


@pytest.mark.parametrize("portable", [False, True])
def test_group_gains_match_the_hand_computed_values(clan, portable, monkeypatch):
    from history import leaderboards

    real = leaderboards.leaderboard_page
    monkeypatch.setattr(
        "history.groups.leaderboard_page", lambda **kw: real(**kw, portable=portable)
    )
    page = group_gains(group=clan, metric=get_metric("attack"), start=WEEK_AGO, end=NOW)
    assert [(r.rank, r.username, r.gained, r.start, r.end) for r in page.rows] == EXPECTED
    assert page.total == 5
    assert page.total_gained == 32_000


def test_the_endpoint_answers_the_contract(clan, reader_client):
    response = reader_client.get(f"/groups/{clan.pk}/gains", {"metric": "attack", "period": "week"})
    assert response.status_code == 200
    body = response.json()
    assert body["metric"] == "attack"
    assert body["total_gained"] == 32_000
    assert body["count"] == 5
    assert body["start"].startswith(WEEK_AGO.date().isoformat())
    assert body["end"].startswith(NOW.date().isoformat())
    assert [
        (r["rank"], r["username"], r["gained"], r["start_value"], r["end_value"])
        for r in body["results"]
    ] == EXPECTED


def test_start_and_end_select_the_range(clan, reader_client):
    body = reader_client.get(
        f"/groups/{clan.pk}/gains",
        {"metric": "attack", "start": (T0 + days(26)).isoformat(), "end": NOW.isoformat()},
    ).json()
    # Grinder: 5,000 in force at day 26 -> 25,000; Based: 1,000 (day 25) -> 4,000.
    assert [(r["username"], r["gained"]) for r in body["results"]][:2] == [
        ("Grinder", 20_000),
        ("Based", 3_000),
    ]


def test_newly_ranked_metrics_are_not_gains(clan, reader_client):
    body = reader_client.get(f"/groups/{clan.pk}/gains", {"metric": "zulrah"}).json()
    assert body["results"] == [] and body["total_gained"] == 0 and body["count"] == 0


def test_game_mode_restricts_the_members(clan, reader_client):
    body = reader_client.get(
        f"/groups/{clan.pk}/gains", {"metric": "attack", "period": "week", "game_mode": "ironman"}
    ).json()
    assert [r["username"] for r in body["results"]] == ["Grinder"]
    assert body["total_gained"] == 20_000


def test_gains_are_paginated_like_the_leaderboard(clan, reader_client):
    url = f"/groups/{clan.pk}/gains"
    first = reader_client.get(url, {"metric": "attack", "period": "week", "page_size": 2}).json()
    assert [r["rank"] for r in first["results"]] == [1, 2]
    assert first["count"] == 5 and first["total_gained"] == 32_000  # all pages
    assert "page=2" in first["next"] and first["previous"] is None
    last = reader_client.get(
        url, {"metric": "attack", "period": "week", "page_size": 2, "page": 3}
    ).json()
    assert [r["username"] for r in last["results"]] == ["Paused"] and last["next"] is None
    past = reader_client.get(url, {"metric": "attack", "period": "week", "page_size": 2, "page": 4})
    assert past.status_code == 404


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"metric": "nope"}, 404),
        ({"period": "fortnight"}, 400),
        ({"start": "2026-01-05", "end": "2026-01-05T00:00:00Z"}, 400),
        ({"start": "0001-01-01"}, 400),
        ({"end": "9999-12-31T23:59:59Z"}, 400),
        ({"page": "0"}, 404),
        ({"page": str(2**64)}, 404),
        ({"page_size": "0"}, 400),
        ({"page_size": str(2**63)}, 400),
        ({"game_mode": "pure"}, 400),
        ({"period": "ŵeek"}, 400),
    ],
)
def test_bad_queries_are_4xx_in_the_error_format(clan, reader_client, params, status):
    response = reader_client.get(f"/groups/{clan.pk}/gains", params)
    assert response.status_code == status, response.content
    assert {"error_code", "message", "details"} <= set(response.json())


def test_unknown_group_gains_are_404(reader_client):
    assert reader_client.get("/groups/999999/gains").status_code == 404
    assert reader_client.get("/groups/999999/stats").status_code == 404


# --- Stats ----


def test_stats_count_members_levels_and_xp(reader_client):
    a = PlayerFactory(username="Alpha", schedule=False)
    SnapshotFactory(player=a, values={}, default_xp=0, at=days(1))
    SnapshotFactory(player=a, values={"attack": 13_034_431}, default_xp=0, at=days(5))
    b = PlayerFactory(
        username="Bravo",
        game_mode=GameMode.IRONMAN,
        flag_reason="xp fell",
        flagged_at=timezone.now(),
        schedule=False,
    )
    SnapshotFactory(player=b, at=days(2))  # 24 skills at 1M XP: 24M XP, total level 1,752
    c = PlayerFactory(
        username="Charlie",
        game_mode=GameMode.HARDCORE,
        is_active=False,
        missing_since=timezone.now(),
        schedule=False,
    )
    d = PlayerFactory(username="Delta", schedule=False)
    unranked = SnapshotFactory(player=d, values={}, default_xp=None, at=days(3))
    Snapshot.objects.filter(pk=unranked.pk).update(  # Overall off the hiscores: stored null
        overall_experience=None, overall_level=None, overall_rank=None
    )
    outsider = PlayerFactory(username="Outsider", schedule=False)
    SnapshotFactory(player=outsider, at=days(2))
    group = services.group_create(name="Clan")
    services.group_members_add(group=group, players=[a, b, c, d])

    body = reader_client.get(f"/groups/{group.pk}/stats").json()

    assert body["member_count"] == 4
    assert (body["active"], body["paused"]) == (3, 1)
    assert body["by_game_mode"] == {
        "regular": 2,
        "ironman": 1,
        "hardcore": 1,
        "ultimate": 0,
    }
    assert body["ranked"] == 2
    # Alpha's latest: 13,034,431 XP, total level 99 + 23 = 122; Bravo: 24,000,000 and 1,752.
    assert body["total_experience"] == 37_034_431
    assert body["average_experience"] == 18_517_215.5
    assert body["total_level"] == 1_874
    assert body["average_level"] == 937.0
    assert body["flagged"] == ["Bravo"]
    assert body["missing"] == ["Charlie"]
    assert body["without_snapshots"] == ["Charlie"]
    assert body["unranked"] == ["Delta"]


def test_stats_of_an_empty_group(reader_client):
    group = services.group_create(name="Empty")
    body = reader_client.get(f"/groups/{group.pk}/stats").json()
    assert body["member_count"] == 0 and body["average_level"] is None
