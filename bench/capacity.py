"""Fetching at the politeness limit (issue 16): N players on interval I against a budget of R
hiscores requests/s, a fraction A of them progressing, adaptive intervals off and on.

    .venv/bin/python -m bench.capacity                      # the default, small and time-scaled
    .venv/bin/python -m bench.capacity --players 600 --interval-seconds 300 --scale 1 \
        --rate 1 --seconds 1200                              # the issue's size (about 90 minutes)

Each of the four runs (adaptive off/on x cold/settled start) gets a clean state in one dedicated
database (DATABASE_URL, default `osrs_diff_bench_capacity`) and its own fake hiscores server, a
private `redis-server` (broker, rate limiter, cache; flushed between runs), a worker consuming
`scheduled` (concurrency --concurrency) and a small one consuming `interactive,maintenance`
(like Procfile.dev), and beat. Everything listens on loopback only and is stopped at the end,
also on failure, Ctrl-C or the watchdog (--max-minutes).

Players are created with the project's own code (`game_mode_detect` + `players_create_bulk`,
which also stores their first snapshot); the active ones gain XP on every hiscores request, the
idle ones never change. Time scale: one benchmark second stands for `--scale` seconds of product
time. The configured interval is `interval_seconds * scale / 60` minutes (a whole number, at
least 5), and the players' PeriodicTasks are written with SECONDS interval schedules of
`minutes * 60 / scale` (expire_seconds likewise); a watcher rewrites every player task the app
itself (re)writes in minutes while the run goes on, so adaptive backoff stays on the same scale.
The hiscores budget, the limiter, message ages and every measured time are in real seconds.
The stale rule agrees with this clock without help: a scheduled message is stale after the
interval its PeriodicTask carries (beat's `schedule_interval_seconds` header, here the scaled
one), and the tasks' `expire_seconds` (two intervals) are scaled likewise. At --scale 1 (the
issue's size) nothing is scaled.

Start states: *cold* - every player at its configured interval; *settled* - the effective
interval a day (1440 product minutes) of running would have left, computed per player with
`players.intervals.next_interval` under the run's rule (idle players never progress, active ones
always do); with adaptive off that is the configured interval again. Due times are staggered at
random over each player's interval (same --seed in every run).

Measured over the T seconds after beat started: hiscores requests/s (the fake server's own
request log), useful fetches (a snapshot stored) / all fetches of the scheduled players, the
staleness of active players (age of their last fetch, sampled every second after one interval),
manual-fetch latency (a `hiscores.fetch_player` sent on `interactive` every --probe-every seconds
during the second half, timed until the player's last_fetched moves), sweeper lateness
(`drops.end_idle_parties` sent on `maintenance` every --sweeper-every seconds, sent -> started),
peak backlog per queue (LLEN), and messages thrown away (expired/revoked, from the workers).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import signal
import tempfile
import threading
import time
import traceback
from collections import Counter, deque
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.capacity_probe import EVENTS_KEY
from bench.common import DEFAULT_DATABASE_URL, Figure, report, setup_django

QUEUE_NAMES = ("scheduled", "interactive", "maintenance")
FETCH = "hiscores.fetch_player"
SWEEPER = "drops.end_idle_parties"
DAY_MINUTES = 1440
PROBE_PLAYERS = 3
PROBE_TIMEOUT = 60.0
ACTIVE_GAINS = {"attack": 1_000, "slayer": 500}
BASE_STATS = {"attack": 5_000_000, "strength": 4_000_000, "slayer": 2_000_000, "zulrah": 120}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--players", type=int, default=20, help="scheduled players N")
    parser.add_argument(
        "--interval-seconds", type=float, default=5, help="their interval I, benchmark seconds"
    )
    parser.add_argument("--rate", type=float, default=2.0, help="budget R (OSRS_HISCORES_RATE)")
    parser.add_argument("--active-fraction", type=float, default=1 / 3, help="A, progressing")
    parser.add_argument("--seconds", type=float, default=30, help="T, measured per run")
    parser.add_argument(
        "--scale", type=float, default=60, help="product seconds per benchmark second"
    )
    parser.add_argument("--concurrency", type=int, default=4, help="the scheduled worker's slots")
    parser.add_argument("--probe-every", type=float, default=3.0, help="manual fetch every (s)")
    parser.add_argument("--sweeper-every", type=float, default=5.0, help="sweeper sent every (s)")
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument(
        "--modes",
        default="off/cold,on/cold,off/settled,on/settled",
        help="which runs, comma separated (adaptive/start)",
    )
    parser.add_argument(
        "--max-minutes", type=float, default=0, help="watchdog (default: derived from the size)"
    )
    parser.add_argument("--keep-logs", action="store_true", help="print where the logs are kept")
    options = parser.parse_args(argv)
    minutes = options.interval_seconds * options.scale / 60
    if abs(minutes - round(minutes)) > 1e-9 or round(minutes) < 5:
        parser.error(
            f"--interval-seconds x --scale / 60 = {minutes:g} must be a whole number of minutes"
            " >= 5 (the product's smallest interval)"
        )
    options.configured_minutes = round(minutes)
    options.modes = [tuple(m.strip().split("/")) for m in options.modes.split(",") if m.strip()]
    for mode in options.modes:
        if len(mode) != 2 or mode[0] not in ("off", "on") or mode[1] not in ("cold", "settled"):
            parser.error(f"mode must be off|on / cold|settled, got {'/'.join(mode)}")
    if not 0 <= options.active_fraction <= 1 or options.players < 1 or options.rate <= 0:
        parser.error("need players >= 1, rate > 0 and 0 <= active-fraction <= 1")
    return options


# --- The plan: which players progress, and their intervals at the start ----


def scheduled_names(n: int) -> list[str]:
    return [f"cap{i:05d}" for i in range(n)]


def probe_names() -> list[str]:
    return [f"capprobe{i}" for i in range(PROBE_PLAYERS)]


def choose_active(names: list[str], fraction: float, seed: int) -> set[str]:
    return set(random.Random(seed).sample(names, round(len(names) * fraction)))


def settled_interval(*, configured: int, active: bool, rule) -> tuple[int, int]:
    """(effective minutes, unchanged streak) after a simulated day of scheduled fetches."""
    from players.intervals import IntervalState, next_interval

    state = IntervalState(effective_minutes=configured, unchanged_fetches=0)
    elapsed = 0
    while elapsed < DAY_MINUTES:
        state = next_interval(configured=configured, current=state, progressed=active, rule=rule)
        elapsed += state.effective_minutes
    return state.effective_minutes, state.unchanged_fetches


# --- One run ----


@dataclass
class RunResult:
    label: str
    seconds: float
    requests: int
    scheduled_requests: int
    probe_requests: int
    useful: int
    demand_per_second: float
    staleness: list[float]
    probe_latencies: list[float]
    probe_timeouts: int
    probe_limiter_waits: list[float]
    probe_backlogs: list[int]
    sweeper_lateness: list[float]
    sweeper_sent: int
    sweeper_started: int
    peak_backlog: dict[str, int]
    final_backlog: dict[str, int]
    beat_sent: int
    executed: Counter
    statuses: Counter
    expired: Counter
    discarded_log_lines: int
    rescaled_rows: int
    peak_window_rate: float
    notes: list[str] = field(default_factory=list)


def _queue_depth(client, queue: str) -> int:
    # kombu's Redis transport keeps priority levels as separate lists next to the plain one.
    keys = [queue] + [f"{queue}\x06\x16{p}" for p in (3, 6, 9)]
    with client.pipeline() as pipe:
        for key in keys:
            pipe.llen(key)
        return sum(pipe.execute())


def _wipe_state() -> None:
    from django.db import connection
    from django_celery_beat.models import PeriodicTask, PeriodicTasks

    from players.models import Player
    from players.schedules import TASK_NAME_PREFIX

    PeriodicTask.objects.filter(name__startswith=TASK_NAME_PREFIX).delete()
    Player.objects.all().delete()  # the benchmark's own database: snapshots cascade
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM django_celery_results_taskresult")
    # System schedules (drift check, daily checks, the sweeper's own row) stay off: the drift
    # check would "repair" the scaled intervals, and the sweeper is sent by the benchmark.
    PeriodicTask.objects.exclude(name__startswith=TASK_NAME_PREFIX).update(enabled=False)
    PeriodicTasks.update_changed()


def _create_players(fake, names: list[str], active: set[str], configured: int):
    from players.services import game_mode_detect, players_create_bulk

    for name in names:
        fake.add_player(name, stats=BASE_STATS, gains=ACTIVE_GAINS if name in active else None)
    detections = [(name, game_mode_detect(username=name)) for name in names]
    created = players_create_bulk(detections=detections, fetch_interval_minutes=configured)
    if len(created) != len(names):
        raise RuntimeError(f"created {len(created)} of {len(names)} players")
    return {p.username: p for p in created}


def _scaled_interval(seconds: float):
    from django_celery_beat.models import IntervalSchedule

    every = max(1, round(seconds))
    interval = IntervalSchedule.objects.filter(every=every, period=IntervalSchedule.SECONDS).first()
    return interval or IntervalSchedule.objects.create(every=every, period=IntervalSchedule.SECONDS)


def _schedule_scaled(players: dict, *, scale: float, rng: random.Random, now: datetime) -> float:
    """Write each scheduled player's PeriodicTask on the benchmark clock; returns demand/s."""
    from django_celery_beat.models import PeriodicTask, PeriodicTasks

    from players.schedules import EXPIRE_AFTER_INTERVALS

    demand = 0.0
    for player in players.values():
        player.refresh_from_db()
        seconds = player.schedule_interval_minutes * 60 / scale
        demand += 1 / seconds
        PeriodicTask.objects.filter(pk=player.fetch_task_id).update(
            interval=_scaled_interval(seconds),
            expire_seconds=max(1, round(seconds * EXPIRE_AFTER_INTERVALS)),
            start_time=None,
            last_run_at=now - timedelta(seconds=rng.random() * seconds),
            enabled=True,
        )
    PeriodicTasks.update_changed()
    return demand


