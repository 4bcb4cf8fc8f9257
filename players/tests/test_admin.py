"""Admin: edits, deletes and actions go through the services, so the schedule stays in step."""

import re

import pytest
from django.contrib.admin.sites import site
from django.contrib.auth import get_user_model
from django_celery_beat.models import PeriodicTask

from osrs_diff.models import ApiTask
from players.game_modes import GameMode
from players.models import Player
from tests.factories import GameModeChangeFactory, PlayerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    user = get_user_model().objects.create_superuser("root", "root@example.com", "pw-123456!")
    client.force_login(user)
    return client


def action(admin_client, name, players):
    return admin_client.post(
        "/admin/players/player/",
        {"action": name, "_selected_action": [p.pk for p in players]},
        follow=True,
    )


def test_changelist_search_and_filters(admin_client):
    PlayerFactory(username="Lynx Titan")
    PlayerFactory(username="Zezima", game_mode=GameMode.IRONMAN)
    response = admin_client.get("/admin/players/player/?q=LYNX_TITAN")
    assert response.status_code == 200
    assert "Lynx Titan" in response.content.decode()
    assert "Zezima" not in response.content.decode()
    assert admin_client.get("/admin/players/player/?game_mode__exact=ironman").status_code == 200


def test_change_page_lists_the_game_mode_changes_read_only(admin_client):
    change = GameModeChangeFactory(player__username="Hc Bob")
    response = admin_client.get(f"/admin/players/player/{change.player_id}/change/")
    assert response.status_code == 200
    html = response.content.decode()
    # The player page's game-mode history (history/admin.py): shown, not editable.
    table = re.search(r'<table id="pp-game-modes">(.*?)</table>', html, re.S).group(1)
    assert "<td>Hardcore ironman</td><td>Ironman</td>" in table
    assert "<input" not in table


def test_add_goes_through_player_create(admin_client, hiscores_http):
    hiscores_http.add("Iron Bob", regular=10, ironman=10)
    response = admin_client.post(
        "/admin/players/player/add/", {"username": "Iron_Bob", "fetch_interval_minutes": 45}
    )
    assert response.status_code == 302
    player = Player.objects.get()
    assert player.game_mode == GameMode.IRONMAN
    assert PeriodicTask.objects.get(pk=player.fetch_task_id).interval.every == 45


def test_add_shows_an_error_for_unknown_or_tracked_names(admin_client, hiscores_http):
    PlayerFactory(username="Zezima")
    for name in ("Ghost", "ZEZIMA"):
        response = admin_client.post(
            "/admin/players/player/add/", {"username": name, "fetch_interval_minutes": 60}
        )
        assert response.status_code == 200  # the form again, with the error
    assert Player.objects.count() == 1


def test_edit_updates_the_task(admin_client):
    player = PlayerFactory(username="Zezima")
    response = admin_client.post(
        f"/admin/players/player/{player.pk}/change/",
        {
            "fetch_interval_minutes": 20,
            "game_mode_changes-TOTAL_FORMS": 0,
            "game_mode_changes-INITIAL_FORMS": 0,
        },
    )
    assert response.status_code == 302
    task = PeriodicTask.objects.get(pk=player.fetch_task_id)
    assert (task.interval.every, task.enabled) == (20, False)  # is_active unticked


def test_pause_resume_resync_actions(admin_client):
    players = PlayerFactory.create_batch(2)
    action(admin_client, "pause", players)
    assert not PeriodicTask.objects.filter(pk__in=[p.fetch_task_id for p in players], enabled=True)
    action(admin_client, "resume", players)
    assert (
        PeriodicTask.objects.filter(pk__in=[p.fetch_task_id for p in players], enabled=True).count()
        == 2
    )
    PeriodicTask.objects.filter(pk=players[0].fetch_task_id).update(enabled=False)
    action(admin_client, "resync_schedule", players)
    assert PeriodicTask.objects.get(pk=players[0].fetch_task_id).enabled is True


def test_check_game_mode_and_fetch_now_actions(admin_client):
    # Both are queued on `interactive` (hiscores/tests/test_interactive_sends.py) and followable.
    player = PlayerFactory(username="Hc", game_mode=GameMode.HARDCORE)
    action(admin_client, "check_game_mode", [player])
    action(admin_client, "fetch_now", [player])
    assert list(ApiTask.objects.order_by("created_at").values_list("name", flat=True)) == [
        "players.check_game_mode",
        "hiscores.fetch_player",
    ]


def test_delete_action_removes_the_tasks(admin_client):
    players = PlayerFactory.create_batch(2)
    response = admin_client.post(
        "/admin/players/player/",
        {"action": "delete_selected", "_selected_action": [p.pk for p in players], "post": "yes"},
    )
    assert response.status_code == 302
    assert not Player.objects.exists()
    assert not PeriodicTask.objects.filter(pk__in=[p.fetch_task_id for p in players]).exists()


def test_admin_is_registered():
    assert Player in site._registry
