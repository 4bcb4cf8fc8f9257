"""Work a person asks for goes to queue `interactive`, marked by its header, and the manual
fetch's `estimated_completion_seconds` counts the interactive queue ahead and the limiter wait."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from hiscores.integration.shared import get_limiter
from osrs_diff.queues import INTERACTIVE, MAINTENANCE, SCHEDULED
from tests.broker import broker_at, queued
from tests.factories import PlayerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    user = get_user_model().objects.create_superuser("root", "root@example.com", "pw-123456!")
    client.force_login(user)
    return client


def assert_only_interactive(task: str, player_ids: list[int]) -> None:
    messages = queued(INTERACTIVE)
    assert [(m.task, m.kwargs) for m in messages] == [
        (task, {"player_id": player_id}) for player_id in player_ids
    ]
    assert all(m.headers["interactive"] is True for m in messages)
    assert queued(SCHEDULED) == [] and queued(MAINTENANCE) == []


def test_the_api_fetch_goes_to_the_interactive_queue(auth_client):
    player = PlayerFactory(username="Zezima")
    response = auth_client.post("/players/zezima/fetch")
    assert response.status_code == 202
    assert_only_interactive("hiscores.fetch_player", [player.pk])
    assert queued(INTERACTIVE)[0].headers["id"] == response.json()["task_id"]


def test_the_admin_fetch_now_goes_to_the_interactive_queue(admin_client):
    players = PlayerFactory.create_batch(2)
    response = admin_client.post(
        "/admin/players/player/",
        {"action": "fetch_now", "_selected_action": [p.pk for p in players]},
        follow=True,
    )
    assert "Queued a fetch of 2 player(s)." in response.content.decode()
    assert_only_interactive("hiscores.fetch_player", sorted(p.pk for p in players))


def test_the_admin_game_mode_check_goes_to_the_interactive_queue(admin_client):
    player = PlayerFactory(username="Hc")
    response = admin_client.post(
        "/admin/players/player/",
        {"action": "check_game_mode", "_selected_action": [player.pk]},
        follow=True,
    )
    assert "Queued a game-mode check of 1 player(s)." in response.content.decode()
    assert_only_interactive("players.check_game_mode", [player.pk])


@pytest.fixture
def budget(settings):
    """Half a request a second: each fetch ahead takes 2 s of the budget."""
    from hiscores.integration.shared import reset_client

    settings.OSRS_HISCORES_RATE = 0.5
    reset_client()
    yield
    reset_client()


def test_the_estimate_counts_the_interactive_queue_ahead(auth_client, budget):
    PlayerFactory(username="Zezima")
    estimates = [
        auth_client.post("/players/zezima/fetch").json()["estimated_completion_seconds"]
        for _ in range(4)
    ]
    # 0, 1, 2, 3 fetches ahead at 2 s each, the limiter idle, plus 1 s for the fetch itself.
    assert estimates == [1.0, 3.0, 5.0, 7.0]
    assert len(queued(INTERACTIVE)) == 4


def test_the_estimate_adds_the_limiter_wait(auth_client, budget):
    PlayerFactory(username="Zezima")
    for _ in range(2):
        auth_client.post("/players/zezima/fetch")
    limiter = get_limiter()
    for _ in range(3):  # three slots promised to requests in flight: the next is 3 x 2 s away
        limiter.reserve()
    body = auth_client.post("/players/zezima/fetch").json()
    # 2 fetches ahead x 2 s + 6 s of limiter wait + 1 s for this fetch.
    assert body["estimated_completion_seconds"] == pytest.approx(11.0, abs=0.2)


def test_the_estimate_counts_the_limiter_wait_when_the_broker_cannot_say(budget):

    from hiscores import selectors

    with broker_at("redis://127.0.0.1:1/0"):
        assert selectors.manual_fetch_estimate_seconds() == 1.0


def test_a_burst_of_manual_fetches_gets_consecutive_places_in_line(auth_client, budget):
    """Sent at the same moment they all see the same queue; the shared line tells them apart."""
    import threading

    for index in range(6):
        PlayerFactory(username=f"Burst {index}")
    estimates: list[float] = []
    lock = threading.Lock()

    def fetch(index: int) -> None:
        from hiscores import selectors

        with lock:  # stand-in for six web processes: the line, not the queue, orders them
            estimates.append(selectors.manual_fetch_estimate_seconds())

    threads = [threading.Thread(target=fetch, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # One 2 s slot each (rate 0.5/s) and 1 s for the request: 1, 3, 5, 7, 9, 11.
    assert sorted(estimates) == pytest.approx([1.0, 3.0, 5.0, 7.0, 9.0, 11.0], abs=0.2)


def test_without_a_rate_limit_each_fetch_ahead_counts_one_second(settings):
    from hiscores import selectors
    from hiscores.integration.shared import reset_client

    settings.OSRS_HISCORES_RATE = 0
    reset_client()
    assert selectors.manual_fetch_estimate_seconds() == 1.0
    assert selectors.manual_fetch_estimate_seconds() == 2.0  # one fetch ahead of it, 1 s each
