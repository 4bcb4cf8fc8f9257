"""Benchmark `POST /drops`: wrk and/or Python clients against gunicorn + PostgreSQL, exact counts.

    DATABASE_URL=postgres://... REDIS_URL=redis://... .venv/bin/python -m bench.drops \
        [--load wrk|python|both] [--duration 10] [--worlds 280] [--prefill 0] \
        [--connections 32] [--wrk-threads 2] [--clients 8] [--workers 2] [--threads 4] \
        [--webhook]

Without DATABASE_URL it uses bench.common's osrs_diff_bench database. It creates and migrates the
database, starts gunicorn itself (DEBUG off, LOG_LEVEL=WARNING, the throttle still counting in
Redis but with a limit no client reaches; by default 2 gthread workers x 4 threads, one process
per core, which kept the lowest p99 here: 4 sync workers served as many reports but queued
wrk's 32 connections longer) and runs each load in turn; before each it ends any
open party on the benchmark's worlds (nothing is deleted) and optionally fills each world's new
party with `--prefill` old drops (the old server slowed down once parties held 4,000 drops).

Loads (`--load`, default `both`, or `python` alone when wrk is not installed):
- **wrk** (`wrk -t2 -c32`, as the old server was measured) posts bodies written beforehand, one
  file per wrk thread, through bench/drops.lua. A C load generator leaves the CPU to the server.
- **python**: `--clients` processes with lean keep-alive HTTP clients. On a 2-core machine they
  take a good share of the CPU the server would use, so their throughput is a floor.

`--webhook` measures each load twice in one run: without webhooks, then with one webhook
subscribed to `party.started` (a local receiver; this process delivers every 0.5 s, as the
`system.deliver_events` worker would), and prints the second throughput as a share of the first
(target: within 5 %). Every report that opens a party writes its event either way.

Both play streams of distinct drops (realistic item names and GE values) on random worlds; a
share of them is reported again at once, as other game clients on the same world would. Once the
server has finished every request, the stored drops must equal the distinct drops sent, exactly,
the parties' totals must equal the stored drops, and no drop may be stored twice.
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing as mp
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.common import DEFAULT_DATABASE_URL, REPO, Figure, report, setup_django

PRICES = REPO.parent / "shared" / "fixtures" / "partytime" / "osrs_ge_item_prices_2025-08-23.json"
WRK_SCRIPT = Path(__file__).with_name("drops.lua")
FIRST_WORLD = 301
# Bodies written per wrk thread: enough for this many requests per second over the run.
WRK_MAX_RATE = 5_000


def load_items() -> list[tuple[int, str, int]]:
    """(item_id, name, unit price) of tradeable items; a small generated list without fixtures."""
    if PRICES.exists():
        rows = json.loads(PRICES.read_text())
        items = [(r["id"], r["item_name"][:100], max(r["high"], r["low"])) for r in rows]
        return [item for item in items if item[2] > 0]
    rng = random.Random(7)
    return [(10_000 + i, f"Generated item {i}", rng.randint(50, 5_000_000)) for i in range(2_000)]


def drop_stream(client: int, clients: int, items, worlds: list[int], seed: int):
    """Endless distinct drops for one client: (world, item_id, name, quantity, value)."""
    rng = random.Random(seed * 1_000 + client)
    # Clients own disjoint item sets, and a client never repeats (world, item, quantity): any two
    # reports with the same content on a world are copies of one drop, so the count is exact.
    own = [item for index, item in enumerate(items) if index % clients == client]
    seen: set[tuple[int, int, int]] = set()
    while True:
        item_id, name, price = rng.choice(own)
        quantity = 1 if price > 100_000 or rng.random() < 0.6 else rng.randint(2, 500)
        world = rng.choice(worlds)
        key = (world, item_id, quantity)
        if key in seen:
            continue
        seen.add(key)
        yield world, item_id, name, quantity, min(price * quantity, 2**63 - 1)


def report_stream(client: int, clients: int, items, worlds, seed: int, duplicate_share: float):
    """Endless request bodies for one client: each distinct drop, then 0-2 copies of it."""
    rng = random.Random(seed * 7 + client)
    for world, item_id, name, quantity, value in drop_stream(client, clients, items, worlds, seed):
        body = json.dumps(
            {
                "world": world,
                "item_id": item_id,
                "item_name": name,
                "quantity": quantity,
                "value": value,
            }
        ).encode()
        copies = (rng.random() < duplicate_share) * rng.randint(1, 2)
        for _ in range(1 + copies):
            yield body


@dataclass
class Load:
    """What one load generator did, as it saw it."""

    name: str
    seconds: float
    requests: int
    distinct_sent: int
    statuses: dict[int, int]
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    cpu_seconds: float  # of the load generator itself
    machine_busy: float  # CPU seconds the whole machine was busy while the load ran
    machine_seconds: float  # how long that was
    problems: list[str] = field(default_factory=list)


# --- wrk ----


def run_wrk(args, items, worlds, wrk: str) -> Load:
    workdir = Path(tempfile.mkdtemp(prefix="bench-drops-"))
    try:
        per_thread = math.ceil(WRK_MAX_RATE * args.duration / args.wrk_threads) + 100
        files = []
        for thread in range(args.wrk_threads):
            stream = report_stream(
                thread, args.wrk_threads, items, worlds, args.seed, args.duplicate_share
            )
            lines = [next(stream) for _ in range(per_thread)]
            (workdir / f"thread-{thread}.txt").write_bytes(b"\n".join(lines) + b"\n")
            files.append(lines)
        command = [
            wrk,
            f"-t{args.wrk_threads}",
            f"-c{args.connections}",
            f"-d{args.duration:g}s",
            "--timeout",
            "10s",
            "-s",
            str(WRK_SCRIPT),
            f"http://{args.host}:{args.port}/drops",
            "--",
            str(workdir),
        ]
        started, busy_before = time.monotonic(), machine_busy_seconds()
        process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
        # wait4: the CPU wrk itself used, next to the server's.
        _, status, usage = os.wait4(process.pid, 0)
        machine_busy = machine_busy_seconds() - busy_before
        machine_seconds = time.monotonic() - started
        output = process.stdout.read()
        process.stdout.close()
        process.returncode = os.waitstatus_to_exitcode(status)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    lines = [line for line in output.splitlines() if line.startswith("WRK-JSON ")]
    if process.returncode or not lines:
        raise SystemExit(f"wrk failed (exit {process.returncode}):\n{output}")
    result = json.loads(lines[-1].removeprefix("WRK-JSON "))
    distinct = 0
    statuses: dict[int, int] = {}
    problems = []
    for thread in result["threads"]:
        # Copies repeat their drop's body, so distinct bodies are distinct drops.
        distinct += len(set(files[thread["id"]][: thread["issued"]]))
        for code, count in thread["statuses"].items():
            statuses[int(code)] = statuses.get(int(code), 0) + count
        if thread["exhausted"]:
            problems.append(f"wrk thread {thread['id']} ran out of prepared drops")
    errors = {kind: count for kind, count in result["errors"].items() if count}
    if errors:
        problems.append(f"wrk errors {errors}")
    return Load(
        name=f"wrk -t{args.wrk_threads} -c{args.connections}",
        seconds=result["duration_us"] / 1e6,
        requests=result["requests"],
        distinct_sent=distinct,
        statuses=statuses,
        p50_ms=result["p50_us"] / 1000,
        p90_ms=result["p90_us"] / 1000,
        p99_ms=result["p99_us"] / 1000,
        max_ms=result["max_us"] / 1000,
        cpu_seconds=usage.ru_utime + usage.ru_stime,
        machine_busy=machine_busy,
        machine_seconds=machine_seconds,
    )


# --- Python clients ----


class Client:
    """One game client's keep-alive HTTP/1.1 connection, kept lean: raw socket, no http.client."""

    def __init__(self, host: str, port: int) -> None:
        self.address = (host, port)
        self.head = f"POST /drops HTTP/1.1\r\nHost: {host}:{port}\r\n".encode()
        self.sock: socket.socket | None = None
        self.buffer = b""

    def post(self, body: bytes) -> int:
        request = b"%sContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (
            self.head,
            len(body),
            body,
        )
        for attempt in range(2):
            fresh = self.sock is None
            if fresh:
                self.sock = socket.create_connection(self.address, timeout=30)
                self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                self.buffer = b""
            try:
                self.sock.sendall(request)
                return self._read_response()
            except (ConnectionResetError, BrokenPipeError, EOFError):
                # The server closed an idle kept-alive connection before reading the request:
                # reconnect and send again (nothing was processed, so no duplicate report).
                self.close()
                if attempt or fresh:
                    raise
        raise AssertionError("unreachable")

    def _read_response(self) -> int:
        while b"\r\n\r\n" not in self.buffer:
            self._fill()
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        lines = head.split(b"\r\n")
        status = int(lines[0].split()[1])
        headers = dict(line.lower().split(b": ", 1) for line in lines[1:])
        length = int(headers.get(b"content-length", 0))
        while len(self.buffer) < length:
            self._fill()
        self.buffer = self.buffer[length:]
        if headers.get(b"connection") == b"close":  # gunicorn's sync workers: one per connection
            self.close()
        return status

    def _fill(self) -> None:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise EOFError
        self.buffer += chunk

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
        self.sock = None


