"""The pure gain rules: gains, newly ranked metrics, rank changes and daily rates."""

import pytest

from hiscores.integration.catalogue import MetricKind
from history.gains import (
    MetricValue,
    compute_gains,
    daily_rate,
    is_newly_ranked,
    metric_gain,
    rank_change,
)

SKILL, BOSS, ACTIVITY = MetricKind.SKILL, MetricKind.BOSS, MetricKind.ACTIVITY
UNRANKED_BOSS = MetricValue(BOSS, None, None)


def skill(xp, level, rank=1000):
    return MetricValue(SKILL, rank, xp, level)


def boss(kills, rank=500):
    return MetricValue(BOSS, rank, kills)


@pytest.mark.parametrize(
    ("start", "end", "gained", "newly"),
    [
        (skill(100, 2), skill(350, 4), 250, False),
        (skill(100, 2), skill(100, 2), 0, False),
        (boss(5), boss(12), 7, False),
        (UNRANKED_BOSS, boss(7), None, True),  # appeared on the hiscores at 7 kills: not +7
        (None, boss(7), None, True),
        (boss(7), UNRANKED_BOSS, None, False),  # dropped off the hiscores: no gain, no loss
        (UNRANKED_BOSS, UNRANKED_BOSS, None, False),
    ],
)
def test_gain_and_newly_ranked(start, end, gained, newly):
    assert metric_gain(start, end) == gained
    assert is_newly_ranked(start, end) is newly


@pytest.mark.parametrize(
    ("start_rank", "end_rank", "change"),
    [(5000, 4200, -800), (4200, 5000, 800), (10, 10, 0), (None, 10, None), (10, None, None)],
)
def test_rank_change_is_negative_when_climbing(start_rank, end_rank, change):
    assert rank_change(boss(5, start_rank), boss(9, end_rank)) == change


@pytest.mark.parametrize(
    ("gained", "days", "rate"),
    [(300, 1.5, 200.0), (1, 3, 0.33), (0, 2, None), (None, 2, None), (5, 0, None)],
)
def test_daily_rate_uses_real_elapsed_days(gained, days, rate):
    assert daily_rate(gained, days) == rate


def test_compute_gains_lists_changes_plus_overall():
    start = {
        "overall": skill(1_000_000, 500, 90_000),
        "attack": skill(100_000, 49, 300_000),
        "defence": skill(50_000, 40, 400_000),
        "zulrah": boss(10, 8_000),
        "vorkath": UNRANKED_BOSS,
        "clue_scrolls_all": MetricValue(ACTIVITY, 2000, 40),
        "new_boss": MetricValue(BOSS, None, None),
    }
    end = {
        "overall": skill(1_050_000, 501, 85_000),
        "attack": skill(150_000, 51, 250_000),
        "defence": skill(50_000, 40, 401_000),
        "zulrah": boss(25, 6_000),
        "vorkath": boss(50, 90_000),
        "clue_scrolls_all": MetricValue(ACTIVITY, 1900, 42),
        "new_boss": boss(3, 77),
    }

    gains = compute_gains(start, end, days=2)

    assert gains.experience_gained == {"overall": 50_000, "attack": 50_000}
    assert gains.levels_gained == {"overall": 1, "attack": 2}
    assert gains.boss_kills_gained == {"zulrah": 15}
    assert gains.activities_gained == {"clue_scrolls_all": 2}
    assert gains.rank_changes["attack"] == {"start": 300_000, "end": 250_000, "change": -50_000}
    assert gains.rank_changes["defence"]["change"] == 1_000  # fell behind others
    assert gains.rank_changes["overall"]["change"] == -5_000
    assert [entry["metric"] for entry in gains.newly_ranked] == ["vorkath", "new_boss"]
    assert gains.newly_ranked[0] == {
        "metric": "vorkath",
        "kind": "boss",
        "value": 50,
        "rank": 90_000,
    }
    assert gains.daily_rates == {
        "overall": 25_000.0,
        "attack": 25_000.0,
        "clue_scrolls_all": 1.0,
        "zulrah": 7.5,
    }


def test_overall_is_listed_even_without_progress():
    same = {"overall": skill(1_000, 30, 5), "attack": skill(1_000, 9, 5)}
    gains = compute_gains(same, same, days=1)
    assert gains.experience_gained == {"overall": 0}
    assert gains.levels_gained == {"overall": 0}
    assert gains.daily_rates == {}
