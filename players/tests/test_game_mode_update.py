"""player_game_mode_update and its endpoint: downward moves only, definite readings only."""

import logging

import pytest

from hiscores.integration.errors import HiscoresUnavailable
from hiscores.integration.testing import DOWN
from players import services
from players.game_modes import GameMode
from players.models import GameModeChange, Player
from tests.factories import PlayerFactory

pytestmark = pytest.mark.django_db


def test_dead_hardcore_becomes_ironman_with_history(hiscores_http):
    player = PlayerFactory(username="Hc Bob", game_mode=GameMode.HARDCORE)
    hiscores_http.add("Hc Bob", regular=9000, ironman=9000, hardcore=4000)
    check = services.player_game_mode_update(player=player)
    assert (check.previous_mode, check.game_mode, check.changed) == ("hardcore", "ironman", True)
    player.refresh_from_db()
    assert player.game_mode == GameMode.IRONMAN
    assert player.game_mode_checked_at is not None
    change = GameModeChange.objects.get()
    assert (change.from_mode, change.to_mode) == ("hardcore", "ironman")
    # a known hardcore never needs the ultimate board
    assert hiscores_http.total_requests == 3


def test_de_ironed_ultimate_becomes_regular(hiscores_http):
    player = PlayerFactory(username="Uim", game_mode=GameMode.ULTIMATE)
    hiscores_http.add("Uim", regular=9000, ironman=5000, ultimate=5000)
    check = services.player_game_mode_update(player=player)
    assert check.game_mode == GameMode.REGULAR
    assert hiscores_http.total_requests == 2  # regular > iron decides without the ultimate board


def test_upward_detection_is_refused_and_logged(hiscores_http, caplog):
    player = PlayerFactory(username="Main", game_mode=GameMode.REGULAR)
    hiscores_http.add("Main", regular=5000, ironman=5000)
    with caplog.at_level(logging.WARNING, logger="players.services"):
        check = services.player_game_mode_update(player=player)
    assert (check.game_mode, check.outcome.value) == (GameMode.REGULAR, "refused")
    assert Player.objects.get(pk=player.pk).game_mode == GameMode.REGULAR
    assert not GameModeChange.objects.exists()
    message = caplog.records[-1].getMessage()
    assert "refused" in message and "'regular': 5000" in message and "'ironman': 5000" in message


@pytest.mark.parametrize(
    "boards",
    [
        {"regular": 5000, "ironman": DOWN},
        {"regular": DOWN},
        {"regular": 5000, "ironman": 5000, "hardcore": DOWN},
    ],
)
def test_transient_error_never_changes_the_mode(hiscores_http, boards):
    player = PlayerFactory(username="Hc", game_mode=GameMode.HARDCORE)
    hiscores_http.add("Hc", **boards)
    with pytest.raises(HiscoresUnavailable):
        services.player_game_mode_update(player=player)
    player.refresh_from_db()
    assert player.game_mode == GameMode.HARDCORE
    assert player.game_mode_checked_at is None


@pytest.mark.parametrize(
    "boards",
    [
        {"regular": 5000},  # unexpectedly gone from the ironman board
        {"regular": 5000, "ironman": 5000},  # unexpectedly gone from the hardcore board
        {},  # renamed or banned: no board knows the name
    ],
)
def test_unexpected_404_leaves_the_mode(hiscores_http, boards):
    player = PlayerFactory(username="Hc", game_mode=GameMode.HARDCORE)
    hiscores_http.add("Hc", **boards)
    check = services.player_game_mode_update(player=player)
    assert (check.outcome.value, check.game_mode) == ("inconclusive", GameMode.HARDCORE)
    assert Player.objects.get(pk=player.pk).game_mode == GameMode.HARDCORE


def test_endpoint_reports_the_change(auth_client, hiscores_http):
    PlayerFactory(username="Hc Bob", game_mode=GameMode.HARDCORE)
    hiscores_http.add("Hc Bob", regular=9000, ironman=9000, hardcore=4000)
    response = auth_client.post("/players/hc_bob/update-game-mode")
    assert response.status_code == 200
    assert response.json() == {
        "username": "Hc Bob",
        "previous_mode": "hardcore",
        "game_mode": "ironman",
        "changed": True,
        "detected_mode": "ironman",
        "outcome": "changed",
    }


def test_endpoint_is_502_when_hiscores_down_and_the_mode_stays(auth_client, hiscores_http):
    PlayerFactory(username="Hc Bob", game_mode=GameMode.HARDCORE)
    hiscores_http.add("Hc Bob", regular=DOWN)
    response = auth_client.post("/players/hc_bob/update-game-mode")
    assert response.status_code == 502
    assert response.json()["error_code"] == "hiscores_unavailable"
    assert Player.objects.get().game_mode == GameMode.HARDCORE


def test_a_mode_change_records_its_event_in_the_same_transaction(hiscores_http):
    from osrs_diff.models import OutboxEvent

    player = PlayerFactory(username="Demo HCIM", game_mode=GameMode.HARDCORE)
    hiscores_http.add("Demo HCIM", regular=9000, ironman=9000, hardcore=4000)
    services.player_game_mode_update(player=player)
    services.player_game_mode_update(player=player)  # no change the second time: no event

    [event] = OutboxEvent.objects.all()
    change = GameModeChange.objects.get()
    assert event.name == "player.game_mode_changed"
    assert event.occurred_at == change.detected_at
    assert event.data == {
        "username": "Demo HCIM",
        "from": "hardcore",
        "to": "ironman",
        "detected_at": change.detected_at.isoformat(),
    }


def test_a_refused_move_records_no_event(hiscores_http):
    from osrs_diff.models import OutboxEvent

    player = PlayerFactory(username="Main", game_mode=GameMode.REGULAR)
    hiscores_http.add("Main", regular=5000, ironman=5000)
    services.player_game_mode_update(player=player)
    assert not OutboxEvent.objects.exists()
