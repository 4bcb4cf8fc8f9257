"""The fault drills of issue 9 at length, printing what each one measured.

    DATABASE_URL=postgres://... .venv/bin/python -m bench.drills [--only 1,2,3,4,5,6] \
        [--visibility-timeout 30] [--outage-seconds 20] [--storm-clients 200] \
        [--storm-per-world 250] [--beat-minutes 1] [--restart-postgres]

The same drills as tests/drills (real PostgreSQL, a private Redis per drill, real Celery workers,
beat and gunicorn, the fake hiscores server), with longer outages and more load; `make test`
runs short versions and asserts on them. Each drill starts and stops its own processes and never
stops the machine's Redis or PostgreSQL: drill 4 cuts a TCP proxy in front of the database, unless
`--restart-postgres` is given (it restarts the real cluster: every other client of it notices).
Without DATABASE_URL it uses bench.common's osrs_diff_bench database.
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

from bench.common import DEFAULT_DATABASE_URL, Figure, report, setup_django


def _processes(root: Path, name: str):
    from tests.drills.harness import Processes

    procs = Processes(log_dir=root / name / "logs", var_dir=root / name / "var")
    procs.var_dir.mkdir(parents=True, exist_ok=True)
    return procs, root / name


def drill_1(root: Path, args: argparse.Namespace) -> list[Figure]:
    from tests.drills.scenarios import drill_worker_kill

    figures = []
    for mode, visibility in (("child", 300), ("node", args.visibility_timeout)):
        procs, workdir = _processes(root, f"kill-{mode}")
        result = drill_worker_kill(
            procs=procs,
            workdir=workdir,
            mode=mode,
            visibility_timeout=visibility,
            timeout=visibility + 120,
        )
        name = "pool child" if mode == "child" else f"node, visibility {visibility:g} s"
        target = "< 10" if mode == "child" else f"{visibility:g}..{visibility + 15:g}"
        ok = (
            result.redelivery_seconds < 10
            if mode == "child"
            else visibility <= result.redelivery_seconds < visibility + 15
        )
        figures += [
            Figure(
                f"1 kill ({name}): redelivered after", result.redelivery_seconds, "s", target, ok
            ),
            Figure(
                f"1 kill ({mode}): snapshots stored",
                result.snapshots,
                "rows",
                "== 1",
                result.snapshots == 1,
            ),
        ]
    return figures


def drill_2(root: Path, args: argparse.Namespace) -> list[Figure]:
    from tests.drills.scenarios import drill_hiscores_outage

    procs, workdir = _processes(root, "hiscores")
    result = drill_hiscores_outage(
        procs=procs,
        workdir=workdir,
        players=8,
        outage_seconds=args.outage_seconds,
        cooldown=5,
        timeout=120,
    )
    share = result.hiscores_requests_during_outage / max(1, result.fetches_sent_during_outage)
    return [
        Figure("2 hiscores outage: requests / fetches sent", share, "ratio", "< 0.5", share < 0.5),
        Figure(
            "2 hiscores outage: snapshots stored from bad bodies",
            result.snapshots_stored_during_outage,
            "rows",
            "== 0",
            result.snapshots_stored_during_outage == 0,
        ),
        Figure("2 hiscores outage: recovered after", result.recovery_seconds, "s"),
        Figure(
            "2 hiscores outage: mode changes + flags",
            result.game_mode_changes + result.flagged_players,
            "players",
            "== 0",
            result.game_mode_changes + result.flagged_players == 0,
        ),
    ]


def drill_3(root: Path, args: argparse.Namespace) -> list[Figure]:
    from tests.drills.scenarios import drill_redis_outage

    procs, workdir = _processes(root, "redis")
    result = drill_redis_outage(
        procs=procs, workdir=workdir, players=6, clients=6, outage_seconds=args.outage_seconds
    )
    failures = len(result.api_failures_during_outage)
    ready_ok = bool(result.ready_during_outage) and all(
        status == 503 and "broker" in failing for status, failing in result.ready_during_outage
    )
    return [
        Figure(
            "3 Redis down: failed reads + drop reports", failures, "requests", "== 0", failures == 0
        ),
        Figure("3 Redis down: /health/ready 503 naming broker", ready_ok, "bool", "1", ready_ok),
        Figure(
            "3 Redis down: drops stored / accepted",
            result.drops_stored / max(1, result.drops_accepted),
            "ratio",
            "== 1",
            result.drops_stored == result.drops_accepted,
        ),
        Figure(
            "3 Redis down: fetches resumed after restart",
            result.resume_seconds,
            "s",
            "< 30",
            result.resume_seconds < 30,
        ),
        Figure(
            "3 Redis down: repeated rows",
            result.repeated_rows,
            "rows",
            "== 0",
            result.repeated_rows == 0,
        ),
    ]


def drill_4(root: Path, args: argparse.Namespace) -> list[Figure]:
    from tests.drills.scenarios import drill_postgres_outage

    procs, workdir = _processes(root, "postgres")
    result = drill_postgres_outage(
        procs=procs,
        workdir=workdir,
        clients=8,
        cut_seconds=args.outage_seconds,
        after_seconds=10,
        restart_cluster=args.restart_postgres,
    )
    unclean = len(result.unclean) + result.no_answer
    return [
        Figure("4 PostgreSQL away: requests", len(result.answers), "requests"),
        Figure(
            "4 PostgreSQL away: not 2xx or clean 503", unclean, "requests", "== 0", unclean == 0
        ),
        Figure(
            "4 PostgreSQL away: recovered after",
            result.recovery_seconds,
            "s",
            "< 3",
            result.recovery_seconds < 3,
        ),
        Figure(
            "4 PostgreSQL away: processes restarted",
            not result.server_pids_unchanged,
            "bool",
            "0",
            result.server_pids_unchanged,
        ),
    ]


def drill_5(root: Path, args: argparse.Namespace) -> list[Figure]:
    from tests.drills.scenarios import drill_double_beat

    procs, workdir = _processes(root, "beat")
    minutes = args.beat_minutes * 60
    result = drill_double_beat(
        procs=procs,
        workdir=workdir,
        players=20,
        interval_seconds=5,
        alone_seconds=minutes / 4,
        together_seconds=minutes / 2,
        after_restart_seconds=minutes / 4,
    )
    gap_ratio = result.min_gap_seconds / result.interval_seconds
    stored_ok = result.snapshots_per_player == result.requests_per_player
    return [
        Figure("5 two beats: fetches sent", result.sends, "sends"),
        Figure("5 two beats: reached the hiscores", result.hiscores_requests, "requests"),
        Figure("5 two beats: copies skipped by the claim", result.skipped_as_claimed, "sends"),
        Figure(
            "5 two beats: shortest gap / interval",
            gap_ratio,
            "ratio",
            ">= 0.5",
            gap_ratio >= 0.5 - 0.05,
        ),
        Figure("5 two beats: one row per fetch", stored_ok, "bool", "1", stored_ok),
    ]


def drill_6(root: Path, args: argparse.Namespace) -> list[Figure]:
    from tests.drills.scenarios import drill_drop_storm

    procs, workdir = _processes(root, "storm")
    result = drill_drop_storm(
        procs=procs,
        workdir=workdir,
        clients=args.storm_clients,
        worlds=5,
        distinct_per_world=args.storm_per_world,
    )
    exact = (
        result.parties_per_world == dict.fromkeys(result.worlds, 1)
        and result.stored_per_world == dict.fromkeys(result.worlds, result.expected_per_world)
        and result.party_totals_per_world == result.stored_per_world
        and result.value_per_world == result.expected_value_per_world
    )
    return [
        Figure(f"6 drop storm ({result.clients} clients): reports", result.reports_sent, "reports"),
        Figure("6 drop storm: reports per second", result.reports_sent / result.seconds, "req/s"),
        Figure("6 drop storm: parties, drops and values exact", exact, "bool", "1", exact),
    ]


DRILLS = {"1": drill_1, "2": drill_2, "3": drill_3, "4": drill_4, "5": drill_5, "6": drill_6}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", default=",".join(DRILLS), help="comma-separated drill numbers")
    parser.add_argument(
        "--visibility-timeout",
        type=float,
        default=30,
        help="drill 1: the Redis visibility timeout for the killed node (production: 300)",
    )
    parser.add_argument("--outage-seconds", type=float, default=20, help="drills 2-4")
    parser.add_argument("--storm-clients", type=int, default=200, help="drill 6")
    parser.add_argument("--storm-per-world", type=int, default=250, help="drill 6: distinct drops")
    parser.add_argument("--beat-minutes", type=float, default=1, help="drill 5: run length")
    parser.add_argument(
        "--restart-postgres",
        action="store_true",
        help="drill 4: restart the real PostgreSQL cluster instead of cutting a proxy",
    )
    args = parser.parse_args(argv)
    chosen = [part.strip() for part in args.only.split(",") if part.strip()]
    unknown = sorted(set(chosen) - set(DRILLS))
    if unknown:
        parser.error(f"unknown drill(s): {', '.join(unknown)}")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    setup_django(database_url=os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL)
    from tests.drills.harness import PrivateRedis

    if not PrivateRedis.available():
        print("the drills need redis-server on PATH")
        return 1
    figures: list[Figure] = []
    with tempfile.TemporaryDirectory(prefix="osrs-diff-drills-") as root:
        try:
            for number in chosen:
                print(f"drill {number} ...", flush=True)
                figures += DRILLS[number](Path(root), args)
        finally:
            PrivateRedis.stop_all()
    report("fault drills (bench/drills.py)", figures)
    return 0 if all(f.passed is not False for f in figures) else 1


if __name__ == "__main__":
    raise SystemExit(main())
