"""The players API: create, list, detail, update, pause/resume, delete, schedules."""

import pytest
from django_celery_beat.models import PeriodicTask

from hiscores.integration.testing import DOWN
from players.game_modes import GameMode
from players.models import Player
from tests.factories import PlayerFactory

pytestmark = pytest.mark.django_db


def test_endpoints_need_a_jwt(api_client):
    for method, path in [
        ("get", "/players"),
        ("post", "/players"),
        ("get", "/players/zezima"),
        ("get", "/schedules"),
        ("post", "/system/trigger-game-mode-check"),
    ]:
        assert getattr(api_client, method)(path).status_code == 401


def test_create_returns_201_with_the_player(auth_client, hiscores_http):
    hiscores_http.add("Iron Bob", regular=5000, ironman=5000, hardcore=5000)
    response = auth_client.post(
        "/players", {"username": "Iron_Bob", "fetch_interval_minutes": 30}, format="json"
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    player = Player.objects.get()
    assert body == {
        "id": player.pk,
        "username": "Iron_Bob",
        "game_mode": "hardcore",
        "fetch_interval_minutes": 30,
        "effective_interval_minutes": 30,
        "is_active": True,
        "schedule_id": player.fetch_task_id,
        "created_at": body["created_at"],
        # The detection's reading of the player's own board is the first snapshot.
        "last_fetched": body["last_fetched"],
        "last_changed": body["last_fetched"],
        "game_mode_checked_at": body["game_mode_checked_at"],
        "last_fetch_status": "success",
        "flag_reason": "",
        "flagged_at": None,
        "warnings": [],  # one player at 30 minutes is well within the budget
        "missing_since": None,
        "missing_fetches": 0,
        "former_name": None,
    }
    assert body["schedule_id"] is not None
    assert body["last_fetched"] is not None


def test_create_keeps_the_detection_reading_as_the_first_snapshot(auth_client, hiscores_http):
    from hiscores.integration.results import Board
    from hiscores.models import Snapshot

    hiscores_http.add("Iron Bob", regular=5000, ironman=5000, hardcore=5000)

    auth_client.post("/players", {"username": "Iron Bob"}, format="json")

    snapshot = Snapshot.objects.get(player__username_key="iron bob")
    assert snapshot.board == Board.HARDCORE
    assert snapshot.overall_experience == 5000
    assert hiscores_http.total_requests == 3  # regular, ironman, hardcore: nothing fetched twice


@pytest.mark.parametrize("spelling", ["lynx titan", "LYNX-TITAN", "Lynx_Titan", "lynx__titan"])
def test_create_conflicts_for_every_spelling(auth_client, hiscores_http, spelling):
    hiscores_http.add("Lynx Titan", regular=4_600_000_000)
    assert (
        auth_client.post("/players", {"username": "Lynx Titan"}, format="json").status_code == 201
    )
    response = auth_client.post("/players", {"username": spelling}, format="json")
    assert response.status_code == 409
    assert response.json()["error_code"] == "conflict"


@pytest.mark.parametrize(
    ("username", "rule"),
    [("", "1 to 12"), ("thirteenchars", "1 to 12"), ("bad!name", "letters, digits")],
)
def test_create_rejects_invalid_names_with_the_rule(auth_client, hiscores_http, username, rule):
    response = auth_client.post("/players", {"username": username}, format="json")
    assert response.status_code == 400
    assert response.json()["error_code"] == "validation_error"
    assert rule in response.json()["message"]


def test_create_rejects_a_bad_interval(auth_client, hiscores_http):
    response = auth_client.post(
        "/players", {"username": "Zezima", "fetch_interval_minutes": 2}, format="json"
    )
    assert response.status_code == 400
    assert "fetch_interval_minutes" in response.json()["details"]


def test_create_unknown_player_is_404_player_not_found(auth_client, hiscores_http):
    response = auth_client.post("/players", {"username": "Nobody"}, format="json")
    assert response.status_code == 404
    assert response.json()["error_code"] == "player_not_found"
    assert not Player.objects.exists()


def test_create_when_hiscores_down_is_502_and_stores_nothing(auth_client, hiscores_http):
    hiscores_http.add("Zezima", regular=DOWN)
    response = auth_client.post("/players", {"username": "Zezima"}, format="json")
    assert response.status_code == 502
    assert response.json()["error_code"] == "hiscores_unavailable"
    assert not Player.objects.exists()
    assert not PeriodicTask.objects.filter(task="hiscores.fetch_player").exists()


def test_list_filters_searches_and_paginates(auth_client, django_assert_max_num_queries):
    PlayerFactory(username="Iron Bob", game_mode=GameMode.IRONMAN)
    PlayerFactory(username="Iron_Alice", game_mode=GameMode.HARDCORE, is_active=False)
    PlayerFactory(username="Zezima")
    with django_assert_max_num_queries(4):
        body = auth_client.get("/players").json()
    assert body["count"] == 3
    assert [p["username"] for p in body["results"]] == ["Iron_Alice", "Iron Bob", "Zezima"]

    def names(query):
        return [p["username"] for p in auth_client.get(f"/players?{query}").json()["results"]]

    assert names("game_mode=ironman") == ["Iron Bob"]
    assert names("is_active=false") == ["Iron_Alice"]
    assert names("search=IRON-") == ["Iron_Alice", "Iron Bob"]
    assert names("search=ron b") == ["Iron Bob"]
    assert names("page_size=1&page=2") == ["Iron Bob"]
    assert auth_client.get("/players?game_mode=wizard").status_code == 400


def test_detail_by_any_spelling_and_404(auth_client):
    PlayerFactory(username="Lynx Titan")
    for spelling in ["lynx_titan", "LYNX-TITAN", "Lynx%20Titan", "lynx titan/"]:
        response = auth_client.get(f"/players/{spelling}")
        assert response.status_code == 200, spelling
        assert response.json()["username"] == "Lynx Titan"
    response = auth_client.get("/players/nobody")
    assert response.status_code == 404
    assert response.json()["error_code"] == "not_found"


def test_patch_changes_interval_and_active_and_the_task_follows(auth_client):
    player = PlayerFactory(username="Zezima")
    response = auth_client.patch(
        "/players/zezima", {"fetch_interval_minutes": 15, "is_active": False}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["fetch_interval_minutes"] == 15
    assert response.json()["is_active"] is False
    task = PeriodicTask.objects.get(pk=player.fetch_task_id)
    assert (task.interval.every, task.enabled) == (15, False)


def test_patch_rejects_out_of_range_and_read_only_fields(auth_client):
    PlayerFactory(username="Zezima")
    assert (
        auth_client.patch("/players/zezima", {"fetch_interval_minutes": 10081}, format="json")
    ).status_code == 400
    response = auth_client.patch("/players/zezima", {"game_mode": "ironman"}, format="json")
    assert response.status_code == 400
    assert "game_mode" in response.json()["details"]


def test_pause_and_resume_return_the_player(auth_client):
    player = PlayerFactory(username="Zezima")
    response = auth_client.post("/players/zezima/pause")
    assert response.status_code == 200
    assert response.json()["is_active"] is False
    assert PeriodicTask.objects.get(pk=player.fetch_task_id).enabled is False
    response = auth_client.post("/players/ZEZIMA/resume/")
    assert response.status_code == 200
    assert response.json()["is_active"] is True
    assert PeriodicTask.objects.get(pk=player.fetch_task_id).enabled is True


def test_delete_is_204_and_removes_the_task(auth_client):
    player = PlayerFactory(username="Zezima")
    assert auth_client.delete("/players/zezima").status_code == 204
    assert not Player.objects.exists()
    assert not PeriodicTask.objects.filter(pk=player.fetch_task_id).exists()
    assert auth_client.delete("/players/zezima").status_code == 404


def test_schedule_of_one_player(auth_client):
    player = PlayerFactory(username="Zezima", fetch_interval_minutes=30)
    body = auth_client.get("/players/zezima/schedule").json()
    task = PeriodicTask.objects.get(pk=player.fetch_task_id)
    assert body == {
        "username": "Zezima",
        "schedule_id": task.pk,
        "name": f"players.fetch_hiscores:{player.pk}",
        "interval_minutes": 30,
        "enabled": True,
        "last_run_at": None,
        "next_run_at": body["next_run_at"],
        "total_run_count": 0,
        "fetch_interval_minutes": 30,
        "effective_interval_minutes": 30,
    }
    assert body["next_run_at"] is not None


def test_schedule_list_has_every_player_without_n_plus_one(
    auth_client, django_assert_max_num_queries
):
    PlayerFactory.create_batch(5)
    PlayerFactory(username="paused", is_active=False)
    with django_assert_max_num_queries(4):
        body = auth_client.get("/schedules").json()
    assert body["count"] == 6
    rows = {row["username"]: row for row in body["results"]}
    assert rows["paused"]["enabled"] is False
    assert rows["paused"]["next_run_at"] is None
    assert all(row["schedule_id"] for row in body["results"])
