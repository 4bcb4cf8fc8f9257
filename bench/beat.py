"""Beat at scale: django-celery-beat's stock DatabaseScheduler vs IncrementalDatabaseScheduler.

Creates per-player shaped PeriodicTasks (hourly IntervalSchedule, last runs spread over the hour,
names prefixed `bench:`) in the database of DATABASE_URL, runs each scheduler in its own process
against the Redis broker of REDIS_URL (queue `bench-beat`, emptied afterwards) and prints both
side by side: load time, idle tick, tick after one change, sends per second, due->sent delay
p50/p99, resident memory, and the beat CPU share for a daily + hourly mix.

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/osrs_diff_t8
    export REDIS_URL=redis://127.0.0.1:6379/8
    .venv/bin/python bench/beat.py        # 1k and 10k tasks, 10k daily + 1k hourly CPU mix
    .venv/bin/python bench/beat.py --sizes 1000,10000,100000 --cpu-daily 100000 --cpu-hourly 10000

Needs a migrated PostgreSQL database; only rows named `bench:*` are created and deleted.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import report  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
PREFIX = "bench:players.fetch_hiscores:"
QUEUE = "bench-beat"
SCHEDULERS = {
    "stock": "django_celery_beat.schedulers:DatabaseScheduler",
    "ours": "osrs_diff.beat:IncrementalDatabaseScheduler",
}


# --- child process: one scheduler, one data set --------------------------------------------


def _setup_django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "osrs_diff.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")  # same for both: no per-send log lines
    os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-secret-key-not-for-production")
    import django

    django.setup()


def _rss_mb() -> tuple[float, float]:
    values = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0]) / 1024
    return values.get("VmRSS", 0.0), values.get("VmHWM", 0.0)


def _clean() -> None:
    from django_celery_beat.models import PeriodicTask, PeriodicTasks

    PeriodicTask.objects.filter(name__startswith="bench:")._raw_delete("default")
    PeriodicTasks.update_changed()


def _create(
    count: int, seconds: int, *, start: int = 0, not_due_for: float = 0
) -> dict[str, float]:
    """Bulk-create `count` tasks every `seconds`; returns name -> last_run epoch."""
    import datetime as dt

    from django_celery_beat.models import IntervalSchedule, PeriodicTask, PeriodicTasks

    interval = IntervalSchedule.objects.get_or_create(every=seconds, period="seconds")[0]
    now = time.time()
    last_runs = {}
    rows = []
    for i in range(start, start + count):
        last = now - random.uniform(0, seconds - not_due_for)
        name = f"{PREFIX}{i}"
        last_runs[name] = last
        rows.append(
            PeriodicTask(
                name=name,
                task="hiscores.fetch_player",
                kwargs=json.dumps({"player_id": i}),
                interval=interval,
                last_run_at=dt.datetime.fromtimestamp(last, dt.UTC),
            )
        )
    before = PeriodicTask.objects.order_by("-id").values_list("id", flat=True).first() or 0
    PeriodicTask.objects.bulk_create(rows, batch_size=5000)
    # As in production, the rows were written long before beat starts (date_changed is auto_now).
    written = dt.datetime.fromtimestamp(now - 3600, dt.UTC)
    PeriodicTask.objects.filter(id__gt=before, name__startswith=PREFIX).update(date_changed=written)
    PeriodicTasks.update_changed()
    # ...and autovacuum has been through them since: statistics current, no dead row versions
    # left by this script's own bulk writes and deletes.
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM ANALYZE {PeriodicTask._meta.db_table}")
    return last_runs


def _scheduler_class(kind: str):
    from celery.utils.imports import symbol_by_name

    base = symbol_by_name(SCHEDULERS[kind])

    class Recording(base):
        sends: list[tuple[str, float]] = []

        def apply_async(self, entry, producer=None, advance=True, **kwargs):
            result = super().apply_async(entry, producer=producer, advance=advance, **kwargs)
            self.sends.append((entry.name, time.time()))
            return result

    return Recording


def _run(scheduler, seconds: float, until=None) -> None:
    """What celery.beat.Service.start does, for a bounded time."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        interval = scheduler.tick()
        if until is not None and until():
            return
        if interval and interval > 0:
            time.sleep(min(interval, max(end - time.monotonic(), 0)))
            if scheduler.should_sync():
                scheduler._do_sync()


def _timed_tick(scheduler) -> float:
    started = time.perf_counter()
    scheduler.tick()
    return time.perf_counter() - started


