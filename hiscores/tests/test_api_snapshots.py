"""Stats now and at a date, several players at once, the snapshot list and manual fetches."""

from datetime import timedelta

import pytest
from django_celery_results.models import TaskResult

from hiscores.services import snapshot_record
from osrs_diff.models import ApiTask
from tests.factories import T0, PlayerFactory, reading

pytestmark = pytest.mark.django_db


@pytest.fixture
def zezima():
    player = PlayerFactory(username="Zezima")
    snapshot_record(player_id=player.pk, reading=reading({"attack": 1_000, "zulrah": 5}))
    snapshot_record(
        player_id=player.pk, reading=reading({"attack": 2_000, "zulrah": 9}, at=timedelta(days=2))
    )
    return player


def test_stats_show_the_latest_snapshot(auth_client, zezima):
    response = auth_client.get("/players/zezima/stats")

    assert response.status_code == 200
    body = response.json()
    assert body["username"] == "Zezima"
    assert body["fetched_at"] == (T0 + timedelta(days=2)).isoformat().replace("+00:00", "Z")
    assert body["skills"]["attack"]["experience"] == 2_000
    assert body["skills"]["attack"]["level"] == 13
    assert body["bosses"]["zulrah"]["kills"] == 9
    assert "overall" not in body["skills"]
    assert body["overall"]["experience"] == 2_000 + 23 * 1_000_000
    assert body["combat_level"] >= 3
    assert body["data_age_seconds"] > 0


def test_unranked_values_are_null(auth_client, zezima):
    body = auth_client.get("/players/zezima/stats").json()

    assert body["bosses"]["vorkath"] == {"rank": None, "kills": None}


def test_stats_at_a_date_between_two_snapshots_use_the_earlier_one(auth_client, zezima):
    at = (T0 + timedelta(days=1)).isoformat()

    response = auth_client.get("/players/ZEZIMA/stats", {"at": at})

    assert response.status_code == 200
    assert response.json()["skills"]["attack"]["experience"] == 1_000
    assert response.json()["bosses"]["zulrah"]["kills"] == 5


def test_stats_before_the_first_snapshot_are_a_clear_404(auth_client, zezima):
    response = auth_client.get("/players/zezima/stats", {"at": "2020-01-01T00:00:00Z"})

    assert response.status_code == 404
    assert response.json()["error_code"] == "no_snapshot"


def test_stats_of_a_player_without_snapshots_are_a_clear_404(auth_client):
    PlayerFactory(username="New Kid")

    response = auth_client.get("/players/new_kid/stats")

    assert response.status_code == 404
    assert response.json()["error_code"] == "no_snapshot"


def test_stats_with_a_bad_date_are_a_validation_error(auth_client, zezima):
    response = auth_client.get("/players/zezima/stats", {"at": "yesterday-ish"})

    assert response.status_code == 400
    assert "at" in response.json()["details"]


def test_lynx_titans_overall_comes_back_exactly(auth_client):
    player = PlayerFactory(username="Lynx Titan")
    snapshot_record(player_id=player.pk, reading=reading(default_xp=200_000_000))

    body = auth_client.get("/players/lynx titan/stats").json()

    assert body["overall"]["experience"] == 4_800_000_000
    assert body["combat_level"] == 126


def test_several_players_in_one_request(auth_client, zezima, django_assert_max_num_queries):
    PlayerFactory(username="No Data")
    other = PlayerFactory(username="Woox")
    snapshot_record(player_id=other.pk, reading=reading({"attack": 13_034_431}))

    with django_assert_max_num_queries(6):
        response = auth_client.get("/players/stats", {"usernames": "zezima,WOOX,nobody,no_data"})

    assert response.status_code == 200
    body = response.json()
    assert [p["username"] for p in body["players"]] == ["Zezima", "Woox"]
    assert body["not_tracked"] == ["nobody"]
    assert body["without_snapshots"] == ["No Data"]


def test_several_players_needs_names(auth_client):
    response = auth_client.get("/players/stats")

    assert response.status_code == 400
    assert response.json()["error_code"] == "validation_error"


def test_the_snapshot_list_is_paginated_and_filtered(auth_client, zezima):
    everything = auth_client.get("/players/zezima/snapshots").json()
    assert everything["count"] == 2
    assert everything["results"][0]["skills"]["attack"]["experience"] == 2_000

    first_day = auth_client.get(
        "/players/zezima/snapshots", {"end": (T0 + timedelta(days=1)).isoformat()}
    ).json()
    assert [s["skills"]["attack"]["experience"] for s in first_day["results"]] == [1_000]


def test_the_snapshot_list_rejects_an_inverted_range(auth_client, zezima):
    response = auth_client.get(
        "/players/zezima/snapshots",
        {"start": "2026-02-01T00:00:00Z", "end": "2026-01-01T00:00:00Z"},
    )

    assert response.status_code == 400


def test_stats_of_an_untracked_player_are_404(auth_client):
    response = auth_client.get("/players/nobody/stats")

    assert response.status_code == 404


def test_stats_need_authentication(api_client, zezima):
    assert api_client.get("/players/zezima/stats").status_code == 401


def test_a_manual_fetch_is_queued_and_followable(auth_client, zezima, monkeypatch):
    sent = {}

    def fake_apply_async(self, kwargs=None, task_id=None, **options):
        sent.update(kwargs=kwargs, task_id=task_id, options=options)

    monkeypatch.setattr("celery.app.task.Task.apply_async", fake_apply_async)

    response = auth_client.post("/players/zezima/fetch")

    assert response.status_code == 202
    body = response.json()
    assert sent["kwargs"] == {"player_id": zezima.pk}
    assert sent["options"]["ignore_result"] is False  # manual fetches keep their result
    assert body["task_id"] == sent["task_id"]
    assert body["status_url"].endswith(f"/tasks/{body['task_id']}")
    assert body["estimated_completion_seconds"] > 0
    assert ApiTask.objects.filter(task_id=body["task_id"]).exists()

    TaskResult.objects.create(
        task_id=body["task_id"], status="SUCCESS", result='{"status": "unchanged"}'
    )
    status = auth_client.get(f"/tasks/{body['task_id']}").json()
    assert status["state"] == "SUCCESS"
    assert status["result"] == {"status": "unchanged"}


def test_fetching_an_untracked_player_is_404(auth_client):
    assert auth_client.post("/players/nobody/fetch").status_code == 404


def test_a_date_only_end_means_the_end_of_that_day(auth_client, zezima):
    day = T0.date().isoformat()  # the first snapshot was taken during this day

    listed = auth_client.get("/players/zezima/snapshots", {"end": day}).json()
    assert [s["skills"]["attack"]["experience"] for s in listed["results"]] == [1_000]

    both = auth_client.get("/players/zezima/snapshots", {"start": day, "end": day}).json()
    assert both["count"] == 1


def test_stats_at_a_date_only_are_those_at_the_end_of_that_day(auth_client, zezima):
    response = auth_client.get("/players/zezima/stats", {"at": T0.date().isoformat()})

    assert response.status_code == 200
    assert response.json()["skills"]["attack"]["experience"] == 1_000
