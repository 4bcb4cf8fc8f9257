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
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import Any

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
    # From the first fetch reaching the hiscores to the redelivered one: the visibility timeout
    # runs from the delivery, a moment before the first request (and before the kill).
    since_first_request_seconds: float
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
            since_first_request_seconds=redelivered_at - fake.arrivals[0][0],
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


# --- HTTP load helpers ----

ERROR_KEYS = {"error_code", "message", "details", "timestamp", "request_id"}


@dataclass(frozen=True)
class Answer:
    at: float
    endpoint: str
    status: int | None  # None: no HTTP answer at all (connection reset, refused, timeout)
    code: str | None  # error_code, or the drop status ("party_created", ...)
    well_formed: bool  # an error body in the project's format (or a success)
    failing: tuple[str, ...] = ()  # /health/ready: the dependencies it named
    done: float = 0.0  # when the answer arrived (a request sent before an outage may end after it)


def _call(client, endpoint: str, method: str, path: str, **kwargs: Any) -> Answer:
    import httpx

    at = time.time()
    try:
        response = client.request(method, path, **kwargs)
    except httpx.HTTPError:
        return Answer(at, endpoint, None, None, False, done=time.time())
    try:
        body = response.json()
    except ValueError:
        body = None
    code, well_formed, failing = None, True, ()
    if isinstance(body, dict):
        code = body.get("error_code") or body.get("status")
        if response.status_code >= 400:
            well_formed = set(body) >= ERROR_KEYS
            failing = tuple((body.get("details") or {}).get("failing") or ())
    elif response.status_code >= 400:
        well_formed = False
    return Answer(at, endpoint, response.status_code, code, well_formed, failing, time.time())


def _api_user():
    from django.contrib.auth import get_user_model
    from rest_framework_simplejwt.tokens import AccessToken

    user = get_user_model().objects.create_user(
        username=unique_name("drill"), password=secrets.token_urlsafe(16)
    )
    return user, str(AccessToken.for_user(user))


def _end_open_parties(worlds: list[int]) -> None:
    from drops import services
    from drops.models import Party

    for party_id in Party.objects.filter(world__in=worlds, ended_at=None).values_list(
        "pk", flat=True
    ):
        services.party_end(party_id=party_id)


class ApiTraffic:
    """Client threads that keep reading parties, reporting a new drop, listing players (JWT) and
    asking `/health/ready`, recording every answer, until stopped."""

    def __init__(self, base: str, *, token: str, clients: int, pause: float, world: int) -> None:
        self.base = base
        self.token = token
        self.clients = clients
        self.pause = pause
        self.world = world
        self.answers: list[Answer] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> ApiTraffic:
        for index in range(self.clients):
            thread = threading.Thread(target=self._loop, args=(index,), daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self) -> list[Answer]:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=30)
        return list(self.answers)

    def _loop(self, index: int) -> None:
        import httpx

        auth = {"Authorization": f"Bearer {self.token}"}
        item = 1_000_000 * (index + 1)
        with httpx.Client(base_url=self.base, timeout=15) as http:
            while not self._stop.is_set():
                item += 1
                drop = {"world": self.world, "item_id": item, "item_name": "Drill item"}
                drop.update(quantity=1, value=1000)
                batch = [
                    _call(http, "GET /parties", "GET", "/parties"),
                    _call(http, "POST /drops", "POST", "/drops", json=drop),
                    _call(http, "GET /players", "GET", "/players", headers=auth),
                    _call(http, "GET /health/ready", "GET", "/health/ready"),
                ]
                with self._lock:
                    self.answers.extend(batch)
                time.sleep(self.pause)


# --- Drill 4: PostgreSQL restarted under load ----


@dataclass
class PostgresOutageResult:
    cut_seconds: float
    answers: list[Answer] = field(repr=False)
    unclean: list[Answer]  # anything but 2xx or a 503 in the error format
    no_answer: int  # requests that got no HTTP answer at all
    during_cut: Counter  # (endpoint, status, code) while the database was away
    recovery_seconds: float  # restore -> every endpoint answered 2xx again
    errors_after_recovery: int  # non-2xx answers after that point
    server_pids_unchanged: bool
    log: str = field(repr=False, default="")


