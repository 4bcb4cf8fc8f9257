"""A web request that needs the hiscores answers within OSRS_HISCORES_WEB_DEADLINE."""

import time

import pytest
from django_celery_beat.models import PeriodicTask

from hiscores.integration.shared import get_limiter
from hiscores.tasks import fetch_player
from players.game_modes import GameMode
from players.models import Player
from tests.factories import PlayerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def hanging_hiscores(fake_hiscores, settings):
    """Every answer takes 30 s; timeouts far longer than the web deadline."""
    settings.OSRS_HISCORES_READ_TIMEOUT = 60.0
    settings.OSRS_HISCORES_WEB_DEADLINE = 1.0
    fake_hiscores.slow_seconds = 30.0
    fake_hiscores.add_player("Zezima", stats={"attack": 1_000})
    fake_hiscores.set_failures(1.0, ["slow"])
    return fake_hiscores


def test_post_players_answers_502_within_the_deadline_when_the_hiscores_hang(
    auth_client, hanging_hiscores
):
    started = time.monotonic()
    response = auth_client.post("/players", {"username": "Zezima"}, format="json")
    elapsed = time.monotonic() - started

    assert response.status_code == 502
    assert response.json()["error_code"] == "hiscores_unavailable"
    assert response.json()["details"]["reason"] == "timeout"
    assert elapsed < 1.0  # within the deadline (1 s), answering included; never 30 s nor retries
    assert len(hanging_hiscores.requests) <= 1  # one attempt, no retry
    assert not Player.objects.exists()
    assert not PeriodicTask.objects.filter(task="hiscores.fetch_player").exists()


def test_post_players_answers_502_at_once_when_the_hiscores_fail(auth_client, fake_hiscores):
    fake_hiscores.add_player("Zezima", stats={"attack": 1_000})
    fake_hiscores.set_failures(1.0, ["503"])

    response = auth_client.post("/players", {"username": "Zezima"}, format="json")

    assert response.status_code == 502
    assert response.json()["details"]["reason"] == "http_status"
    assert len(fake_hiscores.requests) == 1  # one attempt per board, no retry


def test_update_game_mode_answers_502_within_the_deadline(auth_client, hanging_hiscores):
    PlayerFactory(username="Zezima", game_mode=GameMode.IRONMAN)
    started = time.monotonic()
    response = auth_client.post("/players/zezima/update-game-mode")
    assert response.status_code == 502
    assert time.monotonic() - started < 3.0
    assert Player.objects.get().game_mode == GameMode.IRONMAN


def test_a_long_politeness_queue_answers_503_rate_limited_with_retry_after(
    auth_client, fake_hiscores, settings
):
    settings.OSRS_HISCORES_RATE = 0.5  # one request every 2 s
    settings.OSRS_HISCORES_MAX_WAIT = 30.0
    settings.OSRS_HISCORES_WEB_DEADLINE = 2.0
    fake_hiscores.add_player("Zezima", stats={"attack": 1_000})
    limiter = get_limiter()
    for _ in range(5):
        limiter.reserve()  # five callers already queued: the next slot is ~10 s away

    started = time.monotonic()
    response = auth_client.post("/players", {"username": "Zezima"}, format="json")

    assert time.monotonic() - started < 1.0  # no waiting for a slot it cannot use
    assert response.status_code == 503
    assert response.json()["error_code"] == "rate_limited"
    assert int(response["Retry-After"]) >= 8
    message = response.json()["message"]
    assert f"Try again in {response['Retry-After']} s." in message, message
    assert not fake_hiscores.requests


def test_the_task_retries_not_the_client(fake_hiscores, settings):
    settings.OSRS_HISCORES_BREAKER_THRESHOLD = 100  # about retries, not the breaker
    player = PlayerFactory(username="Unlucky")
    fake_hiscores.add_player("Unlucky", stats={"attack": 1_000_000})
    fake_hiscores.set_failures(1.0, ["503"])

    result = fetch_player.apply(kwargs={"player_id": player.pk})

    # The eager run retried through Celery (autoretry_for) and gave up after max_retries:
    # one hiscores request per task attempt, none repeated inside the client.
    assert result.get()["status"] == "unavailable"
    assert len(fake_hiscores.requests) == fetch_player.max_retries + 1
