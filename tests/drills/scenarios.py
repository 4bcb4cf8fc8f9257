"""The fault drills of issue 9, each a function that runs real processes and returns what it saw.

The fast drills (tests/drills/test_*.py) call them with small sizes and assert on the result; the
long versions (bench/drills.py) call them with bigger sizes and print the figures. Every function
uses the database Django is configured with (pytest's test database, or the benchmark's own) and
starts its own Redis, workers, beat, gunicorn and fake hiscores; `procs` stops them all.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from tests.drills.harness import (
    PrivateRedis,
    Processes,
    database_url,
    drill_env,
    observed_fake_hiscores,
    send_task,
    wait_until,
)

FETCH = "hiscores.fetch_player"
CHECK_GAME_MODE = "players.check_game_mode"
BASE_STATS = {"attack": 5_000_000, "slayer": 2_000_000, "zulrah": 120}


def unique_name(prefix: str) -> str:
    return f"{prefix}{secrets.token_hex(3)}"  # at most 12 characters, unique across runs


def make_player(username: str, *, game_mode: str = "regular", schedule: bool = False):
    from players import schedules
    from players.models import Player
    from players.names import normalise_username

    player = Player.objects.create(
        username=username, username_key=normalise_username(username), game_mode=game_mode
    )
    if schedule:
        schedules.player_schedule_sync(player=player)
    return player


def snapshot_count(player_id: int) -> int:
    from hiscores.models import Snapshot

    return Snapshot.objects.filter(player_id=player_id).count()


# --- Drill 1: a worker killed with SIGKILL in the middle of a fetch ----


@dataclass
class WorkerKillResult:
    mode: str  # "child": the pool process; "node": the whole worker (main process and pool)
    visibility_timeout: float
    redelivery_seconds: float  # from the kill to the redelivered fetch reaching the hiscores
    hiscores_requests: int  # the killed attempt and the redelivered one
    snapshots: int
    last_fetch_status: str
    left_unacked: int  # messages still reserved in Redis at the end
    left_queued: int
    worker_log: str = field(repr=False, default="")


def drill_worker_kill(
    *,
    procs: Processes,
    workdir: Path,
    mode: str,
    visibility_timeout: float = 5,
    slow_seconds: float = 6,
    timeout: float = 120,
) -> WorkerKillResult:
    """Kill the worker (pool child or whole node) while its fetch waits for the hiscores.

    The first hiscores answer is held back `slow_seconds`; the kill comes while it is pending.
    With acks_late the message is still unacknowledged: a dead pool child's task is requeued at
    once (task_reject_on_worker_lost); a dead node's message comes back from Redis after the
    visibility timeout, restored by the next worker (the replacement started right away here).
    """
    assert mode in ("child", "node")
    redis_server = PrivateRedis(workdir / "redis").start()
    fake = observed_fake_hiscores(workdir / "fake", slow_seconds=slow_seconds)
    try:
        name = unique_name("kill")
        fake.add_player(name, stats=BASE_STATS)
        player = make_player(name)
        env = drill_env(
            database_url=database_url(),
            redis_url=redis_server.url(),
            var_dir=procs.var_dir,
            OSRS_HISCORES_BASE_URL=fake.url,
            OSRS_HISCORES_READ_TIMEOUT=slow_seconds + 10,
            CELERY_VISIBILITY_TIMEOUT=int(visibility_timeout),
        )
        first = procs.worker(f"kill-{mode}-a", env=env)
        fake.fail_next("slow")
        send_task(redis_server.url(), FETCH, kwargs={"player_id": player.pk})
        wait_until(lambda: fake.arrivals, timeout=60, what="the fetch to reach the hiscores")
        time.sleep(0.3)  # the answer is held back for slow_seconds: the fetch is in flight
        if mode == "child":
            children = first.children()
            assert children, "the worker has no pool process"
            for pid in children:
                os.kill(pid, signal.SIGKILL)
            worker = first
        else:
            first.kill_group()
        killed_at = time.time()
        if mode == "node":
            worker = procs.worker(f"kill-{mode}-b", env=env)
        wait_until(
            lambda: len(fake.arrivals) >= 2,
            timeout=timeout,
            what="the fetch to be redelivered",
            interval=0.05,
        )
        redelivered_at = fake.arrivals[1][0]
        wait_until(lambda: snapshot_count(player.pk), timeout=60, what="the snapshot")
        # Give a duplicate delivery the chance to show up before counting.
        time.sleep(1.5)
        player.refresh_from_db()
        client = redis_server.client()
        try:
            left_unacked = client.hlen("unacked")
            left_queued = client.llen("celery")
        finally:
            client.close()
        return WorkerKillResult(
            mode=mode,
            visibility_timeout=visibility_timeout,
            redelivery_seconds=redelivered_at - killed_at,
            hiscores_requests=len(fake.arrivals),
            snapshots=snapshot_count(player.pk),
            last_fetch_status=player.last_fetch_status,
            left_unacked=left_unacked,
            left_queued=left_queued,
            worker_log=worker.log(),
        )
    finally:
        procs.stop_all()
        fake.stop()
        redis_server.stop()


# --- Drill 2: the hiscores answer garbage or nothing for a while ----

OUTAGE_MODES = ("503", "500", "429", "slow", "html", "truncated", "empty", "disconnect")


@dataclass
class HiscoresOutageResult:
    players: int
    outage_seconds: float
    fetches_sent_during_outage: int
    hiscores_requests_during_outage: int
    request_bound: int  # threshold + requests in flight + one probe per cooldown
    bad_answers_served: Counter
    snapshots_stored_during_outage: int
    breaker_opened: bool
    recovery_seconds: float  # outage over -> every player has a new snapshot
    breaker_state_after: str
    flagged_players: int
    game_mode_changes: int
    game_modes_before: dict[int, str]
    game_modes_after: dict[int, str]
    worker_log: str = field(repr=False, default="")


def drill_hiscores_outage(
    *,
    procs: Processes,
    workdir: Path,
    players: int = 4,
    outage_seconds: float = 6,
    send_interval: float = 0.5,
    threshold: int = 5,
    cooldown: float = 2,
    concurrency: int = 2,
    timeout: float = 60,
) -> HiscoresOutageResult:
    """Scheduled fetches keep coming while the hiscores answer 503s, time out, send HTML with 200,
    truncated or empty JSON, or hang up; then the hiscores recover.

    The first bad answers are scripted (HTML-200, truncated, 503, a timeout, empty) so every kind
    of garbage is served at least once; after that every request fails in a random way.
    """
    from hiscores.models import Snapshot
    from players.models import GameModeChange, Player

    redis_server = PrivateRedis(workdir / "redis").start()
    fake = observed_fake_hiscores(workdir / "fake", slow_seconds=3, seed=9)
    try:
        gains = {"attack": 1_000, "zulrah": 1}
        ids = []
        for index in range(players):
            name = unique_name("out")
            if index == 0:  # an ironman: an outage must never look like a mode change
                fake.add_player(name, stats=BASE_STATS)
                fake.add_player(name, board="hiscore_oldschool_ironman", stats=BASE_STATS)
                fake.update_player(
                    name, board="hiscore_oldschool_ironman", stats=BASE_STATS, gains=gains
                )
                ids.append(make_player(name, game_mode="ironman").pk)
            else:
                fake.add_player(name, stats=BASE_STATS, gains=gains)
                ids.append(make_player(name).pk)
        broker = redis_server.url()
        env = drill_env(
            database_url=database_url(),
            redis_url=broker,
            var_dir=procs.var_dir,
            OSRS_HISCORES_BASE_URL=fake.url,
            OSRS_HISCORES_CONNECT_TIMEOUT=1,
            OSRS_HISCORES_READ_TIMEOUT=1,
            OSRS_HISCORES_BREAKER_THRESHOLD=threshold,
            OSRS_HISCORES_BREAKER_COOLDOWN=cooldown,
        )
        worker = procs.worker("outage", env=env, concurrency=concurrency)

        def send_round() -> int:
            for player_id in ids:
                send_task(broker, FETCH, kwargs={"player_id": player_id})
            return len(ids)

        def everyone_has(count: int) -> bool:
            return all(snapshot_count(pk) >= count for pk in ids)

        send_round()
        wait_until(lambda: everyone_has(1), timeout=timeout, what="the first snapshots")
        modes_before = dict(Player.objects.filter(pk__in=ids).values_list("pk", "game_mode"))
        baseline = Snapshot.objects.filter(player_id__in=ids).count()

        # The outage.
        fake.fail_next("html", "truncated", "503", "slow", "empty")
        fake.set_failures(1.0, OUTAGE_MODES)
        outage_start = time.time()
        send_task(broker, CHECK_GAME_MODE, kwargs={"player_id": ids[0]})
        sent = 0
        while time.time() - outage_start < outage_seconds:
            sent += send_round()
            time.sleep(send_interval)
        fake.set_failures(0.0, OUTAGE_MODES)
        outage_end = time.time()
        stored_during = Snapshot.objects.filter(player_id__in=ids).count() - baseline
        served = Counter(
            r.mode for r in list(fake.requests) if r.mode and outage_start <= r.at <= outage_end
        )
        requests_during = fake.arrivals_since(outage_start, until=outage_end)

        # Recovery: the schedule keeps sending; nobody touches the breaker.
        def recovered() -> bool:
            if everyone_has(2):
                return True
            send_round()
            return False

        wait_until(recovered, timeout=timeout, what="fetches to resume", interval=send_interval)
        recovery = time.time() - outage_end
        client = redis_server.client()
        try:
            raw = client.get("osrs_diff:hiscores:breaker")
        finally:
            client.close()
        breaker_state = json.loads(raw)["state"] if raw else "closed"
        flagged = Player.objects.filter(pk__in=ids).exclude(flag_reason="").count()
        modes_after = dict(Player.objects.filter(pk__in=ids).values_list("pk", "game_mode"))
        return HiscoresOutageResult(
            players=players,
            outage_seconds=outage_end - outage_start,
            fetches_sent_during_outage=sent,
            hiscores_requests_during_outage=requests_during,
            request_bound=threshold + concurrency + int((outage_end - outage_start) / cooldown) + 1,
            bad_answers_served=served,
            snapshots_stored_during_outage=stored_during,
            breaker_opened="closed -> open" in worker.log(),
            recovery_seconds=recovery,
            breaker_state_after=breaker_state,
            flagged_players=flagged,
            game_mode_changes=GameModeChange.objects.filter(player_id__in=ids).count(),
            game_modes_before=modes_before,
            game_modes_after=modes_after,
            worker_log=worker.log(),
        )
    finally:
        procs.stop_all()
        fake.stop()
        redis_server.stop()
