"""Drill 2: the hiscores stand-in answers 503, times out, sends HTML with 200 or truncated JSON."""

from __future__ import annotations

import pytest

from tests.drills.scenarios import drill_hiscores_outage

pytestmark = [
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True, available_apps=["players", "hiscores", "osrs_diff"]),
]


def test_an_outage_stores_nothing_opens_the_breaker_and_fetches_resume_by_themselves(
    procs, workdir
):
    result = drill_hiscores_outage(procs=procs, workdir=workdir, outage_seconds=6, cooldown=2)

    print(
        f"\ndrill 2: {result.fetches_sent_during_outage} fetches sent during a "
        f"{result.outage_seconds:.1f} s outage, {result.hiscores_requests_during_outage} reached "
        f"the hiscores (bound {result.request_bound}); recovered in "
        f"{result.recovery_seconds:.1f} s; bad answers served: {dict(result.bad_answers_served)}"
    )
    log = result.worker_log[-4000:]
    # Every kind of garbage was served, and none of it was stored.
    assert {"html", "truncated", "503", "slow", "empty"} <= set(result.bad_answers_served), log
    assert result.snapshots_stored_during_outage == 0
    # The breaker opened: no request storm while fetches kept coming.
    assert result.breaker_opened, log
    assert result.hiscores_requests_during_outage <= result.request_bound
    assert result.hiscores_requests_during_outage < result.fetches_sent_during_outage / 2
    # Fetches resumed on their own and the breaker closed again.
    assert result.recovery_seconds < 2 + 15, log
    assert result.breaker_state_after == "closed"
    # Nobody changed game mode or got flagged because of the outage.
    assert result.game_modes_after == result.game_modes_before
    assert result.game_mode_changes == 0
    assert result.flagged_players == 0
