"""import_players and check_game_modes."""

import pytest
from django.core.management import CommandError, call_command
from django_celery_beat.models import PeriodicTask

from hiscores.integration.testing import DOWN
from players import schedules
from players.game_modes import GameMode
from players.models import Player
from tests.factories import PlayerFactory

pytestmark = pytest.mark.django_db


def run(*args):
    from io import StringIO

    out = StringIO()
    call_command(*args, "--no-progress", stdout=out)
    return out.getvalue()


def test_import_tracks_new_players_in_bulk_and_reports_the_rest(hiscores_http, tmp_path):
    PlayerFactory(username="Zezima")
    hiscores_http.add("Iron Bob", regular=10, ironman=10)
    hiscores_http.add("Hc Al", regular=10, ironman=10, hardcore=10)
    hiscores_http.add("Flaky", regular=DOWN)
    for n in range(5):
        hiscores_http.add(f"main{n}", regular=100)
    names = tmp_path / "names.txt"
    names.write_text("# my clan\nIron_Bob\nzezima\nhc al   # the hardcore\nmain0\nmain1\n\n")
    out = run(
        "import_players",
        str(names),
        "main2",
        "main3",
        "main4",
        "Ghost",
        "bad!",
        "FLAKY",
        "IRON BOB",
        "--interval",
        "30",
        "--batch-size",
        "2",
    )
    assert "Tracked 7 players." in out
    assert "Not on the hiscores: 1" in out and "Ghost" in out
    assert "Invalid: 1" in out and "bad!" in out
    assert "Failed (hiscores unavailable, re-run later): 1" in out
    players = {p.username_key: p for p in Player.objects.select_related("fetch_task__interval")}
    assert players["iron bob"].game_mode == GameMode.IRONMAN
    assert players["hc al"].game_mode == GameMode.HARDCORE
    assert len(players) == 8
    for player in players.values():
        assert player.fetch_task.name == schedules.task_name(player.pk)
        if player.username != "Zezima":
            assert player.fetch_interval_minutes == 30
            assert player.fetch_task.interval.every == 30

    # re-running is safe: everything is already tracked, nothing is looked up again
    before = hiscores_http.total_requests
    out = run("import_players", str(names))
    assert "Tracked 0 players." in out
    assert hiscores_http.total_requests == before
    assert PeriodicTask.objects.filter(task=schedules.FETCH_TASK).count() == 8


def test_import_dry_run_looks_nothing_up(hiscores_http):
    out = run("import_players", "Zezima", "--dry-run")
    assert "new: Zezima" in out
    assert hiscores_http.total_requests == 0
    assert not Player.objects.exists()


def test_import_rejects_a_bad_interval(hiscores_http):
    with pytest.raises(CommandError):
        run("import_players", "Zezima", "--interval", "1")


def test_check_game_modes_for_all_and_for_one(hiscores_http):
    PlayerFactory(username="Hc", game_mode=GameMode.HARDCORE)
    PlayerFactory(username="Main", game_mode=GameMode.REGULAR)
    hiscores_http.add("Hc", regular=10, ironman=10, hardcore=5)
    hiscores_http.add("Main", regular=10, ironman=10)
    out = run("check_game_modes")
    assert "Hc: hardcore -> ironman" in out
    assert "Checked 1 players: changed 1." in out
    out = run("check_game_modes", "--player", "main")
    assert "refused regular -> ironman" in out
    with pytest.raises(CommandError):
        run("check_game_modes", "--player", "nobody")
