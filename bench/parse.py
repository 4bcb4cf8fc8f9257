"""Benchmark the hiscores parser and the hiscores client's own per-request overhead.

    DATABASE_URL=... REDIS_URL=redis://127.0.0.1:6379/3 .venv/bin/python -m bench.parse
    .venv/bin/python -m bench.parse --seconds 10 --requests 2000     # bigger run

1. Parse throughput: `parse_hiscores()` on a full 116-row `index_lite.json` body (generated from
   the catalogue, same shape and size as a real answer), in one process on one core.
2. Client overhead: `HiscoresClient.fetch()` against the fake hiscores server (run in its own
   process, so its CPU is not counted) with the rate limit off, compared with a bare
   `httpx.Client.get()` of the same URL. The breaker state lives in Redis when REDIS_URL is set
   (the production path: its reads/writes are part of the overhead), else in process.
Prints responses/s, wall time per request (mean/p50/p99) and the client's CPU per request.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import Figure, report, setup_django

REPO = Path(__file__).resolve().parent.parent

SERVER = """
import sys, threading
from hiscores.integration.fake_data import write_player_file
from hiscores.integration.fake_server import FakeHiscoresServer
from hiscores.integration.catalogue import ACTIVITY_KEYS, BOSS_KEYS, SKILL_KEYS
stats = {k: 5_000_000 + i * 37_000 for i, k in enumerate(SKILL_KEYS[1:])}
stats.update({k: 100 + i for i, k in enumerate(ACTIVITY_KEYS + BOSS_KEYS)})
write_player_file(sys.argv[1], "Bench Player", stats=stats)
server = FakeHiscoresServer(sys.argv[1]).start()
print(server.url, flush=True)
threading.Event().wait()
"""


def realistic_body() -> bytes:
    from hiscores.integration.catalogue import ACTIVITY_KEYS, BOSS_KEYS, SKILL_KEYS
    from hiscores.integration.fakes import dumps_body, make_hiscores_body

    values = {k: 5_000_000 + i * 37_000 for i, k in enumerate(SKILL_KEYS[1:])}
    values.update({k: 100 + i for i, k in enumerate(ACTIVITY_KEYS + BOSS_KEYS)})
    return dumps_body(make_hiscores_body(values))


def bench_parse(seconds: float) -> list[Figure]:
    from hiscores.integration.parsing import parse_hiscores

    body = realistic_body()
    result = parse_hiscores(body)
    rows = len(result.skills) + len(result.activities) + len(result.bosses)
    for _ in range(200):  # warm-up
        parse_hiscores(body)
    count, started = 0, time.perf_counter()
    cpu_started = time.process_time()
    while time.perf_counter() - started < seconds:
        for _ in range(100):
            parse_hiscores(body)
        count += 100
    wall = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    print(f"parse: {len(body):,} byte body, 116 rows ({rows} kept, 5 ignored)")
    print(
        f"  {count / wall:,.0f} responses/s wall on one core ({wall / count * 1e6:.1f} us each); "
        f"{count / cpu:,.0f} responses per CPU-second (this process got {cpu / wall:.0%} of a core)"
    )
    return [
        Figure("parse a full 116-row response (wall, one core)", count / wall, "responses/s"),
        Figure("parse a full 116-row response (per CPU-second)", count / cpu, "responses/s"),
    ]


def _summary(label: str, times: list[float], cpu: float) -> dict[str, float]:
    mean = statistics.fmean(times)
    p50 = statistics.median(times)
    p99 = sorted(times)[max(0, int(len(times) * 0.99) - 1)]
    print(
        f"  {label:<28} {len(times) / sum(times):8,.0f} req/s   mean {mean * 1e3:6.3f} ms   "
        f"p50 {p50 * 1e3:6.3f} ms   p99 {p99 * 1e3:6.3f} ms   client CPU "
        f"{cpu / len(times) * 1e6:7.1f} us/req"
    )
    return {"mean": mean, "cpu": cpu / len(times)}


def bench_client(requests: int) -> list[Figure]:
    import httpx

    from hiscores.integration.breaker import CircuitBreaker
    from hiscores.integration.client import HiscoresClient
    from hiscores.integration.ratelimit import RateLimiter
    from hiscores.integration.state import LocalStore, RedisStore

    redis_url = os.environ.get("REDIS_URL")
    store = RedisStore(redis_url, prefix="osrs_diff:bench:") if redis_url else LocalStore()
    with tempfile.TemporaryDirectory() as data_dir:
        server = subprocess.Popen(
            [sys.executable, "-c", SERVER, data_dir],
            cwd=REPO,
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONPATH": str(REPO)},
        )
        try:
            url = server.stdout.readline().strip()
            client = HiscoresClient(
                base_url=url,
                user_agent="osrs-diff-bench/1.0",
                limiter=RateLimiter(store=store, rate=0),  # rate limit off
                breaker=CircuitBreaker(store=store),
            )
            raw = httpx.Client(headers={"User-Agent": "osrs-diff-bench/1.0"})
            target = f"{url}/m=hiscore_oldschool/index_lite.json"

            def run(call) -> tuple[list[float], float]:
                for _ in range(20):  # warm-up (connections, caches)
                    call()
                times = []
                cpu = time.process_time()
                for _ in range(requests):
                    t = time.perf_counter()
                    call()
                    times.append(time.perf_counter() - t)
                return times, time.process_time() - cpu

            print(
                f"client: {requests:,} sequential requests against the fake server on loopback, "
                f"rate limit off, breaker state in {store.backend}"
            )
            bare = _summary(
                "bare httpx GET", *run(lambda: raw.get(target, params={"player": "Bench Player"}))
            )
            full = _summary("HiscoresClient.fetch()", *run(lambda: client.fetch("Bench Player")))
            print(
                f"  client overhead over bare httpx: {(full['mean'] - bare['mean']) * 1e3:.3f} ms "
                f"wall, {(full['cpu'] - bare['cpu']) * 1e6:.1f} us CPU per request "
                "(parsing, breaker, limiter, logging, metrics)"
            )
            client.close()
            raw.close()
            return [
                Figure(
                    "client overhead per request over bare httpx (wall)",
                    (full["mean"] - bare["mean"]) * 1e3,
                    "ms",
                ),
                Figure(
                    "client overhead per request over bare httpx (CPU)",
                    (full["cpu"] - bare["cpu"]) * 1e3,
                    "ms",
                ),
            ]
        finally:
            server.terminate()
            server.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="Parse benchmark duration.")
    parser.add_argument("--requests", type=int, default=300, help="Client benchmark requests.")
    args = parser.parse_args()

    setup_django(migrate=False)
    figures = bench_parse(args.seconds) + bench_client(args.requests)
    report("hiscores parsing and client (bench/parse.py)", figures)


if __name__ == "__main__":
    main()