class Rescaler(threading.Thread):
    """Keeps player PeriodicTasks on the benchmark clock when the app rewrites them in minutes."""

    def __init__(self, scale: float) -> None:
        super().__init__(daemon=True)
        self.scale = scale
        self.stopped = threading.Event()
        self.rows = 0
        self.error: str | None = None

    def run(self) -> None:
        from django.db import connection
        from django_celery_beat.models import IntervalSchedule, PeriodicTask, PeriodicTasks

        from players.schedules import EXPIRE_AFTER_INTERVALS, TASK_NAME_PREFIX

        try:
            while not self.stopped.wait(0.5):
                tasks = PeriodicTask.objects.filter(
                    name__startswith=TASK_NAME_PREFIX, enabled=True
                ).exclude(interval__period=IntervalSchedule.SECONDS)
                changed = 0
                for task in tasks.select_related("interval"):
                    if task.interval is None or task.interval.period != IntervalSchedule.MINUTES:
                        continue
                    seconds = task.interval.every * 60 / self.scale
                    changed += PeriodicTask.objects.filter(
                        pk=task.pk, interval_id=task.interval_id
                    ).update(
                        interval=_scaled_interval(seconds),
                        expire_seconds=max(1, round(seconds * EXPIRE_AFTER_INTERVALS)),
                    )
                if changed:
                    self.rows += changed
                    PeriodicTasks.update_changed()
        except Exception as exc:  # noqa: BLE001 - reported with the run's figures
            self.error = repr(exc)
        finally:
            connection.close()


