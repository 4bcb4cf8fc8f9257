"""Benchmark `POST /drops`: N client processes against gunicorn + PostgreSQL, then an exact count.

    DATABASE_URL=postgres://... REDIS_URL=redis://... .venv/bin/python -m bench.drops \
        [--clients 8] [--duration 10] [--worlds 280] [--prefill 0] [--workers 2] [--threads 8]

Without DATABASE_URL it uses bench.common's osrs_diff_bench database. It creates and migrates the
database, ends any open party on the benchmark's worlds (nothing is deleted),
optionally fills each world's party with `--prefill` old drops (the old server slowed down once
parties held 4,000 drops), starts gunicorn itself (DEBUG off, LOG_LEVEL=WARNING, the throttle
still counting in Redis but with a limit no client reaches), and runs the clients.

Each client plays a stream of distinct drops (realistic item names and GE values) on random
worlds; a share of them is reported again at once, as other game clients on the same world would.
At the end the stored drops must equal the distinct drops sent, exactly, and every copy must have
been answered "ignored". Prints requests/s, accepted drops/s, p50/p90/p99 latency.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing as mp
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench.common import DEFAULT_DATABASE_URL, REPO, Figure, report, setup_django

PRICES = REPO.parent / "shared" / "fixtures" / "partytime" / "osrs_ge_item_prices_2025-08-23.json"
FIRST_WORLD = 301


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


class Client:
    """One game client's HTTP connection: kept alive like a real client's (or wrk's) pool."""

    def __init__(self, host: str, port: int, keep_alive: bool) -> None:
        self.host, self.port, self.keep_alive = host, port, keep_alive
        self.conn: http.client.HTTPConnection | None = None

    def post(self, body: bytes) -> tuple[int, bytes]:
        for attempt in range(2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
            try:
                self.conn.request("POST", "/drops", body, {"Content-Type": "application/json"})
                response = self.conn.getresponse()
                payload = response.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # The server closed an idle kept-alive connection: reconnect and send again
                # (nothing was processed, so this is not a duplicate report).
                self.conn.close()
                self.conn = None
                if attempt:
                    raise
                continue
            if not self.keep_alive or response.will_close:
                self.conn.close()
                self.conn = None
            return response.status, payload
        raise AssertionError("unreachable")


def client_main(args, client: int, items, worlds, start_at: float, queue) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    rng = random.Random(args.seed * 7 + client)
    latencies: list[float] = []
    sent = accepted = ignored = 0
    statuses: dict[int, int] = {}
    copies_not_ignored = 0
    stream = drop_stream(client, args.clients, items, worlds, args.seed)
    http_client = Client(args.host, args.port, keep_alive=not args.no_keep_alive)
    while time.time() < start_at:
        time.sleep(0.001)
    deadline = start_at + args.duration
    while time.time() < deadline:
        world, item_id, name, quantity, value = next(stream)
        body = json.dumps(
            {
                "world": world,
                "item_id": item_id,
                "item_name": name,
                "quantity": quantity,
                "value": value,
            }
        ).encode()
        copies = 1 + (rng.random() < args.duplicate_share) * rng.randint(1, 2)
        for copy in range(copies):
            started = time.perf_counter()
            status, payload = http_client.post(body)
            latencies.append(time.perf_counter() - started)
            statuses[status] = statuses.get(status, 0) + 1
            if copy == 0:
                sent += 1
                accepted += status == 201
            else:
                ignored += status == 200
                copies_not_ignored += status != 200
    queue.put(
        {
            "latencies": latencies,
            "distinct_sent": sent,
            "accepted": accepted,
            "ignored": ignored,
            "copies_not_ignored": copies_not_ignored,
            "statuses": statuses,
        }
    )


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
    connection.close()  # the client processes are forked next; they never use the database
    return baseline


def child_pids(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(child) for child in path.read_text().split()] if path.exists() else []


def cpu_seconds(pids: list[int]) -> float:
    """utime + stime of the processes (Linux /proc); 0 for any that is gone or unreadable."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
    return total / os.sysconf("SC_CLK_TCK")


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


def wait_for_server(host: str, port: int, server: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited with {server.returncode}")
        try:
            conn = http.client.HTTPConnection(host, port, timeout=2)
            conn.request("GET", "/health")
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("gunicorn did not answer /health in time")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def percentile(sorted_values: list[float], share: float) -> float:
    index = min(len(sorted_values) - 1, max(0, round(share * (len(sorted_values) - 1))))
    return sorted_values[index]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=8, help="client processes")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of load")
    parser.add_argument("--worlds", type=int, default=280, help="worlds the drops spread over")
    parser.add_argument("--prefill", type=int, default=0, help="old drops per party beforehand")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument(
        "--threads", type=int, default=8, help="threads per worker (gthread; 1 = sync workers)"
    )
    parser.add_argument(
        "--duplicate-share", type=float, default=0.3, help="share of drops reported 2-3 times"
    )
    parser.add_argument(
        "--no-keep-alive", action="store_true", help="a new connection for every report"
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 = pick a free port")
    args = parser.parse_args(argv)
    args.port = args.port or free_port()

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
    baseline_drop_id = prepare_database(worlds, args.prefill)
    items = load_items()

    server = subprocess.Popen(
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
    try:
        wait_for_server(args.host, args.port, server)
        print(
            f"drops bench: {args.clients} clients, {args.workers} gunicorn workers x "
            f"{args.threads} threads, "
            f"{args.worlds} worlds, prefill {args.prefill} drops/party, {args.duration:.0f}s, "
            f"{len(items)} items{'' if PRICES.exists() else ' (generated)'}, "
            f"duplicate window {env['DROP_DUPLICATE_WINDOW_SECONDS']}s"
        )
        workers = child_pids(server.pid)
        workers_cpu_before = cpu_seconds(workers)
        queue: mp.Queue = mp.Queue()
        start_at = time.time() + 1.0
        processes = [
            mp.Process(target=client_main, args=(args, i, items, worlds, start_at, queue))
            for i in range(args.clients)
        ]
        for process in processes:
            process.start()
        results = [queue.get(timeout=args.duration + 120) for _ in processes]
        for process in processes:
            process.join()
        # CPU the server side spent, whatever else runs on the machine: the gunicorn workers,
        # and the PostgreSQL backends serving them (connections opened during the run).
        workers_cpu = cpu_seconds(workers) - workers_cpu_before
        postgres_cpu = cpu_seconds(postgres_backend_pids())
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()

    latencies = sorted(x for r in results for x in r["latencies"])
    requests = len(latencies)
    distinct = sum(r["distinct_sent"] for r in results)
    accepted = sum(r["accepted"] for r in results)
    ignored = sum(r["ignored"] for r in results)
    copies_not_ignored = sum(r["copies_not_ignored"] for r in results)
    statuses: dict[int, int] = {}
    for r in results:
        for status, count in r["statuses"].items():
            statuses[status] = statuses.get(status, 0) + count

    from django.db.models import Sum

    from drops.models import Drop, Party

    stored = Drop.objects.filter(id__gt=baseline_drop_id).count()
    open_parties = Party.objects.filter(world__in=worlds, ended_at=None)
    party_total = (open_parties.aggregate(n=Sum("total_drops"))["n"] or 0) - args.prefill * (
        open_parties.count() if args.prefill else 0
    )

    if not requests:
        print("no requests completed")
        return 1
    rate = requests / args.duration
    p50, p99 = percentile(latencies, 0.5) * 1000, percentile(latencies, 0.99) * 1000
    print(
        f"{requests} reports ({distinct} distinct drops, {ignored} copies ignored), "
        f"statuses {dict(sorted(statuses.items()))}; latency p90 "
        f"{percentile(latencies, 0.9) * 1000:.1f} ms, max {latencies[-1] * 1000:.1f} ms, "
        f"mean {statistics.fmean(latencies) * 1000:.1f} ms; stored {stored}, "
        f"party totals {party_total}"
    )
    exact = stored == distinct == accepted == party_total and copies_not_ignored == 0
    report(
        f"POST /drops: {args.clients} clients, {args.workers}x{args.threads} gunicorn, "
        f"{args.worlds} worlds, prefill {args.prefill}",
        [
            Figure("reports per second (all POST /drops)", rate, "req/s", ">= 1000", rate >= 1000),
            Figure("accepted drops per second (201)", accepted / args.duration, "drops/s"),
            Figure("latency p50", p50, "ms"),
            Figure("gunicorn CPU per report", workers_cpu / requests * 1000, "ms"),
            Figure("PostgreSQL backend CPU per report", postgres_cpu / requests * 1000, "ms"),
            Figure("latency p99", p99, "ms", "<= 100", p99 <= 100),
            Figure(
                "stored drops minus distinct drops sent",
                stored - distinct,
                "drops",
                "= 0",
                stored == distinct,
            ),
            Figure(
                "party totals minus stored drops",
                party_total - stored,
                "drops",
                "= 0",
                party_total == stored,
            ),
            Figure(
                "copies not answered 'ignored'",
                copies_not_ignored,
                "reports",
                "= 0",
                copies_not_ignored == 0,
            ),
        ],
    )
    return 0 if exact else 1


if __name__ == "__main__":
    sys.exit(main())
