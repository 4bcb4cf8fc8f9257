"""Gains restart at a baseline: progress, one metric's history, charts and leaderboards never
count the jump into an accepted reading (as a newly ranked metric never counts its first value).
"""

import re

import pytest
import time_machine

from hiscores.baselines import snapshot_baseline_accept
from hiscores.integration.catalogue import get_metric
from history import gains
from history.leaderboards import leaderboard_page
from history.selectors import player_metric_history, player_progress_between
from players.models import Player
from tests.factories import T0, PlayerFactory, days, record_snapshot

pytestmark = pytest.mark.django_db
NOW = T0 + days(30)


@pytest.fixture(autouse=True)
def frozen_now():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def taken_over():
    """Attack fell 5M -> 1,000 on day 2 while strength jumped 1M -> 3M (a new account): the
    operator accepted that reading; on day 4 the new account trained 2,000 attack XP."""
    player = PlayerFactory(username="Zezima", schedule=False)
    assert record_snapshot(player, {"attack": 5_000_000}, at=days(0)) == "success"
    assert (
        record_snapshot(player, {"attack": 1_000, "strength": 3_000_000}, at=days(2)) == "rejected"
    )
    snapshot_baseline_accept(player=Player.objects.get(pk=player.pk))
    assert (
        record_snapshot(player, {"attack": 3_000, "strength": 3_000_000}, at=days(4)) == "success"
    )
    return player


def steady(name="Steady", gained=1_500):
    player = PlayerFactory(username=name, schedule=False)
    record_snapshot(player, {"attack": 1_000_000}, at=days(0))
    record_snapshot(player, {"attack": 1_000_000 + gained}, at=days(4))
    return player


@pytest.mark.parametrize(
    ("start", "readings", "expected"),
    [
        # (fetched_at day, is_baseline) of the start reading and of the later readings
        ((0, False), [], 0),
        ((0, False), [(1, False), (3, False)], 0),
        ((0, False), [(2, True), (4, False)], 2),
        ((0, False), [(2, True), (3, True), (4, False)], 3),
        ((2, True), [(4, False)], 2),
        ((3, False), [(2, True)], 3),  # a baseline before the start reading changes nothing
    ],
)
def test_counting_start_is_the_latest_baseline_after_the_start(start, readings, expected):
    def row(day, baseline):
        return {"fetched_at": T0 + days(day), "is_baseline": baseline}

    chosen = gains.counting_start(row(*start), [row(*r) for r in readings])
    assert chosen["fetched_at"] == T0 + days(expected)


def test_progress_across_a_baseline_counts_from_it(taken_over):
    progress = player_progress_between(
        player=taken_over, start=T0 - days(1), end=T0 + days(5), now=NOW
    ).as_dict()
    assert progress["experience_gained"]["attack"] == 2_000
    assert "strength" not in progress["experience_gained"]  # the jump into the baseline
    assert progress["start_snapshot_at"] == T0 + days(2)
    assert progress["days_elapsed"] == 3.0  # from the baseline to the range end


def test_progress_inside_one_side_of_the_baseline_is_unchanged(taken_over):
    before = player_progress_between(
        player=taken_over, start=T0 - days(1), end=T0 + days(1), now=NOW
    ).as_dict()
    assert "attack" not in before["experience_gained"]  # 5M all along
    after = player_progress_between(
        player=taken_over, start=T0 + days(3), end=T0 + days(5), now=NOW
    ).as_dict()
    assert after["experience_gained"]["attack"] == 2_000


def test_metric_history_and_its_chart_restart_at_the_baseline(taken_over, auth_client):
    history = player_metric_history(
        player=taken_over,
        metric=get_metric("attack"),
        start=T0 - days(1),
        end=T0 + days(5),
        now=NOW,
    )
    assert history.gained == 2_000
    assert [point.value for point in history.timeline] == [1_000, 3_000]
    body = auth_client.get(
        "/players/zezima/history/skills/attack", {"start": "2025-12-31", "end": "2026-01-06"}
    ).json()
    assert body["gained"] == 2_000
    assert body["start"]["value"] == 1_000
    chart = auth_client.get(
        "/players/zezima/history/attack/chart.svg", {"start": "2025-12-31", "end": "2026-01-06"}
    )
    assert chart.status_code == 200
    # Its axis spans the new account's thousands, not the old account's millions.
    assert not re.search(rb">[0-9.]+M<", chart.content), chart.content


@pytest.mark.parametrize("portable", [False, True])
def test_leaderboard_counts_from_the_baseline(taken_over, portable):
    steady()
    page = leaderboard_page(
        metric=get_metric("attack"),
        start=T0 - days(1),
        end=T0 + days(5),
        portable=portable,
    )
    assert [(row.username, row.start, row.end, row.gained) for row in page.rows] == [
        ("Zezima", 1_000, 3_000, 2_000),
        ("Steady", 1_000_000, 1_001_500, 1_500),
    ]
    strength = leaderboard_page(
        metric=get_metric("strength"), start=T0 - days(1), end=T0 + days(5), portable=portable
    )
    assert strength.rows == []  # 1M -> 3M is the jump into the baseline, not a gain