def run_once(
    options: argparse.Namespace, *, adaptive: str, start: str, redis_server, root: Path
) -> RunResult:
    from django.db import close_old_connections
    from django.utils import timezone

    from hiscores.integration.ratelimit import RateLimiter
    from hiscores.integration.shared import reset_client
    from hiscores.integration.state import RedisStore
    from players.intervals import AdaptiveRule
    from players.models import Player
    from players.schedules import TASK_NAME_PREFIX
    from tests.drills.harness import (
        Processes,
        database_url,
        drill_env,
        observed_fake_hiscores,
        send_task,
    )

    label = f"{adaptive}/{start}"
    workdir = root / label.replace("/", "-")
    procs = Processes(log_dir=workdir / "logs", var_dir=workdir / "var")
    procs.var_dir.mkdir(parents=True, exist_ok=True)
    broker = redis_server.client(0)
    broker.flushall()
    # One loopback port for every run: this process's own client (player set-up) points at it.
    fake = observed_fake_hiscores(workdir / "fake", seed=options.seed, port=options.fake_port)
    fake.requests = deque()  # unbounded: the whole run is counted
    reset_client()  # no pooled connection to the previous run's server
    rescaler = None
    try:
        _wipe_state()
        names = scheduled_names(options.players)
        active = choose_active(names, options.active_fraction, options.seed)
        configured = options.configured_minutes
        players = _create_players(fake, names, active, configured)
        probes = _create_players(fake, probe_names(), set(probe_names()), configured)
        from django_celery_beat.models import PeriodicTask

        PeriodicTask.objects.filter(pk__in=[p.fetch_task_id for p in probes.values()]).update(
            enabled=False
        )
        rule = AdaptiveRule.from_settings()
        rule = AdaptiveRule(
            enabled=adaptive == "on",
            after_unchanged=rule.after_unchanged,
            max_minutes=rule.max_minutes,
        )
        if start == "settled":
            for name, player in players.items():
                effective, streak = settled_interval(
                    configured=configured, active=name in active, rule=rule
                )
                Player.objects.filter(pk=player.pk).update(
                    effective_interval_minutes=effective, unchanged_fetches=streak
                )

        env = drill_env(
            database_url=database_url(),
            redis_url=redis_server.url(0),
            var_dir=procs.var_dir,
            OSRS_HISCORES_BASE_URL=fake.url,
            OSRS_HISCORES_RATE=options.rate,
            ADAPTIVE_FETCH="true" if adaptive == "on" else "false",
            BENCH_EVENTS_URL=redis_server.url(1),
        )
        env.pop("OSRS_HISCORES_RETRY_DELAYS", None)  # the product's own retry behaviour
        env.pop("OSRS_HISCORES_RETRY_JITTER", None)
        scheduled_worker = _worker(procs, "scheduled", env, options.concurrency, "scheduled")
        fast_worker = _worker(procs, "fast", env, 1, "interactive,maintenance")

        rng = random.Random(options.seed)
        now = timezone.now()
        demand = _schedule_scaled(players, scale=options.scale, rng=rng, now=now)
        if options.scale != 1:
            rescaler = Rescaler(options.scale)
            rescaler.start()
        beat = procs.beat("beat", env=env)
        t0 = time.time()
        t_end = t0 + options.seconds
        # The workers' limiter: the same key in the same Redis (their REDIS_URL).
        limiter = RateLimiter(store=RedisStore(redis_server.url(0)), rate=options.rate)
        sampler = _Sampler(
            options=options,
            broker=broker,
            broker_url=redis_server.url(0),
            limiter=limiter,
            active_ids=[players[n].pk for n in names if n in active],
            probe_ids=[p.pk for p in probes.values()],
            send_task=send_task,
            t0=t0,
        )
        sampler.loop(until=t_end)
        t1 = time.time()
        final_backlog = {q: _queue_depth(broker, q) for q in QUEUE_NAMES}
        beat.stop(timeout=10)
        sampler.finish_probes()
        close_old_connections()

        # --- what happened in [t0, t1] ----
        requests = [r for r in list(fake.requests) if t0 <= r.at < t1]
        probe_keys = {n.lower() for n in probe_names()}
        probe_requests = sum(1 for r in requests if (r.player or "").lower() in probe_keys)
        scheduled_requests = sum(
            1 for r in requests if r.status == 200 and (r.player or "").lower() not in probe_keys
        )
        from hiscores.models import Snapshot

        start_at = datetime.fromtimestamp(t0, tz=UTC)
        end_at = datetime.fromtimestamp(t1, tz=UTC)
        useful = Snapshot.objects.filter(
            player_id__in=[p.pk for p in players.values()],
            fetched_at__gte=start_at,
            fetched_at__lt=end_at,
        ).count()
        events = [json.loads(e) for e in redis_server.client(1).lrange(EVENTS_KEY, 0, -1)]
        # Sweeper starts are matched to their sends whenever they came; the counts cover [t0, t1).
        started_by_id = {e["id"]: e for e in events if e["event"] == "started"}
        events = [e for e in events if t0 <= e["at"] < t1]
        executed = Counter(f"{e['task']}@{e['queue']}" for e in events if e["event"] == "started")
        statuses = Counter(
            f"{e['status']}" + (f"/{e['reason']}" if e.get("reason") else "")
            for e in events
            if e["event"] == "finished" and e["task"] == FETCH
        )
        expired = Counter(f"{e['task']}@{e['queue']}" for e in events if e["event"] == "revoked")
        lateness = [
            started_by_id[task_id]["at"] - sent
            for task_id, sent in sampler.sweeper_sends
            if task_id in started_by_id
        ]
        beat_sent = beat.log().count("Sending due task " + TASK_NAME_PREFIX)
        discarded = sum(
            w.log().count("Discarding revoked task") for w in (scheduled_worker, fast_worker)
        )
        times = sorted(r.at for r in requests)
        window = 10.0
        peak_window = 0
        j = 0
        for i, at in enumerate(times):
            while times[j] < at - window:
                j += 1
            peak_window = max(peak_window, i - j + 1)
        notes = []
        if rescaler is not None:
            rescaler.stopped.set()
            rescaler.join(timeout=5)
            if rescaler.error:
                notes.append(f"rescaler failed: {rescaler.error}")
        return RunResult(
            label=label,
            seconds=t1 - t0,
            requests=len(requests),
            scheduled_requests=scheduled_requests,
            probe_requests=probe_requests,
            useful=useful,
            demand_per_second=demand,
            staleness=sampler.staleness,
            probe_latencies=sampler.probe_latencies,
            probe_timeouts=sampler.probe_timeouts,
            probe_limiter_waits=sampler.probe_limiter_waits,
            probe_backlogs=sampler.probe_backlogs,
            sweeper_lateness=lateness,
            sweeper_sent=len(sampler.sweeper_sends),
            sweeper_started=len(lateness),
            peak_backlog=sampler.peak_backlog,
            final_backlog=final_backlog,
            beat_sent=beat_sent,
            executed=executed,
            statuses=statuses,
            expired=expired,
            discarded_log_lines=discarded,
            rescaled_rows=rescaler.rows if rescaler else 0,
            peak_window_rate=peak_window / window,
            notes=notes,
        )
    finally:
        if rescaler is not None:
            rescaler.stopped.set()
        procs.stop_all()
        fake.stop()
        broker.close()