def client_main(args, client: int, items, worlds, start_at: float, queue) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    sent: set[bytes] = set()
    stream = report_stream(client, args.clients, items, worlds, args.seed, args.duplicate_share)
    http = Client(args.host, args.port)
    while time.time() < start_at:
        time.sleep(0.001)
    cpu_before = time.process_time()
    deadline = start_at + args.duration
    while time.time() < deadline:
        body = next(stream)
        started = time.perf_counter()
        status = http.post(body)
        latencies.append(time.perf_counter() - started)
        statuses[status] = statuses.get(status, 0) + 1
        sent.add(body)
    queue.put(
        {
            "latencies": latencies,
            "distinct_sent": len(sent),
            "statuses": statuses,
            "cpu": time.process_time() - cpu_before,
        }
    )


def run_python_clients(args, items, worlds) -> Load:
    queue: mp.Queue = mp.Queue()
    start_at = time.time() + 1.0
    started, busy_before = time.monotonic(), machine_busy_seconds()
    processes = [
        mp.Process(target=client_main, args=(args, i, items, worlds, start_at, queue))
        for i in range(args.clients)
    ]
    for process in processes:
        process.start()
    results = [queue.get(timeout=args.duration + 120) for _ in processes]
    for process in processes:
        process.join()
    machine_busy = machine_busy_seconds() - busy_before
    machine_seconds = time.monotonic() - started
    latencies = sorted(x for r in results for x in r["latencies"])
    statuses: dict[int, int] = {}
    for r in results:
        for code, count in r["statuses"].items():
            statuses[code] = statuses.get(code, 0) + count
    if not latencies:
        raise SystemExit("no request completed")
    return Load(
        name=f"{args.clients} Python clients",
        seconds=args.duration,
        requests=len(latencies),
        distinct_sent=sum(r["distinct_sent"] for r in results),
        statuses=statuses,
        p50_ms=percentile(latencies, 0.5) * 1000,
        p90_ms=percentile(latencies, 0.9) * 1000,
        p99_ms=percentile(latencies, 0.99) * 1000,
        max_ms=latencies[-1] * 1000,
        cpu_seconds=sum(r["cpu"] for r in results),
        machine_busy=machine_busy,
        machine_seconds=machine_seconds,
    )