def drill_postgres_outage(
    *,
    procs: Processes,
    workdir: Path,
    clients: int = 6,
    warmup_seconds: float = 2,
    cut_seconds: float = 3,
    after_seconds: float = 5,
    restart_cluster: bool = False,
) -> PostgresOutageResult:
    """gunicorn talks to PostgreSQL through a loopback proxy; clients keep reading, reporting drops
    and listing players (JWT) while the proxy is cut (every connection dies, new ones are refused,
    as in a restart) and restored. With `restart_cluster` the real cluster is restarted instead
    (bench only, never in tests: other suites use it)."""
    from django.contrib.auth import get_user_model
    from django.db import connection

    from tests.drills.harness import TcpProxy, free_port

    redis_server = PrivateRedis(workdir / "redis").start()
    pg_port = int(connection.settings_dict["PORT"] or 5432)
    proxy = None if restart_cluster else TcpProxy(pg_port).start()
    user, token = _api_user()
    world = 7000 + secrets.randbelow(2000)
    traffic: ApiTraffic | None = None
    try:
        port = free_port()
        env = drill_env(
            database_url=database_url(port=proxy.port if proxy else pg_port),
            redis_url=redis_server.url(),
            var_dir=procs.var_dir,
            DROPS_THROTTLE_RATE="1000000/minute",
            LOG_LEVEL="WARNING",
        )
        server = procs.gunicorn("pg-web", env=env, port=port, workers=2, threads=4)
        pids_before = sorted([server.pid, *server.children()])
        base = f"http://127.0.0.1:{port}"
        traffic = ApiTraffic(base, token=token, clients=clients, pause=0.02, world=world).start()
        time.sleep(warmup_seconds)
        cut_at = time.time()
        if restart_cluster:
            _restart_postgres_cluster()
            restored_at = time.time()
        else:
            proxy.cut()
            time.sleep(cut_seconds)
            proxy.restore()
            restored_at = time.time()
        time.sleep(after_seconds)
        answers = traffic.stop()
        pids_after = sorted([server.pid, *server.children()])

        def ok(answer: Answer) -> bool:
            return answer.status is not None and 200 <= answer.status < 300

        def clean(answer: Answer) -> bool:
            if ok(answer):
                return True
            if answer.status != 503 or not answer.well_formed:
                return False
            if answer.endpoint == "GET /health/ready":
                return answer.code == "dependency_unavailable" and answer.failing == ("database",)
            return answer.code == "database_unavailable"

        endpoints = {a.endpoint for a in answers}
        recovered_at = restored_at
        for endpoint in endpoints:
            # The first success after which this endpoint never failed again.
            last_failure = max(
                (a.at for a in answers if a.endpoint == endpoint and not ok(a)), default=0
            )
            firsts = [
                a.at for a in answers if a.endpoint == endpoint and ok(a) and a.at > last_failure
            ]
            recovered_at = max(recovered_at, min(firsts) if firsts else float("inf"))
        during = Counter(
            (a.endpoint, a.status, a.code) for a in answers if cut_at <= a.at < restored_at
        )
        return PostgresOutageResult(
            cut_seconds=restored_at - cut_at,
            answers=answers,
            unclean=[a for a in answers if not clean(a)],
            no_answer=sum(1 for a in answers if a.status is None),
            during_cut=during,
            recovery_seconds=recovered_at - restored_at,
            errors_after_recovery=sum(1 for a in answers if a.at > recovered_at and not ok(a)),
            server_pids_unchanged=pids_before == pids_after,
            log=server.log(),
        )
    finally:
        if traffic is not None:
            traffic.stop()  # idempotent; never leave client threads running into other tests
        procs.stop_all()
        if proxy:
            proxy.stop()
        redis_server.stop()
        _end_open_parties([world])
        get_user_model().objects.filter(pk=user.pk).delete()


