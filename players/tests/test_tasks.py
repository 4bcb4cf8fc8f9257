"""The daily game-mode check: its system PeriodicTask, the trigger endpoint and the tasks."""

import pytest
from django_celery_beat.models import PeriodicTask

from osrs_diff.models import ApiTask
from players import tasks
from players.game_modes import GameMode
from players.models import Player
from tests.factories import PlayerFactory

pytestmark = pytest.mark.django_db


def test_migration_created_the_daily_crontab_task():
    task = PeriodicTask.objects.get(name="system: daily game-mode check")
    assert task.task == tasks.CHECK_GAME_MODES
    assert task.enabled
    crontab = task.crontab
    assert (crontab.minute, crontab.hour, str(crontab.timezone)) == ("0", "2", "UTC")
    assert (crontab.day_of_week, crontab.day_of_month, crontab.month_of_year) == ("*", "*", "*")


def test_trigger_needs_staff(api_client, auth_client, staff_client):
    assert api_client.post("/system/trigger-game-mode-check").status_code == 401
    response = auth_client.post("/system/trigger-game-mode-check")
    assert response.status_code == 403
    assert response.json()["error_code"] == "permission_denied"
    response = staff_client.post("/system/trigger-game-mode-check")
    assert response.status_code == 202
    task_id = response.json()["task_id"]
    assert ApiTask.objects.get(task_id=task_id).name == tasks.CHECK_GAME_MODES
    assert staff_client.get(f"/tasks/{task_id}").json()["state"] == "PENDING"


def test_daily_check_queues_only_active_non_regular_players(monkeypatch):
    sent = []
    monkeypatch.setattr(tasks.check_game_mode, "apply_async", lambda **kw: sent.append(kw))
    hardcore = PlayerFactory(game_mode=GameMode.HARDCORE)
    ironman = PlayerFactory(game_mode=GameMode.IRONMAN)
    PlayerFactory(game_mode=GameMode.REGULAR)
    PlayerFactory(game_mode=GameMode.ULTIMATE, is_active=False)
    assert tasks.check_game_modes() == {"queued": 2}
    assert sorted(kw["kwargs"]["player_id"] for kw in sent) == sorted([hardcore.pk, ironman.pk])
    # Background checks, not a person's: they go on `scheduled`.
    assert {kw["queue"] for kw in sent} == {"scheduled"}


def test_check_task_applies_the_detection(hiscores_http):
    player = PlayerFactory(username="Hc", game_mode=GameMode.HARDCORE)
    hiscores_http.add("Hc", regular=10, ironman=10, hardcore=5)
    assert tasks.check_game_mode(player_id=player.pk)["outcome"] == "changed"
    assert Player.objects.get(pk=player.pk).game_mode == GameMode.IRONMAN


def test_check_task_for_a_deleted_player_is_a_no_op(hiscores_http):
    assert tasks.check_game_mode(player_id=123456) is None
    assert hiscores_http.total_requests == 0