# --- Database, server, CPU ----


def prepare_database(worlds: list[int], prefill: int) -> int:
    """End open parties on the bench worlds, optionally prefill new ones; return max drop id."""
    from datetime import timedelta

    from django.db import connection, transaction
    from django.utils import timezone

    from drops.models import Drop, Party

    now = timezone.now()
    with transaction.atomic():
        Party.objects.filter(world__in=worlds, ended_at=None).update(ended_at=now)
        if prefill:
            start = now - timedelta(seconds=60)
            parties = Party.objects.bulk_create(
                Party(world=w, created_at=start, last_drop_at=start) for w in worlds
            )
            with connection.cursor() as cursor:
                # One INSERT ... SELECT per benchmark: prefill drops are older than any window.
                cursor.execute(
                    "INSERT INTO drops_drop (party_id, item_id, item_name, quantity, value, "
                    "received_at) SELECT p.id, 100000 + g, 'Prefill item', 1, 1000, %s "
                    "FROM drops_party p CROSS JOIN generate_series(1, %s) g WHERE p.id = ANY(%s)",
                    [start, prefill, [p.pk for p in parties]],
                )
                cursor.execute(
                    "UPDATE drops_party SET total_drops = %s, total_value = %s WHERE id = ANY(%s)",
                    [prefill, prefill * 1000, [p.pk for p in parties]],
                )
    baseline = Drop.objects.order_by("-id").values_list("id", flat=True).first() or 0
    connection.close()  # client processes may be forked next; they never use the database
    return baseline


