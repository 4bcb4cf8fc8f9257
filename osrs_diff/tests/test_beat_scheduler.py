"""IncrementalDatabaseScheduler: sends, change pick-up, resync, write-back, restarts, crontab.

A fake clock (time-machine) drives the scheduler's ticks; sends go to the real Redis broker
(the test database's REDIS_URL) on a queue of each test's own, read back from Redis.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import uuid

import pytest
import redis
import time_machine
from django.conf import settings
from django.db import connection
from django_celery_beat.models import (
    CrontabSchedule,
    IntervalSchedule,
    PeriodicTask,
    PeriodicTasks,
)

from osrs_diff.beat import IncrementalDatabaseScheduler, IntervalEntry
from osrs_diff.celery import app as celery_app

UTC = dt.UTC
T0 = dt.datetime(2026, 11, 20, 12, 0, 0, tzinfo=UTC)

pytestmark = pytest.mark.django_db


@pytest.fixture
def broker():
    """A queue of this test's own on the real Redis broker; yields a reader of sent messages."""
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    queue = f"test-beat-{uuid.uuid4().hex[:10]}"

    def messages() -> list[dict]:
        sent = []
        for raw in reversed(client.lrange(queue, 0, -1)):  # LPUSH: oldest last
            message = json.loads(raw)
            args, kwargs, _embed = json.loads(base64.b64decode(message["body"]))
            sent.append(
                {
                    "task": message["headers"]["task"],
                    "kwargs": kwargs,
                    "args": args,
                    "name": message["headers"].get("periodic_task_name"),
                    "interval": message["headers"].get("schedule_interval_seconds"),
                }
            )
        return sent

    messages.queue = queue
    yield messages
    client.delete(queue, f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}")
    celery_app.amqp.queues.pop(queue, None)  # sending declared it in the app: forget it
    client.close()


@pytest.fixture
def hourly():
    return IntervalSchedule.objects.get_or_create(every=60, period=IntervalSchedule.MINUTES)[0]


@pytest.fixture
def clock():
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


def player_tasks(interval, queue, last_runs, *, start=1, **extra):
    """Bulk-create per-player PeriodicTasks of the production shape (plus a test queue)."""
    rows = [
        PeriodicTask(
            name=f"players.fetch_hiscores:{pk}",
            task="hiscores.fetch_player",
            kwargs=json.dumps({"player_id": pk}),
            interval=interval,
            queue=queue,
            last_run_at=last_run,
            **extra,
        )
        for pk, last_run in enumerate(last_runs, start=start)
    ]
    created = PeriodicTask.objects.bulk_create(rows)
    PeriodicTasks.update_changed()
    return created


def make_scheduler() -> IncrementalDatabaseScheduler:
    return IncrementalDatabaseScheduler(app=celery_app)


def run_for(scheduler, clock, seconds: float, step: float = 1.0) -> None:
    """Tick the scheduler across `seconds` of fake time."""
    elapsed = 0.0
    while elapsed <= seconds:
        while scheduler.tick() == 0:
            pass
        clock.shift(step)
        elapsed += step


def player_ids(messages) -> list[int]:
    return [m["kwargs"]["player_id"] for m in messages() if m["task"] == "hiscores.fetch_player"]


def test_due_tasks_are_sent_exactly_once_per_due_time(clock, hourly, broker):
    # Due at T0+10s, T0+20s and T0+30s.
    player_tasks(
        hourly, broker.queue, [T0 - dt.timedelta(seconds=3600 - 10 * i) for i in (1, 2, 3)]
    )
    scheduler = make_scheduler()

    run_for(scheduler, clock, 9)
    assert player_ids(broker) == []
    run_for(scheduler, clock, 30)
    assert player_ids(broker) == [1, 2, 3]
    first = broker()[0]
    assert first["name"] == "players.fetch_hiscores:1"
    assert first["args"] == []
    # The fetch tells a second send of this due time from the next one by it.
    assert first["interval"] == 3600

    run_for(scheduler, clock, 3500, step=5)  # the rest of the hour: nothing more
    assert player_ids(broker) == [1, 2, 3]
    run_for(scheduler, clock, 90, step=1)  # one hour after each send: once more each
    assert player_ids(broker) == [1, 2, 3, 1, 2, 3]


def test_one_tick_sends_every_due_task(clock, hourly, broker):
    player_tasks(hourly, broker.queue, [T0 - dt.timedelta(seconds=3600 + 5)] * 200)
    scheduler = make_scheduler()
    scheduler.tick_budget_seconds = 60  # a slow CI machine must not cut the tick short

    scheduler.tick()

    assert sorted(player_ids(broker)) == list(range(1, 201))
    assert scheduler.tick() > 0  # nothing left due


