"""Benchmark the history reads: a long-tracked player's progress, and the week leaderboard.

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/osrs_diff_bench
    .venv/bin/python -m bench.history                                      # modest default sizes
    .venv/bin/python -m bench.history --players 10000 --snapshots 20000    # the targets' sizes

Builds its data once with bulk_create in the database of DATABASE_URL (created and migrated if
missing; the benchmark's players are named `hb...` and reused by later runs of the same sizes,
`--rebuild` starts over): one player with `--snapshots` deduplicated snapshots (years of changes,
every catalogue column filled like a real reading) and `--players` tracked players with
`--per-player` snapshots each around the last month. Every time is relative to a fixed anchor, so
the ranges always cover the data.

Prints the median (and p90) of `--repeat` runs and the queries each one makes:
- history over 1 year for the long-tracked player (player lookup + player_progress_between),
  target < 20 ms in 2-3 queries;
- the week leaderboard over every tracked player (first page of 50, with the total),
  target < 200 ms in one query; also the portable ORM form used on other databases;
- one skill's 1-year timeline, and its SVG chart (for information).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.common import DEFAULT_DATABASE_URL, Figure, report, setup_django

ANCHOR = datetime(2026, 11, 1, tzinfo=UTC)  # "now" of the benchmark's data
MAIN = "hb main"
PREFIX = "hb"
TARGET_HISTORY_MS = 20.0
TARGET_LEADERBOARD_MS = 200.0


class Account:
    """A player's values as they grow, turned into snapshot columns like the write path's."""

    def __init__(self, rng: random.Random, *, unranked_bosses: int = 0) -> None:
        from hiscores.integration.catalogue import ACTIVITY_KEYS, BOSS_KEYS, SKILL_KEYS

        self.rng = rng
        self.xp = {key: rng.randint(200_000, 8_000_000) for key in SKILL_KEYS[1:]}
        self.scores: dict[str, int | None] = {
            key: rng.randint(5, 400) for key in (*ACTIVITY_KEYS, *BOSS_KEYS)
        }
        for key in rng.sample(BOSS_KEYS, unranked_bosses):
            self.scores[key] = None

    def progress(self) -> None:
        from hiscores.integration.catalogue import BOSS_KEYS, MAX_SKILL_XP, SKILL_KEYS

        for key in self.rng.sample(SKILL_KEYS[1:], 3):
            self.xp[key] = min(MAX_SKILL_XP, self.xp[key] + self.rng.randint(500, 60_000))
        if self.rng.random() < 0.3:
            key = self.rng.choice(BOSS_KEYS)
            current = self.scores[key]
            self.scores[key] = (current or 0) + self.rng.randint(1, 8) if current else 5

    def columns(self) -> dict[str, int | None]:
        from hiscores.integration.catalogue import MetricKind, level_for_xp
        from hiscores.integration.fakes import synthetic_rank

        columns: dict[str, int | None] = {}
        total = sum(self.xp.values())
        columns.update(
            overall_experience=total,
            overall_level=sum(level_for_xp(xp) for xp in self.xp.values()),
            overall_rank=synthetic_rank(total // 24, kind=MetricKind.SKILL),
        )
        for key, xp in self.xp.items():
            columns[f"{key}_experience"] = xp
            columns[f"{key}_level"] = level_for_xp(xp)
            columns[f"{key}_rank"] = synthetic_rank(xp, kind=MetricKind.SKILL)
        for key, score in self.scores.items():
            columns[f"{key}_score"] = score
            columns[f"{key}_rank"] = (
                synthetic_rank(score, kind=MetricKind.BOSS) if score is not None else None
            )
        return columns


def build(*, players: int, snapshots: int, per_player: int, rebuild: bool, seed: int) -> None:
    from django.db import connection, transaction

    from hiscores.models import Snapshot
    from players.game_modes import GameMode
    from players.models import Player
    from players.names import normalise_username

    main_key = normalise_username(MAIN)
    main = Player.objects.filter(username_key=main_key).first()
    others = Player.objects.filter(username_key__startswith=PREFIX).exclude(username_key=main_key)
    main_ready = main is not None and Snapshot.objects.filter(player=main).count() == snapshots
    others_ready = (
        others.count() == players
        and Snapshot.objects.filter(player__in=others).count() == players * per_player
    )
    started = time.perf_counter()
    rng = random.Random(seed)
    if main_ready and not rebuild:
        print(f"data: reusing {snapshots:,} snapshots of {MAIN!r}")
    else:
        print(f"data: building {snapshots:,} snapshots of {MAIN!r} (one-off)...", flush=True)
        Player.objects.filter(username_key=main_key).delete()
        with transaction.atomic():
            main = Player.objects.create(username=MAIN, username_key=main_key)
            account = Account(rng)
            step = timedelta(minutes=105)  # 20,000 changes ~ 4 years
            rows = []
            for index in range(snapshots):
                account.progress()
                at = ANCHOR - step * (snapshots - index)
                rows.append(
                    Snapshot(
                        player=main, fetched_at=at, board="hiscore_oldschool", **account.columns()
                    )
                )
            Snapshot.objects.bulk_create(rows, batch_size=500)
        print(f"  done in {time.perf_counter() - started:.0f} s", flush=True)
    if others_ready and not rebuild:
        print(f"data: reusing {players:,} tracked players")
        return
    print(f"data: building {players:,} players x {per_player} snapshots (one-off)...", flush=True)
    others.delete()
    modes = [GameMode.REGULAR] * 6 + [GameMode.IRONMAN] * 2 + [GameMode.HARDCORE, GameMode.ULTIMATE]
    created = Player.objects.bulk_create(
        [
            Player(
                username=f"{PREFIX}{index:06d}",
                username_key=normalise_username(f"{PREFIX}{index:06d}"),
                game_mode=rng.choice(modes),
            )
            for index in range(players)
        ],
        batch_size=2_000,
    )
    batch: list[Snapshot] = []
    for number, player in enumerate(created, 1):
        account = Account(rng, unranked_bosses=rng.randint(0, 10))
        # One reading before the month, the rest spread over it (and some before the week).
        times = sorted(ANCHOR - timedelta(days=rng.uniform(0, 30)) for _ in range(per_player - 1))
        for at in [ANCHOR - timedelta(days=45), *times]:
            for _ in range(rng.randint(1, 20)):
                account.progress()
            batch.append(
                Snapshot(
                    player=player, fetched_at=at, board="hiscore_oldschool", **account.columns()
                )
            )
        if len(batch) >= 5_000 or number == len(created):
            Snapshot.objects.bulk_create(batch, batch_size=500)
            batch = []
            print(f"  players {number:,}/{len(created):,}", end="\r", flush=True)
    with connection.cursor() as cursor:  # fresh planner statistics for the new rows
        cursor.execute(f"ANALYZE {Snapshot._meta.db_table}")
        cursor.execute(f"ANALYZE {Player._meta.db_table}")
    print(f"\ndata: built in {time.perf_counter() - started:.0f} s", flush=True)


# --- Measurements ----------------------------------------------------------------------------


def measure(name: str, run: Callable[[], Any], *, repeat: int, target_ms: float | None) -> Figure:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    run()  # warm-up (plans, caches)
    with CaptureQueriesContext(connection) as captured:
        run()
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        timings.append((time.perf_counter() - started) * 1000)
    median = statistics.median(timings)
    p90 = statistics.quantiles(timings, n=10)[-1] if len(timings) >= 2 else median
    verdict = ""
    passed = True
    if target_ms is not None:
        passed = median < target_ms
        verdict = f"target < {target_ms:.0f} ms: {'PASS' if passed else 'FAIL'}"
    statements = [q["sql"].lstrip().upper() for q in captured.captured_queries]
    reads = sum(1 for sql in statements if sql.startswith(("SELECT", "WITH")))
    # BEGIN/SET LOCAL/COMMIT around the leaderboard's SELECT are counted apart from the reads.
    print(
        f"{name:<44} median {median:8.2f} ms  p90 {p90:8.2f} ms  "
        f"{reads} SELECT{'s' if reads != 1 else ''} ({len(statements)} statements)  {verdict}"
    )
    target = f"< {target_ms:.0f}" if target_ms is not None else ""
    return Figure(
        f"{name} (median, {reads} SELECTs)",
        median,
        "ms",
        target,
        passed if target_ms is not None else None,
    )


def run_benchmarks(*, repeat: int, portable_repeat: int) -> bool:
    from hiscores.integration.catalogue import get_metric
    from hiscores.models import Snapshot
    from history import charts, leaderboards, selectors
    from players.models import Player
    from players.selectors import player_get

    year = (ANCHOR - timedelta(days=365), ANCHOR)
    week = (ANCHOR - timedelta(days=7), ANCHOR)
    tracked = Player.objects.filter(is_active=True).count()
    main = player_get(username=MAIN)
    in_year = Snapshot.objects.filter(player=main, fetched_at__gt=year[0]).count()
    total = Snapshot.objects.filter(player=main).count()
    print(
        f"\n{tracked:,} tracked players; {MAIN!r} has {total:,} snapshots "
        f"({in_year:,} in the last year)\n"
    )

    def history_year():
        player = player_get(username=MAIN)
        return selectors.player_progress_between(
            player=player, start=year[0], end=year[1], now=ANCHOR
        )

    result = history_year()
    print(
        f"history 1y: {result.gains.experience_gained['overall']:,} XP gained, "
        f"{len(result.gains.boss_kills_gained)} bosses progressed"
    )
    attack, overall = get_metric("attack"), get_metric("overall")

    def leaderboard(portable: bool) -> Callable[[], Any]:
        return lambda: leaderboards.leaderboard_page(
            metric=overall, start=week[0], end=week[1], limit=50, offset=0, portable=portable
        )

    page = leaderboard(False)()
    best = page.rows[0]
    print(f"week leaderboard: {page.total:,} gainers; best {best.username} +{best.gained:,} XP\n")

    def timeline():
        player = player_get(username=MAIN)
        return selectors.player_metric_history(
            player=player, metric=attack, start=year[0], end=year[1], now=ANCHOR
        )

    def chart():
        history = timeline()
        points = [charts.ChartPoint(p.at, p.value) for p in history.timeline if p.value is not None]
        return charts.render_line_chart(
            title="Attack", y_label="Experience", points=points, start=year[0], end=year[1]
        )

    figures = [
        measure("history, 1-year range", history_year, repeat=repeat, target_ms=TARGET_HISTORY_MS),
        measure(
            f"week leaderboard over {tracked:,} players",
            leaderboard(False),
            repeat=repeat,
            target_ms=TARGET_LEADERBOARD_MS,
        ),
    ]
    figures.append(
        measure(
            "leaderboard, portable ORM form (for SQLite)",
            leaderboard(True),
            repeat=portable_repeat,
            target_ms=None,
        )
    )
    figures.append(
        measure("attack timeline, 1-year range", timeline, repeat=repeat, target_ms=None)
    )
    figures.append(
        measure(
            "attack chart (SVG), 1-year range", chart, repeat=max(3, repeat // 3), target_ms=None
        )
    )
    report(f"history (bench/history.py): {tracked:,} players, {total:,} snapshots", figures)
    return all(figure.passed is not False for figure in figures)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--players", type=int, default=10_000, help="tracked players")
    parser.add_argument(
        "--snapshots",
        type=int,
        default=20_000,
        help="snapshots of the long-tracked player",
    )
    parser.add_argument("--per-player", type=int, default=4, help="snapshots per other player")
    parser.add_argument("--repeat", type=int, default=30, help="timed runs per figure")
    parser.add_argument("--portable-repeat", type=int, default=5, help="timed runs of the ORM form")
    parser.add_argument(
        "--rebuild", action="store_true", help="delete the benchmark data and rebuild"
    )
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument(
        "--strict", action="store_true", help="exit 1 when a median misses its target"
    )
    args = parser.parse_args(argv)
    setup_django(database_url=os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL)
    build(
        players=args.players,
        snapshots=args.snapshots,
        per_player=args.per_player,
        rebuild=args.rebuild,
        seed=args.seed,
    )
    passed = run_benchmarks(repeat=args.repeat, portable_repeat=args.portable_repeat)
    return 0 if passed or not args.strict else 1


if __name__ == "__main__":
    raise SystemExit(main())