def _restart_postgres_cluster() -> None:
    import subprocess

    version = sorted(os.listdir("/etc/postgresql"))[0]
    print("!" * 78)
    print(f"!! RESTARTING THE REAL POSTGRESQL CLUSTER (pg_ctlcluster {version} main restart):")
    print("!! every client of this machine's PostgreSQL loses its connections now.")
    print("!" * 78, flush=True)
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart"], check=True
    )


# --- Drill 6: 200 concurrent clients hammering POST /drops ----


@dataclass
class DropStormResult:
    clients: int
    worlds: list[int]
    reports_sent: int
    distinct_drops: int
    seconds: float
    answers: Counter  # (status, drop status or error code)
    parties_per_world: dict[int, int]
    stored_per_world: dict[int, int]
    party_totals_per_world: dict[int, int]
    value_per_world: dict[int, int]
    expected_value_per_world: dict[int, int]
    expected_per_world: int


def drill_drop_storm(
    *,
    procs: Processes,
    workdir: Path,
    clients: int = 200,
    worlds: int = 4,
    distinct_per_world: int = 50,
    max_copies: int = 4,
    gunicorn_workers: int = 2,
    threads: int = 16,
    seed: int = 6,
) -> DropStormResult:
    """`clients` threads (each its own connection) report drops on a few worlds at the same time,
    each distinct drop sent 1..max_copies times by different clients (a duplicate)."""
    import random

    import httpx

    from drops.models import Drop, Party
    from tests.drills.harness import free_port

    rng = random.Random(seed)
    first_world = 3000 + secrets.randbelow(6000 - worlds)
    world_ids = list(range(first_world, first_world + worlds))
    _end_open_parties(world_ids)
    reports = []
    expected_value = {}
    for world in world_ids:
        expected_value[world] = 0
        for index in range(distinct_per_world):
            # Distinct drops differ in item or quantity; copies are identical.
            drop = {
                "world": world,
                "item_id": 1000 + index,
                "item_name": f"Drill item {index}",
                "quantity": 1 + index % 3,
                "value": 10_000 + 37 * index,
            }
            expected_value[world] += drop["value"]
            reports += [drop] * rng.randint(1, max_copies)
    rng.shuffle(reports)
    shares = [reports[i::clients] for i in range(clients)]

    redis_server = PrivateRedis(workdir / "redis").start()
    try:
        port = free_port()
        env = drill_env(
            database_url=database_url(),
            redis_url=redis_server.url(),
            var_dir=procs.var_dir,
            DROPS_THROTTLE_RATE="1000000/minute",
            # Copies can be seconds apart on a loaded machine: the window is not under test here.
            DROP_DUPLICATE_WINDOW_SECONDS=300,
            LOG_LEVEL="WARNING",
        )
        procs.gunicorn("storm-web", env=env, port=port, workers=gunicorn_workers, threads=threads)
        base = f"http://127.0.0.1:{port}"
        barrier = threading.Barrier(clients + 1)
        counter: Counter = Counter()
        lock = threading.Lock()

        def client(share: list[dict]) -> None:
            seen: Counter = Counter()
            with httpx.Client(base_url=base, timeout=60) as http:
                barrier.wait(timeout=60)
                for drop in share:
                    answer = _call(http, "POST /drops", "POST", "/drops", json=drop)
                    seen[(answer.status, answer.code)] += 1
            with lock:
                counter.update(seen)

        pool = [threading.Thread(target=client, args=(share,)) for share in shares]
        for thread in pool:
            thread.start()
        barrier.wait(timeout=60)
        started = time.perf_counter()
        for thread in pool:
            thread.join(timeout=300)
        seconds = time.perf_counter() - started

        parties = Party.objects.filter(world__in=world_ids)
        per_world_parties = Counter(parties.values_list("world", flat=True))
        stored = Counter(
            Drop.objects.filter(party__world__in=world_ids).values_list("party__world", flat=True)
        )
        return DropStormResult(
            clients=clients,
            worlds=world_ids,
            reports_sent=len(reports),
            distinct_drops=worlds * distinct_per_world,
            seconds=seconds,
            answers=counter,
            parties_per_world={w: per_world_parties.get(w, 0) for w in world_ids},
            stored_per_world={w: stored.get(w, 0) for w in world_ids},
            party_totals_per_world={
                w: sum(p.total_drops for p in parties if p.world == w) for w in world_ids
            },
            value_per_world={
                w: int(sum(p.total_value for p in parties if p.world == w)) for w in world_ids
            },
            expected_value_per_world=expected_value,
            expected_per_world=distinct_per_world,
        )
    finally:
        procs.stop_all()
        redis_server.stop()