def child_scale(kind: str, count: int, limit: float) -> dict:
    _setup_django()
    import datetime as dt

    import redis
    from django.conf import settings
    from django_celery_beat.models import PeriodicTask, PeriodicTasks

    from osrs_diff.celery import app

    app.conf.task_default_queue = QUEUE
    # Rows are created by a separate process: the scheduler's RSS must not include that.
    _spawn("create", str(count), "3600", "120", "0")  # nothing due for two minutes
    result: dict = {"scheduler": kind, "tasks": count}
    Scheduler = _scheduler_class(kind)

    started = time.perf_counter()
    scheduler = Scheduler(app=app)
    scheduler.tick()
    result["load_s"] = time.perf_counter() - started

    idle = []
    for _ in range(3):
        time.sleep(1.05)  # let the change poll run in the measured tick
        idle.append(_timed_tick(scheduler))
    result["idle_tick_ms"] = statistics.median(idle) * 1000

    # One change at a time (an operator's edit), five times: the median and the worst tick.
    changed = []
    for task in PeriodicTask.objects.filter(name__startswith=PREFIX).order_by("id")[:5]:
        task.description = "edited"
        task.save()
        time.sleep(1.05)
        changed.append(_timed_tick(scheduler) * 1000)
    result["changed_tick_ms"] = statistics.median(changed)
    result["changed_tick_max_ms"] = max(changed)

    # Throughput: a backlog due right now (as a bulk path would: date_changed + one signal).
    backlog = min(count // 2, 3000)
    ids = list(
        PeriodicTask.objects.filter(name__startswith=PREFIX)
        .order_by("id")
        .values_list("id", flat=True)[1 : 1 + backlog]
    )
    now = time.time()
    PeriodicTask.objects.filter(id__in=ids).update(
        last_run_at=dt.datetime.fromtimestamp(now - 3600.5, dt.UTC),
        date_changed=dt.datetime.fromtimestamp(now, dt.UTC),
    )
    PeriodicTasks.update_changed()
    Scheduler.sends.clear()
    started = time.perf_counter()
    _run(scheduler, limit, until=lambda: len(Scheduler.sends) >= backlog)
    elapsed = time.perf_counter() - started
    result["backlog"] = backlog
    result["sent"] = len(Scheduler.sends)
    # Beat's sending rate once it sends (picking the change up is the changed-tick column).
    times = [sent for _name, sent in Scheduler.sends]
    span = times[-1] - times[0] if len(times) > 1 else elapsed
    result["sends_per_s"] = (len(times) - 1) / span if span > 0 else 0.0

    # Delay while keeping up: 50 tasks/s coming due over 20 s.
    stream = min(count // 4, 1000)
    ids = list(
        PeriodicTask.objects.filter(name__startswith=PREFIX)
        .order_by("-id")
        .values_list("id", "name")[:stream]
    )
    now = time.time()
    due = {}
    for position, (pk, name) in enumerate(ids):
        # Starts 10 s out: the row updates below must land before the first one is due.
        due_at = now + 10 + position * (20 / max(stream, 1))
        due[name] = due_at
        PeriodicTask.objects.filter(id=pk).update(
            last_run_at=dt.datetime.fromtimestamp(due_at - 3600, dt.UTC),
            date_changed=dt.datetime.fromtimestamp(now, dt.UTC),
        )
    PeriodicTasks.update_changed()
    Scheduler.sends.clear()
    _run(scheduler, 34 + (limit if kind == "stock" else 0) / 2)
    delays = sorted(sent - due[name] for name, sent in Scheduler.sends if name in due)
    missing = stream - len(delays)
    delays += [float("inf")] * missing
    result["stream"] = stream
    result["stream_missed"] = missing
    result["delay_p50_s"] = delays[len(delays) // 2] if delays else None
    p99 = min(len(delays) - 1, int(len(delays) * 0.99))
    result["delay_p99_s"] = delays[p99] if delays else None

    result["rss_mb"], result["peak_rss_mb"] = _rss_mb()
    scheduler.close()
    _clean()
    redis.Redis.from_url(settings.CELERY_BROKER_URL).delete(QUEUE)
    return result


def child_cpu(kind: str, daily: int, hourly: int, seconds: float) -> dict:
    _setup_django()
    import redis
    from django.conf import settings

    from osrs_diff.celery import app

    app.conf.task_default_queue = QUEUE
    _spawn("create", str(daily), "86400", "0", "0")
    if hourly:
        _spawn("create", str(hourly), "3600", "0", str(daily), "keep")
    Scheduler = _scheduler_class(kind)
    scheduler = Scheduler(app=app)
    scheduler.tick()
    Scheduler.sends.clear()
    cpu, wall = time.process_time(), time.perf_counter()
    _run(scheduler, seconds)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    rss, peak = _rss_mb()
    scheduler.close()
    _clean()
    redis.Redis.from_url(settings.CELERY_BROKER_URL).delete(QUEUE)
    return {
        "scheduler": kind,
        "cpu_share": cpu / wall,
        "sent": len(Scheduler.sends),
        "seconds": wall,
        "rss_mb": rss,
        "peak_rss_mb": peak,
    }


# --- parent: run the children and print the table -----------------------------------------


def _spawn(*args: str) -> dict:
    completed = subprocess.run(
        [sys.executable, __file__, "--child", *args],
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        raise SystemExit(f"bench child failed: {args}\n{completed.stderr[-3000:]}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def _fmt(value, spec: str) -> str:
    if value is None:
        return "-"
    if value == float("inf"):
        return "missed"
    return format(value, spec)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000", help="comma-separated task counts")
    parser.add_argument("--cpu-daily", type=int, default=100_000, help="daily tasks in the mix")
    parser.add_argument("--cpu-hourly", type=int, default=10_000, help="hourly tasks in the mix")
    parser.add_argument("--cpu-seconds", type=float, default=30.0, help="mix run length")
    parser.add_argument("--limit", type=float, default=20.0, help="max seconds per send phase")
    parser.add_argument("--only", choices=sorted(SCHEDULERS), help="run one scheduler only")
    parser.add_argument("--child", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child is not None:
        mode, kind, *rest = args.child
        if mode == "create":
            _setup_django()
            values = [kind, *rest]
            if "keep" not in values:
                _clean()
            count, seconds, not_due_for, start = (int(v) for v in values[:4])
            _create(count, seconds, start=start, not_due_for=not_due_for)
            out = {"created": count}
        elif mode == "scale":
            out = child_scale(kind, int(rest[0]), float(rest[1]))
        else:
            out = child_cpu(kind, int(rest[0]), int(rest[1]), float(rest[2]))
        print(json.dumps(out))
        return

    kinds = [args.only] if args.only else ["stock", "ours"]
    header = (
        f"{'tasks':>7} {'scheduler':<6} {'load s':>7} {'idle tick ms':>12} "
        f"{'changed tick ms':>15} {'sends/s':>8} {'p50 s':>7} {'p99 s':>7} "
        f"{'RSS MB':>7} {'peak MB':>7}"
    )
    print(header)
    print("-" * len(header))
    results: dict[tuple[int, str], dict] = {}
    for size in [int(s) for s in args.sizes.split(",") if s]:
        for kind in kinds:
            r = results[size, kind] = _spawn("scale", kind, str(size), str(args.limit))
            print(
                f"{size:>7} {kind:<6} {r['load_s']:>7.2f} {r['idle_tick_ms']:>12.2f} "
                f"{r['changed_tick_ms']:>15.1f} {r['sends_per_s']:>8.1f} "
                f"{_fmt(r['delay_p50_s'], '.3f'):>7} {_fmt(r['delay_p99_s'], '.3f'):>7} "
                f"{r['rss_mb']:>7.0f} {r['peak_rss_mb']:>7.0f}",
                flush=True,
            )
    print()
    print(
        f"CPU share over {args.cpu_seconds:g} s, {args.cpu_daily} daily + "
        f"{args.cpu_hourly} hourly tasks:"
    )
    cpu: dict[str, dict] = {}
    for kind in kinds:
        r = cpu[kind] = _spawn(
            "cpu", kind, str(args.cpu_daily), str(args.cpu_hourly), str(args.cpu_seconds)
        )
        print(
            f"  {kind:<6} cpu {r['cpu_share'] * 100:5.1f}%  sent {r['sent']:>5}  "
            f"RSS {r['rss_mb']:.0f} MB (peak {r['peak_rss_mb']:.0f} MB)",
            flush=True,
        )
    report(f"beat at scale (bench/beat.py): {', '.join(kinds)}", _figures(results, cpu, args))


def _figures(results: dict[tuple[int, str], dict], cpu: dict[str, dict], args) -> list:
    from bench.common import Figure

    figures = []
    for (size, kind), r in results.items():
        if kind != "ours":
            continue
        stock = results.get((size, "stock"))
        p99 = r["delay_p99_s"]
        figures += [
            Figure(f"{size:,} tasks: load", r["load_s"], "s"),
            Figure(
                f"{size:,} tasks: idle tick", r["idle_tick_ms"], "ms", "< 5", r["idle_tick_ms"] < 5
            ),
            Figure(
                f"{size:,} tasks: tick after one change (median of 5)",
                r["changed_tick_ms"],
                "ms",
                "< 50",
                r["changed_tick_ms"] < 50,
            ),
            Figure(
                f"{size:,} tasks: tick after one change (worst of 5)",
                r["changed_tick_max_ms"],
                "ms",
            ),
            Figure(
                f"{size:,} tasks: due tasks sent per second",
                r["sends_per_s"],
                "sends/s",
                ">= 200",
                r["sends_per_s"] >= 200,
            ),
            Figure(
                f"{size:,} tasks: due->sent delay p99",
                p99 if p99 not in (None, float("inf")) else -1,
                "s",
                "< 1",
                p99 is not None and p99 < 1,
            ),
            Figure(
                f"{size:,} tasks: resident memory", r["rss_mb"], "MB", "< 150", r["rss_mb"] < 150
            ),
        ]
        if stock:
            figures.append(
                Figure(
                    f"{size:,} tasks: load time, stock / ours", stock["load_s"] / r["load_s"], "x"
                )
            )
    if "ours" in cpu:
        figures.append(
            Figure(
                f"beat CPU share, {args.cpu_daily} daily + {args.cpu_hourly} hourly",
                cpu["ours"]["cpu_share"] * 100,
                "%",
            )
        )
    return figures


if __name__ == "__main__":
    main()
