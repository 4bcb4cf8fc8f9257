"""GET /tasks/{task_id}: state and result of tasks the API started, and only those."""

import pytest
from django_celery_results.models import TaskResult

from osrs_diff.api_tasks import api_task_start
from osrs_diff.models import ApiTask

pytestmark = pytest.mark.django_db


def test_a_started_task_is_pending_until_a_worker_reports(auth_client, user):
    task_id = api_task_start(task="players.check_game_modes", user=user)
    record = ApiTask.objects.get(task_id=task_id)
    assert (record.name, record.created_by) == ("players.check_game_modes", user)
    response = auth_client.get(f"/tasks/{task_id}")
    assert response.status_code == 200
    body = response.json()
    assert (body["task_id"], body["state"], body["result"]) == (task_id, "PENDING", None)


def test_success_shows_the_result(auth_client, user):
    task_id = api_task_start(task="players.check_game_modes", user=user)
    TaskResult.objects.store_result(
        "application/json", "utf-8", task_id, '{"queued": 3}', "SUCCESS"
    )
    body = auth_client.get(f"/tasks/{task_id}/").json()
    assert body["state"] == "SUCCESS"
    assert body["result"] == {"queued": 3}
    assert body["date_done"] is not None


def test_failure_shows_the_error_without_a_traceback(auth_client, user):
    task_id = api_task_start(task="players.check_game_modes", user=user)
    TaskResult.objects.store_result(
        "application/json",
        "utf-8",
        task_id,
        '{"exc_type": "HiscoresUnavailable", "exc_message": ["down"], "exc_module": "x"}',
        "FAILURE",
        traceback="Traceback (most recent call last): secret",
    )
    body = auth_client.get(f"/tasks/{task_id}").json()
    assert body["state"] == "FAILURE"
    assert body["result"] == {"error": "HiscoresUnavailable", "message": "down"}
    assert "secret" not in str(body)


def test_unknown_or_foreign_task_ids_are_404(auth_client):
    TaskResult.objects.store_result("application/json", "utf-8", "not-ours", "1", "SUCCESS")
    for task_id in ("not-ours", "nope"):
        response = auth_client.get(f"/tasks/{task_id}")
        assert response.status_code == 404
        assert response.json()["error_code"] == "not_found"


def test_it_needs_authentication(api_client):
    assert api_client.get("/tasks/whatever").status_code == 401
