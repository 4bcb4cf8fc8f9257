"""The start and end of a competition with real processes: the project's beat sends the clocked
tasks, a worker fetches every participant from the fake hiscores at the start and before the end,
and records `competition.started` and `competition.ended` (with the winner) once each.

Bounded in time (about 50 s): every wait has a timeout. A private Redis; the fake hiscores behind
a real rate limit.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tests.drills.harness import (
    PrivateRedis,
    Processes,
    database_url,
    drill_env,
    observed_fake_hiscores,
    wait_until,
)
from tests.drills.scenarios import BASE_STATS, unique_name

pytestmark = [
    pytest.mark.slow,
    # The worker and beat must see committed rows; only these apps' tables are emptied after.
    pytest.mark.django_db(
        transaction=True, available_apps=["players", "hiscores", "history", "osrs_diff"]
    ),
]

RATE = 2.0


@pytest.fixture
def procs(tmp_path):
    if not PrivateRedis.available():
        pytest.skip("needs redis-server on PATH (a private instance per test)")
    processes = Processes(log_dir=tmp_path / "logs", var_dir=tmp_path / "var")
    processes.var_dir.mkdir(parents=True, exist_ok=True)
    try:
        yield processes
    finally:
        processes.stop_all()
        PrivateRedis.stop_all()


def test_beat_and_a_worker_fetch_at_the_start_and_before_the_end_and_record_both_events(
    procs, tmp_path, settings
):
    from hiscores.models import Snapshot
    from history.competitions import schedules, services
    from history.competitions.models import Competition
    from osrs_diff.events import COMPETITION_ENDED, COMPETITION_STARTED
    from osrs_diff.models import OutboxEvent
    from players.models import Player
    from players.names import normalise_username

    settings.OSRS_HISCORES_RATE = RATE
    settings.COMPETITION_FINAL_FETCH_MARGIN_SECONDS = 2  # lead: one 20 s wave + 2 s
    redis_server = PrivateRedis(tmp_path / "redis").start()
    fake = observed_fake_hiscores(tmp_path / "fake")
    competition = None
    try:
        names = [unique_name("cmp") for _ in range(3)]
        for name in names:
            fake.add_player(name, stats=BASE_STATS)
        players = Player.objects.bulk_create(
            Player(username=n, username_key=normalise_username(n)) for n in names
        )
        env = drill_env(
            database_url=database_url(),
            redis_url=redis_server.url(),
            var_dir=procs.var_dir,
            OSRS_HISCORES_BASE_URL=fake.url,
            OSRS_HISCORES_RATE=RATE,
        )
        procs.worker("all", env=env, concurrency=2)
        procs.beat("beat", env=env)

        created = timezone.now()
        competition = services.competition_create(
            title="Drill race",
            metric="attack",
            starts_at=created + dt.timedelta(seconds=3),
            ends_at=created + dt.timedelta(seconds=40),
            participants=names,
        )
        final_at = competition.ends_at - schedules.final_fetch_lead(3)
        assert final_at == created + dt.timedelta(seconds=18)

        def snapshots(count: int) -> bool:
            return all(Snapshot.objects.filter(player=p).count() >= count for p in players)

        # The pre-start fetch (its lead reaches back before the creation: it runs at once),
        # then the start: the event and one more interactive fetch of every participant (an
        # unchanged reading is not stored again: count the requests).
        wait_until(lambda: snapshots(1), timeout=20, what="the pre-start fetches")
        started = OutboxEvent.objects.filter(name=COMPETITION_STARTED)
        wait_until(started.exists, timeout=10, what="competition.started")

        def requests_per_player(count: int) -> bool:
            asked = [player for _, _, player in list(fake.arrivals)]
            keys = [normalise_username(p) for p in asked if p]
            return all(keys.count(normalise_username(n)) >= count for n in names)

        wait_until(lambda: requests_per_player(2) or None, timeout=20, what="the start fetches")
        assert timezone.now() < final_at, "the start fetches finished too late for this drill"
        # Progress during the competition: the second player gains the most.
        for gained, name in zip((1_000, 50_000, 10), names, strict=True):
            fake.add_player(name, stats={**BASE_STATS, "attack": BASE_STATS["attack"] + gained})

        # The final fetch (18 s in) reads the progress before the end (40 s in).
        wait_until(lambda: snapshots(2) or None, timeout=30, what="the final fetches")
        assert timezone.now() < competition.ends_at
        ended = OutboxEvent.objects.filter(name=COMPETITION_ENDED)
        wait_until(ended.exists, timeout=40, what="competition.ended")

        assert started.count() == 1 and ended.count() == 1
        data = ended.get().data
        assert data["winner"] == {"rank": 1, "username": names[1], "gained": 50_000}
        assert [row["username"] for row in data["top_3"]] == [names[1], names[0], names[2]]
        competition.refresh_from_db()
        assert competition.started_event_at and competition.ended_event_at
        # Politeness held: no more requests than the rate allows over the drill.
        arrivals = sorted(at for at, _, _ in fake.arrivals)
        window = max(arrivals[-1] - arrivals[0], 1.0)
        assert len(arrivals) <= RATE * window + 2
    finally:
        fake.stop()
        if competition is not None and Competition.objects.filter(pk=competition.pk).exists():
            services.competition_delete(competition=competition)  # and its clocked tasks
        # The flush after this test leaves django_celery_beat alone: leave no task behind.
        schedules.competition_tasks_delete(task_ids=schedules.orphan_task_ids(competition_ids=[]))