# --- Scheduling helpers for drills 3 and 5 ----


def schedule_every(player_ids: list[int], *, seconds: int) -> None:
    """Give the players' PeriodicTasks a short interval, due at once (players themselves allow
    five minutes at least; a drill cannot wait that long)."""
    from django.utils import timezone
    from django_celery_beat.models import IntervalSchedule, PeriodicTask, PeriodicTasks

    interval, _ = IntervalSchedule.objects.get_or_create(
        every=seconds, period=IntervalSchedule.SECONDS
    )
    PeriodicTask.objects.filter(player__pk__in=player_ids).update(
        interval=interval,
        start_time=None,
        last_run_at=timezone.now() - timezone.timedelta(seconds=seconds),
        date_changed=timezone.now(),
    )
    # Nothing else runs meanwhile: the daily drift check would put these intervals back (and
    # does, when a drill runs across 03:00 UTC), the sweeper and game-mode check add noise.
    PeriodicTask.objects.exclude(player__pk__in=player_ids).update(
        enabled=False, date_changed=timezone.now()
    )
    PeriodicTasks.update_changed()


def snapshots_of(player_ids: list[int]) -> dict[int, list[tuple[float, int]]]:
    """(fetched_at as epoch seconds, attack xp) of every stored row, per player, oldest first."""
    from hiscores.models import Snapshot

    found: dict[int, list[tuple[float, int]]] = {pk: [] for pk in player_ids}
    rows = Snapshot.objects.filter(player_id__in=player_ids).order_by("fetched_at")
    for player_id, fetched_at, attack in rows.values_list(
        "player_id", "fetched_at", "attack_experience"
    ):
        found[player_id].append((fetched_at.timestamp(), attack))
    return found


def repeated_rows(snapshots: dict[int, list[tuple[float, int]]]) -> int:
    """Stored rows equal to the row before them: a fetch stored twice."""
    return sum(1 for rows in snapshots.values() for a, b in pairwise(rows) if a[1] == b[1])


def tracked_players(fake, count: int, prefix: str, *, interval_seconds: int) -> list[int]:
    """`count` scheduled players who progress on every request, fetched every few seconds."""
    ids = []
    for _ in range(count):
        name = unique_name(prefix)
        fake.add_player(name, stats=BASE_STATS, gains={"attack": 1_000})
        ids.append(make_player(name, schedule=True).pk)
    schedule_every(ids, seconds=interval_seconds)
    return ids


# --- Drill 3: Redis stopped and restarted ----


@dataclass
class RedisOutageResult:
    outage_seconds: float
    answers: list[Answer] = field(repr=False)
    during_outage: Counter  # (endpoint, status, code) while Redis was down
    api_failures_during_outage: list[Answer]  # non-2xx answers of reads and POST /drops
    ready_during_outage: Counter  # (status, failing) of /health/ready while Redis was down
    drops_accepted: int
    drops_stored: int
    parties_opened: int  # on the one world every client reports on
    snapshots_before_stop: dict[int, int]
    snapshots_after_restart: dict[int, int]
    resume_seconds: float  # restart -> every player has a snapshot fetched after it
    repeated_rows: int  # stored rows equal to the row before them (a duplicate)
    worker_log: str = field(repr=False, default="")
    beat_log: str = field(repr=False, default="")