def _worker(procs, name: str, env: dict[str, str], concurrency: int, queues: str):
    from tests.drills.harness import BIN

    argv = [str(BIN / "celery"), "-A", "osrs_diff", "worker", "--pool", "prefork"]
    argv += ["-c", str(concurrency), "-n", f"{name}@capacity", "-Q", queues]
    argv += ["--include", "bench.capacity_probe"]
    argv += ["--without-mingle", "--without-gossip", "--without-heartbeat", "-l", "INFO"]
    process = procs.start(name, argv, env=env)
    process.wait_for_log(r"capacity ready\.", timeout=90)
    return process


class _Sampler:
    """The measuring loop: backlog, staleness, manual-fetch probes and sweeper sends."""

    def __init__(
        self,
        *,
        options,
        broker,
        broker_url,
        limiter,
        active_ids,
        probe_ids,
        send_task,
        t0,
    ) -> None:
        self.options = options
        self.broker = broker
        self.broker_url = broker_url
        self.limiter = limiter
        self.active_ids = active_ids
        self.probe_ids = probe_ids
        self.send_task = send_task
        self.t0 = t0
        self.peak_backlog = dict.fromkeys(QUEUE_NAMES, 0)
        self.staleness: list[float] = []
        self.probe_latencies: list[float] = []
        self.probe_limiter_waits: list[float] = []
        self.probe_backlogs: list[int] = []
        self.probe_timeouts = 0
        self.pending: dict[int, tuple[float, datetime | None]] = {}  # player -> (sent, before)
        self.sweeper_sends: list[tuple[str, float]] = []
        self._next_probe = t0 + options.seconds / 2
        self._next_sweeper = t0 + 1
        self._next_staleness = t0 + options.interval_seconds
        self._probe_turn = 0

    def _last_fetched(self, ids) -> dict[int, datetime | None]:
        from players.models import Player

        return dict(Player.objects.filter(pk__in=ids).values_list("pk", "last_fetched"))

    def tick(self, now: float) -> None:
        for queue in QUEUE_NAMES:
            self.peak_backlog[queue] = max(
                self.peak_backlog[queue], _queue_depth(self.broker, queue)
            )
        if now >= self._next_sweeper:
            self._next_sweeper += self.options.sweeper_every
            task_id = self.send_task(self.broker_url, SWEEPER, kwargs={}, queue="maintenance")
            self.sweeper_sends.append((task_id, time.time()))
        if now >= self._next_staleness and self.active_ids:
            self._next_staleness += 1.0
            for fetched in self._last_fetched(self.active_ids).values():
                if fetched is not None:
                    self.staleness.append(now - fetched.timestamp())
        self._check_probes()
        if now >= self._next_probe:
            self._next_probe += self.options.probe_every
            free = [pid for pid in self.probe_ids if pid not in self.pending]
            if free:
                player_id = free[self._probe_turn % len(free)]
                self._probe_turn += 1
                before = self._last_fetched([player_id]).get(player_id)
                self.probe_limiter_waits.append(self.limiter.estimated_wait_seconds())
                self.probe_backlogs.append(_queue_depth(self.broker, "scheduled"))
                self.pending[player_id] = (time.time(), before)
                self.send_task(
                    self.broker_url,
                    FETCH,
                    kwargs={"player_id": player_id},
                    queue="interactive",
                    headers={"interactive": True},
                )

    def _check_probes(self) -> None:
        if not self.pending:
            return
        current = self._last_fetched(list(self.pending))
        for player_id, (sent, before) in list(self.pending.items()):
            after = current.get(player_id)
            if after is not None and (before is None or after > before):
                self.probe_latencies.append(after.timestamp() - sent)
                del self.pending[player_id]
            elif time.time() - sent > PROBE_TIMEOUT:
                self.probe_timeouts += 1
                del self.pending[player_id]

    def loop(self, *, until: float) -> None:
        while (now := time.time()) < until:
            self.tick(now)
            time.sleep(max(0.0, min(0.25, until - time.time())))

    def finish_probes(self) -> None:
        """Wait (bounded) for the manual fetches still pending when the run ended."""
        deadline = time.time() + PROBE_TIMEOUT + 1
        while self.pending and time.time() < deadline:
            self._check_probes()
            time.sleep(0.2)
        self.probe_timeouts += len(self.pending)
        self.pending.clear()


