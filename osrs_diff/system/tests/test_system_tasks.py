"""GET /system/tasks, POST /system/tasks/{name}/run, the drift check task and the admin."""

from __future__ import annotations

import importlib
import json
import logging
from datetime import UTC, datetime, timedelta

import pytest
import redis
import time_machine
from django.apps import apps as django_apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django_celery_beat.models import IntervalSchedule, PeriodicTask
from django_celery_results.models import TaskResult

from osrs_diff.models import ApiTask
from osrs_diff.system.selectors import system_task_list
from osrs_diff.system.tasks import check_schedule_drift
from players.models import Player
from tests.factories import PlayerFactory

pytestmark = pytest.mark.django_db

SYSTEM_TASK_MIGRATIONS = (
    "players.migrations.0002_daily_game_mode_check",
    "drops.migrations.0002_idle_party_sweeper",
    "players.migrations.0004_schedule_drift_check",
)


@pytest.fixture(autouse=True)
def system_tasks_exist():
    """The rows the data migrations create (a transactional test elsewhere may have flushed them
    from the reused test database)."""
    for module in SYSTEM_TASK_MIGRATIONS:
        migration = importlib.import_module(module)
        create = getattr(migration, "create_task", None) or migration.create_sweeper
        create(django_apps, None)


GAME_MODE_CHECK = "system: daily game-mode check"
SWEEPER = "system: end idle drop parties"
DRIFT_CHECK = "system: daily schedule drift check"
SYSTEM_TASKS = {
    GAME_MODE_CHECK: ("players.check_game_modes", "daily at 02:00 UTC"),
    SWEEPER: ("drops.end_idle_parties", "every 60 s"),
    DRIFT_CHECK: ("system.check_schedule_drift", "daily at 03:00 UTC"),
}


def queued_messages() -> list[dict]:
    """The messages waiting in the test Redis broker's default queue (newest first)."""
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    try:
        return [json.loads(raw) for raw in client.lrange("maintenance", 0, -1)]
    finally:
        client.close()


def store_result(task_id: str, periodic_task_name: str, status: str, result: str, done: datetime):
    row = TaskResult.objects.create(
        task_id=task_id,
        task_name="x",
        periodic_task_name=periodic_task_name,
        status=status,
        result=result,
        content_type="application/json",
        content_encoding="utf-8",
    )
    # date_done is auto_now: set the moment explicitly.
    TaskResult.objects.filter(pk=row.pk).update(date_done=done)


# --- Listing ----


def test_it_lists_every_system_task_with_a_readable_schedule(staff_client):
    PlayerFactory()  # its per-player fetch task is not a system task

    response = staff_client.get("/system/tasks")

    assert response.status_code == 200
    by_name = {row["name"]: row for row in response.json()}
    assert set(SYSTEM_TASKS) <= set(by_name)
    assert not any(name.startswith("players.fetch_hiscores:") for name in by_name)
    for name, (task, schedule) in SYSTEM_TASKS.items():
        row = by_name[name]
        assert (row["task"], row["schedule"], row["enabled"]) == (task, schedule, True)
        assert set(row) >= {
            "name",
            "task",
            "schedule",
            "enabled",
            "last_run_at",
            "next_run_at",
            "total_run_count",
            "last_result",
        }
        assert row["last_result"] is None


def test_a_later_system_task_is_listed_too(staff_client):
    every_hour = IntervalSchedule.objects.create(every=2, period=IntervalSchedule.HOURS)
    PeriodicTask.objects.create(name="system: reindex", task="x.reindex", interval=every_hour)

    names = {row["name"]: row for row in staff_client.get("/system/tasks/").json()}

    assert names["system: reindex"]["schedule"] == "every 2 h"


def test_next_run_follows_the_schedule():
    PeriodicTask.objects.filter(name=SWEEPER).update(
        last_run_at=datetime(2026, 11, 20, 12, 29, 40, tzinfo=UTC), total_run_count=7
    )
    PeriodicTask.objects.filter(name=GAME_MODE_CHECK).update(
        last_run_at=datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
    )
    PeriodicTask.objects.filter(name=DRIFT_CHECK).update(enabled=False)

    with time_machine.travel(datetime(2026, 11, 20, 12, 30, tzinfo=UTC), tick=False):
        rows = {task.name: task for task in system_task_list()}

    assert rows[SWEEPER].next_run_at == datetime(2026, 11, 20, 12, 30, 40, tzinfo=UTC)
    assert rows[SWEEPER].total_run_count == 7
    assert rows[GAME_MODE_CHECK].next_run_at == datetime(2026, 11, 21, 2, 0, tzinfo=UTC)
    assert rows[DRIFT_CHECK].next_run_at is None
    assert rows[DRIFT_CHECK].enabled is False


