"""Issue 15 item 2: reads for any user, player writes for staff or the model permission."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.test import RequestFactory

from osrs_diff.api_tasks import api_task_start
from players.models import Player
from tests.factories import PlayerFactory

pytestmark = pytest.mark.django_db

WRITES = [
    ("post", "/players", {"username": "zezima"}),
    ("patch", "/players/zezima", {"fetch_interval_minutes": 30}),
    ("delete", "/players/zezima", None),
    ("post", "/players/zezima/pause", None),
    ("post", "/players/zezima/resume", None),
    ("post", "/players/zezima/fetch", None),
    ("post", "/players/zezima/update-game-mode", None),
]


@pytest.mark.parametrize(("method", "path", "body"), WRITES)
def test_a_reader_cannot_write_players(reader_client, method, path, body):
    response = getattr(reader_client, method)(path, body, format="json")

    assert response.status_code == 403
    assert response.json()["error_code"] == "permission_denied"


@pytest.mark.parametrize(
    "path", ["/players", "/schedules", "/players/stats?usernames=a", "/history/leaderboard"]
)
def test_a_reader_can_read(reader_client, path):
    assert reader_client.get(path).status_code == 200


def test_a_non_staff_operator_pauses_through_the_group_permission(auth_client, user):
    assert not user.is_staff
    player = PlayerFactory(username="zezima")

    response = auth_client.post(f"/players/{player.username}/pause")

    assert response.status_code == 200
    player.refresh_from_db()
    assert player.is_active is False


def test_each_write_needs_its_own_permission(django_user_model, api_client):
    """change_player alone: PATCH yes, DELETE no."""
    editor = django_user_model.objects.create_user(username="editor", password="x-pass-12345")
    editor.user_permissions.add(Permission.objects.get(codename="change_player"))
    api_client.force_authenticate(editor)
    PlayerFactory(username="zezima")

    assert api_client.post("/players/zezima/pause").status_code == 200
    assert api_client.delete("/players/zezima").status_code == 403
    assert api_client.post("/players", {"username": "lynx"}, format="json").status_code == 403


def test_task_status_is_shown_to_its_starter_and_staff_only(
    auth_client, staff_client, reader_client, user, reader
):
    mine = api_task_start(task="players.check_game_modes", user=user)
    nobodys = api_task_start(task="players.check_game_modes")

    assert auth_client.get(f"/tasks/{mine}").status_code == 200
    assert staff_client.get(f"/tasks/{mine}").status_code == 200
    assert staff_client.get(f"/tasks/{nobodys}").status_code == 200
    for client, task_id in ((reader_client, mine), (auth_client, nobodys)):
        response = client.get(f"/tasks/{task_id}")
        assert response.status_code == 404
        assert response.json()["error_code"] == "not_found"


def _admin_actions(account) -> set[str]:
    import osrs_diff.urls  # noqa: F401  (the admin is discovered where URLs are served)

    request = RequestFactory().get("/admin/players/player/")
    request.user = account
    return set(admin.site._registry[Player].get_actions(request))


@pytest.mark.parametrize(
    "action", ["fetch_now", "pause", "resume", "check_game_mode", "resync_schedule"]
)
def test_admin_player_actions_need_the_change_permission(django_user_model, action):
    viewer = django_user_model.objects.create_user(
        username="viewer", password="x-pass-12345", is_staff=True
    )
    viewer.user_permissions.add(Permission.objects.get(codename="view_player"))
    changer = django_user_model.objects.create_user(
        username="changer", password="x-pass-12345", is_staff=True
    )
    changer.user_permissions.add(Permission.objects.get(codename="change_player"))

    assert action not in _admin_actions(viewer)
    assert action in _admin_actions(django_user_model.objects.get(pk=changer.pk))