# --- Figures ----


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(0, math.ceil(q / 100 * len(ordered)) - 1)
    return ordered[rank]


def figures_for(result: RunResult, options: argparse.Namespace) -> list[Figure]:
    label, rate, interval = result.label, options.rate, options.interval_seconds
    measured_rate = result.requests / max(result.seconds, 1e-9)
    useful_share = result.useful / max(1, result.scheduled_requests)
    p90 = percentile(result.staleness, 90)
    latencies = result.probe_latencies + [PROBE_TIMEOUT] * result.probe_timeouts
    p95 = percentile(latencies, 95)
    wait95 = percentile(result.probe_limiter_waits, 95) if result.probe_limiter_waits else 0.0
    late = max(result.sweeper_lateness, default=float("nan"))
    sweeper_missing = result.sweeper_sent - result.sweeper_started
    expired_fast = sum(
        n for key, n in result.expired.items() if key.endswith(("@interactive", "@maintenance"))
    )
    expired_all = sum(result.expired.values())
    scheduled_executed = sum(
        n
        for key, n in result.executed.items()
        if key.startswith(FETCH) and key.endswith("@scheduled")
    )
    on_settled = label == "on/settled"
    return [
        Figure(f"{label}: demand / budget at start", result.demand_per_second / rate, "ratio"),
        Figure(
            f"{label}: hiscores requests/s",
            measured_rate,
            "req/s",
            f"<= {rate * 1.02:g}",
            measured_rate <= rate * 1.02,
        ),
        Figure(f"{label}: hiscores requests/s, peak 10 s", result.peak_window_rate, "req/s"),
        Figure(
            f"{label}: useful fetches / all fetches",
            useful_share,
            "ratio",
            ">= 0.8" if on_settled else "",
            useful_share >= 0.8 if on_settled else None,
        ),
        Figure(
            f"{label}: active staleness p50 / I",
            percentile(result.staleness, 50) / interval,
            "ratio",
        ),
        Figure(
            f"{label}: active staleness p90 / I",
            p90 / interval,
            "ratio",
            "<= 2",
            p90 <= 2 * interval,
        ),
        Figure(f"{label}: manual fetch p50", percentile(latencies, 50), "s"),
        Figure(
            f"{label}: manual fetch p95",
            p95,
            "s",
            f"<= {5 + wait95:.1f}",
            bool(latencies) and p95 <= 5 + wait95,
        ),
        Figure(f"{label}: manual fetch limiter wait p95", wait95, "s"),
        Figure(
            f"{label}: sweeper lateness max",
            late,
            "s",
            "<= 60",
            sweeper_missing == 0 and late <= 60,
        ),
        Figure(
            f"{label}: sweeper runs missing", sweeper_missing, "runs", "== 0", sweeper_missing == 0
        ),
        Figure(f"{label}: peak backlog scheduled", result.peak_backlog["scheduled"], "messages"),
        Figure(
            f"{label}: peak backlog interactive", result.peak_backlog["interactive"], "messages"
        ),
        Figure(
            f"{label}: peak backlog maintenance", result.peak_backlog["maintenance"], "messages"
        ),
        Figure(
            f"{label}: scheduled fetches run / sent by beat",
            scheduled_executed / max(1, result.beat_sent),
            "ratio",
        ),
        Figure(f"{label}: messages thrown away (all)", expired_all, "messages"),
        Figure(
            f"{label}: thrown away interactive+maint.",
            expired_fast,
            "messages",
            "== 0",
            expired_fast == 0,
        ),
    ]