def test_next_run_is_exact_on_a_running_clock_and_now_when_overdue():
    PeriodicTask.objects.filter(name=GAME_MODE_CHECK).update(
        last_run_at=datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
    )
    PeriodicTask.objects.filter(name=SWEEPER).update(
        last_run_at=datetime(2026, 11, 17, 9, 0, tzinfo=UTC)
    )
    PeriodicTask.objects.filter(name=DRIFT_CHECK).update(
        last_run_at=datetime(2026, 11, 17, 3, 0, tzinfo=UTC)
    )
    now = datetime(2026, 11, 20, 12, 30, tzinfo=UTC)

    with time_machine.travel(now, tick=True):
        rows = {task.name: task for task in system_task_list()}

    # Not a microsecond early although the clock moved while it was computed.
    assert rows[GAME_MODE_CHECK].next_run_at == datetime(2026, 11, 21, 2, 0, tzinfo=UTC)
    # Overdue for days: beat sends them on its next tick, not "in the past".
    for overdue in (SWEEPER, DRIFT_CHECK):
        assert now <= rows[overdue].next_run_at < now + timedelta(seconds=5)


def test_last_result_is_the_newest_result_of_that_task(staff_client):
    earlier = datetime(2026, 11, 20, 2, 0, 5, tzinfo=UTC)
    later = earlier + timedelta(days=1)
    store_result("t-old", GAME_MODE_CHECK, "SUCCESS", '{"queued": 1}', earlier)
    store_result("t-new", GAME_MODE_CHECK, "SUCCESS", '{"queued": 12}', later)
    store_result(
        "t-fail",
        SWEEPER,
        "FAILURE",
        '{"exc_type": "OperationalError", "exc_message": ["db down"], "exc_module": "x"}',
        later,
    )

    rows = {row["name"]: row for row in staff_client.get("/system/tasks").json()}

    assert rows[GAME_MODE_CHECK]["last_result"] == {
        "task_id": "t-new",
        "state": "SUCCESS",
        "finished_at": "2026-11-21T02:00:05Z",
        "summary": "queued=12",
    }
    assert rows[SWEEPER]["last_result"]["state"] == "FAILURE"
    assert rows[SWEEPER]["last_result"]["summary"] == "OperationalError: db down"


def test_listing_takes_one_query_whatever_the_number_of_tasks(
    staff_client, django_assert_max_num_queries
):
    for name in (GAME_MODE_CHECK, SWEEPER, DRIFT_CHECK):
        store_result(f"id-{name}", name, "SUCCESS", "{}", datetime(2026, 1, 1, tzinfo=UTC))
    staff_client.get("/system/tasks")  # warm the JWT user lookup path

    # JWT user lookup + the listing itself.
    with django_assert_max_num_queries(2):
        assert staff_client.get("/system/tasks").status_code == 200


# --- Running ----


@pytest.mark.parametrize("name", list(SYSTEM_TASKS))
def test_each_system_task_runs_now_and_is_followable(staff_client, staff_user, name):
    response = staff_client.post(f"/system/tasks/{name}/run")

    assert response.status_code == 202
    task_id = response.json()["task_id"]
    record = ApiTask.objects.get(task_id=task_id)
    assert (record.name, record.created_by) == (SYSTEM_TASKS[name][0], staff_user)
    [message] = [m for m in queued_messages() if m["headers"]["id"] == task_id]
    assert message["headers"]["task"] == SYSTEM_TASKS[name][0]
    # Tagged like a beat run, so its result becomes the task's last_result.
    assert message["headers"]["periodic_task_name"] == name
    assert message["headers"]["ignore_result"] is False
    follow = staff_client.get(f"/tasks/{task_id}")
    assert (follow.status_code, follow.json()["state"]) == (200, "PENDING")


def test_a_task_can_be_run_by_its_slug(staff_client):
    response = staff_client.post("/system/tasks/daily-schedule-drift-check/run/")

    assert response.status_code == 202
    assert ApiTask.objects.get().name == "system.check_schedule_drift"


