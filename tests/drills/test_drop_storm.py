"""Drill 6: 200 concurrent clients hammer POST /drops on a few worlds, duplicates mixed in."""

from __future__ import annotations

import pytest

from tests.drills.scenarios import drill_drop_storm

pytestmark = [
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True, available_apps=["drops", "osrs_diff"]),
]


def test_200_clients_leave_exact_party_and_drop_counts(procs, workdir):
    result = drill_drop_storm(procs=procs, workdir=workdir, clients=200, worlds=4)

    print(
        f"\ndrill 6: {result.clients} clients sent {result.reports_sent} reports "
        f"({result.distinct_drops} distinct) in {result.seconds:.1f} s: {dict(result.answers)}"
    )
    worlds = len(result.worlds)
    distinct = result.distinct_drops
    assert result.answers == {
        (201, "party_created"): worlds,
        (201, "drop_added"): distinct - worlds,
        (200, "ignored"): result.reports_sent - distinct,
    }
    assert result.parties_per_world == dict.fromkeys(result.worlds, 1)
    assert result.stored_per_world == dict.fromkeys(result.worlds, result.expected_per_world)
    assert result.party_totals_per_world == result.stored_per_world
    assert result.value_per_world == result.expected_value_per_world
