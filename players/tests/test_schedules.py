"""Schedule invariants: one task per player, kept in step, never written when nothing changed."""

import json
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.utils import timezone
from django_celery_beat.models import IntervalSchedule, PeriodicTask, PeriodicTasks

from players import schedule_drift, schedules, services
from players.models import Player
from tests.factories import PlayerFactory

pytestmark = pytest.mark.django_db


def beat_stamp():
    return PeriodicTasks.last_change()


def task_of(player):
    return PeriodicTask.objects.get(pk=Player.objects.get(pk=player.pk).fetch_task_id)


def test_interval_change_updates_the_same_task():
    player = PlayerFactory(fetch_interval_minutes=60)
    task_id = player.fetch_task_id
    services.player_update(player=player, fetch_interval_minutes=15)
    task = task_of(player)
    assert task.pk == task_id
    assert task.interval.every == 15
    assert task.interval.period == IntervalSchedule.MINUTES
    # Two intervals: after one the task skips the message as stale (counted); the broker's
    # expiry is only the safety net behind that.
    assert task.expire_seconds == 2 * 15 * 60


def test_intervals_are_shared_between_players():
    a, b = PlayerFactory(fetch_interval_minutes=30), PlayerFactory(fetch_interval_minutes=30)
    assert task_of(a).interval_id == task_of(b).interval_id
    assert IntervalSchedule.objects.filter(every=30).count() == 1


def test_pause_disables_and_resume_enables_with_a_staggered_start():
    player = PlayerFactory()
    with time_machine.travel("2026-11-20 12:00:00Z", tick=False):
        services.player_pause(player=player)
        assert task_of(player).enabled is False
        assert Player.objects.get(pk=player.pk).is_active is False
        services.player_resume(player=player)
    task = task_of(player)
    assert task.enabled is True
    resumed = datetime(2026, 11, 20, 12, tzinfo=UTC)
    assert resumed <= task.start_time < resumed + timedelta(minutes=60)


def test_delete_removes_the_task_and_its_history():
    player = PlayerFactory()
    task_id = player.fetch_task_id
    services.player_delete(player=player)
    assert not Player.objects.filter(pk=player.pk).exists()
    assert not PeriodicTask.objects.filter(pk=task_id).exists()


@pytest.mark.parametrize("count", [1, 20])
def test_bulk_delete_removes_every_task_with_one_beat_notice(count, django_assert_num_queries):
    players = PlayerFactory.create_batch(count)
    task_ids = [p.fetch_task_id for p in players]
    stamp = beat_stamp()
    # The same 22 queries for 1 or 20 players: players, cascades (name changes, the fetch log,
    # achievements, records, group memberships and competition participations included) and
    # tasks go in bulk.
    with django_assert_num_queries(22) as captured:
        services.players_delete(players=Player.objects.all())
    assert not PeriodicTask.objects.filter(pk__in=task_ids).exists()
    assert beat_stamp() > stamp
    # One PeriodicTasks.update_changed() notice (update_or_create: SELECT, then UPDATE).
    notices = [
        q["sql"]
        for q in captured.captured_queries
        if q["sql"].startswith('UPDATE "django_celery_beat_periodictasks"')
    ]
    assert len(notices) == 1


@pytest.mark.parametrize(
    "change",
    [
        {},
        {"fetch_interval_minutes": 60},
        {"is_active": True},
        {"fetch_interval_minutes": 60, "is_active": True},
    ],
)
def test_no_periodic_task_write_when_nothing_changed(change):
    player = PlayerFactory(fetch_interval_minutes=60)
    before = task_of(player)
    stamp = beat_stamp()
    services.player_update(player=player, **change)
    after = task_of(player)
    assert after.date_changed == before.date_changed
    assert after.start_time == before.start_time
    assert beat_stamp() == stamp


def test_pausing_twice_writes_once():
    player = PlayerFactory()
    services.player_pause(player=player)
    changed = task_of(player).date_changed
    stamp = beat_stamp()
    services.player_pause(player=player)
    assert task_of(player).date_changed == changed
    assert beat_stamp() == stamp


def test_sync_recreates_a_task_deleted_behind_our_back():
    player = PlayerFactory()
    PeriodicTask.objects.filter(pk=player.fetch_task_id).delete()  # SET_NULL on the player
    player.refresh_from_db()
    assert player.fetch_task_id is None
    assert schedules.player_schedule_sync(player=player) is schedules.SyncAction.CREATED
    assert task_of(player).name == schedules.task_name(player.pk)


# --- sync_player_schedules: each kind of drift, in bulk, idempotently ----