def drill_redis_outage(
    *,
    procs: Processes,
    workdir: Path,
    players: int = 3,
    interval_seconds: int = 3,
    clients: int = 3,
    outage_seconds: float = 6,
    timeout: float = 90,
) -> RedisOutageResult:
    """Redis (broker, cache, rate limiter) stops for `outage_seconds` and comes back empty on the
    same port, while clients read, report drops and beat keeps scheduling fetches."""
    from django.contrib.auth import get_user_model

    from drops.models import Drop, Party
    from tests.drills.harness import free_port

    redis_dir = workdir / "redis"
    redis_server = PrivateRedis(redis_dir).start()
    fake = observed_fake_hiscores(workdir / "fake")
    user, token = _api_user()
    world = 7000 + secrets.randbelow(2000)
    traffic: ApiTraffic | None = None
    try:
        ids = tracked_players(fake, players, "rds", interval_seconds=interval_seconds)
        port = free_port()
        env = drill_env(
            database_url=database_url(),
            redis_url=redis_server.url(),
            var_dir=procs.var_dir,
            OSRS_HISCORES_BASE_URL=fake.url,
            DROPS_THROTTLE_RATE="1000000/minute",
        )
        worker = procs.worker("redis-worker", env=env, concurrency=2)
        beat = procs.beat("redis-beat", env=env)
        procs.gunicorn("redis-web", env=env, port=port, workers=1, threads=4)
        base = f"http://127.0.0.1:{port}"
        traffic = ApiTraffic(base, token=token, clients=clients, pause=0.05, world=world).start()
        wait_until(
            lambda: all(snapshots_of(ids).values()), timeout=timeout, what="the first snapshots"
        )
        # Traffic is flowing (a party is open) before Redis goes away.
        wait_until(
            lambda: any(a.code == "drop_added" for a in list(traffic.answers)),
            timeout=timeout,
            what="drop reports to flow",
        )
        before = {pk: len(rows) for pk, rows in snapshots_of(ids).items()}

        # A fetch is in flight when Redis goes (its answer is slow): its message was delivered
        # and not yet acknowledged (acks_late), and the worker must outlive its broker
        # connection being torn down under it (requirements.txt: why celery is 5.6).
        fake.latency_ms = 4000
        time.sleep(interval_seconds + 1)
        redis_server.stop()
        stopped_at = time.time()
        time.sleep(outage_seconds)
        restarting_at = time.time()  # Redis answers again somewhere in the next moment
        redis_server = PrivateRedis(redis_dir, port=redis_server.port).start()
        restarted_at = time.time()
        fake.latency_ms = 0

        def resumed() -> bool:
            rows = snapshots_of(ids)
            return all(any(at > restarted_at for at, _ in rows[pk]) for pk in ids)

        wait_until(resumed, timeout=timeout, what="scheduled fetches to resume", interval=0.2)
        resume_seconds = time.time() - restarted_at
        time.sleep(1)
        answers = traffic.stop()
        after = snapshots_of(ids)

        # Sent and answered while Redis was down: a request queued in gunicorn just before the
        # restart may be served after it, and its 200 says nothing about the outage.
        during = [a for a in answers if stopped_at <= a.at and a.done < restarting_at]
        accepted = sum(1 for a in answers if a.endpoint == "POST /drops" and a.status in (200, 201))
        return RedisOutageResult(
            outage_seconds=restarting_at - stopped_at,
            answers=answers,
            during_outage=Counter((a.endpoint, a.status, a.code) for a in during),
            api_failures_during_outage=[
                a
                for a in during
                if a.endpoint != "GET /health/ready" and not (a.status and a.status < 300)
            ],
            ready_during_outage=Counter(
                (a.status, a.failing) for a in during if a.endpoint == "GET /health/ready"
            ),
            drops_accepted=accepted,
            drops_stored=Drop.objects.filter(party__world=world).count(),
            parties_opened=Party.objects.filter(world=world).count(),
            snapshots_before_stop=before,
            snapshots_after_restart={
                pk: sum(1 for at, _ in rows if at > restarted_at) for pk, rows in after.items()
            },
            resume_seconds=resume_seconds,
            repeated_rows=repeated_rows(after),
            worker_log=worker.log(),
            beat_log=beat.log(),
        )
    finally:
        if traffic is not None:
            traffic.stop()  # idempotent; never leave client threads running into other tests
        procs.stop_all()
        fake.stop()
        redis_server.stop()
        _end_open_parties([world])
        get_user_model().objects.filter(pk=user.pk).delete()