def stored_since(baseline: int, worlds: list[int], prefill: int) -> tuple[int, int, int]:
    """(drops stored after `baseline`, their parties' totals, drops stored more than once)."""
    from django.db import connection
    from django.db.models import Count, Sum

    from drops.models import Drop, Party

    new = Drop.objects.filter(id__gt=baseline)
    stored = new.count()
    parties = Party.objects.filter(world__in=worlds, ended_at=None)
    totals = parties.aggregate(n=Sum("total_drops"))["n"] or 0
    if prefill:
        totals -= prefill * parties.count()
    twice = (
        new.values("party_id", "item_id", "quantity")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .count()
    )
    connection.close()
    return stored, totals, twice


def settle(baseline: int, worlds: list[int], prefill: int) -> tuple[int, int, int]:
    """Counts once the server has finished the requests still in flight when the load ended:
    the same for a whole second (several times the slowest answer), at most 30 s."""
    last, since = None, time.monotonic()
    deadline = since + 30
    while time.monotonic() < deadline:
        counts = stored_since(baseline, worlds, prefill)
        if counts != last:
            last, since = counts, time.monotonic()
        elif time.monotonic() - since >= 1.0:
            break
        time.sleep(0.25)
    return last


def child_pids(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(child) for child in path.read_text().split()] if path.exists() else []