def describe(result: RunResult) -> str:
    lines = [
        f"-- {result.label}: {result.seconds:.0f} s, {result.requests} hiscores requests "
        f"({result.scheduled_requests} answered for scheduled players, "
        f"{result.probe_requests} manual), "
        f"{result.useful} snapshots stored, beat sent {result.beat_sent} fetches",
        f"   fetch outcomes: {dict(sorted(result.statuses.items()))}",
        f"   tasks started: {dict(sorted(result.executed.items()))}",
        f"   thrown away (expired/revoked): {dict(sorted(result.expired.items()))}; "
        f"'Discarding revoked task' log lines: {result.discarded_log_lines}",
        f"   backlog at the end: {result.final_backlog}; scheduled backlog when manual fetches "
        f"were sent: {result.probe_backlogs}",
        f"   manual fetches: {len(result.probe_latencies)} done, {result.probe_timeouts} timed out "
        f"(> {PROBE_TIMEOUT:g} s); sweeper sends {result.sweeper_sent}, "
        f"started {result.sweeper_started}",
    ]
    if result.rescaled_rows:
        lines.append(f"   player tasks rescaled after the app rewrote them: {result.rescaled_rows}")
    lines += [f"   NOTE {note}" for note in result.notes]
    return "\n".join(lines)