# --- Drill 5: beat restarted, and a second beat started by mistake ----


@dataclass
class DoubleBeatResult:
    players: int
    interval_seconds: int
    seconds: float
    sends: int  # fetches sent by all beats together
    hiscores_requests: int
    skipped_as_claimed: int  # copies the fetch itself turned away
    min_gap_seconds: float  # shortest time between two hiscores requests for one player
    requests_per_player: dict[int, int]
    snapshots_per_player: dict[int, int]
    repeated_rows: int
    logs: str = field(repr=False, default="")


def drill_double_beat(
    *,
    procs: Processes,
    workdir: Path,
    players: int = 4,
    interval_seconds: int = 4,
    alone_seconds: float = 6,
    together_seconds: float = 12,
    after_restart_seconds: float = 8,
) -> DoubleBeatResult:
    """Beat A runs alone; beat B is started by mistake and both run; then A is killed (SIGKILL:
    no write-back of its last sends) and started again at once. Players progress on every
    request, so every fetch that reaches the hiscores stores a row."""
    redis_server = PrivateRedis(workdir / "redis").start()
    fake = observed_fake_hiscores(workdir / "fake")
    names: dict[str, int] = {}
    try:
        ids = tracked_players(fake, players, "beat", interval_seconds=interval_seconds)
        names = _names_of(ids)
        env = drill_env(
            database_url=database_url(),
            redis_url=redis_server.url(),
            var_dir=procs.var_dir,
            OSRS_HISCORES_BASE_URL=fake.url,
        )
        worker = procs.worker("beat-worker", env=env, concurrency=2)
        started = time.time()
        first = procs.beat("beat-a", env=env)
        time.sleep(alone_seconds)
        second = procs.beat("beat-b", env=env)  # the mistake
        time.sleep(together_seconds)
        first.kill_group()  # a crash: whatever A sent since its last write-back is re-sent
        restarted = procs.beat("beat-a-again", env=env)
        time.sleep(after_restart_seconds)
        for beat in (first, second, restarted):
            beat.stop()
        time.sleep(2)  # let the worker finish what was sent last
        seconds = time.time() - started

        per_player: dict[int, list[float]] = {pk: [] for pk in ids}
        for at, _board, player in list(fake.arrivals):
            if player in names:
                per_player[names[player]].append(at)
        gaps = [b - a for times in per_player.values() for a, b in pairwise(times)]
        rows = snapshots_of(ids)
        logs = "\n".join(p.log() for p in (first, second, restarted, worker))
        return DoubleBeatResult(
            players=players,
            interval_seconds=interval_seconds,
            seconds=seconds,
            sends=sum(
                p.log().count("Sending due task players.fetch_hiscores:")
                for p in (first, second, restarted)
            ),
            hiscores_requests=sum(len(times) for times in per_player.values()),
            skipped_as_claimed=worker.log().count("its due time was claimed by another send"),
            min_gap_seconds=min(gaps, default=float("inf")),
            requests_per_player={pk: len(times) for pk, times in per_player.items()},
            snapshots_per_player={pk: len(found) for pk, found in rows.items()},
            repeated_rows=repeated_rows(rows),
            logs=logs,
        )
    finally:
        procs.stop_all()
        fake.stop()
        redis_server.stop()


def _names_of(player_ids: list[int]) -> dict[str, int]:
    from players.models import Player

    return dict(Player.objects.filter(pk__in=player_ids).values_list("username", "pk"))
