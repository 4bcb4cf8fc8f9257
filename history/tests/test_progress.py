"""player_progress_between: the readings in force at each end of a range, and what changed."""

import pytest

from history.selectors import player_progress_between
from osrs_diff.exceptions import NotFound
from tests.factories import T0, PlayerFactory, SnapshotFactory, days, record_snapshot

pytestmark = pytest.mark.django_db
LATER = T0 + days(365)  # "now" for every test: the ranges below have fully elapsed


@pytest.fixture
def player():
    return PlayerFactory(username="Zezima", schedule=False)


def progress(player, start, end):
    return player_progress_between(player=player, start=start, end=end, now=LATER)


def test_gains_across_a_deduplicated_stretch(player):
    record_snapshot(player, {"attack": 1_000}, at=days(0))
    record_snapshot(player, {"attack": 5_000}, at=days(1))
    # Nothing changed on days 2-9: those readings are not stored.
    assert record_snapshot(player, {"attack": 5_000}, at=days(2)) == "unchanged"
    assert record_snapshot(player, {"attack": 5_000}, at=days(5)) == "unchanged"
    record_snapshot(player, {"attack": 9_000}, at=days(10))

    quiet = progress(player, T0 + days(3), T0 + days(9))
    assert quiet.window.start_snapshot_at == T0 + days(1)  # in force since day 1
    assert quiet.window.end_snapshot_at == T0 + days(1)
    assert quiet.gains.experience_gained == {"overall": 0}
    assert quiet.gains.boss_kills_gained == {}

    spanning = progress(player, T0 + days(3), T0 + days(12))
    assert spanning.gains.experience_gained == {"overall": 4_000, "attack": 4_000}
    assert spanning.window.end_snapshot_at == T0 + days(10)
    assert spanning.window.days_elapsed == 9
    assert spanning.gains.daily_rates["attack"] == round(4_000 / 9, 2)


def test_range_starting_before_the_first_snapshot_starts_at_it(player):
    record_snapshot(player, {"attack": 1_000}, at=days(0))
    record_snapshot(player, {"attack": 4_000}, at=days(2))

    result = progress(player, T0 - days(30), T0 + days(3))

    assert result.window.started_at_first_snapshot is True
    assert result.window.period_start == T0 - days(30)
    assert result.window.start_snapshot_at == T0
    assert result.gains.experience_gained["attack"] == 3_000  # not 4,000 from nothing
    assert result.window.days_elapsed == 3  # real time since the first reading
    assert result.gains.daily_rates["attack"] == 1_000.0


def test_range_inside_tracking_does_not_start_at_first_snapshot(player):
    record_snapshot(player, {"attack": 1_000}, at=days(0))
    result = progress(player, T0 + days(1), T0 + days(2))
    assert result.window.started_at_first_snapshot is False


def test_newly_ranked_boss_is_not_a_gain_of_its_whole_value(player):
    record_snapshot(player, {"attack": 1_000}, at=days(0))  # zulrah unranked
    record_snapshot(player, {"attack": 2_000, "zulrah": 7, "vorkath": 30}, at=days(1))
    record_snapshot(player, {"attack": 2_000, "zulrah": 7, "vorkath": 42}, at=days(2))

    result = progress(player, T0 + days(0.5), T0 + days(3))

    assert result.gains.boss_kills_gained == {}
    newly = {entry["metric"]: entry for entry in result.gains.newly_ranked}
    assert newly["zulrah"]["value"] == 7
    assert newly["zulrah"]["kind"] == "boss"
    assert newly["vorkath"]["value"] == 42
    assert "zulrah" not in result.gains.daily_rates

    later = progress(player, T0 + days(1.5), T0 + days(3))
    assert later.gains.boss_kills_gained == {"vorkath": 12}
    assert later.gains.newly_ranked == []


def test_rank_changes_are_reported_negative_when_climbing(player):
    record_snapshot(
        player, {"attack": 1_000, "zulrah": 10}, at=days(0), ranks={"attack": 5_000, "zulrah": 900}
    )
    record_snapshot(
        player, {"attack": 2_000, "zulrah": 11}, at=days(1), ranks={"attack": 4_200, "zulrah": 950}
    )

    changes = progress(player, T0, T0 + days(1)).gains.rank_changes

    assert changes["attack"] == {"start": 5_000, "end": 4_200, "change": -800}
    assert changes["zulrah"] == {"start": 900, "end": 950, "change": 50}
    assert "defence" not in changes  # same rank at both ends


def test_rates_over_fractional_days(player):
    record_snapshot(player, {"attack": 10_000, "zulrah": 5}, at=days(0))
    record_snapshot(player, {"attack": 13_000, "zulrah": 8}, at=days(1.5))

    result = progress(player, T0, T0 + days(1.5))  # 36 hours

    assert result.window.days_elapsed == 1.5
    assert result.gains.daily_rates["attack"] == 2_000.0
    assert result.gains.daily_rates["overall"] == 2_000.0
    assert result.gains.daily_rates["zulrah"] == 2.0


def test_levels_gained_follow_the_experience(player):
    record_snapshot(player, {"attack": 0}, at=days(0))
    record_snapshot(player, {"attack": 13_363}, at=days(1))  # level 1 -> 30

    result = progress(player, T0, T0 + days(1))

    assert result.gains.levels_gained["attack"] == 29
    assert result.gains.levels_gained["overall"] == 29


def test_range_ending_in_the_future_counts_time_until_now(player):
    record_snapshot(player, {"attack": 1_000}, at=days(0))
    record_snapshot(player, {"attack": 2_000}, at=days(1))

    result = player_progress_between(player=player, start=T0, end=T0 + days(10), now=T0 + days(2))

    assert result.window.period_end == T0 + days(10)
    assert result.window.days_elapsed == 2


def test_metrics_the_catalogue_does_not_know_yet_are_included(player):
    new_boss = {"name": "Brand New Boss", "rank": 40, "score": 5}
    record_snapshot(player, {"attack": 1_000}, at=days(0), extra_rows=[new_boss])
    record_snapshot(player, {"attack": 1_000}, at=days(1), extra_rows=[{**new_boss, "score": 9}])

    result = progress(player, T0, T0 + days(1))

    assert result.gains.boss_kills_gained == {"brand_new_boss": 4}


def test_no_snapshot_up_to_the_end_is_a_404(player):
    record_snapshot(player, {"attack": 1_000}, at=days(5))
    with pytest.raises(NotFound) as caught:
        progress(player, T0 - days(10), T0)
    assert caught.value.error_code == "no_snapshot"


def test_progress_is_one_query_however_long_the_history(player, django_assert_num_queries):
    SnapshotFactory.create_history(
        player, ((days(day), {"attack": 1_000 + day * 100, "zulrah": day + 5}) for day in range(40))
    )

    with django_assert_num_queries(1):
        result = progress(player, T0 + days(5), T0 + days(30))

    assert result.gains.experience_gained["attack"] == 2_500
    assert result.gains.boss_kills_gained == {"zulrah": 25}
