"""Drill 4: PostgreSQL goes away under load (a cut proxy: what clients see during a restart)."""

from __future__ import annotations

import pytest

from tests.drills.scenarios import drill_postgres_outage

pytestmark = [
    pytest.mark.slow,
    # Creates an API user (auth): a full flush afterwards, the data migrations restored.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_requests_fail_with_a_clean_503_and_the_service_recovers_by_itself(procs, workdir):
    result = drill_postgres_outage(procs=procs, workdir=workdir, cut_seconds=3)

    print(
        f"\ndrill 4: {len(result.answers)} requests; database away {result.cut_seconds:.1f} s; "
        f"recovered {result.recovery_seconds:.2f} s after it was back; "
        f"during the cut: {dict(result.during_cut)}"
    )
    log = result.log[-3000:]
    # Every answer was a success or a 503 in the project's error format naming the database.
    assert result.unclean == [], log
    assert result.no_answer == 0
    # The cut was felt by every endpoint.
    felt = {endpoint for endpoint, status, _ in result.during_cut if status == 503}
    assert felt == {"GET /parties", "POST /drops", "GET /players", "GET /health/ready"}
    # Back without restarting anything.
    assert result.server_pids_unchanged
    assert result.recovery_seconds < 3, log
    assert result.errors_after_recovery == 0