def test_unknown_name_is_404_listing_the_valid_ones(staff_client):
    response = staff_client.post("/system/tasks/system: make coffee/run")

    assert response.status_code == 404
    body = response.json()
    assert body["error_code"] == "not_found"
    assert set(SYSTEM_TASKS) <= set(body["details"]["valid_names"])
    assert GAME_MODE_CHECK in body["message"]
    assert not ApiTask.objects.exists()


def test_a_per_player_fetch_task_is_not_runnable_here(staff_client):
    player = PlayerFactory()

    response = staff_client.post(f"/system/tasks/players.fetch_hiscores:{player.pk}/run")

    assert response.status_code == 404


# --- Staff only ----


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/system/tasks"),
        ("post", f"/system/tasks/{SWEEPER}/run"),
        ("get", "/system/stats"),
    ],
)
def test_system_endpoints_are_staff_only(api_client, auth_client, method, path):
    assert getattr(api_client, method)(path).status_code == 401
    response = getattr(auth_client, method)(path)
    assert response.status_code == 403
    assert response.json()["error_code"] == "permission_denied"
    assert not ApiTask.objects.exists()


# --- The daily drift check ----


def test_the_drift_check_repairs_like_sync_player_schedules_and_logs_it(caplog):
    healthy = PlayerFactory()
    missing = PlayerFactory(schedule=False)
    paused = PlayerFactory(is_active=False)
    PeriodicTask.objects.filter(pk=paused.fetch_task_id).update(enabled=True)

    with caplog.at_level(logging.INFO, logger="osrs_diff.system.tasks"):
        result = check_schedule_drift.run()

    assert result["players"] == 3
    assert (result["missing_task"], result["wrong_enabled"], result["repaired"]) == (1, 1, 2)
    assert Player.objects.get(pk=missing.pk).fetch_task is not None
    assert PeriodicTask.objects.get(pk=paused.fetch_task_id).enabled is False
    assert PeriodicTask.objects.get(pk=healthy.fetch_task_id).enabled is True
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "repaired: 1 missing task" in logged
    assert "repaired: 1 wrong enabled" in logged

    caplog.clear()
    with caplog.at_level(logging.INFO, logger="osrs_diff.system.tasks"):
        assert check_schedule_drift.run()["repaired"] == 0
    assert "no drift in 3 players" in caplog.text


def test_the_drift_check_schedule_comes_from_a_migration():
    task = PeriodicTask.objects.select_related("crontab").get(name=DRIFT_CHECK)
    assert task.task == "system.check_schedule_drift"
    assert (task.crontab.minute, task.crontab.hour, str(task.crontab.timezone)) == ("0", "3", "UTC")
    assert check_schedule_drift.name == task.task


# --- Admin ----


@pytest.fixture
def admin_client(client):
    user = get_user_model().objects.create_superuser("root", "root@example.com", "pw-123456!")
    client.force_login(user)
    return client


def test_admin_lists_system_tasks_with_their_last_result(admin_client):
    PlayerFactory(username="Zezima")
    store_result(
        "t1",
        SWEEPER,
        "SUCCESS",
        '{"parties_ended": 2, "party_ids": [4, 5]}',
        (datetime(2026, 11, 20, 12, 0, tzinfo=UTC)),
    )

    response = admin_client.get("/admin/system/systemtask/")

    assert response.status_code == 200
    html = response.content.decode()
    for name in SYSTEM_TASKS:
        assert name in html
    assert "every 60 s" in html and "daily at 03:00 UTC" in html
    assert "SUCCESS at 2026-11-20 12:00:00 UTC: parties_ended=2, party_ids=2 items" in html
    assert "players.fetch_hiscores" not in html


def test_admin_run_now_action_starts_the_selected_tasks(admin_client):
    tasks = PeriodicTask.objects.filter(name__in=[SWEEPER, DRIFT_CHECK])

    response = admin_client.post(
        "/admin/system/systemtask/",
        {"action": "run_now", "_selected_action": [task.pk for task in tasks]},
        follow=True,
    )

    assert response.status_code == 200
    assert sorted(ApiTask.objects.values_list("name", flat=True)) == [
        "drops.end_idle_parties",
        "system.check_schedule_drift",
    ]
    assert "started (task id" in response.content.decode()


def test_admin_detail_links_to_the_editable_periodic_task(admin_client):
    task = PeriodicTask.objects.get(name=GAME_MODE_CHECK)

    response = admin_client.get(f"/admin/system/systemtask/{task.pk}/change/")

    assert response.status_code == 200
    assert f"/admin/django_celery_beat/periodictask/{task.pk}/change/" in response.content.decode()