# --- Main ----


def _database_url() -> str:
    url = os.environ.get("DATABASE_URL")
    if url:
        return url
    return DEFAULT_DATABASE_URL + "_capacity"  # never the shared bench database: runs wipe it


class _Stop(BaseException):
    pass


def _raise_stop(signum, frame) -> None:
    raise _Stop(f"signal {signum}")


def main(argv: list[str] | None = None) -> int:
    options = parse_args(argv)
    from tests.drills.harness import PrivateRedis

    if not PrivateRedis.available():
        print("redis-server is not installed: the capacity benchmark needs its own Redis")
        return 1
    from tests.drills.harness import free_port

    root = Path(tempfile.mkdtemp(prefix="osrs-capacity-"))
    options.fake_port = free_port()
    redis_server = PrivateRedis(root / "redis").start()
    signal.signal(signal.SIGTERM, _raise_stop)
    signal.signal(signal.SIGINT, _raise_stop)
    per_run = options.seconds + PROBE_TIMEOUT + 60 + options.players * 0.05
    limit = options.max_minutes * 60 or 2 * per_run * len(options.modes) + 120
    watchdog = threading.Timer(limit, lambda: os.kill(os.getpid(), signal.SIGTERM))
    watchdog.daemon = True
    watchdog.start()
    results: list[RunResult] = []
    try:
        os.environ["REDIS_URL"] = redis_server.url(0)
        os.environ["OSRS_HISCORES_RATE"] = "0"  # set-up requests of this process are not counted
        os.environ["OSRS_HISCORES_BASE_URL"] = f"http://127.0.0.1:{options.fake_port}"
        setup_django(database_url=_database_url())
        demand_ratio = options.players / options.interval_seconds / options.rate
        print(
            f"capacity: {options.players} players every {options.interval_seconds:g} s "
            f"(configured {options.configured_minutes} min at scale {options.scale:g}), "
            f"{options.active_fraction:.0%} active, budget {options.rate:g} req/s "
            f"(configured demand {demand_ratio:.2f}x), "
            f"T = {options.seconds:g} s per run, worker concurrency {options.concurrency} + 1",
            flush=True,
        )
        for adaptive, start in options.modes:
            print(f"== run adaptive {adaptive}, {start} start", flush=True)
            result = run_once(
                options, adaptive=adaptive, start=start, redis_server=redis_server, root=root
            )
            print(describe(result), flush=True)
            results.append(result)
    except _Stop as exc:
        print(f"capacity: stopped ({exc}); every process it started is being stopped", flush=True)
    except Exception:  # noqa: BLE001 - report the runs that finished, then fail
        traceback.print_exc()
        print("capacity: a run failed; every process it started has been stopped", flush=True)
    finally:
        watchdog.cancel()
        redis_server.stop()
        PrivateRedis.stop_all()
    figures = [figure for result in results for figure in figures_for(result, options)]
    if results:
        report(
            "Capacity at the politeness limit (issue 16): adaptive off vs on, cold vs settled",
            figures,
        )
    if options.keep_logs:
        print(f"logs kept under {root}")
    else:
        import shutil

        shutil.rmtree(root, ignore_errors=True)
    return 0 if len(results) == len(options.modes) else 1


if __name__ == "__main__":
    raise SystemExit(main())
