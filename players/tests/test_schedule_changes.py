"""After any schedule change the next run is at most one (new) interval away.

Checked through the beat scheduler's own next-run computation: the scheduler loads the
PeriodicTask rows as beat would and reports when each is due.
"""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django_celery_beat.models import PeriodicTask

from osrs_diff.beat import IncrementalDatabaseScheduler
from osrs_diff.celery import app as celery_app
from players import schedule_drift, schedules, services
from players.models import Player
from tests.factories import PlayerFactory

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def beat_next_run(player: Player) -> datetime:
    """When beat plans the player's next send, loading the rows as it does at start-up."""
    task_id = Player.objects.get(pk=player.pk).fetch_task_id
    scheduler = IncrementalDatabaseScheduler(app=celery_app)
    entry = scheduler.get_entry(task_id)
    assert entry is not None, "beat does not schedule the task"
    return datetime.fromtimestamp(entry.due, tz=UTC)


def planned_far_away(player: Player, minutes: int = 42) -> None:
    """A never-run task whose first run is planned `minutes` ahead (the stagger of a 60 min one)."""
    PeriodicTask.objects.filter(pk=player.fetch_task_id).update(
        start_time=T0 + timedelta(minutes=minutes), last_run_at=None
    )


@pytest.fixture
def clock():
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


def test_the_scenario_runs_late_today(clock):
    """The reported case, through the beat scheduler: 60 -> 5 minutes still waited 42."""
    player = PlayerFactory(fetch_interval_minutes=60)
    planned_far_away(player)
    assert beat_next_run(player) == T0 + timedelta(minutes=42)
    services.player_update(player=player, fetch_interval_minutes=5)
    assert beat_next_run(player) <= T0 + timedelta(minutes=5)


def test_api_patch_of_the_interval_moves_a_planned_first_run(clock, staff_client):
    player = PlayerFactory(username="Zezima", fetch_interval_minutes=60)
    planned_far_away(player)
    response = staff_client.patch("/players/zezima", {"fetch_interval_minutes": 5}, format="json")
    assert response.status_code == 200
    assert T0 <= beat_next_run(player) <= T0 + timedelta(minutes=5)


def test_admin_change_of_the_interval_moves_a_planned_first_run(clock, client):
    admin = get_user_model().objects.create_superuser("root", "root@example.com", "pw-123456!")
    client.force_login(admin)
    player = PlayerFactory(username="Zezima", fetch_interval_minutes=60)
    planned_far_away(player)
    response = client.post(
        f"/admin/players/player/{player.pk}/change/",
        {
            "fetch_interval_minutes": 5,
            "is_active": "on",
            "game_mode_changes-TOTAL_FORMS": 0,
            "game_mode_changes-INITIAL_FORMS": 0,
        },
    )
    assert response.status_code == 302
    assert T0 <= beat_next_run(player) <= T0 + timedelta(minutes=5)


def test_interval_change_after_a_run_is_due_one_new_interval_after_it(clock):
    player = PlayerFactory(fetch_interval_minutes=60)
    PeriodicTask.objects.filter(pk=player.fetch_task_id).update(
        start_time=T0 - timedelta(hours=2), last_run_at=T0 - timedelta(minutes=1)
    )
    services.player_update(player=player, fetch_interval_minutes=5)
    assert beat_next_run(player) == T0 + timedelta(minutes=4)


def test_resume_after_an_interval_change_while_paused(clock):
    player = PlayerFactory(fetch_interval_minutes=60)
    planned_far_away(player)
    services.player_pause(player=player)
    services.player_update(player=player, fetch_interval_minutes=5)
    clock.shift(timedelta(minutes=1))
    services.player_resume(player=player)
    now = T0 + timedelta(minutes=1)
    assert now <= beat_next_run(player) <= now + timedelta(minutes=5)


def test_resume_of_a_player_with_a_far_planned_start(clock):
    """Resuming (also when the task is already enabled) never leaves a run beyond an interval."""
    player = PlayerFactory(fetch_interval_minutes=5)
    PeriodicTask.objects.filter(pk=player.fetch_task_id).update(
        start_time=T0 + timedelta(hours=3), last_run_at=None
    )
    services.player_resume(player=player)
    assert T0 <= beat_next_run(player) <= T0 + timedelta(minutes=5)


def test_a_second_sync_does_not_move_the_run_again(clock):
    player = PlayerFactory(fetch_interval_minutes=60)
    planned_far_away(player)
    services.player_update(player=player, fetch_interval_minutes=5)
    before = PeriodicTask.objects.get(pk=player.fetch_task_id)
    clock.shift(timedelta(minutes=2))
    action = schedules.player_schedule_sync(player=Player.objects.get(pk=player.pk))
    assert action is schedules.SyncAction.UNCHANGED
    after = PeriodicTask.objects.get(pk=player.fetch_task_id)
    assert (after.start_time, after.date_changed) == (before.start_time, before.date_changed)


def test_growing_the_interval_keeps_a_near_first_run(clock):
    player = PlayerFactory(fetch_interval_minutes=5)
    planned_far_away(player, minutes=3)
    services.player_update(player=player, fetch_interval_minutes=60)
    assert beat_next_run(player) == T0 + timedelta(minutes=3)


def test_drift_repair_moves_far_planned_runs_in_bulk(clock):
    players = PlayerFactory.create_batch(3, fetch_interval_minutes=5)
    for player in players:
        planned_far_away(player, minutes=60)
    report = schedule_drift.schedules_sync_all()
    assert report.drift == 0  # a far first run is repaired, not reported as drift
    for player in players:
        assert T0 <= beat_next_run(player) <= T0 + timedelta(minutes=5)
