"""Benchmark competition standings: 500 participants over a month of hourly readings.

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/osrs_diff_bench
    .venv/bin/python -m bench.competitions                     # 500 participants, 30 days hourly
    .venv/bin/python -m bench.competitions --participants 2000 --days 7

Builds its data once in the database of DATABASE_URL (created and migrated if missing; players
named `cb...`, reused by later runs of the same sizes, `--rebuild` starts over) with one
INSERT ... SELECT over generate_series per batch of players (360,000 snapshot rows with every
catalogue column filled in about a minute; no Python row objects). Each participant has a reading
every hour from an hour before the start to the end; one in ten begins three days late (a late
baseline), one in twenty has an accepted baseline mid-month, a quarter of the bosses are
unranked.

Prints the median and p95 of `--repeat` runs (and the queries each makes) of:
- the standings of the finished competition (metric overall), target < 200 ms median;
- the same for a boss (zulrah: unranked and newly ranked participants);
- the whole GET /competitions/{id} body (standings + serialisation), and the top-5 chart.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.common import DEFAULT_DATABASE_URL, Figure, report, setup_django, timed_runs

ANCHOR = datetime(2026, 11, 1, tzinfo=UTC)  # the competition's end
PREFIX = "cb"
TITLE = "bench: competition standings"
TARGET_STANDINGS_MS = 200.0
BATCH_PLAYERS = 50


def _column_expressions() -> tuple[list[str], list[str]]:
    """Every value column of a snapshot and an SQL expression growing with the hour `h`."""
    from hiscores.integration.catalogue import METRICS, MetricKind

    names, expressions = [], []
    for index, metric in enumerate(METRICS):
        rate = f"((p.id * 7 + {index}) %% 50 + 1)"
        if metric.kind is MetricKind.SKILL:
            names += [f"{metric.key}_experience", f"{metric.key}_level", f"{metric.key}_rank"]
            expressions += [
                f"1000000 + p.id * 10 + {index} * 1000 + h * {rate} * 37",
                "85",
                f"100000 + {index}",
            ]
        else:
            unranked = f"(p.id + {index}) %% 4 = 0"
            names += [f"{metric.key}_score", f"{metric.key}_rank"]
            expressions += [
                f"CASE WHEN {unranked} THEN NULL ELSE 10 + h * {rate} / 24 END",
                f"CASE WHEN {unranked} THEN NULL ELSE 5000 + {index} END",
            ]
    return names, expressions


def build(*, participants: int, days: int, rebuild: bool) -> int:
    """The players, their hourly snapshots and the competition; returns its id."""
    from django.db import connection, transaction

    from hiscores.models import Snapshot
    from history.competitions import services
    from history.competitions.models import Competition
    from players.models import Player
    from players.names import normalise_username

    start, end = ANCHOR - timedelta(days=days), ANCHOR
    hours = days * 24 + 1
    players = Player.objects.filter(username_key__startswith=PREFIX)
    expected = participants * hours  # minus the late starters' first three days, plus nothing
    late = [i for i in range(participants) if i % 10 == 0]
    expected -= len(late) * 72
    competition = Competition.objects.filter(title=TITLE).first()
    ready = (
        not rebuild
        and competition is not None
        and players.count() == participants
        and Snapshot.objects.filter(player__in=players).count() == expected
        and competition.starts_at == start
    )
    if ready:
        print(f"data: reusing {participants:,} participants x {hours:,} hourly readings")
        return competition.pk
    print(f"data: building {participants:,} participants x {hours:,} readings...", flush=True)
    started = time.perf_counter()
    Competition.objects.filter(title=TITLE).delete()
    players.delete()
    created = Player.objects.bulk_create(
        [
            Player(
                username=f"{PREFIX}{index:06d}",
                username_key=normalise_username(f"{PREFIX}{index:06d}"),
            )
            for index in range(participants)
        ]
    )
    quote = connection.ops.quote_name
    names, expressions = _column_expressions()
    table = quote(Snapshot._meta.db_table)
    ids = [player.pk for player in created]
    late_ids = {ids[i] for i in late}
    sql = f"""
        INSERT INTO {table} (player_id, fetched_at, board, extra, is_baseline,
                             {", ".join(quote(n) for n in names)})
        SELECT p.id, t.at, 'hiscore_oldschool', '{{}}'::jsonb, FALSE, {", ".join(expressions)}
        FROM {quote(Player._meta.db_table)} p
        CROSS JOIN LATERAL (
            SELECT at, ((EXTRACT(EPOCH FROM at) - EXTRACT(EPOCH FROM %(first)s::timestamptz))
                        / 3600)::bigint AS h
            FROM generate_series(%(first)s::timestamptz, %(end)s::timestamptz,
                                 INTERVAL '1 hour') AS at
        ) t
        WHERE p.id = ANY(%(ids)s)
          AND (NOT p.id = ANY(%(late)s) OR t.at > %(late_from)s::timestamptz)
    """
    first = start - timedelta(hours=1)
    late_from = first + timedelta(hours=72) - timedelta(seconds=1)
    with connection.cursor() as cursor:
        for offset in range(0, len(ids), BATCH_PLAYERS):
            cursor.execute(
                sql,
                {
                    "first": first,
                    "end": end,
                    "ids": ids[offset : offset + BATCH_PLAYERS],
                    "late": list(late_ids),
                    "late_from": late_from,
                },
            )
            print(f"  players {offset + BATCH_PLAYERS:,}/{len(ids):,}", end="\r", flush=True)
        # One in twenty: an accepted rollback mid-month (counting restarts there).
        cursor.execute(
            f"UPDATE {table} SET is_baseline = TRUE WHERE player_id = ANY(%s) AND fetched_at = %s",
            [ids[::20], start + timedelta(days=days / 2)],
        )
        cursor.execute(f"ANALYZE {table}")
        cursor.execute(f"ANALYZE {quote(Player._meta.db_table)}")
    with transaction.atomic():
        competition = services.competition_create(
            title=TITLE,
            metric="overall",
            starts_at=start,
            ends_at=end,
            participants=[player.username for player in created],
        )
    rows = Snapshot.objects.filter(player__in=players).count()
    print(f"\ndata: {rows:,} snapshots built in {time.perf_counter() - started:.0f} s", flush=True)
    return competition.pk


def measure(
    name: str, run: Callable[[], Any], *, repeat: int, target_ms: float | None
) -> tuple[Figure, Figure]:
    """The median (against the target) and p95 of `repeat` timed runs after a warm-up."""
    median, p95, captured = timed_runs(run, repeat=repeat)
    reads = len(captured)
    passed = median < target_ms if target_ms is not None else None
    verdict = (
        "" if passed is None else f"target < {target_ms:.0f} ms: {'PASS' if passed else 'FAIL'}"
    )
    print(f"{name:<46} median {median:8.2f} ms  p95 {p95:8.2f} ms  {reads} queries  {verdict}")
    return Figure(
        f"{name} (median, {reads} queries)",
        median,
        "ms",
        f"< {target_ms:.0f}" if target_ms is not None else "",
        passed,
    ), Figure(f"{name} (p95)", p95, "ms")


def run_benchmarks(*, competition_id: int, repeat: int) -> bool:
    from hiscores.models import Snapshot
    from history.competitions import standings
    from history.competitions.models import Competition
    from history.competitions.views import _detail

    competition = Competition.objects.get(pk=competition_id)
    boss = replace_metric(competition, "zulrah")
    now = ANCHOR + timedelta(days=1)
    rows = Snapshot.objects.filter(player__competition_participations__competition=competition)
    result = standings.competition_standings(competition=competition, now=now)
    late = sum(1 for row in result.rows if row.late_baseline)
    boss_result = standings.competition_standings(competition=boss, now=now)
    unranked = sum(1 for row in boss_result.rows if row.rank is None)
    print(
        f"\n{len(result.rows):,} participants, {rows.count():,} snapshots; {late} late baselines; "
        f"winner {result.rows[0].username} +{result.rows[0].gained:,} XP; "
        f"zulrah: {unranked} without a gain\n"
    )
    figures: list[Figure] = []
    for pair in (
        measure(
            "standings, overall",
            lambda: standings.competition_standings(competition=competition, now=now),
            repeat=repeat,
            target_ms=TARGET_STANDINGS_MS,
        ),
        measure(
            "standings, a boss (zulrah)",
            lambda: standings.competition_standings(competition=boss, now=now),
            repeat=repeat,
            target_ms=TARGET_STANDINGS_MS,
        ),
        measure(
            "GET /competitions/{id} body",
            lambda: _detail(competition),
            repeat=repeat,
            target_ms=None,
        ),
        measure(
            "top-5 chart series",
            lambda: standings.competition_chart_series(
                competition=competition, standings=result, now=now
            ),
            repeat=max(5, repeat // 3),
            target_ms=None,
        ),
    ):
        figures.extend(pair)
    report(
        f"competitions (bench/competitions.py): {len(result.rows):,} participants, "
        f"{rows.count():,} snapshots",
        figures,
    )
    return all(figure.passed is not False for figure in figures)


def replace_metric(competition, metric: str):
    """An unsaved copy of `competition` on another metric (same participants)."""
    from history.competitions.models import Competition

    copy = Competition.objects.get(pk=competition.pk)
    copy.metric = metric
    return copy


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--participants", type=int, default=500)
    parser.add_argument("--days", type=int, default=30, help="length, hourly readings")
    parser.add_argument("--repeat", type=int, default=30, help="timed runs per figure")
    parser.add_argument("--rebuild", action="store_true", help="rebuild the benchmark data")
    parser.add_argument(
        "--strict", action="store_true", help="exit 1 when a median misses its target"
    )
    args = parser.parse_args(argv)
    setup_django(database_url=os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL)
    competition_id = build(participants=args.participants, days=args.days, rebuild=args.rebuild)
    passed = run_benchmarks(competition_id=competition_id, repeat=args.repeat)
    return 0 if passed or not args.strict else 1


if __name__ == "__main__":
    raise SystemExit(main())
