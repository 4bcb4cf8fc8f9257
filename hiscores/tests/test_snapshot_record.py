"""snapshot_record: store only progress, never rank drift, never a fall; last_fetched moves."""

from datetime import timedelta

import pytest

from hiscores.models import Snapshot
from hiscores.services import FetchStatus, snapshot_record
from tests.factories import T0, PlayerFactory, reading

pytestmark = pytest.mark.django_db


@pytest.fixture
def player():
    return PlayerFactory(username="Zezima")


def record(player, value_reading):
    outcome = snapshot_record(player_id=player.pk, reading=value_reading)
    player.refresh_from_db()
    return outcome


def test_the_first_reading_is_stored(player):
    outcome = record(player, reading({"attack": 500_000, "zulrah": 12}))

    assert outcome.status == FetchStatus.SUCCESS
    snapshot = Snapshot.objects.get(pk=outcome.snapshot_id)
    assert snapshot.attack_experience == 500_000
    assert snapshot.zulrah_score == 12
    assert snapshot.vorkath_score is None  # unranked
    assert snapshot.fetched_at == T0
    assert player.last_fetched == T0 and player.last_changed == T0
    assert player.last_fetch_status == FetchStatus.SUCCESS


def test_it_skips_snapshot_when_nothing_changed_but_moves_last_fetched(player):
    record(player, reading({"attack": 500_000}))

    outcome = record(player, reading({"attack": 500_000}, at=timedelta(hours=1)))

    assert outcome.status == FetchStatus.UNCHANGED
    assert Snapshot.objects.filter(player=player).count() == 1
    assert player.last_fetched == T0 + timedelta(hours=1)
    assert player.last_changed == T0


def test_rank_drift_alone_stores_nothing(player):
    record(player, reading({"attack": 500_000}, ranks={"attack": 1000, "overall": 5000}))

    outcome = record(
        player,
        reading(
            {"attack": 500_000}, ranks={"attack": 1200, "overall": 5300}, at=timedelta(hours=1)
        ),
    )

    assert outcome.status == FetchStatus.UNCHANGED
    assert Snapshot.objects.filter(player=player).count() == 1


def test_rank_drift_counts_when_ranks_are_included(player, settings):
    settings.SNAPSHOT_DEDUP_INCLUDE_RANKS = True
    record(player, reading({"attack": 500_000}, ranks={"attack": 1000}))

    outcome = record(player, reading({"attack": 500_000}, ranks={"attack": 1200}, at=timedelta(1)))

    assert outcome.status == FetchStatus.SUCCESS
    assert Snapshot.objects.filter(player=player).count() == 2


def test_one_xp_change_stores_one_row(player):
    record(player, reading({"attack": 500_000}))

    outcome = record(player, reading({"attack": 500_001}, at=timedelta(hours=1)))

    assert outcome.status == FetchStatus.SUCCESS
    assert list(
        Snapshot.objects.filter(player=player)
        .order_by("fetched_at")
        .values_list("attack_experience", flat=True)
    ) == [500_000, 500_001]
    assert player.last_changed == T0 + timedelta(hours=1)


def test_a_new_boss_kill_count_is_progress(player):
    record(player, reading({"zulrah": 10}))

    assert record(player, reading({"zulrah": 11}, at=timedelta(hours=1))).status == "success"


def test_decreasing_values_are_rejected_flagged_and_not_stored(player):
    record(player, reading({"attack": 500_000, "zulrah": 50}))

    outcome = record(player, reading({"attack": 400_000, "zulrah": 50}, at=timedelta(hours=1)))

    assert outcome.status == FetchStatus.REJECTED
    assert Snapshot.objects.filter(player=player).count() == 1
    assert "attack experience 500000 -> 400000" in player.flag_reason
    assert player.flagged_at == T0 + timedelta(hours=1)
    assert player.last_fetch_status == FetchStatus.REJECTED
    assert player.last_fetched == T0 + timedelta(hours=1)
    assert {"metric": "attack", "field": "experience", "before": 500_000, "after": 400_000} in (
        outcome.details
    )


