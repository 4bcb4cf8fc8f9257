"""Issue 16: a person's fetch completes within seconds while hundreds of scheduled fetches wait.

Bounded in time: every wait has a timeout (about two minutes in all). Real processes (the
Procfile layout): a worker for every queue and a small one for
`interactive,maintenance`, a private Redis, the fake hiscores behind a real rate limit.
"""

from __future__ import annotations

import time

import pytest

from tests.drills.harness import (
    PrivateRedis,
    database_url,
    drill_env,
    observed_fake_hiscores,
    wait_until,
)
from tests.drills.scenarios import BASE_STATS, FETCH, unique_name

pytestmark = [
    pytest.mark.slow,
    # The worker processes must see committed rows; only these apps' tables are emptied after.
    pytest.mark.django_db(transaction=True, available_apps=["players", "hiscores", "osrs_diff"]),
]

SCHEDULED_MESSAGES = 400
RATE = 2.0  # hiscores requests per second
DEFER_AFTER = 2.0  # FETCH_DEFER_AFTER_SECONDS


def _players(count: int, prefix: str):
    from players.models import Player
    from players.names import normalise_username

    # One random part per run and a counter: hundreds of random names alone can collide.
    run = unique_name(prefix)[: 12 - 4]
    names = [f"{run}{index:04d}" for index in range(count)]
    return Player.objects.bulk_create(
        Player(username=n, username_key=normalise_username(n), fetch_interval_minutes=60)
        for n in names
    )


def _send_scheduled(broker_url: str, players) -> None:
    """What beat sends: one message per player on `scheduled`, with beat's headers."""
    from osrs_diff.celery import app

    with app.connection_for_write(broker_url) as conn:
        for player in players:
            app.send_task(
                FETCH,
                kwargs={"player_id": player.pk},
                connection=conn,
                queue="scheduled",
                headers={
                    "periodic_task_name": f"players.fetch_hiscores:{player.pk}",
                    "schedule_interval_seconds": 3600,
                },
            )


def test_a_manual_fetch_completes_within_seconds_behind_hundreds_of_scheduled_ones(procs, workdir):
    from hiscores.outcomes import FetchStatus
    from hiscores.selectors import fetch_outcome_counts
    from osrs_diff.celery import app
    from players.models import Player

    redis_server = PrivateRedis(workdir / "redis").start()
    fake = observed_fake_hiscores(workdir / "fake")
    try:
        scheduled = _players(SCHEDULED_MESSAGES, "sch")
        for player in scheduled[:20]:
            fake.add_player(player.username, stats=BASE_STATS)  # the rest answer 404: same cost
        (probe,) = _players(1, "probe")
        fake.add_player(probe.username, stats=BASE_STATS)
        env = drill_env(
            database_url=database_url(),
            redis_url=redis_server.url(),
            var_dir=procs.var_dir,
            OSRS_HISCORES_BASE_URL=fake.url,
            OSRS_HISCORES_RATE=RATE,
            OSRS_HISCORES_MAX_WAIT=30,
            FETCH_DEFER_AFTER_SECONDS=DEFER_AFTER,
        )
        _send_scheduled(redis_server.url(), scheduled)
        client = redis_server.client()
        # More pool processes than the budget keeps busy (RATE * DEFER_AFTER = 4 slots ahead).
        procs.worker("all", env=env, concurrency=6, queues="scheduled,interactive,maintenance")
        procs.worker("fast", env=env, concurrency=1, queues="interactive,maintenance")
        wait_until(lambda: len(fake.arrivals) >= 3, timeout=60, what="scheduled fetches")

        backlog = client.llen("scheduled")
        sent = time.time()
        with app.connection_for_write(redis_server.url()) as conn:
            app.send_task(
                FETCH,
                kwargs={"player_id": probe.pk},
                connection=conn,
                queue="interactive",
                headers={"interactive": True},
            )

        def probe_fetched() -> bool:
            return Player.objects.filter(pk=probe.pk, last_fetched__isnull=False).exists()

        wait_until(probe_fetched, timeout=30, what="the manual fetch", interval=0.05)
        latency = time.time() - sent
        # The surplus defers at once instead of waiting: the backlog drains quickly.
        wait_until(lambda: client.llen("scheduled") == 0, timeout=60, what="the scheduled backlog")
        time.sleep(2 * DEFER_AFTER)
        client.close()
    finally:
        fake.stop()
    counts = fetch_outcome_counts()
    arrivals = sorted(at for at, _, _ in fake.arrivals)
    print(
        f"\nmanual fetch behind {backlog} scheduled messages: {latency:.2f} s; "
        f"{len(arrivals)} hiscores requests; outcomes {counts}"
    )
    assert backlog >= 200, "the manual fetch was not sent behind hundreds of scheduled ones"
    # One limiter slot behind at most DEFER_AFTER seconds of scheduled slots, plus the fetch.
    assert latency < DEFER_AFTER + 1 / RATE + 2.5
    # Scheduled fetches did not wait for the budget: most ended at once as deferred ...
    assert counts[FetchStatus.DEFERRED] >= SCHEDULED_MESSAGES // 2
    # ... and politeness held (one extra slot of slack for the window edges).
    window = max(arrivals[-1] - arrivals[0], 1.0)
    assert len(arrivals) <= RATE * window + 2
