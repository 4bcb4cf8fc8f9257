"""Drill 5: beat restarted, and a second beat started by mistake."""

from __future__ import annotations

import pytest

from tests.drills.scenarios import drill_double_beat

pytestmark = [
    pytest.mark.slow,
    # Players, their PeriodicTasks and snapshots; the flush spares the data migrations' tasks.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_no_player_is_fetched_twice_for_one_due_time(procs, workdir):
    result = drill_double_beat(procs=procs, workdir=workdir, interval_seconds=4)

    print(
        f"\ndrill 5: {result.players} players every {result.interval_seconds} s for "
        f"{result.seconds:.0f} s: beats sent {result.sends} fetches, {result.hiscores_requests} "
        f"reached the hiscores, {result.skipped_as_claimed} copies skipped; shortest gap "
        f"between two requests for one player {result.min_gap_seconds:.2f} s"
    )
    logs = result.logs[-4000:]
    # The drill did double-send: more sends than fetches.
    assert result.skipped_as_claimed > 0, logs
    assert result.hiscores_requests + result.skipped_as_claimed <= result.sends
    # Never two fetches of one player for one due time: at least half an interval apart.
    assert result.min_gap_seconds >= result.interval_seconds / 2 - 0.25, logs
    # Every player kept being fetched, one stored row per fetch, none repeated.
    assert all(count >= 3 for count in result.requests_per_player.values()), logs
    assert result.snapshots_per_player == result.requests_per_player
    assert result.repeated_rows == 0
