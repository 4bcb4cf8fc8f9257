"""Drill 1: a worker killed with SIGKILL in the middle of a fetch loses nothing, stores once."""

from __future__ import annotations

import pytest

from tests.drills.scenarios import drill_worker_kill

pytestmark = [
    pytest.mark.slow,
    # The worker processes must see committed rows; only these apps' tables are emptied after.
    pytest.mark.django_db(transaction=True, available_apps=["players", "hiscores", "osrs_diff"]),
]


def test_a_killed_pool_process_has_its_fetch_redelivered_at_once_and_stored_once(procs, workdir):
    result = drill_worker_kill(procs=procs, workdir=workdir, mode="child", visibility_timeout=300)

    print(f"\ndrill 1 (pool child killed): redelivered after {result.redelivery_seconds:.2f} s")
    # Requeued by the worker itself (reject on worker lost): no wait for the visibility timeout.
    assert result.redelivery_seconds < 10, result.worker_log[-3000:]
    assert result.hiscores_requests == 2
    assert result.snapshots == 1
    assert result.last_fetch_status == "success"
    assert (result.left_unacked, result.left_queued) == (0, 0)


def test_a_killed_worker_node_has_its_fetch_redelivered_after_the_visibility_timeout(
    procs, workdir
):
    result = drill_worker_kill(procs=procs, workdir=workdir, mode="node", visibility_timeout=4)

    print(
        f"\ndrill 1 (worker node killed, visibility_timeout={result.visibility_timeout:g} s): "
        f"redelivered after {result.redelivery_seconds:.2f} s"
    )
    # Not before the visibility timeout (that is the mechanism; it runs from the delivery, just
    # before the first request, so allow a second for delivery -> request), and within one
    # restore sweep (10 s) after it: the broker scans for expired messages on every sweep.
    assert result.since_first_request_seconds >= 4 - 1, result.worker_log[-3000:]
    assert result.redelivery_seconds < 4 + 10 + 5, result.worker_log[-3000:]
    assert result.hiscores_requests == 2
    assert result.snapshots == 1
    assert result.last_fetch_status == "success"
    assert (result.left_unacked, result.left_queued) == (0, 0)
