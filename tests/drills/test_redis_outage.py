"""Drill 3: Redis (broker, cache, rate limiter) stopped and restarted under traffic."""

from __future__ import annotations

import pytest

from tests.drills.scenarios import drill_redis_outage

pytestmark = [
    pytest.mark.slow,
    # Creates an API user (auth): a full flush afterwards, the data migrations restored.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_reads_and_drops_keep_working_and_fetches_resume_after_a_redis_restart(procs, workdir):
    result = drill_redis_outage(procs=procs, workdir=workdir, outage_seconds=6)

    print(
        f"\ndrill 3: Redis down {result.outage_seconds:.1f} s; during it: "
        f"{dict(result.during_outage)}; fetches resumed {result.resume_seconds:.1f} s after "
        f"the restart; drops accepted {result.drops_accepted}, stored {result.drops_stored}"
    )
    logs = result.worker_log[-2000:] + result.beat_log[-2000:]
    # Reads and POST /drops need only PostgreSQL: every one answered 2xx while Redis was down.
    answered = {endpoint for endpoint, status, _ in result.during_outage if status}
    assert {"GET /parties", "POST /drops", "GET /players"} <= answered
    assert result.api_failures_during_outage == []
    # Readiness said so: 503, naming the broker.
    assert result.ready_during_outage
    assert all(
        status == 503 and "broker" in failing for status, failing in result.ready_during_outage
    ), result.ready_during_outage
    # Nothing lost or duplicated: every accepted drop stored; fetches resumed by themselves and
    # stored progress only (a fetch never writes a row equal to the one before).
    assert result.drops_stored == result.drops_accepted > 0
    assert result.parties_opened == 1
    assert all(result.snapshots_after_restart.values()), logs
    assert result.resume_seconds < 30, logs
    assert result.repeated_rows == 0
