"""GET /system/stats against a known set of players, snapshots, fetch outcomes and parties; and
the fetch-outcome counters behind it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.utils import timezone

from hiscores.models import FetchOutcomeCount, Snapshot
from hiscores.outcome_counts import fetch_outcome_record
from hiscores.outcomes import COUNTED_OUTCOMES, ROLLUP_HOUR
from osrs_diff.api_tasks import api_task_start
from osrs_diff.system import selectors
from players.game_modes import GameMode
from players.models import Player
from tests.broker import broker_at
from tests.factories import DropFactory, PartyFactory, PlayerFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 20, 12, 30, tzinfo=UTC)


def record(outcome: str, at: datetime, times: int = 1) -> None:
    for _ in range(times):
        fetch_outcome_record(outcome=outcome, at=at)


@pytest.fixture
def known_world():
    """3 regular (1 paused), 2 ironmen (1 flagged), 1 hardcore; 4 snapshots; fetches; parties."""
    players = [
        PlayerFactory(game_mode=GameMode.REGULAR),
        PlayerFactory(game_mode=GameMode.REGULAR),
        PlayerFactory(game_mode=GameMode.REGULAR, is_active=False),
        PlayerFactory(game_mode=GameMode.IRONMAN),
        PlayerFactory(game_mode=GameMode.IRONMAN, flag_reason="Values went down", flagged_at=NOW),
        PlayerFactory(game_mode=GameMode.HARDCORE),
    ]
    for i in range(4):
        Snapshot.objects.create(
            player=players[i % 2], fetched_at=NOW - timedelta(hours=i), board="hiscore_oldschool"
        )
    # Within the last 24 h: 3 stored, 9 unchanged, 1 not found, 2 unavailable, 1 rejected.
    record("success", NOW - timedelta(hours=1), 2)
    record("success", NOW - timedelta(minutes=5))
    record("unchanged", NOW - timedelta(hours=23), 4)
    record("unchanged", NOW, 5)
    record("not_found", NOW - timedelta(hours=3))
    record("unavailable", NOW - timedelta(hours=2), 2)
    record("rejected", NOW - timedelta(minutes=20))
    # Older than 24 h: never in the stats.
    record("success", NOW - timedelta(hours=26), 7)
    record("unavailable", NOW - timedelta(days=3), 3)

    # One open party with 2 drops in the last hour and 1 older; one idle (not open any more);
    # one ended with a drop 50 minutes ago.
    open_party = PartyFactory(
        world=301,
        created_at=NOW - timedelta(hours=2),
        last_drop_at=NOW - timedelta(minutes=1),
        ended_at=None,
    )
    DropFactory(party=open_party, received_at=NOW - timedelta(minutes=90))
    DropFactory(party=open_party, received_at=NOW - timedelta(minutes=30))
    DropFactory(party=open_party, received_at=NOW - timedelta(minutes=1))
    PartyFactory(
        world=302,
        created_at=NOW - timedelta(hours=1),
        last_drop_at=NOW - timedelta(minutes=10),
        ended_at=None,
    )
    ended = PartyFactory(
        world=303, created_at=NOW - timedelta(hours=3), last_drop_at=NOW - timedelta(minutes=50)
    )
    DropFactory(party=ended, received_at=NOW - timedelta(minutes=50))
    DropFactory(party=ended, received_at=NOW - timedelta(hours=2))
    return players


def test_stats_numbers_match_the_known_fixture_set(staff_client, known_world):
    with time_machine.travel(NOW, tick=False):
        stats = selectors.system_stats()

    assert stats["players"] == {
        "total": 6,
        "active": 5,
        "paused": 1,
        "flagged": 1,
        "missing": 0,
        "by_game_mode": {"regular": 3, "ironman": 2, "hardcore": 1, "ultimate": 0},
    }
    assert stats["snapshots"] == {"stored": 4, "estimated": False}
    assert stats["fetches_24h"] == {
        "success": 3,
        "unchanged": 9,
        "not_found": 1,
        "unavailable": 2,
        "rejected": 1,
        "deferred": 0,
        "stale": 0,
        "total": 16,
    }
    assert stats["dedup_ratio_24h"] == 0.75  # 9 unchanged of 12 good readings
    assert stats["drops"] == {"open_parties": 1, "drops_last_hour": 3}
    assert stats["queues"]["backend"] == "redis"
    assert stats["queues"]["available"] is True
    assert stats["queues"]["depth"] == {"interactive": 0, "maintenance": 0, "scheduled": 0}
    assert stats["queues"]["oldest_age_seconds"] == {
        "interactive": None,
        "maintenance": None,
        "scheduled": None,
    }
    assert stats["hiscores"]["circuit_breaker"]["state"] == "closed"
    assert "estimated_wait_seconds" in stats["hiscores"]["rate_limiter"]


def test_the_endpoint_shows_the_same_numbers(staff_client, known_world):
    body = staff_client.get("/system/stats").json()

    assert body["players"]["total"] == 6
    # Every counted outcome is in the answer (the serializer once dropped deferred and stale).
    assert set(body["fetches_24h"]) == {*COUNTED_OUTCOMES, "total"}
    assert body["fetches_24h"] == selectors.system_stats()["fetches_24h"]
    assert set(body) == {
        "generated_at",
        "players",
        "snapshots",
        "fetches_24h",
        "dedup_ratio_24h",
        "hiscores",
        "queues",
        "drops",
        "fetch_budget",
    }


def test_stats_are_a_handful_of_queries(known_world, django_assert_max_num_queries):
    with django_assert_max_num_queries(7):  # + the fetch-demand aggregate
        selectors.system_stats()


def test_without_readings_the_dedup_ratio_is_null():
    stats = selectors.system_stats()
    assert stats["dedup_ratio_24h"] is None
    assert stats["fetches_24h"]["total"] == 0


def test_queue_depth_counts_waiting_messages_per_queue_with_the_oldest_age():
    import time

    api_task_start(task="drops.end_idle_parties")  # a system task: maintenance
    api_task_start(task="drops.end_idle_parties")
    api_task_start(task="hiscores.fetch_player", kwargs={"player_id": 1}, queue="interactive")

    queues = selectors.queue_depths(now=time.time() + 30)
    assert queues["depth"] == {"interactive": 1, "maintenance": 2, "scheduled": 0}
    ages = queues["oldest_age_seconds"]
    assert 29 <= ages["maintenance"] <= 60 and 29 <= ages["interactive"] <= 60
    assert ages["scheduled"] is None


def test_queue_depth_is_unknown_when_the_broker_is_down(settings):

    with broker_at("redis://127.0.0.1:1/0"):
        queues = selectors.queue_depths()
    assert queues["available"] is False
    assert queues["depth"] == {"interactive": None, "maintenance": None, "scheduled": None}
    assert queues["error"]


def test_queue_depth_of_the_filesystem_broker_counts_its_files(tmp_path):

    (tmp_path / "1_a.scheduled.msg").write_text("{}")
    (tmp_path / "2_b.scheduled.msg").write_text("{}")
    (tmp_path / "3_c.other.msg").write_text("{}")
    with broker_at("filesystem://", data_folder_in=str(tmp_path)):
        queues = selectors.queue_depths()
    assert queues["backend"] == "filesystem" and queues["available"] is True
    assert queues["depth"] == {"interactive": 0, "maintenance": 0, "scheduled": 2, "other": 1}
    assert queues["oldest_age_seconds"]["scheduled"] >= 0
    assert queues["oldest_age_seconds"]["interactive"] is None


def test_large_tables_are_estimated_not_counted(monkeypatch):
    monkeypatch.setattr(selectors, "EXACT_COUNT_LIMIT", 0)
    PlayerFactory()
    # reltuples is -1 before the first ANALYZE; after it the estimate is used.
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE players_player")
    rows, estimated = selectors.table_count(Player)
    assert (rows, estimated) == (1, True)


# --- The counters ----


def test_each_outcome_is_one_row_per_hour():
    at = datetime(2026, 11, 20, 12, 5, tzinfo=UTC)
    record("success", at, 3)
    record("success", at + timedelta(minutes=55))
    record("unchanged", at)

    rows = {(row.hour, row.outcome): row.count for row in FetchOutcomeCount.objects.all()}
    assert rows == {
        (datetime(2026, 11, 20, 12, tzinfo=UTC), "success"): 3,
        (datetime(2026, 11, 20, 13, tzinfo=UTC), "success"): 1,
        (datetime(2026, 11, 20, 12, tzinfo=UTC), "unchanged"): 1,
    }


def test_skipped_fetches_are_not_counted():
    record("skipped", timezone.now())
    assert not FetchOutcomeCount.objects.exists()


def test_old_hours_fold_into_the_rollup_so_totals_never_shrink():
    start = datetime(2026, 11, 1, tzinfo=UTC)
    record("success", start, 2)
    record("success", start + timedelta(days=2), 3)
    record("unchanged", start, 4)

    record("success", start + timedelta(days=9))  # first count of a new hour: folds > 8 days

    success = FetchOutcomeCount.objects.filter(outcome="success")
    assert {row.hour: row.count for row in success} == {
        ROLLUP_HOUR: 2,
        start + timedelta(days=2): 3,
        start + timedelta(days=9): 1,
    }
    # Other outcomes fold on their own next count; totals are the same either way.
    assert selectors.fetch_outcome_counts()["success"] == 6
    assert selectors.fetch_outcome_counts()["unchanged"] == 4
    assert selectors.fetch_outcome_counts(since=start + timedelta(days=8))["success"] == 1