def test_the_flag_clears_when_a_plausible_reading_arrives(player):
    record(player, reading({"attack": 500_000}))
    record(player, reading({"attack": 1}, at=timedelta(hours=1)))
    assert player.flag_reason

    outcome = record(player, reading({"attack": 500_100}, at=timedelta(hours=2)))

    assert outcome.status == FetchStatus.SUCCESS
    assert player.flag_reason == "" and player.flagged_at is None


@pytest.mark.parametrize("metric", ["last_man_standing", "pvp_arena", "bounty_hunter_hunter"])
def test_ratings_may_go_down(player, metric):
    record(player, reading({metric: 1500}))

    outcome = record(player, reading({metric: 1400}, at=timedelta(hours=1)))

    assert outcome.status == FetchStatus.SUCCESS


def test_a_metric_turning_unranked_is_not_a_fall(player):
    record(player, reading({"zulrah": 50, "attack": 500_000}))

    outcome = record(player, reading({"zulrah": None, "attack": 500_000}, at=timedelta(hours=1)))

    assert outcome.status == FetchStatus.SUCCESS
    latest = Snapshot.objects.filter(player=player).latest("fetched_at")
    assert latest.zulrah_score is None


def test_a_removed_row_is_absent_not_zero(player):
    outcome = record(player, reading({"zulrah": 50}, omit=["zulrah"]))

    assert Snapshot.objects.get(pk=outcome.snapshot_id).zulrah_score is None


def test_an_unknown_metric_is_kept_and_its_progress_counts(player):
    new_boss = {"name": "The Brand New Boss", "rank": 900, "score": 7}
    record(player, reading(extra_rows=[new_boss]))

    outcome = record(player, reading(extra_rows=[{**new_boss, "score": 8}], at=timedelta(1)))

    assert outcome.status == FetchStatus.SUCCESS
    snapshot = Snapshot.objects.get(pk=outcome.snapshot_id)
    assert snapshot.extra["the_brand_new_boss"] == {"kind": "boss", "rank": 900, "score": 8}


def test_lynx_titans_overall_is_stored_exactly(player):
    outcome = record(player, reading(default_xp=200_000_000))

    snapshot = Snapshot.objects.get(pk=outcome.snapshot_id)
    assert snapshot.overall_experience == 4_800_000_000
    assert snapshot.sailing_experience == 200_000_000


def test_last_fetched_never_moves_backwards(player):
    record(player, reading({"attack": 500_000}, at=timedelta(hours=5)))

    record(player, reading({"attack": 400_000}, at=timedelta(hours=1)))  # a late, older reading

    assert player.last_fetched == T0 + timedelta(hours=5)


def test_recording_the_same_reading_twice_stores_it_once(player):
    same = reading({"attack": 500_000})
    first = record(player, same)

    second = record(player, same)

    assert second.status == FetchStatus.UNCHANGED
    assert second.snapshot_id == first.snapshot_id
    assert Snapshot.objects.filter(player=player).count() == 1


def test_a_deleted_player_is_a_no_op(player):
    player_id = player.pk
    player.delete()

    outcome = snapshot_record(player_id=player_id, reading=reading())

    assert outcome.status == FetchStatus.SKIPPED
    assert not Snapshot.objects.exists()


def test_a_backfilled_reading_equal_to_the_next_row_stores_nothing(player):
    record(player, reading({"attack": 500_000}, at=timedelta(hours=5)))

    outcome = record(player, reading({"attack": 500_000}, at=timedelta(hours=1)))

    assert outcome.status == FetchStatus.UNCHANGED
    assert Snapshot.objects.filter(player=player).count() == 1


def test_a_backfilled_reading_between_two_rows_is_stored_in_place(player):
    record(player, reading({"attack": 500_000}))
    record(player, reading({"attack": 700_000}, at=timedelta(hours=5)))

    outcome = record(player, reading({"attack": 600_000}, at=timedelta(hours=2)))

    assert outcome.status == FetchStatus.SUCCESS
    assert list(
        Snapshot.objects.filter(player=player)
        .order_by("fetched_at")
        .values_list("attack_experience", flat=True)
    ) == [500_000, 600_000, 700_000]
