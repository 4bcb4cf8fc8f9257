"""player_create: detection, 409 for every spelling, nothing stored on errors."""

import pytest
from django_celery_beat.models import PeriodicTask

from hiscores.integration.errors import HiscoresUnavailable
from hiscores.integration.results import Board
from hiscores.integration.testing import DOWN
from hiscores.tracking import player_track
from osrs_diff.exceptions import Conflict, NotFound, ValidationFailed
from players import schedules
from players.game_modes import GameMode
from players.models import Player

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("boards", "mode", "requests"),
    [
        ({"regular": 5000}, GameMode.REGULAR, 2),
        ({"regular": 5000, "ironman": 5000}, GameMode.IRONMAN, 4),
        ({"regular": 5000, "ironman": 5000, "hardcore": 5000}, GameMode.HARDCORE, 3),
        ({"regular": 5000, "ironman": 5000, "ultimate": 5000}, GameMode.ULTIMATE, 4),
        ({"regular": 5000, "ironman": 5000, "hardcore": 100}, GameMode.IRONMAN, 4),
        ({"regular": 9000, "ironman": 5000, "hardcore": 5000}, GameMode.REGULAR, 2),
    ],
)
def test_it_detects_the_game_mode_when_tracking(hiscores_http, boards, mode, requests):
    hiscores_http.add("Some Iron", **boards)
    creation = player_track(username="Some_Iron")
    player = Player.objects.get()
    assert player.game_mode == mode
    assert player.username == "Some_Iron"
    assert player.username_key == "some iron"
    assert player.game_mode_checked_at is not None
    assert hiscores_http.total_requests == requests
    # the regular board's answer is handed back for the first snapshot: no second fetch
    assert creation.detection.regular_result.board == Board.REGULAR
    assert creation.detection.regular_result.overall.experience == boards["regular"]


def test_it_creates_exactly_one_periodic_task_with_the_player(hiscores_http):
    hiscores_http.add("Zezima", regular=1000)
    player = player_track(username="Zezima", fetch_interval_minutes=30).player
    task = PeriodicTask.objects.get(pk=player.fetch_task_id)
    assert task.name == f"players.fetch_hiscores:{player.pk}"
    assert task.task == "hiscores.fetch_player"
    assert task.kwargs == f'{{"player_id": {player.pk}}}'
    assert task.interval.every == 30
    assert task.enabled is True
    assert PeriodicTask.objects.filter(name__startswith=schedules.TASK_NAME_PREFIX).count() == 1


@pytest.mark.parametrize("spelling", ["Lynx_Titan", "lynx titan", "LYNX-TITAN", " lynx  titan"])
def test_it_refuses_every_spelling_of_a_tracked_player(hiscores_http, spelling):
    hiscores_http.add("Lynx Titan", regular=4_600_000_000)
    player_track(username="Lynx Titan")
    before = hiscores_http.total_requests
    with pytest.raises(Conflict):
        player_track(username=spelling)
    assert hiscores_http.total_requests == before  # checked before spending hiscores requests
    assert Player.objects.count() == 1


def test_unknown_name_is_player_not_found_and_stores_nothing(hiscores_http):
    with pytest.raises(NotFound) as info:
        player_track(username="Nobody Here")
    assert info.value.error_code == "player_not_found"
    assert not Player.objects.exists()
    assert not PeriodicTask.objects.filter(task=schedules.FETCH_TASK).exists()


@pytest.mark.parametrize("down_board", ["regular", "ironman", "hardcore"])
def test_hiscores_down_stores_nothing(hiscores_http, down_board):
    boards = {"regular": 5000, "ironman": 5000, "hardcore": 5000}
    boards[down_board] = DOWN
    hiscores_http.add("Flaky", **boards)
    with pytest.raises(HiscoresUnavailable):
        player_track(username="Flaky")
    assert not Player.objects.exists()
    assert not PeriodicTask.objects.filter(task=schedules.FETCH_TASK).exists()


@pytest.mark.parametrize("interval", [4, 10081, 0, -5])
def test_it_rejects_intervals_out_of_range(hiscores_http, interval):
    hiscores_http.add("Zezima", regular=1000)
    with pytest.raises(ValidationFailed, match="between 5 and 10080"):
        player_track(username="Zezima", fetch_interval_minutes=interval)
    assert hiscores_http.total_requests == 0


def test_first_runs_are_spread_over_the_interval(hiscores_http):
    names = [f"p{n}" for n in range(40)]
    for name in names:
        hiscores_http.add(name, regular=1000)
    players = [player_track(username=name).player for name in names]
    starts = [(p.fetch_task.start_time - p.created_at).total_seconds() for p in players]
    assert all(0 <= offset < 3600 for offset in starts)
    # every quarter of the hour gets some of them, none gets most of them
    quarters = [int(offset // 900) for offset in starts]
    assert {quarters.count(q) for q in range(4)} <= set(range(5, 16))
