"""A real `celery beat` process with IncrementalDatabaseScheduler puts a due player's fetch on
the Redis broker."""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import subprocess
import sys
import time

import pytest
import redis
from django.conf import settings
from django.db import connection
from django_celery_beat.models import IntervalSchedule, PeriodicTask

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

TASK_NAME = "players.fetch_hiscores:4242"


def _database_url() -> str:
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def _our_messages(client: redis.Redis) -> list[tuple[bytes, dict]]:
    found = []
    for raw in client.lrange("scheduled", 0, -1):
        message = json.loads(raw)
        if message["headers"].get("periodic_task_name") == TASK_NAME:
            found.append((raw, message))
    return found


def test_real_beat_sends_a_due_players_fetch(tmp_path):
    hourly = IntervalSchedule.objects.get_or_create(every=60, period=IntervalSchedule.MINUTES)[0]
    PeriodicTask.objects.create(
        name=TASK_NAME,
        task="hiscores.fetch_player",
        kwargs=json.dumps({"player_id": 4242}),
        interval=hourly,
        last_run_at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=60, seconds=-2),
    )
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    for raw, _ in _our_messages(client):
        client.lrem("scheduled", 0, raw)

    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "REDIS_URL": settings.CELERY_BROKER_URL,
        "CELERY_BEAT_SCHEDULER": "osrs_diff.beat:IncrementalDatabaseScheduler",
        "LOG_FORMAT": "console",
    }
    log = tmp_path / "beat.log"
    with open(log, "wb") as out:
        beat = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "osrs_diff", "beat", "--max-interval", "1"]
            + ["--loglevel", "INFO", "--pidfile", "", "-s", str(tmp_path / "schedule")],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 45
            while time.monotonic() < deadline and not _our_messages(client):
                assert beat.poll() is None, log.read_text()
                time.sleep(0.2)
            messages = _our_messages(client)
            # The run is written back in batches (every few seconds, and on shutdown).
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and _run_count() == 0:
                time.sleep(0.2)
        finally:
            beat.terminate()
            beat.wait(timeout=20)

    assert len(messages) == 1, log.read_text()
    raw, message = messages[0]
    args, kwargs, _embed = json.loads(base64.b64decode(message["body"]))
    assert message["headers"]["task"] == "hiscores.fetch_player"
    assert (args, kwargs) == ([], {"player_id": 4242})
    client.lrem("scheduled", 0, raw)
    # Beat wrote the run back (batched), once.
    assert _run_count() == 1


def _run_count() -> int:
    return PeriodicTask.objects.get(name=TASK_NAME).total_run_count