def test_idle_tick_queries_nothing_between_polls(clock, hourly, broker, django_assert_num_queries):
    player_tasks(hourly, broker.queue, [T0] * 50)
    scheduler = make_scheduler()
    scheduler.tick()
    clock.shift(0.5)
    with django_assert_num_queries(0):
        assert scheduler.tick() > 0
    clock.shift(1)
    with django_assert_num_queries(1):  # the one-row change marker, nothing else
        scheduler.tick()


@pytest.fixture
def loaded(clock, hourly, broker):
    """Ten player tasks, none due in the next 10 minutes, and a scheduler that has loaded them."""
    tasks = player_tasks(hourly, broker.queue, [T0 - dt.timedelta(minutes=40)] * 10)
    scheduler = make_scheduler()
    scheduler.tick()
    untouched = scheduler.get_entry(tasks[-1].pk)
    clock.shift(1)  # changes happen later than the load (the change marker is a timestamp)
    scheduler.untouched = untouched
    return scheduler, tasks


def assert_picked_up_incrementally(scheduler, tasks) -> None:
    """No full reload or resync happened; untouched entries kept their identity."""
    assert scheduler.stats["full_loads"] == 1
    assert scheduler.stats["resync_rounds"] == 0
    assert scheduler.get_entry(tasks[-1].pk) is scheduler.untouched


def test_created_task_is_picked_up_without_full_reload(loaded, clock, hourly, broker):
    scheduler, _tasks = loaded
    created = PeriodicTask.objects.create(
        name="players.fetch_hiscores:99",
        task="hiscores.fetch_player",
        kwargs=json.dumps({"player_id": 99}),
        interval=hourly,
        queue=broker.queue,
        last_run_at=T0 - dt.timedelta(minutes=59, seconds=58),
    )
    clock.shift(1)
    scheduler.tick()
    assert isinstance(scheduler.get_entry(created.pk), IntervalEntry)
    assert_picked_up_incrementally(scheduler, _tasks)
    run_for(scheduler, clock, 3)
    assert player_ids(broker) == [99]


def test_edited_task_is_picked_up_without_full_reload(loaded, clock, broker):
    scheduler, tasks = loaded
    every_ten = IntervalSchedule.objects.create(every=10, period=IntervalSchedule.MINUTES)
    task = PeriodicTask.objects.get(pk=tasks[0].pk)
    task.interval = every_ten
    task.kwargs = json.dumps({"player_id": 1001})
    task.save()
    clock.shift(1)
    scheduler.tick()
    assert scheduler.get_entry(task.pk).kwargs == {"player_id": 1001}
    assert_picked_up_incrementally(scheduler, tasks)
    # Last run was 40 minutes ago: overdue under the new 10 minute cadence, spread over it.
    run_for(scheduler, clock, 600, step=5)
    assert [m["kwargs"] for m in broker()] == [{"player_id": 1001}]


def test_disabled_task_is_dropped_without_full_reload(loaded, clock, broker):
    scheduler, tasks = loaded
    task = PeriodicTask.objects.get(pk=tasks[0].pk)
    task.enabled = False
    task.save()
    clock.shift(1)
    scheduler.tick()
    assert scheduler.get_entry(task.pk) is None
    assert_picked_up_incrementally(scheduler, tasks)
    run_for(scheduler, clock, 25 * 60, step=30)
    assert 1 not in player_ids(broker)
    assert sorted(player_ids(broker)) == list(range(2, 11))


def test_deleted_task_is_dropped_without_full_reload(loaded, clock):
    scheduler, tasks = loaded
    before = len(scheduler)
    PeriodicTask.objects.get(pk=tasks[0].pk).delete()
    clock.shift(1)
    scheduler.tick()
    assert scheduler.get_entry(tasks[0].pk) is None
    assert len(scheduler) == before - 1
    assert_picked_up_incrementally(scheduler, tasks)


def test_bulk_delete_signalled_once_is_picked_up(loaded, clock):
    scheduler, tasks = loaded
    doomed = [t.pk for t in tasks[:5]]
    # What a bulk path does: one set-based DELETE, one change signal.
    PeriodicTask.objects.filter(pk__in=doomed)._raw_delete("default")
    PeriodicTasks.update_changed()
    clock.shift(1)
    scheduler.tick()
    assert all(scheduler.get_entry(pk) is None for pk in doomed)
    assert_picked_up_incrementally(scheduler, tasks)
    # The trigger's tombstones said which rows went: no aggregate over every task was needed.
    assert scheduler.stats["id_reconciles"] == 0