def make_drift():
    """One player of each drift kind, plus healthy ones; returns them by kind."""
    healthy = PlayerFactory.create_batch(3)
    missing = PlayerFactory(schedule=False)
    wrong_interval = PlayerFactory(fetch_interval_minutes=30)
    PeriodicTask.objects.filter(pk=wrong_interval.fetch_task_id).update(
        interval=schedules.interval_for(120)
    )
    wrong_enabled = PlayerFactory(is_active=False)
    PeriodicTask.objects.filter(pk=wrong_enabled.fetch_task_id).update(enabled=True)
    wrong_kwargs = PlayerFactory()
    PeriodicTask.objects.filter(pk=wrong_kwargs.fetch_task_id).update(
        kwargs='{"player_id": 999999}', task="old.fetch"
    )
    orphan = PeriodicTask.objects.create(
        name=schedules.task_name(987654),
        task=schedules.FETCH_TASK,
        interval=schedules.interval_for(60),
        kwargs='{"player_id": 987654}',
    )
    # Older scheduling: an unlinked task with another name for a player that has none.
    legacy = PlayerFactory(schedule=False)
    legacy_task = PeriodicTask.objects.create(
        name=f"fetch {legacy.username}",
        task=schedules.FETCH_TASK,
        interval=schedules.interval_for(60),
        kwargs=json.dumps({"player_id": legacy.pk}),
    )
    unrelated = PeriodicTask.objects.create(
        name="system: something else", task="other.task", interval=schedules.interval_for(60)
    )
    return locals()


def assert_consistent():
    players = list(Player.objects.select_related("fetch_task__interval"))
    for player in players:
        task = player.fetch_task
        assert task is not None, player
        assert not schedules.differences(task, player, task.interval, now=timezone.now())
    per_player = PeriodicTask.objects.filter(name__startswith=schedules.TASK_NAME_PREFIX)
    assert per_player.count() == len(players)
    assert not PeriodicTask.objects.filter(task=schedules.FETCH_TASK, player__isnull=True).exists()


def test_sync_repairs_each_kind_of_drift_and_is_idempotent():
    drift = make_drift()
    report = schedule_drift.schedules_sync_all(batch_size=2)
    assert report.as_dict() == {
        "players": 8,
        "missing_task": 1,
        "adopted_task": 1,
        "orphan_task": 1,
        "wrong_interval": 1,
        "wrong_enabled": 1,
        "wrong_other": 1,
        "dry_run": False,
    }
    assert_consistent()
    assert Player.objects.get(pk=drift["legacy"].pk).fetch_task_id == drift["legacy_task"].pk
    assert not PeriodicTask.objects.filter(pk=drift["orphan"].pk).exists()
    assert PeriodicTask.objects.filter(pk=drift["unrelated"].pk).exists()
    assert PeriodicTask.objects.get(pk=drift["wrong_enabled"].fetch_task_id).enabled is False

    stamp = beat_stamp()
    changed = dict(PeriodicTask.objects.values_list("pk", "date_changed"))
    again = schedule_drift.schedules_sync_all()
    assert again.drift == 0
    assert beat_stamp() == stamp
    assert dict(PeriodicTask.objects.values_list("pk", "date_changed")) == changed


def test_sync_dry_run_reports_and_changes_nothing():
    make_drift()
    snapshot = list(PeriodicTask.objects.order_by("pk").values())
    links = list(Player.objects.order_by("pk").values_list("pk", "fetch_task_id"))
    stamp = beat_stamp()
    report = schedule_drift.schedules_sync_all(dry_run=True)
    assert report.drift == 6
    assert list(PeriodicTask.objects.order_by("pk").values()) == snapshot
    assert list(Player.objects.order_by("pk").values_list("pk", "fetch_task_id")) == links
    assert beat_stamp() == stamp


def test_sync_writes_in_bulk(django_assert_max_num_queries):
    PlayerFactory.create_batch(30, schedule=False)
    # Bounded by batches, not by players: a per-row save() would need 30+ queries.
    with django_assert_max_num_queries(20):
        report = schedule_drift.schedules_sync_all(batch_size=100)
    assert report.missing_task == 30
    assert_consistent()


def test_sync_command_prints_a_summary(capsys):
    from django.core.management import call_command

    make_drift()
    call_command("sync_player_schedules", "--dry-run", "--no-progress")
    out = capsys.readouterr().out
    assert "missing task: 1" in out
    assert "orphan task: 1" in out
    assert "6 drifts found (dry run" in out
    call_command("sync_player_schedules", "--no-progress")
    call_command("sync_player_schedules", "--no-progress")
    assert "No drift" in capsys.readouterr().out
