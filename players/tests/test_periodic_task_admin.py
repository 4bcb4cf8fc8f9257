"""The periodic-task admin names each fetch task's player and shows its registered task."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from tests.factories import PlayerFactory

pytestmark = pytest.mark.django_db


def test_task_list_shows_the_player_name(admin_client, django_assert_max_num_queries):
    players = [PlayerFactory(username=name) for name in ("Zezima", "Lynx Titan", "Woox")]
    url = reverse("admin:django_celery_beat_periodictask_changelist")

    with django_assert_max_num_queries(12):  # one join for the players, not a query per row
        html = admin_client.get(url).content.decode()

    for player in players:
        assert f"players.fetch_hiscores:{player.pk}" in html
        change = reverse("admin:players_player_change", args=[player.pk])
        assert f'<a href="{change}">{player.username}</a>' in html


def test_task_page_lists_registered_tasks_and_selects_its_own(admin_client):
    player = PlayerFactory(username="Zezima")
    url = reverse("admin:django_celery_beat_periodictask_change", args=[player.fetch_task_id])

    html = admin_client.get(url).content.decode()

    select = re.search(r'<select name="regtask".*?</select>', html, re.S).group(0)
    for task in ("hiscores.fetch_player", "players.check_game_modes", "drops.end_idle_parties"):
        assert f'value="{task}"' in select
    assert re.search(r'<option value="hiscores.fetch_player" selected>', select)


def test_task_search_finds_a_player_by_name(admin_client):
    player = PlayerFactory(username="Zezima")
    PlayerFactory(username="Woox")
    url = reverse("admin:django_celery_beat_periodictask_changelist")

    html = admin_client.get(url, {"q": "zezima"}).content.decode()

    assert f"players.fetch_hiscores:{player.pk}" in html
    assert "Woox" not in html