def test_a_bulk_delete_is_read_once_not_on_every_later_change(loaded, clock):
    scheduler, tasks = loaded
    doomed = [t.pk for t in tasks[:5]]
    PeriodicTask.objects.filter(pk__in=doomed)._raw_delete("default")
    PeriodicTasks.update_changed()
    clock.shift(1)
    scheduler.tick()
    assert scheduler.stats["tombstones_read"] == 5
    for task in tasks[5:8]:  # later changes inside the lookback window
        task.description = "edited"
        task.save()
        clock.shift(1)
        scheduler.tick()
    assert scheduler.stats["tombstones_read"] == 5
    assert all(scheduler.get_entry(pk) is None for pk in doomed)


def test_a_delete_committed_after_a_later_one_is_still_applied(loaded, clock):
    """Tombstone ids come from a sequence: a delete whose transaction commits after a later one
    (its id below what beat already read) is picked up by the next scan, not lost."""
    from osrs_diff.models import PeriodicTaskDeletion

    scheduler, tasks = loaded
    early, late = tasks[0], tasks[1]
    cursor = scheduler._tombstone_cursor

    def next_tombstone_id(value: int) -> None:
        with connection.cursor() as sql:
            sql.execute(
                "SELECT setval(pg_get_serial_sequence(%s, 'id'), %s, false)",
                [PeriodicTaskDeletion._meta.db_table, value],
            )

    # The late delete commits first, with the higher id; the early one is still open.
    next_tombstone_id(cursor + 2)
    PeriodicTask.objects.filter(pk=late.pk)._raw_delete("default")
    PeriodicTasks.update_changed()
    clock.shift(1)
    scheduler.tick()
    assert scheduler.get_entry(late.pk) is None
    assert scheduler.get_entry(early.pk) is not None
    # Now the early transaction commits: its tombstone has the id skipped before.
    next_tombstone_id(cursor + 1)
    PeriodicTask.objects.filter(pk=early.pk)._raw_delete("default")
    PeriodicTasks.update_changed()
    clock.shift(1)
    scheduler.tick()
    assert scheduler.get_entry(early.pk) is None
    assert scheduler.stats["id_reconciles"] == 0  # the tombstone told it, not the safety net


def test_a_change_tick_reads_what_changed_not_every_task(
    loaded, clock, django_assert_max_num_queries
):
    scheduler, tasks = loaded
    task = PeriodicTask.objects.get(pk=tasks[0].pk)
    task.kwargs = json.dumps({"player_id": 2001})
    task.save()
    clock.shift(1)
    with django_assert_max_num_queries(12) as captured:
        scheduler.tick()
    assert scheduler.get_entry(task.pk).kwargs == {"player_id": 2001}
    sql = " ".join(query["sql"] for query in captured.captured_queries).upper()
    assert "SUM(" not in sql and "COUNT(" not in sql, sql


def test_a_delete_without_a_tombstone_is_caught_by_the_minutely_safety_net(loaded, clock):
    from osrs_diff.models import PeriodicTaskDeletion

    scheduler, tasks = loaded
    PeriodicTask.objects.get(pk=tasks[0].pk).delete()
    PeriodicTaskDeletion.objects.all().delete()  # as if deleted before the trigger existed
    clock.shift(1)
    scheduler.tick()
    assert scheduler.get_entry(tasks[0].pk) is not None  # nothing told beat yet
    tasks[1].save()  # any later change after the safety-net interval
    clock.shift(scheduler.reconcile_seconds)
    scheduler.tick()
    assert scheduler.get_entry(tasks[0].pk) is None
    assert scheduler.stats["id_reconciles"] == 1


def test_every_kind_of_delete_leaves_a_tombstone(hourly):
    from osrs_diff.models import PeriodicTaskDeletion

    one, two, three = (
        PeriodicTask.objects.create(name=f"t{i}", task="x", interval=hourly).pk for i in range(3)
    )
    PeriodicTask.objects.get(pk=one).delete()  # the ORM, with its signals
    PeriodicTask.objects.filter(pk=two)._raw_delete("default")  # a bulk path
    with connection.cursor() as cursor:  # raw SQL
        cursor.execute("DELETE FROM django_celery_beat_periodictask WHERE id = %s", [three])
    deleted = set(PeriodicTaskDeletion.objects.values_list("task_id", flat=True))
    assert deleted == {one, two, three}