def cpu_seconds(pids: list[int]) -> dict[int, float]:
    """utime + stime per process (Linux /proc); processes that are gone are left out."""
    ticks = os.sysconf("SC_CLK_TCK")
    result = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        result[pid] = (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
    return result


def postgres_backend_pids() -> list[int]:
    """Backends connected to this database other than our own connection."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
        )
        pids = [row[0] for row in cursor.fetchall()]
    connection.close()
    return pids


def server_cpu(server: subprocess.Popen) -> tuple[dict[int, float], dict[int, float]]:
    return cpu_seconds(child_pids(server.pid)), cpu_seconds(postgres_backend_pids())


def machine_busy_seconds() -> float:
    """CPU seconds the whole machine has been busy (all cores; /proc/stat minus idle and iowait)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(fields[:8]) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")


def cpu_spent(before: dict[int, float], after: dict[int, float]) -> float:
    # Processes that appeared during the run (new PostgreSQL backends) count from zero.
    return sum(seconds - before.get(pid, 0.0) for pid, seconds in after.items())


def wait_for_server(host: str, port: int, server: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited with {server.returncode}")
        try:
            with socket.create_connection((host, port), timeout=2) as sock:
                sock.sendall(f"GET /health HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
                if sock.recv(64).startswith(b"HTTP/1.1 200"):
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit("gunicorn did not answer /health in time")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def percentile(sorted_values: list[float], share: float) -> float:
    index = min(len(sorted_values) - 1, max(0, round(share * (len(sorted_values) - 1))))
    return sorted_values[index]


def start_gunicorn(args, env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "osrs_diff.wsgi:application",
            "--bind",
            f"{args.host}:{args.port}",
            "--workers",
            str(args.workers),
            "--worker-class",
            "gthread" if args.threads > 1 else "sync",
            "--threads",
            str(args.threads),
            "--backlog",
            "2048",
            # The worker heartbeat touches a file on every loop; on a disk that costs a syscall
            # that showed up at ~0.7 ms here. gunicorn recommends a tmpfs.
            "--worker-tmp-dir",
            "/dev/shm" if Path("/dev/shm").is_dir() else "/tmp",
            "--log-level",
            "warning",
        ],
        cwd=REPO,
        env={**os.environ, **env},
    )


def measure(
    args, server, load_name: str, items, worlds, wrk: str | None, label: str = ""
) -> tuple[bool, float]:
    """Run one load against the running server, print its figures; (counts exact, req/s)."""
    baseline = prepare_database(worlds, args.prefill)
    workers_before, postgres_before = server_cpu(server)
    if load_name == "wrk":
        load = run_wrk(args, items, worlds, wrk)
    else:
        load = run_python_clients(args, items, worlds)
    stored, totals, twice = settle(baseline, worlds, args.prefill)
    workers_after, postgres_after = server_cpu(server)
    workers_cpu = cpu_spent(workers_before, workers_after)
    postgres_cpu = cpu_spent(postgres_before, postgres_after)

    rate = load.requests / load.seconds
    # What else kept the machine busy meanwhile (Redis, the kernel, other people's work): when it
    # is large, the figures are noisy and worth measuring again.
    others = max(0.0, load.machine_busy - workers_cpu - postgres_cpu - load.cpu_seconds)
    others_share = 100 * others / load.machine_seconds / (os.cpu_count() or 1)
    accepted = load.statuses.get(201, 0)
    unexpected = {code: n for code, n in load.statuses.items() if code not in (200, 201)}
    print(
        f"{load.name}: {load.requests} reports answered in {load.seconds:.1f} s "
        f"({load.distinct_sent} distinct drops sent), "
        f"statuses {dict(sorted(load.statuses.items()))}; "
        f"latency p90 {load.p90_ms:.1f} ms, max {load.max_ms:.1f} ms; stored {stored}, "
        f"party totals {totals}"
    )
    for problem in load.problems:
        print(f"!! {problem}")
    server_setup = (
        f"{args.workers} sync gunicorn workers"
        if args.threads == 1
        else f"{args.workers}x{args.threads} gthread gunicorn"
    )
    # The throughput target is judged with wrk, the load generator the old server was measured
    # with; Python clients share the two cores with the server, so their rate is only shown.
    with_target = load_name == "wrk"
    report(
        f"POST /drops, {load.name}{label}: {server_setup}, {args.worlds} worlds, "
        f"prefill {args.prefill}",
        [
            Figure(
                "reports per second (all POST /drops)",
                rate,
                "req/s",
                ">= 1000" if with_target else "",
                rate >= 1000 if with_target else None,
            ),
            Figure("accepted drops per second (201)", accepted / load.seconds, "drops/s"),
            Figure("latency p50", load.p50_ms, "ms"),
            Figure("latency p99", load.p99_ms, "ms", "<= 100", load.p99_ms <= 100),
            Figure("gunicorn CPU per report", workers_cpu / load.requests * 1000, "ms"),
            Figure("PostgreSQL backend CPU per report", postgres_cpu / load.requests * 1000, "ms"),
            Figure("load generator CPU per report", load.cpu_seconds / load.requests * 1000, "ms"),
            Figure("machine CPU used by everything else", others_share, "%"),
            Figure(
                "stored drops minus distinct drops sent",
                stored - load.distinct_sent,
                "drops",
                "= 0",
                stored == load.distinct_sent,
            ),
            Figure(
                "party totals minus stored drops", totals - stored, "drops", "= 0", totals == stored
            ),
            Figure("drops stored twice", twice, "drops", "= 0", twice == 0),
            Figure(
                "answers other than 200/201, client errors",
                sum(unexpected.values()) + len(load.problems),
                "",
                "= 0",
                not unexpected and not load.problems,
            ),
        ],
    )
    exact = (
        stored == load.distinct_sent == totals
        and twice == 0
        and not unexpected
        and not load.problems
    )
    return exact, rate


class BenchWebhook:
    """One webhook subscribed to `party.started`, a local receiver, and a delivery loop."""

    def __init__(self) -> None:
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        self.received = 0
        bench = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                bench.received += 1
                self.send_response(204)
                self.end_headers()

            def log_message(self, format: str, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._deliver, daemon=True)

    def __enter__(self) -> BenchWebhook:
        from django.utils import timezone

        from osrs_diff.models import OutboxEvent
        from osrs_diff.system.models import Webhook

        # Earlier runs' events are not this run's work.
        OutboxEvent.objects.filter(dispatched_at=None).update(dispatched_at=timezone.now())
        Webhook.objects.filter(name="bench").delete()
        Webhook.objects.create(
            name="bench",
            url=f"http://127.0.0.1:{self.server.server_address[1]}/hook",
            events=["party.started"],
            secret="bench",
        )
        self.thread.start()
        return self

    def _deliver(self) -> None:
        from django.db import connection

        from osrs_diff.system.webhooks.delivery import events_deliver

        try:
            while not self.stop.wait(0.5):
                events_deliver()
            events_deliver()
        finally:
            connection.close()

    def __exit__(self, *exc) -> None:
        from osrs_diff.system.models import Webhook

        self.stop.set()
        self.thread.join(30)
        self.server.shutdown()
        self.server.server_close()
        Webhook.objects.filter(name="bench").delete()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--load",
        choices=["wrk", "python", "both"],
        default="both",
        help="load generator(s), one after the other (without wrk installed: python)",
    )
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of load per run")
    parser.add_argument("--worlds", type=int, default=280, help="worlds the drops spread over")
    parser.add_argument("--prefill", type=int, default=0, help="old drops per party beforehand")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections")
    parser.add_argument("--wrk-threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--clients", type=int, default=8, help="Python client processes")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument(
        "--threads", type=int, default=4, help="threads per worker (1 = sync workers, else gthread)"
    )
    parser.add_argument(
        "--duplicate-share", type=float, default=0.3, help="share of drops reported 2-3 times"
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 = pick a free port")
    parser.add_argument(
        "--webhook",
        action="store_true",
        help="measure each load without webhooks, then with one subscribed to party.started",
    )
    args = parser.parse_args(argv)
    args.port = args.port or free_port()

    wrk = shutil.which("wrk")
    loads = ["wrk", "python"] if args.load == "both" else [args.load]
    if not wrk and "wrk" in loads:
        print(
            "wrk is not installed (Debian/Ubuntu: apt-get install wrk): measuring with the Python "
            "clients only; they share the CPU with the server, so the 1,000/s target is not judged."
        )
        loads = ["python"]

    database_url = os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    if not database_url.startswith(("postgres://", "postgresql://")):
        raise SystemExit("The benchmark needs PostgreSQL: set DATABASE_URL to a postgres:// URL.")
    env = {
        "DATABASE_URL": database_url,
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": os.environ.get("DJANGO_SECRET_KEY") or "bench-only-" + "x" * 40,
        "DJANGO_ALLOWED_HOSTS": args.host,
        "LOG_LEVEL": "WARNING",
        "DJANGO_SETTINGS_MODULE": "osrs_diff.settings",
        # The throttle still does its Redis round trip per request; no client reaches the limit.
        "DROPS_THROTTLE_RATE": "100000000/minute",
        # Copies follow their original at once, but an overloaded machine can stall a request
        # past 0.5 s; a wider window keeps "stored == distinct sent" a check of correctness, not
        # of timing (the window length costs nothing: it is one index range either way).
        "DROP_DUPLICATE_WINDOW_SECONDS": os.environ.get("DROP_DUPLICATE_WINDOW_SECONDS", "5"),
    }
    if os.environ.get("REDIS_URL"):
        env["REDIS_URL"] = os.environ["REDIS_URL"]
    worlds = list(range(FIRST_WORLD, FIRST_WORLD + args.worlds))
    os.environ.update(env)
    setup_django(database_url=database_url)  # creates the database if missing, migrates
    items = load_items()

    server = start_gunicorn(args, env)
    exact = True
    try:
        wait_for_server(args.host, args.port, server)
        print(
            f"drops bench: {args.workers} gunicorn workers x {args.threads} threads, "
            f"{args.worlds} worlds, prefill {args.prefill} drops/party, {args.duration:g} s per "
            f"load, {len(items)} items{'' if PRICES.exists() else ' (generated)'}, duplicate "
            f"window {env['DROP_DUPLICATE_WINDOW_SECONDS']} s, loads: {', '.join(loads)}"
        )
        for load_name in loads:
            ok, rate = measure(args, server, load_name, items, worlds, wrk, " (no webhooks)")
            exact &= ok
            if not args.webhook:
                continue
            with BenchWebhook() as hook:
                ok, hooked = measure(
                    args, server, load_name, items, worlds, wrk, " (1 webhook: party.started)"
                )
            exact &= ok
            share = 100 * hooked / rate if rate else 0.0
            report(
                f"POST /drops, {load_name}: throughput with one webhook vs without",
                [
                    Figure("reports per second without webhooks", rate, "req/s"),
                    Figure("reports per second with one webhook", hooked, "req/s"),
                    Figure("with / without", share, "%", ">= 95", share >= 95),
                    Figure("party.started events delivered", hook.received, "requests"),
                ],
            )
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
    return 0 if exact else 1


if __name__ == "__main__":
    sys.exit(main())
