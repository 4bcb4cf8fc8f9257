import json
import os
import subprocess
import sys
import time

import pytest
from django.conf import settings

from hiscores.integration.errors import HiscoresUnavailable
from hiscores.integration.ratelimit import RateLimiter
from hiscores.integration.state import FileStore, RedisStore


class Clock:
    def __init__(self, now=1_800_000_000.0):
        self.now = now

    def __call__(self):
        return self.now


@pytest.fixture(params=["redis", "file"])
def store(request, tmp_path):
    if request.param == "redis":
        s = RedisStore(settings.REDIS_URL)
        yield s
        s.close()
    else:
        yield FileStore(tmp_path / "state")


@pytest.fixture
def clock():
    return Clock()


def test_callers_are_spaced_one_interval_apart_in_order(store, clock):
    limiter = RateLimiter(store=store, rate=0.5, max_wait=30, clock=clock)
    assert [limiter.reserve() for _ in range(4)] == [0, 2, 4, 6]
    assert limiter.estimated_wait_seconds() == 8
    assert limiter.state()["queued"] == 4

    clock.now += 8  # everyone has been served
    assert limiter.estimated_wait_seconds() == 0
    assert limiter.reserve() == 0


def test_an_idle_limiter_does_not_bank_a_burst(store, clock):
    limiter = RateLimiter(store=store, rate=0.5, clock=clock)
    limiter.reserve()
    clock.now += 3600
    assert [limiter.reserve(), limiter.reserve()] == [0, 2]


def test_waiting_is_bounded_and_a_refused_caller_takes_no_slot(store, clock):
    limiter = RateLimiter(store=store, rate=0.5, max_wait=5, clock=clock)
    assert [limiter.reserve() for _ in range(3)] == [0, 2, 4]

    with pytest.raises(HiscoresUnavailable) as exc:
        limiter.reserve()
    assert exc.value.reason == "rate_limited" and exc.value.retry_after == 6

    clock.now += 1
    assert limiter.reserve() == 5  # the refused caller did not push the queue back


def test_acquire_sleeps_until_the_slot(store, clock):
    sleeps = []
    limiter = RateLimiter(store=store, rate=4, clock=clock, sleep=sleeps.append)
    for _ in range(3):
        limiter.acquire()
    assert sleeps == [0.25, 0.5]


def test_a_zero_rate_disables_the_limit(store, clock):
    limiter = RateLimiter(store=store, rate=0, clock=clock)
    assert [limiter.reserve() for _ in range(100)] == [0] * 100
    assert limiter.state()["enabled"] is False


def test_an_unreachable_redis_fails_closed(clock):
    limiter = RateLimiter(store=RedisStore("redis://127.0.0.1:1/0"), rate=1, clock=clock)
    with pytest.raises(HiscoresUnavailable) as exc:
        limiter.reserve()
    assert exc.value.reason == "state_unavailable"


# Each process fetches from the fake server through its own client and limiter; only the shared
# store connects them. One pair of processes runs a round per store (Redis, then the embedded-mode
# file store) to pay the interpreter start-up once.
WORKER = """
import sys
from hiscores.integration.client import HiscoresClient
from hiscores.integration.ratelimit import RateLimiter
from hiscores.integration.state import FileStore, RedisStore

url, redis_url, state_dir, count, rate = sys.argv[1:6]
print("ready", flush=True)
for store in (RedisStore(redis_url), FileStore(state_dir)):
    client = HiscoresClient(base_url=url, limiter=RateLimiter(store=store, rate=float(rate)))
    sys.stdin.readline()
    for i in range(int(count)):
        client.fetch(f"player {i}")
    print("done", flush=True)
"""


def test_the_rate_limit_holds_across_two_processes_in_redis_and_in_files(tmp_path, fake_hiscores):
    rate, per_process = 10.0, 4
    for i in range(per_process):
        fake_hiscores.add_player(f"player {i}", stats={"attack": 1000})
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "osrs_diff.settings",
        "PYTHONPATH": str(settings.BASE_DIR),
        "LOG_LEVEL": "WARNING",
    }
    args = [fake_hiscores.url, settings.REDIS_URL, str(tmp_path / "state"), str(per_process)]
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, *args, str(rate)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=settings.BASE_DIR,
            env=env,
        )
        for _ in range(2)
    ]
    try:
        for proc in procs:
            assert proc.stdout.readline().strip() == "ready"
        for backend in ("redis", "file"):
            started = time.time()
            for proc in procs:
                proc.stdin.write("go\n")
                proc.stdin.flush()
            for proc in procs:
                assert proc.stdout.readline().strip() == "done"
            finished = time.time()

            arrivals = sorted(r.at for r in fake_hiscores.requests if started <= r.at <= finished)
            assert len(arrivals) == 2 * per_process, backend
            # Slots are reserved after "go"; a request may arrive late (a busy CPU) but never
            # before its slot, so the k-th arrival is at least k intervals after the start.
            # Without the shared limiter all eight would arrive within a few milliseconds.
            interval = 1 / rate
            for k, at in enumerate(arrivals):
                offsets = json.dumps([round(a - started, 3) for a in arrivals])
                assert at - started >= k * interval - 0.005, f"{backend}: {offsets}"
        for proc in procs:
            assert proc.wait(timeout=10) == 0
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