def test_full_resync_repairs_a_missed_change(clock, hourly, broker):
    tasks = player_tasks(hourly, broker.queue, [T0 - dt.timedelta(minutes=40)] * 3)
    scheduler = make_scheduler()
    scheduler.tick()
    # Changes that neither signal nor touch date_changed: only the resync can see them.
    PeriodicTask.objects.filter(pk=tasks[0].pk).update(kwargs=json.dumps({"player_id": 1000}))
    PeriodicTask.objects.filter(pk=tasks[1].pk).update(enabled=False)
    clock.shift(2)
    scheduler.tick()
    assert scheduler.get_entry(tasks[0].pk).kwargs == {"player_id": 1}

    clock.shift(scheduler.full_sync_seconds)
    scheduler.tick()

    assert scheduler.stats["resync_rounds"] == 1
    assert scheduler.get_entry(tasks[0].pk).kwargs == {"player_id": 1000}
    assert scheduler.get_entry(tasks[1].pk) is None
    run_for(scheduler, clock, 30 * 60, step=30)
    assert sorted(player_ids(broker)) == [3, 1000]


def test_last_runs_are_written_back_in_one_batch(
    clock, hourly, broker, django_assert_max_num_queries
):
    tasks = player_tasks(hourly, broker.queue, [T0 - dt.timedelta(seconds=3601)] * 20)
    scheduler = make_scheduler()
    scheduler.sync_every = 3600  # write only when told to
    scheduler.tick()
    assert len(player_ids(broker)) == 20
    # A task paused after it was sent keeps last_run_at cleared, as save() left it.
    paused = PeriodicTask.objects.get(pk=tasks[0].pk)
    paused.enabled = False
    paused.save()

    with django_assert_max_num_queries(2):  # one UPDATE ... CASE for the whole batch
        scheduler.sync()

    rows = PeriodicTask.objects.filter(pk__in=[t.pk for t in tasks]).order_by("pk")
    assert rows[0].last_run_at is None
    assert {(r.last_run_at, r.total_run_count) for r in rows[1:]} == {(T0, 1)}


def test_restart_does_not_resend_what_was_sent(clock, hourly, broker):
    player_tasks(hourly, broker.queue, [T0 - dt.timedelta(seconds=3601)] * 5)
    first = make_scheduler()
    first.tick()
    first.close()  # beat shutting down writes last runs back
    clock.shift(60)

    second = make_scheduler()
    run_for(second, clock, 60)

    assert sorted(player_ids(broker)) == [1, 2, 3, 4, 5]


def test_restart_after_downtime_spreads_overdue_tasks(clock, hourly, broker):
    # Beat was down for two hours: every one of 600 hourly tasks is overdue.
    player_tasks(hourly, broker.queue, [T0 - dt.timedelta(hours=3)] * 600)
    scheduler = make_scheduler()
    window = min(3600, scheduler.catchup_window_seconds)

    per_minute = []
    for _ in range(int(window // 60)):
        before = len(player_ids(broker))
        run_for(scheduler, clock, 59, step=3)
        per_minute.append(len(player_ids(broker)) - before)

    even_share = 600 / len(per_minute)
    assert max(per_minute) < 2 * even_share  # no burst
    run_for(scheduler, clock, 120, step=5)
    assert sorted(player_ids(broker)) == list(range(1, 601))  # each exactly once


def test_daily_system_crontab_fires_at_two_utc(hourly, broker):
    daily = CrontabSchedule.objects.create(minute="0", hour="2", timezone="UTC")
    with time_machine.travel(dt.datetime(2026, 11, 20, 1, 30, tzinfo=UTC), tick=False) as clock:
        PeriodicTask.objects.create(
            name="system:players.check_game_modes",
            task="players.check_game_modes",
            crontab=daily,
            queue=broker.queue,
        )
        scheduler = make_scheduler()
        run_for(scheduler, clock, 29 * 60 + 59, step=15)  # until 01:59:59
        assert broker() == []
        run_for(scheduler, clock, 10 * 60, step=1)  # 02:00 .. 02:10
        assert [m["task"] for m in broker()] == ["players.check_game_modes"]
        clock.move_to(dt.datetime(2026, 11, 21, 1, 59, 50, tzinfo=UTC))
        run_for(scheduler, clock, 30)
        assert [m["task"] for m in broker()] == ["players.check_game_modes"] * 2


def test_system_interval_task_behaves_like_stock(clock, broker):
    every_minute = IntervalSchedule.objects.get_or_create(
        every=60, period=IntervalSchedule.SECONDS
    )[0]
    PeriodicTask.objects.create(
        name="system:drops.close_idle_parties",
        task="drops.close_idle_parties",
        interval=every_minute,
        queue=broker.queue,
        last_run_at=T0 - dt.timedelta(hours=5),  # overdue for hours: stock sends it at once
    )
    scheduler = make_scheduler()
    scheduler.tick()
    assert len(broker()) == 1
    run_for(scheduler, clock, 59 * 5, step=1)
    assert len(broker()) == 5  # one at start, then every 60 s
