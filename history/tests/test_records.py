"""Records (best gain per metric per UTC day, ISO week, month) against hand-computed gains, built
live by snapshot_record and rebuilt by compute_achievements; baselines and newly ranked metrics
never count."""

from datetime import UTC, datetime
from io import StringIO

import pytest
from django.core.management import call_command

from hiscores.models import Snapshot
from history.models import Record
from history.records import period_bounds
from tests.factories import PlayerFactory, SnapshotFactory, record_snapshot

pytestmark = pytest.mark.django_db


def at(day: int, hour: int = 10) -> datetime:
    return datetime(2026, 1, day, hour, tzinfo=UTC)


# Mon 5 Jan .. Mon 12 Jan 2026: attack (XP) and Zulrah (kills, ranked from the 12th).
PROGRESS = [
    (at(5), {"attack": 1_000_000}),  # first snapshot
    (at(5, 20), {"attack": 1_100_000}),  # day 5: +100,000
    (at(6), {"attack": 1_400_000}),  # day 6: +300,000 (from 1,100,000 in force at midnight)
    (at(11), {"attack": 1_500_000}),  # week of the 5th: +500,000 (from the first snapshot)
    (at(12), {"attack": 2_200_000, "zulrah": 60}),  # day 12 and week of the 12th: +700,000
]
# Wed 14th: an accepted baseline (a name taken over: attack jumped to 5M); Thu 15th: +100,000.
BASELINE = (at(14), {"attack": 5_000_000, "zulrah": 60})
AFTER = (at(15), {"attack": 5_100_000, "zulrah": 70})

EXPECTED = {
    # (metric, period): (gained, period_start)
    ("attack", "day"): (700_000, at(12, 0)),
    ("attack", "week"): (700_000, at(12, 0)),  # not 3,600,000 across the baseline
    ("attack", "month"): (1_200_000, at(1, 0)),  # 2,200,000 - 1,000,000; not 4,100,000
    ("zulrah", "day"): (10, at(15, 0)),  # never its first 60 (newly ranked)
    ("zulrah", "week"): (10, at(12, 0)),
    ("zulrah", "month"): (10, at(1, 0)),
}


def records(player) -> dict:
    return {
        (r.metric, r.period): (r.gained, r.period_start)
        for r in Record.objects.filter(player=player, metric__in=["attack", "zulrah"])
    }


def rebuild() -> None:
    call_command(
        "compute_achievements",
        "--no-progress",
        "--records-only",
        stdout=StringIO(),
        stderr=StringIO(),
    )


def test_period_bounds():
    assert period_bounds("day", at(14)) == (at(14, 0), at(15, 0))
    assert period_bounds("week", at(14)) == (at(12, 0), at(19, 0))  # ISO week: Monday
    assert period_bounds("month", at(14)) == (at(1, 0), datetime(2026, 2, 1, tzinfo=UTC))
    with pytest.raises(ValueError):
        period_bounds("year", at(14))


def _baseline(player, when, values):
    snapshot = SnapshotFactory(player=player, at=when, values=values)
    Snapshot.objects.filter(pk=snapshot.pk).update(is_baseline=True)


def test_rebuilt_records_match_hand_computed_gains():
    player = PlayerFactory(username="Zezima", schedule=False)
    SnapshotFactory.create_history(player, PROGRESS)
    _baseline(player, *BASELINE)
    SnapshotFactory(player=player, at=AFTER[0], values=AFTER[1])
    rebuild()
    assert records(player) == EXPECTED
    rebuild()  # idempotent
    assert records(player) == EXPECTED
    week = Record.objects.get(player=player, metric="attack", period="week")
    assert week.period_end == at(19, 0)


def test_live_records_match_the_rebuild():
    player = PlayerFactory(username="Zezima", schedule=False)
    for when, values in PROGRESS:
        assert record_snapshot(player, values, at=when) == "success"
    assert records(player)[("attack", "day")] == (700_000, at(12, 0))
    assert records(player)[("attack", "week")] == (700_000, at(12, 0))
    assert ("zulrah", "day") not in records(player)  # newly ranked on the 12th
    _baseline(player, *BASELINE)
    assert record_snapshot(player, AFTER[1], at=AFTER[0]) == "success"
    live = records(player)
    assert live == EXPECTED
    rebuild()
    assert records(player) == live


def test_records_endpoint(reader_client):
    player = PlayerFactory(username="Zezima", schedule=False)
    for when, values in PROGRESS:
        record_snapshot(player, values, at=when)
    body = reader_client.get("/players/zezima/records?period=month").json()
    assert body["period"] == "month"
    attack = next(row for row in body["results"] if row["metric"] == "attack")
    assert attack["gained"] == 1_200_000
    assert attack["period_start"].startswith("2026-01-01T00:00:00")
    assert attack["period_end"].startswith("2026-02-01T00:00:00")
    assert set(attack) == {"metric", "gained", "period_start", "period_end"}
    assert reader_client.get("/players/zezima/records").json()["period"] == "week"
    for bad in ("year", "Week", "7d"):
        assert reader_client.get(f"/players/zezima/records?period={bad}").status_code == 400
    assert reader_client.get("/players/nobody/records?period=day").status_code == 404
