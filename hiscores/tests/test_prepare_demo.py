"""`manage.py prepare_demo` and the demo's timed scenario (issue 17: `make demo`)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from hiscores.integration.fake_data import BOARDS, SAMPLE_TRACKED, write_sample_players
from hiscores.management.commands.prepare_demo import DEMO_GAME_MODE_CHECK_NAME
from players.models import Player

pytestmark = pytest.mark.django_db


def test_the_sample_scenario_kills_the_hardcore_then_de_irons_at_the_given_minute(tmp_path):
    write_sample_players(tmp_path, events_after_minutes=3)

    def spec(board: str, name: str) -> dict:
        return json.loads((tmp_path / board / name).read_text())

    assert spec(BOARDS[2], "demo_hcim.json")["freeze_after"] == 3
    assert "freeze_after" not in spec(BOARDS[1], "demo_hcim.json")  # the iron board goes on
    assert spec(BOARDS[1], "demo_deiron.json")["freeze_after"] == 4
    assert "freeze_after" not in spec(BOARDS[0], "demo_deiron.json")  # the main board goes on


def test_it_refuses_to_run_outside_the_demo(monkeypatch):
    monkeypatch.delenv("OSRS_DIFF_DEMO", raising=False)
    with pytest.raises(CommandError, match="make demo"):
        call_command("prepare_demo")


def test_it_tracks_the_sample_players_with_quick_first_runs_and_a_frequent_mode_check(
    fake_hiscores, monkeypatch
):
    write_sample_players(fake_hiscores.data_dir)
    monkeypatch.setenv("OSRS_DIFF_DEMO", "1")
    before = timezone.now()

    call_command("prepare_demo", wait=5)

    players = {p.username: p for p in Player.objects.select_related("fetch_task__interval")}
    assert set(players) == set(SAMPLE_TRACKED)
    assert players["Demo HCIM"].game_mode == "hardcore"
    assert players["Demo Deiron"].game_mode == "ironman"
    for player in players.values():
        assert player.fetch_interval_minutes == 5
        assert player.fetch_task.start_time <= before + timedelta(seconds=91)
    check = PeriodicTask.objects.get(name=DEMO_GAME_MODE_CHECK_NAME)
    assert (check.task, check.interval.every, check.interval.period) == (
        "players.check_game_modes",
        2,
        "minutes",
    )

    call_command("prepare_demo", wait=5)  # a re-run changes nothing
    assert Player.objects.count() == len(SAMPLE_TRACKED)
    assert PeriodicTask.objects.filter(name=DEMO_GAME_MODE_CHECK_NAME).count() == 1
